import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { buildTargets } from "../../src/targets/registry.ts";
import {
  TABLEAU_JWT_SCOPES,
  TableauTargetConfig,
  tableauConfigFromEnv,
} from "../../src/targets/tableau/index.ts";

describe("TableauTargetConfig", () => {
  it("fills in the safe defaults", () => {
    const c = TableauTargetConfig.parse({
      name: "cloud",
      kind: "tableau",
      serverUrl: "https://prod-useast-a.online.tableau.com/",
      auth: { pat: { name: "bridge", secret: "s" } },
    });
    expect(c).toMatchObject({
      serverUrl: "https://prod-useast-a.online.tableau.com",
      site: "",
      policies: { deprovision: "unlicense", defaultSiteRole: "Viewer" },
      batchSize: 200,
      bulkThreshold: 10,
      concurrency: 4,
      timeoutMs: 30_000,
    });
    expect(c.apiVersion).toBeUndefined();
  });

  it("gives a connected app every scope the bridge uses unless told otherwise", () => {
    const c = TableauTargetConfig.parse({
      name: "t",
      kind: "tableau",
      serverUrl: "https://tableau.example.com",
      auth: { jwt: { clientId: "c", secretId: "k", secretValue: "v", username: "bot@example.com" } },
    });
    expect("jwt" in c.auth && c.auth.jwt.scopes).toEqual([...TABLEAU_JWT_SCOPES]);
  });

  it.each([
    [{ policies: { deprovision: "delete" } }, "policies"],
    [{ policies: { defaultSiteRole: "ServerAdministrator" } }, "policies"],
    [{ apiVersion: "2.8" }, "apiVersion"],
    [{ auth: { password: "x" } }, "auth"],
    [{ serverUrl: "not a url" }, "serverUrl"],
  ])("rejects %o", (bad, path) => {
    const r = TableauTargetConfig.safeParse({
      name: "t",
      kind: "tableau",
      serverUrl: "https://tableau.example.com",
      auth: { pat: { name: "n", secret: "s" } },
      ...bad,
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path[0]).toBe(path);
  });
});

describe("a Tableau target's group rules", () => {
  it("may set what Tableau has, and the startup error names it when a rule sets another kind's key", () => {
    const target = (set: Record<string, unknown>) => ({
      name: "site",
      kind: "tableau",
      serverUrl: "https://tableau.example.com",
      auth: { pat: { name: "n", secret: "s" } },
      mapping: { groupRules: [{ group: "Sales", set }] },
    });
    expect(() => buildTargets([target({ siteRole: "Creator" })], { retry: retryPolicy })).not.toThrow();
    expect(() => buildTargets([target({ ProfileId: "Standard User" })], { retry: retryPolicy })).toThrow(
      'targets[0] (site).mapping.groupRules.0.set: unknown key "ProfileId" in set; allowed: siteRole',
    );
  });
});

describe("tableauConfigFromEnv", () => {
  it("is undefined without TABLEAU_SERVER_URL", () => {
    expect(tableauConfigFromEnv({})).toBeUndefined();
  });

  it("reads a PAT, the site and the API version, and names the target 'tableau'", () => {
    const c = tableauConfigFromEnv({
      TABLEAU_SERVER_URL: "https://tableau.example.com",
      TABLEAU_SITE: "sales",
      TABLEAU_PAT_NAME: "bridge",
      TABLEAU_PAT_SECRET: "secret",
      TABLEAU_API_VERSION: "3.21",
    });
    expect(c).toMatchObject({
      name: "tableau",
      kind: "tableau",
      site: "sales",
      apiVersion: "3.21",
      auth: { pat: { name: "bridge", secret: "secret" } },
    });
  });

  it("reads a connected app, with the secret from a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "tableau-cfg-"));
    const file = join(dir, "secret");
    writeFileSync(file, "from-file\n");
    const c = tableauConfigFromEnv({
      TABLEAU_SERVER_URL: "https://tableau.example.com",
      TABLEAU_JWT_CLIENT_ID: "client",
      TABLEAU_JWT_SECRET_ID: "kid",
      TABLEAU_JWT_SECRET_VALUE_FILE: file,
      TABLEAU_JWT_USERNAME: "bot@example.com",
    });
    expect(c?.auth).toMatchObject({
      jwt: { clientId: "client", secretValue: "from-file", username: "bot@example.com" },
    });
  });

  it("lists what is missing", () => {
    expect(() => tableauConfigFromEnv({ TABLEAU_SERVER_URL: "https://t.example.com" })).toThrow(ConfigError);
    let thrown: unknown;
    try {
      tableauConfigFromEnv({ TABLEAU_SERVER_URL: "https://t.example.com", TABLEAU_JWT_CLIENT_ID: "c" });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      "a connected app also needs TABLEAU_JWT_SECRET_ID, TABLEAU_JWT_SECRET_VALUE, TABLEAU_JWT_USERNAME",
    ]);
  });
});
