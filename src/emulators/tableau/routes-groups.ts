/** Groups on a site and their members, including the 3.21+ bulk membership calls. */
import { badRequest, userNotFound, versionTooLow } from "./errors.ts";
import { applySort, type FieldSpec, matches, parseFilter, parsePage } from "./query.ts";
import { asList, optString, type RequestContext, type Route, requireObject } from "./router.ts";
import type { SiteGroup, TableauSite } from "./site.ts";
import { groupView, memberView, pageAnswer, userView } from "./views.ts";

/** Adding or removing several members in one call arrived in REST API 3.21. */
const BULK_MEMBERSHIP_MIN_VERSION = 21;

export const GROUP_FIELDS = (site: TableauSite): Record<string, FieldSpec<SiteGroup>> => ({
  name: { ops: ["eq", "cieq", "in", "like", "has"], get: (g) => g.name },
  domainName: { ops: ["eq", "in"], get: (g) => g.domainName },
  domainNickname: { ops: ["eq", "in"], get: (g) => g.domainName },
  isLocal: { ops: ["eq"], get: (g) => g.domainName === "local" },
  minimumSiteRole: { ops: ["eq", "in"], get: (g) => g.minimumSiteRole },
  userCount: { ops: ["eq", "gt", "gte", "lt", "lte"], get: (g) => site.memberCount(g) },
  luid: { ops: ["eq", "in"], get: (g) => g.id },
  id: { ops: ["eq", "in"], get: (g) => g.id },
});

function listGroups(ctx: RequestContext) {
  const site = ctx.site!;
  const page = parsePage(ctx.query);
  const fields = GROUP_FIELDS(site);
  const groups = [...site.groups.values()].filter((g) =>
    matches(g, parseFilter(ctx.query.get("filter"), fields)),
  );
  applySort(groups, ctx.query.get("sort"), fields);
  return pageAnswer(ctx, "groups", groups, page, (g, sel) => groupView(site, g, sel));
}

function groupInput(ctx: RequestContext) {
  const g = requireObject(ctx.body, "group");
  if (g.import !== undefined) throw badRequest("Active Directory groups are not supported by this emulator.");
  return {
    name: optString(g, "name"),
    minimumSiteRole: optString(g, "minimumSiteRole"),
    grantLicenseMode: optString(g, "grantLicenseMode"),
  };
}

function listMembers(ctx: RequestContext) {
  const site = ctx.site!;
  const page = parsePage(ctx.query);
  const members = site.membersOf(ctx.params.groupId ?? "");
  return pageAnswer(ctx, "users", members, page, userView);
}

/** `{"user":{"id"}}` adds one member (409011 if present); `{"users":{"user":[…]}}` adds several (3.21+). */
function addMembers(ctx: RequestContext) {
  const site = ctx.site!;
  const groupId = ctx.params.groupId ?? "";
  site.group(groupId);
  if (ctx.body.users !== undefined) {
    if (ctx.version < BULK_MEMBERSHIP_MIN_VERSION)
      throw versionTooLow("Adding several users to a group", "3.21", ctx.versionText);
    const ids = idsOf(ctx, requireObject(ctx.body, "users"));
    // All-or-nothing on unknown users; users already in the group are left as they are.
    const users = ids.map((id) => site.user(id));
    for (const u of users) if (!site.isMember(groupId, u.id)) site.addMember(groupId, u.id);
    return { status: 200, body: { users: { user: users.map(memberView) } } };
  }
  const id = optString(requireObject(ctx.body, "user"), "id");
  if (!id) throw badRequest("The user element has no id.");
  return { status: 200, body: { user: memberView(site.addMember(groupId, id)) } };
}

function removeMembers(ctx: RequestContext) {
  const site = ctx.site!;
  const groupId = ctx.params.groupId ?? "";
  site.group(groupId);
  if (ctx.version < BULK_MEMBERSHIP_MIN_VERSION)
    throw versionTooLow("Removing several users from a group", "3.21", ctx.versionText);
  const ids = idsOf(ctx, requireObject(ctx.body, "users"));
  for (const id of ids) if (!site.users.has(id)) throw userNotFound(id);
  for (const id of ids) if (site.isMember(groupId, id)) site.removeMember(groupId, id);
  return { status: 204 };
}

function idsOf(_ctx: RequestContext, users: ReturnType<typeof requireObject>): string[] {
  const ids = asList(users.user).map((u) => optString(u, "id") ?? "");
  if (ids.length === 0 || ids.some((id) => id === "")) throw badRequest("Every user element needs an id.");
  return ids;
}

const GROUP_PATH = "/sites/:siteId/groups/:groupId";

export const groupRoutes: Route[] = [
  {
    method: "GET",
    path: "/sites/:siteId/groups",
    auth: true,
    scopes: ["tableau:groups:read"],
    handler: listGroups,
  },
  {
    method: "POST",
    path: "/sites/:siteId/groups",
    auth: true,
    scopes: ["tableau:groups:create"],
    handler: (ctx) => {
      const site = ctx.site!;
      const input = groupInput(ctx);
      const g = site.createGroup({ ...input, name: input.name ?? "" });
      return { status: 201, body: { group: groupView(site, g) } };
    },
  },
  {
    method: "PUT",
    path: GROUP_PATH,
    auth: true,
    scopes: ["tableau:groups:update"],
    handler: (ctx) => {
      const site = ctx.site!;
      const g = site.updateGroup(ctx.params.groupId ?? "", groupInput(ctx));
      return { status: 200, body: { group: groupView(site, g) } };
    },
  },
  {
    method: "DELETE",
    path: GROUP_PATH,
    auth: true,
    scopes: ["tableau:groups:delete"],
    handler: (ctx) => {
      ctx.site!.deleteGroup(ctx.params.groupId ?? "");
      return { status: 204 };
    },
  },
  {
    method: "GET",
    path: `${GROUP_PATH}/users`,
    auth: true,
    scopes: ["tableau:groups:read"],
    handler: listMembers,
  },
  {
    method: "POST",
    path: `${GROUP_PATH}/users`,
    auth: true,
    scopes: ["tableau:groups:update"],
    handler: addMembers,
  },
  {
    method: "PUT",
    path: `${GROUP_PATH}/users/remove`,
    auth: true,
    scopes: ["tableau:groups:update"],
    handler: removeMembers,
  },
  {
    method: "DELETE",
    path: `${GROUP_PATH}/users/:userId`,
    auth: true,
    scopes: ["tableau:groups:update"],
    handler: (ctx) => {
      ctx.site!.removeMember(ctx.params.groupId ?? "", ctx.params.userId ?? "");
      return { status: 204 };
    },
  },
];
