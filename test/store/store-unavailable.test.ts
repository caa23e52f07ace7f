// Which database failures are "the database is unreachable" (SCIM 503, retry later) and which are not.
import { describe, expect, it } from "vitest";
import { isStoreUnavailable } from "../../src/store/index.ts";

const err = (fields: { code?: string; message?: string }) =>
  Object.assign(new Error(fields.message ?? "x"), fields);

describe("isStoreUnavailable", () => {
  it.each([
    ["a refused connection", err({ code: "ECONNREFUSED" })],
    ["a connection reset while reading (the proxy or server went away)", err({ code: "ECONNRESET" })],
    ["a write to a closed socket", err({ code: "EPIPE" })],
    ["SQLSTATE 08006 connection failure", err({ code: "08006" })],
    [
      "SQLSTATE 57P01 terminated by an administrator (failover, pg_terminate_backend)",
      err({ code: "57P01" }),
    ],
    ["SQLSTATE 57P03 the server is starting up", err({ code: "57P03" })],
    ["SQLSTATE 53300 too many connections", err({ code: "53300" })],
    ["pg: a connection that ended mid-query", err({ message: "Connection terminated unexpectedly" })],
    [
      "pg-pool: no connection within connectionTimeoutMillis",
      err({ message: "timeout exceeded when trying to connect" }),
    ],
  ])("%s is unavailable", (_what, e) => {
    expect(isStoreUnavailable(e)).toBe(true);
  });

  it.each([
    ["a unique violation (the client's conflict)", err({ code: "23505" })],
    ["a statement timeout (its own 503 with a different advice)", err({ code: "57014" })],
    ["a syntax error (a bug)", err({ code: "42601" })],
    ["a plain error", new Error("boom")],
    ["not an error at all", undefined],
  ])("%s is not", (_what, e) => {
    expect(isStoreUnavailable(e)).toBe(false);
  });
});
