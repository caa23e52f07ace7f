// HTTP that Node rejects before Express sees it still gets a SCIM error body; failed authentications are limited
// per client address (a valid token always passes); logged errors carry no values from the failed statement.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggableError } from "../../src/errors.ts";
import { AUTH, createTestApp, type TestApp, TOKEN } from "../support/app.ts";
import { openTestDb } from "../support/store.ts";

/** Sends raw bytes and resolves with everything the server answered before closing. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let out = "";
    socket.setEncoding("utf8");
    socket.on("data", (d) => {
      out += d;
    });
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
    socket.setTimeout(3_000, () => {
      socket.destroy();
      resolve(out);
    });
    socket.write(request);
  });
}

function scimError(response: string, status: number) {
  const [head, body] = response.split("\r\n\r\n");
  expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(head).toMatch(/content-type: application\/scim\+json/i);
  const parsed = JSON.parse(body ?? "");
  expect(parsed).toMatchObject({
    schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
    status: String(status),
  });
  return parsed as { detail: string };
}

describe("malformed HTTP and authentication failures", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ authFailuresPerMinute: 5 });
  });
  afterAll(() => t.close());

  const auth = `Authorization: Bearer ${TOKEN}\r\n`;
  it.each([
    [
      "bad chunking",
      `POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n`,
      400,
    ],
    [
      "Content-Length together with Transfer-Encoding",
      `POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
    ],
    [
      "oversize headers",
      `GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      431,
    ],
    ["Expect: 200-ok", `GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\n${auth}Expect: 200-ok\r\n\r\n`, 417],
  ])("%s gets a SCIM error body", async (_name, request, status) => {
    scimError(await raw(t.port, request as string), status as number);
    await t.request.get("/healthz").expect(200);
  });

  it("limits failed authentications per address, while a valid token still passes", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await t.request.get("/scim/v2/Users").set({ Authorization: "Bearer guess" })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    const limited = await t.request.get("/scim/v2/Users");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    await t.request.get("/scim/v2/Users").set(AUTH).expect(200);
  });
});

describe("logged errors", () => {
  it("keep no value of a failed statement (message, detail or parameters)", async () => {
    const store = await openTestDb();
    try {
      const insert = "INSERT INTO users (id, user_name, data) VALUES (gen_random_uuid(), $1, '{}')";
      await store.db.query(insert, ["secret.person@example.com"]).catch(() => {});
      const err = await store.db.query(insert, ["secret.person@example.com"]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeDefined();
      const logged = JSON.stringify(loggableError(err));
      expect(logged).toMatch(/"code":"23505"/);
      expect(logged).not.toMatch(/secret\.person/);
      const cast = await store.db
        .query("SELECT $1::uuid", ["not-a-uuid-but-a-name"])
        .catch((e: unknown) => e);
      expect(JSON.stringify(loggableError(cast))).not.toMatch(/not-a-uuid-but-a-name/);
    } finally {
      await store.close();
    }
  });
});
