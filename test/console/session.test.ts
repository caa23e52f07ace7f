// Console sessions over plain HTTP: what the browser tests cannot see (cookie attributes, CSRF, expiry, the CSP).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestBridge, type TestBridge, TOKEN } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const cookieOf = (res: { headers: Record<string, unknown> }) =>
  String((res.headers["set-cookie"] as string[] | undefined)?.[0] ?? "");

describe("console sessions", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({
      targets: [{ name: "accounts", kind: "test", url: target.url }],
      config: { trustProxy: true },
    });
  });
  afterAll(async () => {
    await t.stop();
    await target.close();
  });

  async function signIn(headers: Record<string, string> = {}) {
    const res = await t.request
      .post("/console/sign-in")
      .set(headers)
      .type("form")
      .send({ token: ADMIN_TOKEN });
    expect(res.status).toBe(303);
    const cookie = cookieOf(res);
    const page = await t.request.get("/console").set("Cookie", cookie.split(";")[0]!);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    return { cookie, pair: cookie.split(";")[0]!, csrf: csrf! };
  }

  it("exchanges the admin token for an HttpOnly SameSite=Strict cookie with an expiry; Secure behind HTTPS", async () => {
    const plain = (await signIn()).cookie;
    expect(plain).toMatch(/^scim_bridge_console=[\w-]{40,};/);
    expect(plain).toMatch(/HttpOnly/);
    expect(plain).toMatch(/SameSite=Strict/);
    expect(plain).toMatch(/Expires=/);
    expect(plain).not.toMatch(/Secure/);
    const proxied = (await signIn({ "X-Forwarded-Proto": "https" })).cookie;
    expect(proxied).toMatch(/^__Host-scim_bridge_console=/);
    expect(proxied).toMatch(/; Secure/);
  });

  it("does not open with the SCIM token, a wrong token or a forged cookie", async () => {
    for (const token of [TOKEN, "wrong-token-0123456789"]) {
      const res = await t.request.post("/console/sign-in").type("form").send({ token });
      expect(res.status).toBe(401);
      expect(res.headers["set-cookie"]).toBeUndefined();
    }
    const forged = await t.request.get("/console").set("Cookie", "scim_bridge_console=forged");
    expect(forged.status).toBe(303);
    expect(forged.headers.location).toMatch(/^\/console\/sign-in/);
    // Live regions get a 401, not a redirect to a page they cannot show.
    const live = await t.request.get("/console/live/overview").set("X-Console-Live", "1");
    expect(live.status).toBe(401);
  });

  it("refuses an action without the session's CSRF token, or started by another site", async () => {
    const { pair, csrf } = await signIn();
    const without = await t.request.post("/console/sign-out").set("Cookie", pair).type("form").send({});
    expect(without.status).toBe(403);
    expect(without.text).toContain("CSRF");
    const wrong = await t.request
      .post("/console/sign-out")
      .set("Cookie", pair)
      .type("form")
      .send({ _csrf: "x" });
    expect(wrong.status).toBe(403);
    const crossSite = await t.request
      .post("/console/sign-out")
      .set({ Cookie: pair, "Sec-Fetch-Site": "cross-site" })
      .type("form")
      .send({ _csrf: csrf });
    expect(crossSite.status).toBe(403);
    const foreignOrigin = await t.request
      .post("/console/sign-in")
      .set("Origin", "https://evil.example")
      .type("form")
      .send({ token: ADMIN_TOKEN });
    expect(foreignOrigin.status).toBe(403);
    expect((await t.request.get("/console").set("Cookie", pair)).status).toBe(200);
  });

  it("ends the session on sign-out and when it expires", async () => {
    const { pair, csrf } = await signIn();
    const out = await t.request
      .post("/console/sign-out")
      .set("Cookie", pair)
      .type("form")
      .send({ _csrf: csrf });
    expect(out.status).toBe(303);
    expect((await t.request.get("/console").set("Cookie", pair)).status).toBe(303);

    const second = await signIn();
    expect((await t.request.get("/console").set("Cookie", second.pair)).status).toBe(200);
    await t.store.db.query("UPDATE console_sessions SET expires = now() - interval '1 second'");
    const expired = await t.request.get("/console").set("Cookie", second.pair);
    expect(expired.status).toBe(303);
    expect(expired.headers.location).toContain("expired=1");
  });

  it("goes back only to a console page after signing in, never to another site", async () => {
    for (const [next, to] of [
      ["/console/audit?outcome=failed", "/console/audit?outcome=failed"],
      ["//evil.example/console", "/console"],
      ["https://evil.example/", "/console"],
      ["/console/../admin/targets", "/console"],
    ]) {
      const res = await t.request.post("/console/sign-in").type("form").send({ token: ADMIN_TOKEN, next });
      expect(res.headers.location, next).toBe(to);
    }
  });

  it("shows what an IdP sent as text, never as markup", async () => {
    const { pair } = await signIn();
    const name = '"><img src=x onerror=alert(1)>@example.com';
    const created = await t.request
      .post("/scim/v2/Users")
      .set("Authorization", `Bearer ${TOKEN}`)
      .send({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: name });
    expect(created.status).toBe(201);
    const found = await t.request.get(`/console/find?q=${encodeURIComponent('"><img')}`).set("Cookie", pair);
    expect(found.text).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@example.com");
    expect(found.text).not.toContain("<img src=x");
    const page = await t.request.get(`/console/users/${created.body.id}`).set("Cookie", pair);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("<img src=x");
  });

  it("serves pages under a strict CSP: scripts and styles from the bridge only, nothing inline", async () => {
    const { pair } = await signIn();
    const res = await t.request.get("/console").set("Cookie", pair);
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https:/);
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(res.text).not.toMatch(/\sstyle=/);
    expect(res.headers["cache-control"]).toBe("no-store");
    const js = await t.request.get("/console/assets/console.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toMatch(/javascript/);
  });
});
