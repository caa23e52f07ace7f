import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/index.ts";
import {
  developerName,
  SalesforceTargetConfig,
  salesforceConfigFromEnv,
} from "../../src/targets/salesforce/index.ts";

const base = { CLIENT_ID: "3MVGabc", LOGIN_URL: "https://test.salesforce.com/" };
const env = (vars: Record<string, string>) =>
  Object.fromEntries(Object.entries({ ...base, ...vars }).map(([k, v]) => [`SALESFORCE_${k}`, v]));

describe("Salesforce target configuration", () => {
  it("fills the documented defaults", () => {
    const config = SalesforceTargetConfig.parse({
      name: "org",
      kind: "salesforce",
      auth: { clientCredentials: { clientId: "id", clientSecret: "s" } },
      instanceUrl: "https://acme.my.salesforce.com",
    });
    expect(config).toMatchObject({
      loginUrl: "https://login.salesforce.com",
      apiVersion: "62.0",
      correlation: ["FederationIdentifier", "Username", "Email"],
      policies: { resetPasswordEmailOnCreate: false, deprovision: "deactivate" },
      budget: { maxUsage: 0.95, parkMs: 3_600_000 },
      batchSize: 200,
      concurrency: 4,
    });
  });

  it("refuses batches above the 200 records sObject Collections take, and a delete deprovision mode", () => {
    const auth = { clientCredentials: { clientId: "id", clientSecret: "s" } };
    expect(
      SalesforceTargetConfig.safeParse({ name: "o", kind: "salesforce", auth, batchSize: 500 }).success,
    ).toBe(false);
    expect(
      SalesforceTargetConfig.safeParse({
        name: "o",
        kind: "salesforce",
        auth,
        policies: { deprovision: "delete" },
      }).success,
    ).toBe(false);
  });

  it("is absent without SALESFORCE_* variables", () => {
    expect(salesforceConfigFromEnv({ PATH: "/bin" })).toBeUndefined();
  });

  it("chooses the password flow for a username and password, appending nothing itself", () => {
    const config = salesforceConfigFromEnv(
      env({
        CLIENT_SECRET: "sec",
        USERNAME: "api@acme.com",
        PASSWORD: "pw",
        SECURITY_TOKEN: "tok",
        API_VERSION: "64.0",
      }),
    );
    expect(config).toMatchObject({
      name: "salesforce",
      loginUrl: "https://test.salesforce.com",
      apiVersion: "64.0",
      auth: {
        password: {
          clientId: "3MVGabc",
          clientSecret: "sec",
          username: "api@acme.com",
          password: "pw",
          securityToken: "tok",
        },
      },
    });
  });

  it("chooses client credentials without a username, reading the secret from a *_FILE", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-"));
    writeFileSync(join(dir, "secret"), "from-file\n");
    const config = salesforceConfigFromEnv(
      env({ CLIENT_SECRET_FILE: join(dir, "secret"), INSTANCE_URL: "https://acme.my.salesforce.com" }),
    );
    expect(config?.auth).toEqual({ clientCredentials: { clientId: "3MVGabc", clientSecret: "from-file" } });
    expect(config?.instanceUrl).toBe("https://acme.my.salesforce.com");
  });

  it("chooses JWT bearer when a key file is set, and says what is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-"));
    writeFileSync(join(dir, "key.pem"), "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n");
    const config = salesforceConfigFromEnv(
      env({ JWT_KEY_FILE: join(dir, "key.pem"), USERNAME: "api@acme.com" }),
    );
    expect(config?.auth).toMatchObject({ jwt: { clientId: "3MVGabc", username: "api@acme.com" } });
    expect(() => salesforceConfigFromEnv(env({ JWT_KEY_FILE: join(dir, "key.pem") }))).toThrow(ConfigError);
    expect(() => salesforceConfigFromEnv({ SALESFORCE_LOGIN_URL: "https://login.salesforce.com" })).toThrow(
      /SALESFORCE_CLIENT_ID/,
    );
  });

  it("derives safe, distinct DeveloperNames for public groups", () => {
    expect(developerName("Finance")).toBe("Finance");
    expect(developerName("Sales EMEA")).toMatch(/^Sales_EMEA_[0-9a-f]{6}$/);
    expect(developerName("Sales-EMEA")).not.toBe(developerName("Sales EMEA"));
    expect(developerName("2024 Interns")).toMatch(/^G_2024_Interns_/);
    expect(developerName("Équipe Zoë")).toMatch(/^Equipe_Zoe_/);
    expect(developerName("x".repeat(120)).length).toBeLessThanOrEqual(80);
  });
});
