// The Salesforce kind as the bridge sees it: config, factory, SCIM extension, env shorthand, import, correlation,
// demo emulator.
import type { OrgSnapshot } from "../../emulators/salesforce/index.ts";
import { registerSalesforceEmulatorCommand } from "../../emulators/salesforce/index.ts";
import { scimUserFromParts, text } from "../account-to-scim.ts";
import { correlationKeysOf, defineKind } from "../kind.ts";
import type { TargetAccount } from "../target.ts";
import { SalesforceTargetConfig, salesforceConfigFromEnv } from "./config.ts";
import { salesforceUserExtension } from "./extension.ts";
import { createSalesforceTarget } from "./target.ts";

export function salesforceScimUser(a: TargetAccount): Record<string, unknown> {
  const f = a.fields;
  return scimUserFromParts(a, {
    email: text(f.Email),
    givenName: text(f.FirstName),
    familyName: text(f.LastName),
    title: text(f.Title),
    externalId: text(f.FederationIdentifier),
    department: text(f.Department),
  });
}

export const salesforceKind = defineKind({
  name: "salesforce",
  schema: SalesforceTargetConfig,
  create: (c, d) =>
    createSalesforceTarget(c, {
      retry: d.retry,
      ...(d.logger ? { logger: d.logger } : {}),
      ...(d.resolveLink ? { resolveLink: d.resolveLink } : {}),
    }),
  userExtension: salesforceUserExtension,
  fromEnv: (env) => salesforceConfigFromEnv(env),
  scimUserFromAccount: salesforceScimUser,
  // The federation id first: it is what SSO matches on, so it names the person more surely than the username.
  correlationKeys: (a) => correlationKeysOf(a.key, a.fields.FederationIdentifier, a.fields.Email),
  emulatorCommand: (emulator) => {
    registerSalesforceEmulatorCommand(emulator);
  },
  async demo(state, bench) {
    const { salesforceEmulatorTargetConfig, startSalesforceEmulator } = await import(
      "../../emulators/salesforce/index.ts"
    );
    const e = await startSalesforceEmulator({
      port: 0,
      onChange: state.changed,
      ...(state.saved ? { restore: state.saved as OrgSnapshot } : {}),
      ...(bench ? { latencyMs: bench.latencyMs, apiBudget: 10_000_000 } : {}),
    });
    return {
      url: e.url,
      targetConfig: salesforceEmulatorTargetConfig(e.url),
      banner: `Demo: no Salesforce configured, so a local Salesforce emulator runs at ${e.url} (target "salesforce").`,
      snapshot: () => e.snapshot(),
      stats: e.stats,
      writes: (route) => /^(POST|PATCH|DELETE) \/(sobjects|composite\/sobjects)/.test(route),
      // A batch is a chain of dependent calls (users, then assignments, then groups), one per dispatcher worker.
      inFlight: "worker",
      close: () => e.close(),
    };
  },
});
