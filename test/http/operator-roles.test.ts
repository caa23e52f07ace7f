// Who may do what: roles from the IdP's claim, named admin tokens (a secret or its SHA-256) with a role each, and
// the break-glass admin token, which configuration can switch off. Failed authentications are counted per reason.
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken } from "../../src/cli/running-server.ts";
import { type ConfigError, loadConfig } from "../../src/config/index.ts";
import { roleFromClaim } from "../../src/http/console/oidc.ts";
import { queryAudit } from "../../src/store/index.ts";
import { ADMIN_TOKEN, startTestBridge, type TestBridge } from "../support/bridge.ts";

const ROLES = { viewer: ["v", "shared"], operator: ["o"], admin: ["a"] };

describe("roles from the IdP's claim", () => {
  it.each([
    ["one group", ["v"], "viewer"],
    ["the highest of several", ["v", "a", "o"], "admin"],
    ["a single string claim (Okta's app role)", "o", "operator"],
    ["a value mapped to nothing", ["staff"], undefined],
    ["no claim at all", undefined, undefined],
    ["an empty list", [], undefined],
    ["a value that only looks alike", ["A", " a"], undefined],
  ])("%s → %s", (_name, claim, role) => {
    expect(roleFromClaim({ roles: ROLES }, claim)).toBe(role);
  });
});

describe("operator sign-in configuration", () => {
  it("reads the OIDC client and the break-glass switch from the environment, roles from the file", () => {
    const c = loadConfigWith(
      {
        CONSOLE_OIDC_ISSUER: "https://login.example.com/tenant/v2.0",
        CONSOLE_OIDC_CLIENT_ID: "client",
        CONSOLE_OIDC_CLIENT_SECRET: "secret",
        ADMIN_BREAK_GLASS: "false",
      },
      { auth: { console: { oidc: { roles: { operator: ["ops"] } } } } },
    );
    expect(c.auth.admin.tokens).toEqual([]);
    expect(c.auth.admin.breakGlass).toBe(false);
    expect(c.auth.console.oidc).toMatchObject({
      issuer: "https://login.example.com/tenant/v2.0",
      clientId: "client",
      clientSecret: "secret",
      roleClaim: "groups",
    });
  });

  it("gives the CLI a named token that may act when the break-glass token is off", () => {
    const tokens = [
      { name: "dashboards", token: "viewer-token-0123456789", role: "viewer" },
      { name: "runbook", token: "operator-token-0123456789", role: "operator" },
    ];
    const env = { ADMIN_TOKEN: "break-glass-token-0123456789" };
    expect(adminToken(loadConfigWith(env, { auth: { admin: { tokens } } }))).toBe(env.ADMIN_TOKEN);
    const off = loadConfigWith({ ...env, ADMIN_BREAK_GLASS: "false" }, { auth: { admin: { tokens } } });
    expect(adminToken(off)).toBe("operator-token-0123456789");
  });

  it.each([
    [{ admin: { tokens: [{ name: "x", role: "operator" }] } }, "give token or tokenSha256"],
    [
      { admin: { tokens: [{ name: "x", token: "0123456789abcdef0", role: "root" }] } },
      "auth.admin.tokens.0.role",
    ],
    [{ admin: { tokens: [{ name: "x", tokenSha256: "abc", role: "viewer" }] } }, "64 hex characters"],
    [
      { console: { oidc: { issuer: "http://idp.example.com", clientId: "c", roles: { admin: ["a"] } } } },
      "https://",
    ],
    [
      { console: { oidc: { issuer: "https://idp.example.com", clientId: "c" } } },
      "map at least one claim value",
    ],
  ])("refuses %j naming the fix", (auth, message) => {
    let problems = "";
    try {
      loadConfigWith({}, { auth });
    } catch (e) {
      problems = (e as ConfigError).problems.join("\n");
    }
    expect(problems).toContain(message);
  });
});

/** loadConfig with a YAML file holding `values`. */
function loadConfigWith(env: Record<string, string>, values: object) {
  const file = join(mkdtempSync(join(tmpdir(), "bridge-config-")), "bridge.yaml");
  writeFileSync(file, JSON.stringify(values));
  return loadConfig({ ...env, BRIDGE_CONFIG: file });
}

const VIEWER = "viewer-secret-token-0123456789";
const OPERATOR = "operator-secret-token-0123456789";

