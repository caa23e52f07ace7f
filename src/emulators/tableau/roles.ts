import type { LicenceTier } from "./options.ts";

/** Roles the REST API accepts on add and update (400013 otherwise). */
export const WRITABLE_SITE_ROLES = [
  "Creator",
  "Explorer",
  "ExplorerCanPublish",
  "SiteAdministratorCreator",
  "SiteAdministratorExplorer",
  "Viewer",
  "Unlicensed",
] as const;

/** Every role a response may carry, including Server-only and legacy names. */
export type SiteRole =
  | (typeof WRITABLE_SITE_ROLES)[number]
  | "ServerAdministrator"
  | "ReadOnly"
  | "SupportUser"
  | "Interactor"
  | "Publisher"
  | "SiteAdministrator"
  | "UnlicensedWithPublish"
  | "ViewerWithPublish"
  | "Guest";

export const AUTH_SETTINGS = ["SAML", "OpenID", "TableauIDWithMFA", "ServerDefault"] as const;
export type AuthSetting = (typeof AUTH_SETTINGS)[number];

const TIER_OF: Partial<Record<SiteRole, LicenceTier>> = {
  Creator: "Creator",
  SiteAdministratorCreator: "Creator",
  ServerAdministrator: "Creator",
  Explorer: "Explorer",
  ExplorerCanPublish: "Explorer",
  SiteAdministratorExplorer: "Explorer",
  ReadOnly: "Explorer",
  SiteAdministrator: "Explorer",
  Interactor: "Explorer",
  Publisher: "Explorer",
  Viewer: "Viewer",
  ViewerWithPublish: "Viewer",
};

/** The licence a role consumes; undefined for roles that need none (Unlicensed, Guest). */
export function licenceTierOf(role: string): LicenceTier | undefined {
  return TIER_OF[role as SiteRole];
}

/** Rank used when several group grants apply: Tableau keeps the most privileged role. */
const RANK: Record<string, number> = {
  Unlicensed: 0,
  Viewer: 1,
  Explorer: 2,
  ExplorerCanPublish: 3,
  SiteAdministratorExplorer: 4,
  Creator: 5,
  SiteAdministratorCreator: 6,
};
export function roleRank(role: string): number {
  return RANK[role] ?? 0;
}

export function isWritableSiteRole(v: unknown): v is (typeof WRITABLE_SITE_ROLES)[number] {
  return typeof v === "string" && (WRITABLE_SITE_ROLES as readonly string[]).includes(v);
}
export function isAuthSetting(v: unknown): v is AuthSetting {
  return typeof v === "string" && (AUTH_SETTINGS as readonly string[]).includes(v);
}
