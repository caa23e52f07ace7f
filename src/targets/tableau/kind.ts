// The Tableau kind as the bridge sees it: config, factory, SCIM extension, env shorthand, import, correlation,
// demo emulator.
import type { SiteSnapshot } from "../../emulators/tableau/index.ts";
import { registerTableauEmulatorCommand } from "../../emulators/tableau/index.ts";
import { scimUserFromParts, text } from "../account-to-scim.ts";
import { correlationKeysOf, defineKind } from "../kind.ts";
import type { TargetAccount } from "../target.ts";
import { TableauTargetConfig, tableauConfigFromEnv } from "./config.ts";
import { TABLEAU_USER_URN, tableauUserExtension } from "./extension.ts";
import { TABLEAU_WRITABLE_SITE_ROLES } from "./roles.ts";
import { createTableauTarget } from "./target.ts";

/**
 * A site user as a SCIM User. The site role travels in the Tableau extension, so provisioning the imported
 * user back changes nothing there (Unlicensed is what the policy gives anyway).
 */
export function tableauScimUser(a: TargetAccount): Record<string, unknown> {
  const f = a.fields;
  const user = scimUserFromParts(a, {
    email: text(f.email),
    fullName: text(f.fullName) ?? text(f.displayName),
  });
  const role = text(f.siteRole);
  if (role && role !== "Unlicensed" && (TABLEAU_WRITABLE_SITE_ROLES as readonly string[]).includes(role)) {
    user.schemas = [...(user.schemas as string[]), TABLEAU_USER_URN];
    user[TABLEAU_USER_URN] = { siteRole: role };
  }
  return user;
}

export const tableauKind = defineKind({
  name: "tableau",
  schema: TableauTargetConfig,
  create: (c, d) => createTableauTarget(c, { retry: d.retry, ...(d.logger ? { logger: d.logger } : {}) }),
  userExtension: tableauUserExtension,
  fromEnv: (env) => tableauConfigFromEnv(env),
  scimUserFromAccount: tableauScimUser,
  correlationKeys: (a) => correlationKeysOf(a.key, a.fields.email),
  emulatorCommand: (emulator) => {
    registerTableauEmulatorCommand(emulator);
  },
  async demo(state, bench) {
    const { startTableauEmulator, tableauEmulatorTargetConfig } = await import(
      "../../emulators/tableau/index.ts"
    );
    const e = await startTableauEmulator({
      port: 0,
      onChange: state.changed,
      ...(state.saved ? { restore: state.saved as SiteSnapshot[] } : {}),
      ...(bench
        ? { latencyMs: bench.latencyMs, licences: { Creator: 1e6, Explorer: 1e6, Viewer: 1e6 } }
        : {}),
    });
    return {
      url: e.url,
      targetConfig: tableauEmulatorTargetConfig(e.url),
      banner: `Demo: no Tableau configured, so a local Tableau emulator runs at ${e.url} (target "tableau").`,
      snapshot: () => e.snapshot(),
      stats: e.stats,
      writes: (route) => !/^GET |\/auth\//.test(route),
      // The client's limiter caps the site's requests whatever the number of dispatcher workers.
      inFlight: "concurrency",
      close: () => e.close(),
    };
  },
});
