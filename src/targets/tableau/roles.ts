// Tableau site roles and how several of them combine.
// A site role is three things at once — the licence it consumes (Creator > Explorer > Viewer), the
// admin level, and whether an Explorer may publish — the same three columns as Tableau's user-import
// CSV (License, Admin Level, Publish). "Server Administrator, Site Administrator Creator and Creator use
// a Creator licence; Site Administrator Explorer, Explorer (can publish) and Explorer an Explorer
// licence" (Tableau help, "Permissions, Site Roles, and Licenses").

/** Roles the REST API accepts on add/update (reference §1.4). */
export const TABLEAU_WRITABLE_SITE_ROLES = [
  "Creator",
  "Explorer",
  "ExplorerCanPublish",
  "SiteAdministratorCreator",
  "SiteAdministratorExplorer",
  "Viewer",
  "Unlicensed",
] as const;
export type TableauSiteRole = (typeof TABLEAU_WRITABLE_SITE_ROLES)[number];

export const TABLEAU_AUTH_SETTINGS = ["SAML", "OpenID", "TableauIDWithMFA", "ServerDefault"] as const;
export type TableauAuthSetting = (typeof TABLEAU_AUTH_SETTINGS)[number];

type Grant = { licence: number; admin: number; publish: number };

const GRANTS: Record<string, Grant> = {
  Unlicensed: { licence: 0, admin: 0, publish: 0 },
  Viewer: { licence: 1, admin: 0, publish: 0 },
  Explorer: { licence: 2, admin: 0, publish: 0 },
  ExplorerCanPublish: { licence: 2, admin: 0, publish: 1 },
  SiteAdministratorExplorer: { licence: 2, admin: 1, publish: 1 },
  Creator: { licence: 3, admin: 0, publish: 1 },
  SiteAdministratorCreator: { licence: 3, admin: 1, publish: 1 },
  ServerAdministrator: { licence: 3, admin: 2, publish: 1 },
};

function roleOf(g: Grant): string {
  if (g.admin >= 2) return "ServerAdministrator";
  if (g.admin === 1) return g.licence >= 3 ? "SiteAdministratorCreator" : "SiteAdministratorExplorer";
  if (g.licence >= 3) return "Creator";
  if (g.licence === 2) return g.publish ? "ExplorerCanPublish" : "Explorer";
  return g.licence === 1 ? "Viewer" : "Unlicensed";
}

/** The known role spelled as Tableau spells it ("creator" → "Creator"), or undefined. */
export function canonicalSiteRole(role: string): string | undefined {
  const lower = role.toLowerCase();
  return Object.keys(GRANTS).find((r) => r.toLowerCase() === lower);
}

/**
 * The highest of several site roles: Unlicensed < Viewer < Explorer < ExplorerCanPublish <
 * SiteAdministratorExplorer < Creator < SiteAdministratorCreator < ServerAdministrator, taken per
 * dimension — so Creator together with SiteAdministratorExplorer gives SiteAdministratorCreator
 * (neither grant is lost), which is the only pair on that list that is not already ordered.
 * Unknown role names are ignored; undefined when none is known.
 */
export function highestSiteRole(roles: Iterable<string>): string | undefined {
  let best: Grant | undefined;
  for (const role of roles) {
    const known = canonicalSiteRole(role);
    const g = known === undefined ? undefined : GRANTS[known];
    if (!g) continue;
    best = best
      ? {
          licence: Math.max(best.licence, g.licence),
          admin: Math.max(best.admin, g.admin),
          publish: Math.max(best.publish, g.publish),
        }
      : g;
  }
  return best && roleOf(best);
}