describe.each([
  ["on", true],
  ["off", false],
])("admin tokens with roles, break-glass %s", (_name, breakGlass) => {
  let t: TestBridge;
  beforeAll(async () => {
    t = await startTestBridge({
      targets: [],
      config: {
        auth: {
          admin: {
            breakGlass,
            tokens: [
              { name: "dashboards", token: VIEWER, role: "viewer" },
              // Only the hash is configured.
              {
                name: "runbook",
                tokenSha256: createHash("sha256").update(OPERATOR).digest("hex"),
                role: "operator",
              },
            ],
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it("lets a viewer token read and refuses its actions with 403 naming the role needed", async () => {
    expect((await t.request.get("/admin/queue").set(bearer(VIEWER))).status).toBe(200);
    const retry = await t.request.post("/admin/jobs/retry").set(bearer(VIEWER)).send({});
    expect(retry.status).toBe(403);
    expect(retry.body.detail).toBe("retry-all needs the role operator; dashboards has the role viewer");
  });

  it("accepts a token configured only by its SHA-256, with its role", async () => {
    expect((await t.request.post("/admin/jobs/retry").set(bearer(OPERATOR)).send({})).status).toBe(200);
  });

  it(`${breakGlass ? "accepts" : "refuses"} the break-glass token on the admin API and the console`, async () => {
    expect((await t.request.get("/admin/queue").set(bearer(ADMIN_TOKEN))).status).toBe(
      breakGlass ? 200 : 401,
    );
    const signIn = await t.request.post("/console/sign-in").type("form").send({ token: ADMIN_TOKEN });
    expect(signIn.status).toBe(breakGlass ? 303 : 401);
  });

  it("counts failed authentications per door and reason, never with the presented secret", async () => {
    await t.request.get("/admin/queue").set(bearer("wrong-token-0123456789"));
    await t.request.get("/admin/queue");
    await t.request.post("/console/sign-in").type("form").send({ token: "wrong-token-0123456789" });
    const metrics = (await t.request.get("/metrics")).text;
    expect(metrics).toMatch(/scim_bridge_auth_failures_total\{door="admin",reason="invalid-token"\} [1-9]/);
    expect(metrics).toMatch(/scim_bridge_auth_failures_total\{door="admin",reason="missing"\} 1/);
    expect(metrics).toMatch(/scim_bridge_auth_failures_total\{door="console",reason="invalid-token"\} [1-9]/);
    expect(metrics).not.toContain("wrong-token");
    const refusals = t.logs.filter((l) => l.includes("refused")).join("\n");
    expect(refusals).toContain('"door":"admin","reason":"invalid-token"');
    expect(refusals).toContain('"door":"console","method":"token","reason":"invalid-token"');
    expect(t.logs.join("\n")).not.toContain("wrong-token");
  });
});

describe("refused IdP sign-ins are pages that say why, audited and counted", () => {
  let t: TestBridge;
  beforeAll(async () => {
    // An issuer nothing answers at: the refusals below happen before or without it.
    t = await startTestBridge({
      targets: [],
      config: {
        auth: {
          console: {
            oidc: { issuer: "http://127.0.0.1:9/", clientId: "console", roles: { viewer: ["v"] } },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it.each([
    [
      "the IdP's error",
      "?error=access_denied&error_description=User%20cancelled",
      401,
      "idp-refused",
      "access_denied: User cancelled",
    ],
    [
      "an answer to a sign-in not started here",
      "?code=abc&state=forged",
      401,
      "state-mismatch",
      "does not belong to a sign-in started here",
    ],
  ])("%s", async (_name, query, status, reason, text) => {
    const res = await t.request.get(`/console/oidc/callback${query}`);
    expect(res.status).toBe(status);
    expect(res.text).toContain(text);
    const rows = await queryAudit(t.store.db, {}, { limit: 5 });
    expect(rows[0]).toMatchObject({
      action: "console.sign-in",
      outcome: "refused",
      detail: { method: "oidc", reason },
    });
    const metrics = (await t.request.get("/metrics")).text;
    expect(metrics).toContain(`scim_bridge_auth_failures_total{door="console",reason="${reason}"} 1`);
  });

  it("says so when the IdP cannot be reached", async () => {
    const res = await t.request.get("/console/oidc/start");
    expect(res.status).toBe(503);
    expect(res.text).toContain("cannot be reached");
    expect((await queryAudit(t.store.db, {}, { limit: 1 }))[0]).toMatchObject({
      action: "console.sign-in",
      outcome: "refused",
      detail: { reason: "idp-unreachable" },
    });
  });
});
