/** Local Tableau REST API emulator: in-process for tests, or `scim-bridge emulator tableau`. */
export type { Session } from "./auth.ts";
export { registerTableauEmulatorCommand, tableauEmulatorBanner } from "./cli.ts";
export { type RunningTableauEmulator, startTableauEmulator } from "./emulator.ts";
export type { TableauApiError } from "./errors.ts";
export type { CallStats } from "./http.ts";
export {
  type LicenceTier,
  TABLEAU_EMULATOR_DEFAULTS,
  type TableauEmulatorOptions,
  type TableauFaults,
} from "./options.ts";
export { AUTH_SETTINGS, type AuthSetting, type SiteRole, WRITABLE_SITE_ROLES } from "./roles.ts";
export { ALL_USERS, type SiteGroup, type SiteSnapshot, type SiteUser, type TableauSite } from "./site.ts";
export type { TableauServerState } from "./state.ts";
export { tableauEmulatorTargetConfig } from "./target-config.ts";
export { type ConnectedAppJwtInput, type RawResponse, rawCall, signConnectedAppJwt } from "./testkit.ts";
