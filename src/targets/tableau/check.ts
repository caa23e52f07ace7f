// check(): what an admin needs to know before the first sync, each failure with how to fix it.
import type { CheckResult } from "../target.ts";
import { TableauError } from "./client/errors.ts";
import { TABLEAU_JWT_SCOPES } from "./config.ts";
import { describeError, type TableauContext } from "./context.ts";
import { BULK_MEMBERSHIP_MIN_MINOR } from "./groups.ts";

const ADMIN_ROLES = new Set([
  "SiteAdministratorCreator",
  "SiteAdministratorExplorer",
  "SiteAdministrator",
  "ServerAdministrator",
]);

const why = (e: unknown) =>
  e instanceof TableauError ? `${e.code} ${describeError(e)}` : String((e as Error)?.message ?? e);

export async function checkTableau(ctx: TableauContext): Promise<CheckResult[]> {
  const { config, client } = ctx;
  const jwt = "jwt" in config.auth ? config.auth.jwt : undefined;
  const results: CheckResult[] = [];
  const name = (c: string) => `${config.name}: ${c}`;

  let minor: number;
  try {
    const version = await client.apiVersion();
    minor = await client.minor();
    const bulk =
      minor >= BULK_MEMBERSHIP_MIN_MINOR
        ? "bulk group membership"
        : "group members one call each (bulk needs 3.21)";
    results.push({
      check: name("server"),
      ok: true,
      detail: `${config.serverUrl} speaks REST API ${version}${config.apiVersion ? " (configured)" : ""}; ${bulk}`,
    });
  } catch (e) {
    results.push({
      check: name("server"),
      ok: false,
      detail: `cannot read serverInfo at ${config.serverUrl}: ${why(e)}`,
      fix: "check serverUrl (the address you open Tableau at, without /#/site/…) and that the bridge can reach it",
    });
    return results;
  }

  if (jwt) {
    const missing = TABLEAU_JWT_SCOPES.filter(
      (s) => !jwt.scopes.some((have) => have === s || scopeCovers(have, s)),
    );
    results.push({
      check: name("jwt scopes"),
      ok: missing.length === 0,
      detail:
        missing.length === 0
          ? "the JWT asks for every scope the bridge uses"
          : `the JWT lacks ${missing.join(", ")}`,
      ...(missing.length
        ? { fix: "add the missing scopes to auth.jwt.scopes (or leave scopes out to get them all)" }
        : {}),
    });
  }

  let session: Awaited<ReturnType<typeof client.session>>;
  try {
    session = await client.session();
    results.push({
      check: name("sign-in"),
      ok: true,
      detail: `signed in with a ${jwt ? "connected app JWT" : "personal access token"}`,
    });
  } catch (e) {
    results.push({
      check: name("sign-in"),
      ok: false,
      detail: `sign-in to site '${config.site || "(Default)"}' failed: ${why(e)}`,
      fix: jwt
        ? jwt && minor < 17
          ? "connected app sign-in needs REST API 3.17 or later; upgrade Tableau Server or use a PAT"
          : "check the connected app is enabled, clientId/secretId/secretValue match it, username is a user of the site, and site is the site's contentUrl"
        : "check the PAT name and secret (PATs expire after 15 days unused and when revoked) and that site is the site's contentUrl",
    });
    return results;
  }

  try {
    const site = await client.site<{ site: { name?: string; contentUrl?: string } }>("GET", "");
    results.push({
      check: name("site"),
      ok: true,
      detail: `site '${site?.site?.name ?? config.site}' (contentUrl '${site?.site?.contentUrl ?? config.site}')`,
    });
  } catch (e) {
    results.push({
      check: name("site"),
      ok: false,
      detail: `cannot read the site: ${why(e)}`,
      fix: "check site (the contentUrl in …/#/site/<contentUrl>/)",
    });
  }

  const readFix = (what: "users" | "groups") =>
    jwt
      ? `allow tableau:${what}:read in the connected app and in auth.jwt.scopes, and make ${jwt.username} a site administrator`
      : "the PAT's owner must be a site administrator (Site Administrator Creator or Explorer)";
  for (const what of ["users", "groups"] as const) {
    try {
      const body = await client.site<{ pagination?: { totalAvailable?: string } }>("GET", `/${what}`, {
        query: { pageSize: 1 },
      });
      results.push({
        check: name(`list ${what}`),
        ok: true,
        detail: `${body?.pagination?.totalAvailable ?? "?"} ${what} on the site`,
      });
    } catch (e) {
      results.push({
        check: name(`list ${what}`),
        ok: false,
        detail: `cannot list ${what}: ${why(e)}`,
        fix: readFix(what),
      });
    }
  }

  try {
    const me = await client.site<{ user: { name: string; siteRole: string } }>(
      "GET",
      `/users/${session.userId}`,
    );
    const role = me?.user?.siteRole ?? "unknown";
    const ok = ADMIN_ROLES.has(role);
    results.push({
      check: name("site role"),
      ok,
      detail: `${me?.user?.name ?? "the signed-in user"} is ${role}${ok ? "" : "; adding users and groups needs a site administrator"}`,
      ...(ok ? {} : { fix: "give the PAT owner / JWT user the Site Administrator Creator or Explorer role" }),
    });
  } catch (e) {
    results.push({
      check: name("site role"),
      ok: false,
      detail: `cannot read the signed-in user: ${why(e)}`,
      fix: readFix("users"),
    });
  }
  return results;
}

/** `tableau:users:*` covers `tableau:users:read`. */
function scopeCovers(have: string, need: string): boolean {
  const h = have.split(":");
  const n = need.split(":");
  return h.every((part, i) => part === "*" || part === n[i]) && (h.includes("*") || h.length === n.length);
}
