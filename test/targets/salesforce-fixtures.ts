// Shared by the salesforce-*.test.ts files: an emulated org, a target pointed at it, and SCIM users.

import { generateKeyPairSync } from "node:crypto";
import {
  SALESFORCE_EMULATOR_DEFAULTS as DEMO,
  type RunningSalesforceEmulator,
  type SalesforceEmulatorOptions,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import {
  createSalesforceTarget,
  type SalesforceTarget,
  SalesforceTargetConfig,
  type SalesforceTargetConfigInput,
  type SalesforceTargetDeps,
} from "../../src/targets/salesforce/index.ts";
import type { DesiredUser, Operation, Outcome } from "../../src/targets/target.ts";
import { SALESFORCE_PASSWORD_AUTH } from "../support/salesforce.ts";

export type { SalesforceTarget };
export { DEMO };

export const jwtKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
export const jwtPublicKeyPem = jwtKeys.publicKey.export({ type: "spki", format: "pem" }).toString();
export const jwtPrivateKeyPem = jwtKeys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();

export const PASSWORD_AUTH = SALESFORCE_PASSWORD_AUTH;

export function startOrg(
  options: Partial<SalesforceEmulatorOptions> = {},
): Promise<RunningSalesforceEmulator> {
  return startSalesforceEmulator({ port: 0, jwtPublicKeyPem, ...options });
}

export function targetConfig(
  emu: RunningSalesforceEmulator,
  overrides: Partial<SalesforceTargetConfigInput> = {},
): SalesforceTargetConfig {
  return SalesforceTargetConfig.parse({
    name: "sf-test",
    kind: "salesforce",
    loginUrl: emu.url,
    auth: PASSWORD_AUTH,
    timeoutMs: 5000,
    mapping: { fields: { ProfileId: { const: "Standard User" } } },
    ...overrides,
  });
}

export function salesforceTarget(
  emu: RunningSalesforceEmulator,
  overrides: Partial<SalesforceTargetConfigInput> = {},
  deps: Omit<SalesforceTargetDeps, "retry"> = {},
): SalesforceTarget {
  return createSalesforceTarget(targetConfig(emu, overrides), { retry: retryPolicy, ...deps });
}

let serial = 0;

/** A SCIM user as the dispatcher hands it over: `ada@example.com` → Ada Lovelace-ish names. */
export function scimUser(
  userName: string,
  extra: Record<string, unknown> = {},
  options: { active?: boolean; groups?: string[]; scimId?: string } = {},
): DesiredUser {
  const local = userName.split("@")[0] ?? userName;
  return {
    scimId: options.scimId ?? `scim-${++serial}`,
    active: options.active ?? true,
    groups: options.groups ?? [],
    data: {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName,
      name: { givenName: local.charAt(0).toUpperCase() + local.slice(1), familyName: "Tester" },
      emails: [{ value: userName, type: "work", primary: true }],
      active: options.active ?? true,
      ...extra,
    },
  };
}

/** `sent`: what the link remembers of the last delivery (a done outcome's `sent`). */
export const upsert = (user: DesiredUser, targetId?: string, sent?: Record<string, unknown>): Operation => ({
  kind: "user.upsert",
  key: user.scimId,
  user,
  ...(targetId ? { targetId } : {}),
  ...(sent ? { sent } : {}),
});

export const deprovision = (targetId: string): Operation => ({
  kind: "user.deprovision",
  key: targetId,
  targetId,
});

/** The id of a done outcome, failing the test with the outcome when it is not done. */
export function doneId(outcome: Outcome | undefined): string {
  if (outcome?.status !== "done" || !outcome.targetId)
    throw new Error(`expected done, got ${JSON.stringify(outcome)}`);
  return outcome.targetId;
}

/** Calls per route made between two snapshots of stats.byRoute. */
export function routeDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}
