// The scim target's pure decisions: what a peer's answer means, how writes are cut into Bulk requests, and
// the single-peer configuration from environment variables.

import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { classifyPeerAnswer, scimConfigFromEnv } from "../../src/targets/scim/index.ts";
import { bulkAnswers, bulkChunks } from "../../src/targets/scim/send.ts";

describe("scim peer answers", () => {
  it.each([
    [
      429,
      { detail: "slow down" },
      "10",
      { status: "retry", code: "TARGET_RATE_LIMITED", message: "slow down", delayMs: 10_000 },
    ],
    [503, undefined, null, { status: "retry", code: "TARGET_UNAVAILABLE", message: "the peer answered 503" }],
    [401, undefined, null, { status: "retry", code: "TARGET_CREDENTIALS_REJECTED", blocked: "credentials" }],
    [408, undefined, null, { status: "retry", code: "TARGET_UNAVAILABLE" }],
    [503, undefined, "1.5", { status: "retry", delayMs: 1500 }],
    [
      409,
      { scimType: "uniqueness", detail: "userName taken" },
      null,
      { status: "failed", code: "uniqueness", message: "userName taken" },
    ],
    [
      400,
      { scimType: "invalidValue", detail: "bad email" },
      null,
      { status: "failed", code: "invalidValue" },
    ],
    [403, undefined, null, { status: "failed", code: "HTTP_403" }],
  ] as const)("%i %j → %j", (status, body, retryAfter, want) => {
    expect(classifyPeerAnswer(retryPolicy, status, body, retryAfter)).toMatchObject(want);
  });
});

describe("Bulk", () => {
  const w = (n: number) => ({ method: "POST" as const, path: "/Users", data: { userName: "x".repeat(n) } });

  it("cuts writes at maxOperations and at maxPayloadSize, a write too large alone going alone", () => {
    expect(bulkChunks([w(1), w(1), w(1)], { maxOperations: 2, maxPayloadSize: 10_000 })).toEqual([
      [0, 1],
      [2],
    ]);
    expect(bulkChunks([w(400), w(400), w(5000)], { maxOperations: 10, maxPayloadSize: 1_200 })).toEqual([
      [0, 1],
      [2],
    ]);
  });

  it("matches answers by bulkId, else by position, and retries an operation the peer left out", () => {
    const writes = [
      { method: "POST", path: "/Users" },
      { method: "POST", path: "/Users" },
      { method: "PATCH", path: "/Users/u1" },
      { method: "PATCH", path: "/Users/u2" },
    ] as const;
    const answers = bulkAnswers(writes, {
      Operations: [
        { bulkId: "w1", status: "409", response: { scimType: "uniqueness" } },
        { bulkId: "w0", status: "201", location: "https://peer/Users/abc" },
        { method: "PATCH", status: "200", location: "https://peer/Users/u1" },
      ],
    });
    expect(answers.map((a) => a.status)).toEqual([201, 409, 200, 503]);
    expect(answers[0]?.location).toBe("https://peer/Users/abc");
  });

  it("never takes another write's answer by position (the peer may answer in any order)", () => {
    // A create and a deactivation; the peer answers the PATCH first, without a bulkId, as RFC 7644 allows.
    const writes = [
      { method: "POST", path: "/Users" },
      { method: "PATCH", path: "/Users/b" },
    ] as const;
    const answers = bulkAnswers(writes, {
      Operations: [
        { method: "PATCH", status: "400", location: "https://peer/Users/b" },
        { bulkId: "w0", method: "POST", status: "201", location: "https://peer/Users/a" },
      ],
    });
    expect(answers[0]?.status).toBe(201);
    // Position 1 holds the create's answer: not the PATCH's, so the PATCH is tried again rather than taken as done.
    expect(answers[1]?.status).toBe(503);
  });
});

describe("SCIM_TARGET_* environment", () => {
  it("is a target named scim with a bearer token, or OAuth client credentials", () => {
    expect(scimConfigFromEnv({})).toBeUndefined();
    expect(
      scimConfigFromEnv({ SCIM_TARGET_URL: "https://app.example/scim/v2/", SCIM_TARGET_TOKEN: "t" }),
    ).toMatchObject({
      name: "scim",
      kind: "scim",
      url: "https://app.example/scim/v2",
      auth: { bearer: { token: "t" } },
    });
    expect(
      scimConfigFromEnv({
        SCIM_TARGET_URL: "https://app.example/scim/v2",
        SCIM_TARGET_TOKEN_URL: "https://login.example/token",
        SCIM_TARGET_CLIENT_ID: "id",
        SCIM_TARGET_CLIENT_SECRET: "secret",
      })?.auth,
    ).toEqual({
      clientCredentials: { tokenUrl: "https://login.example/token", clientId: "id", clientSecret: "secret" },
    });
  });

  it("names what is missing", () => {
    expect(() => scimConfigFromEnv({ SCIM_TARGET_URL: "https://app.example/scim/v2" })).toThrow(ConfigError);
    expect(() =>
      scimConfigFromEnv({ SCIM_TARGET_URL: "https://app.example/scim/v2", SCIM_TARGET_CLIENT_ID: "id" }),
    ).toThrow(/SCIM_TARGET_TOKEN_URL, SCIM_TARGET_CLIENT_SECRET/);
  });
});
