// One default-profile rule however a Salesforce target is configured: a user no rule gives a profile gets the
// target's `defaultProfile` ("Standard User" unless set) whether the target is in bridge.yaml or in SALESFORCE_*
// variables (SALESFORCE_DEFAULT_PROFILE); a group rule, the extension or a mapped fields.ProfileId still wins.

import type jsforce from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningSalesforceEmulator,
  salesforceEmulatorTargetConfig,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { buildTargets } from "../../src/targets/registry.ts";
import { salesforceConfigFromEnv } from "../../src/targets/salesforce/index.ts";
import type { PreflightTarget } from "../../src/targets/target.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { salesforceConnection } from "../support/salesforce.ts";

/** A bridge.yaml entry as an admin writes it: connection and credentials, no mapping. */
function yamlEntry(url = "http://127.0.0.1:9"): Record<string, unknown> {
  const { mapping: _, ...entry } = salesforceEmulatorTargetConfig(url);
  return entry;
}

const ENV = {
  SALESFORCE_LOGIN_URL: "http://127.0.0.1:9",
  SALESFORCE_CLIENT_ID: "id",
  SALESFORCE_CLIENT_SECRET: "secret",
};

const someone = (extra: Record<string, unknown> = {}) => ({
  scimId: "00000000-0000-4000-8000-000000000001",
  data: { userName: "pat@example.com", emails: [{ value: "pat@example.com", primary: true }], ...extra },
  active: true,
  groups: [] as string[],
});

const problemsOf = (config: Record<string, unknown>, extra?: Record<string, unknown>) =>
  (buildTargets([config], { retry: retryPolicy })[0]!.target as unknown as PreflightTarget).preflight(
    someone(extra),
  );
const profileOf = (config: Record<string, unknown>) =>
  (
    buildTargets([config], { retry: retryPolicy })[0]!.config as {
      mapping?: { fields?: { ProfileId?: unknown } };
    }
  ).mapping?.fields?.ProfileId;

describe("the Salesforce default profile", () => {
  it("a target from bridge.yaml gives a user no rule covers the same default as one from the environment", () => {
    expect(problemsOf(yamlEntry()).map((p) => p.field)).not.toContain("ProfileId");
    const fromEnv = salesforceConfigFromEnv(ENV)!;
    expect(profileOf(yamlEntry())).toEqual(profileOf(fromEnv as unknown as Record<string, unknown>));
    expect(profileOf(yamlEntry())).toEqual({ const: "Standard User" });
  });

  it.each([
    ["defaultProfile in bridge.yaml", { ...yamlEntry(), defaultProfile: "Chatter Free User" }],
    [
      "SALESFORCE_DEFAULT_PROFILE",
      salesforceConfigFromEnv({
        ...ENV,
        SALESFORCE_DEFAULT_PROFILE: "Chatter Free User",
      }) as unknown as Record<string, unknown>,
    ],
  ])("is set per target: %s", (_, config) => {
    expect(profileOf(config)).toEqual({ const: "Chatter Free User" });
  });

  it("a mapped fields.ProfileId wins over it; defaultProfile: null leaves such a user refused, naming ProfileId", () => {
    const mapped = { ...yamlEntry(), mapping: { fields: { ProfileId: { const: "System Administrator" } } } };
    expect(profileOf(mapped)).toEqual({ const: "System Administrator" });
    const none = { ...yamlEntry(), defaultProfile: null };
    expect(problemsOf(none).map((p) => p.field)).toContain("ProfileId");
  });

  it("an empty defaultProfile is a configuration error naming the key", () => {
    expect(() => buildTargets([{ ...yamlEntry(), defaultProfile: " " }], { retry: retryPolicy })).toThrow(
      /defaultProfile/,
    );
  });
});

describe("a Salesforce target from bridge.yaml without a mapping, against the emulator", () => {
  let emulator: RunningSalesforceEmulator;
  let t: TestBridge;
  let conn: jsforce.Connection;
  beforeAll(async () => {
    emulator = await startSalesforceEmulator({ port: 0 });
    t = await startTestBridge({ targets: [yamlEntry(emulator.url)] });
    conn = await salesforceConnection(emulator.url);
  });
  afterAll(async () => {
    await t?.stop();
    await emulator?.close();
  });

  it("accepts a user no rule gives a profile and creates them with the Standard User profile", async () => {
    const res = await t.request.post("/scim/v2/Users").set(AUTH).send(user("yaml.default@example.com"));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const profile = await eventually(
      async () =>
        (
          await conn.query<{ Profile: { Name: string } }>(
            "SELECT Profile.Name FROM User WHERE Username = 'yaml.default@example.com'",
          )
        ).records[0]?.Profile?.Name,
    );
    expect(profile).toBe("Standard User");
  });
});
