// The SCIM kind as the bridge sees it: config, factory, env shorthand, import. Correlation is by userName only
// (the account's key), and it has no demo emulator: another scim-bridge is its emulator.
import { defineKind } from "../kind.ts";
import { ScimTargetConfig, scimConfigFromEnv } from "./config.ts";
import { scimUserFromPeer } from "./import.ts";
import { createScimTarget } from "./target.ts";

export const scimKind = defineKind({
  name: "scim",
  schema: ScimTargetConfig,
  create: (c, d) =>
    createScimTarget(c, {
      retry: d.retry,
      ...(d.logger ? { logger: d.logger } : {}),
      ...(d.resolveLink ? { resolveLink: d.resolveLink } : {}),
    }),
  fromEnv: (env) => scimConfigFromEnv(env),
  scimUserFromAccount: scimUserFromPeer,
});
