// Hostile credentials: whatever an Authorization header or a token request holds, the answer is a refusal with a
// proper body (SCIM error at /scim/v2, RFC 6749 error at /oauth/token), never a 500, never the secret echoed back.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const SECRET = "hostile-client-secret-0123456789";

describe.each(BACKENDS)("hostile credentials on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      backend,
      authFailuresPerMinute: 1_000_000,
      auth: [
        { name: "basic", kind: "basic", username: "okta", password: "okta-password-0123456789" },
        { name: "client", kind: "clientCredentials", clientId: "client", clientSecret: SECRET },
        {
          name: "jwt",
          kind: "jwt",
          issuer: "http://127.0.0.1:9/issuer",
          jwksUri: "http://127.0.0.1:9/keys",
          audience: "x",
        },
      ],
    });
  });
  afterAll(() => t.close());

  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const b64url = (s: string) => Buffer.from(s).toString("base64url");
  // Headers built from the shapes a real credential has, so the property reaches the JWT and Basic parsers.
  const header = fc.oneof(
    fc.string().map((s) => `Bearer ${s}`),
    fc.string().map((s) => `Basic ${b64(s)}`),
    fc.tuple(fc.string(), fc.string()).map(([u, p]) => `Basic ${b64(`${u}:${p}`)}`),
    fc
      .tuple(fc.json(), fc.json(), fc.string())
      .map(([h, p, s]) => `Bearer ${b64url(h)}.${b64url(p)}.${b64url(s)}`),
    fc
      .record({
        iss: fc.constantFrom("urn:scim-bridge", "http://127.0.0.1:9/issuer", "x"),
        exp: fc.integer(),
      })
      .map(
        (p) =>
          `Bearer ${b64url(JSON.stringify({ alg: "HS256", kid: "k" }))}.${b64url(JSON.stringify(p))}.sig`,
      ),
    fc.string({ unit: "binary", maxLength: 200 }).map((s) => s.replace(/[\r\n\0]/g, "")),
  );

  it("answers any Authorization header at /scim/v2 with a SCIM 401 or 503 body", async () => {
    await fc.assert(
      fc.asyncProperty(header, async (authorization) => {
        let res: Awaited<ReturnType<typeof t.request.get>>;
        try {
          res = await t.request.get("/scim/v2/Users").set("Authorization", authorization);
        } catch {
          return; // a header value Node refuses to send
        }
        expect([401, 503]).toContain(res.status);
        expect(res.headers["content-type"]).toMatch(/^application\/scim\+json/);
        expect(res.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
      }),
      { numRuns: 150 },
    );
  });

  it("answers any token request without the right secret with an RFC 6749 error and never echoes the secret", async () => {
    const form = fc.dictionary(
      fc.constantFrom("grant_type", "client_id", "client_secret", "scope", "x"),
      fc.oneof(fc.string(), fc.constantFrom("client_credentials", "client", SECRET.slice(0, -1))),
    );
    await fc.assert(
      fc.asyncProperty(form, fc.option(header), async (body, authorization) => {
        const req = t.request.post("/oauth/token").type("form");
        if (authorization) {
          try {
            req.set("Authorization", authorization);
          } catch {
            return;
          }
        }
        let res: Awaited<typeof req>;
        try {
          res = await req.send(body);
        } catch {
          return;
        }
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers["cache-control"]).toBe("no-store");
        expect(typeof res.body.error).toBe("string");
        expect(res.text).not.toContain(SECRET.slice(0, -1));
      }),
      { numRuns: 150 },
    );
  });
});
