/** Users on a site: add, get, query, update, remove, and the groups of a user. */
import { applySort, type FieldSpec, matches, parseFields, parseFilter, parsePage } from "./query.ts";
import { optString, type RequestContext, type Route, requireObject } from "./router.ts";
import { GROUP_FIELDS } from "./routes-groups.ts";
import type { SiteGroup, SiteUser } from "./site.ts";
import { groupView, pageAnswer, userView } from "./views.ts";

const USER_FIELDS: Record<string, FieldSpec<SiteUser>> = {
  name: { ops: ["eq", "cieq", "in", "has"], get: (u) => u.name },
  siteRole: { ops: ["eq", "in"], get: (u) => u.siteRole },
  lastLogin: { ops: ["eq", "gt", "gte", "lt", "lte"], get: (u) => u.lastLogin },
  friendlyName: { ops: ["eq", "cieq", "in", "has"], get: (u) => u.fullName },
  fullName: { ops: ["eq", "cieq", "in", "has"], get: (u) => u.fullName },
  email: { ops: ["eq", "cieq", "in"], get: (u) => u.email },
  domainName: { ops: ["eq", "in"], get: (u) => u.domainName },
  isLocal: { ops: ["eq"], get: (u) => u.domainName === "local" },
  luid: { ops: ["eq", "in"], get: (u) => u.id },
  id: { ops: ["eq", "in"], get: (u) => u.id },
  authSetting: { ops: ["eq", "in"], get: (u) => u.authSetting },
};

function listUsers(ctx: RequestContext) {
  const site = ctx.site!;
  const page = parsePage(ctx.query);
  const conds = parseFilter(ctx.query.get("filter"), USER_FIELDS);
  let users: SiteUser[];
  // A lookup by exact names is the sync engine's hot path: answer it from the index.
  const byName =
    conds.length === 1 && conds[0]?.field === "name" && (conds[0].op === "eq" || conds[0].op === "in")
      ? conds[0]
      : undefined;
  if (byName) {
    users = [];
    for (const name of byName.valueSet) {
      const u = site.userByNameCi(name);
      if (u && u.name === name) users.push(u);
    }
  } else {
    users = [...site.users.values()].filter((u) => matches(u, conds));
  }
  applySort(users, ctx.query.get("sort"), USER_FIELDS);
  return pageAnswer(ctx, "users", users, page, userView);
}

function addUser(ctx: RequestContext) {
  const u = requireObject(ctx.body, "user");
  const user = ctx.site!.addUser({
    name: optString(u, "name") ?? "",
    siteRole: optString(u, "siteRole") ?? "",
    authSetting: optString(u, "authSetting"),
    fullName: optString(u, "fullName"),
    email: optString(u, "email"),
  });
  return {
    status: 201,
    body: {
      user: {
        id: user.id,
        name: user.name,
        siteRole: user.siteRole,
        authSetting: user.authSetting,
        externalAuthUserId: user.externalAuthUserId,
      },
    },
  };
}

function updateUser(ctx: RequestContext) {
  const u = requireObject(ctx.body, "user");
  // Tableau Cloud takes the display name from the identity provider and ignores it here (email until 3.26).
  const cloud = ctx.opts.edition === "cloud";
  const user = ctx.site!.updateUser(ctx.params.userId ?? "", {
    name: optString(u, "name"),
    fullName: cloud ? undefined : optString(u, "fullName"),
    email: cloud && ctx.version < 26 ? undefined : optString(u, "email"),
    siteRole: optString(u, "siteRole"),
    authSetting: optString(u, "authSetting"),
  });
  return {
    status: 200,
    body: {
      user: {
        name: user.name,
        fullName: user.fullName,
        email: user.email,
        siteRole: user.siteRole,
        authSetting: user.authSetting,
      },
    },
  };
}

function groupsOfUser(ctx: RequestContext) {
  const site = ctx.site!;
  const page = parsePage(ctx.query);
  const groups: SiteGroup[] = site.groupsOf(ctx.params.userId ?? "");
  applySort(groups, ctx.query.get("sort"), GROUP_FIELDS(site));
  return pageAnswer(ctx, "groups", groups, page, (g, sel) => groupView(site, g, sel));
}

const READ = ["tableau:users:read"] as const;

export const userRoutes: Route[] = [
  { method: "GET", path: "/sites/:siteId/users", auth: true, scopes: READ, handler: listUsers },
  {
    method: "POST",
    path: "/sites/:siteId/users",
    auth: true,
    scopes: ["tableau:users:create"],
    handler: addUser,
  },
  {
    method: "GET",
    path: "/sites/:siteId/users/:userId",
    auth: true,
    scopes: READ,
    handler: (ctx) => ({
      status: 200,
      body: { user: userView(ctx.site!.user(ctx.params.userId ?? ""), parseFields("_all_")) },
    }),
  },
  {
    method: "PUT",
    path: "/sites/:siteId/users/:userId",
    auth: true,
    scopes: ["tableau:users:update"],
    handler: updateUser,
  },
  {
    method: "DELETE",
    path: "/sites/:siteId/users/:userId",
    auth: true,
    scopes: ["tableau:users:delete"],
    handler: (ctx) => {
      ctx.site!.removeUser(ctx.params.userId ?? "", ctx.query.get("mapAssetsTo") ?? undefined);
      return { status: 204 };
    },
  },
  {
    method: "GET",
    path: "/sites/:siteId/users/:userId/groups",
    auth: true,
    scopes: ["tableau:users:read", "tableau:groups:read"],
    minVersion: 7,
    handler: groupsOfUser,
  },
];
