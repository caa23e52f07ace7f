// Local Tableau groups for SCIM groups: create or link by name, rename, membership made exactly equal.
import type { DesiredGroup, Outcome, TargetGroup } from "../target.ts";
import { listedIn, nameInSlices } from "./bulk.ts";
import { ALREADY_MEMBER, GROUP_EXISTS, hasCode, isNotFound, TableauError } from "./client/errors.ts";
import { conflict, mapLimited, type TableauContext } from "./context.ts";

/** Every site user is in it and it cannot be changed; the bridge never touches it. */
export const ALL_USERS = "All Users";

/** Adding or removing several members in one call arrived in REST API 3.21. */
export const BULK_MEMBERSHIP_MIN_MINOR = 21;
const BULK_CHUNK = 1000;

export interface TableauGroup {
  id: string;
  name: string;
  minimumSiteRole?: string;
  grantLicenseMode?: string;
}

/** Whether a listed group already has the name case and licence-on-sign-in settings the bridge writes. */
function matchesGrant(ctx: TableauContext, g: TableauGroup): boolean {
  const grant = grantFields(ctx);
  return Object.entries(grant).every(([k, v]) => g[k as keyof TableauGroup] === v);
}

const isAllUsers = (name: string) => name.trim().toLowerCase() === ALL_USERS.toLowerCase();

export async function findGroupByName(ctx: TableauContext, name: string): Promise<TableauGroup | undefined> {
  const body = await ctx.client.site<{ groups?: { group?: TableauGroup[] } }>("GET", "/groups", {
    query: { filter: `name:cieq:${name}` },
  });
  return (body?.groups?.group ?? []).find((g) => g.name.toLowerCase() === name.toLowerCase());
}

/**
 * The site groups with these names (exact case): a batch re-delivering linked groups reads them in one call instead
 * of one each. A name not found here is looked up alone later.
 */
export async function groupsByName(ctx: TableauContext, names: string[]): Promise<Map<string, TableauGroup>> {
  const groups = await listedIn<TableauGroup>(ctx, "groups", "name", nameInSlices(names));
  return new Map(groups.map((g) => [g.name, g]));
}

/** Licence on sign-in: the group grants its minimum site role when a member signs in. */
function grantFields(ctx: TableauContext): Record<string, string> {
  const grant = ctx.config.policies.grantLicenseOnSignIn;
  return grant ? { minimumSiteRole: grant.minimumSiteRole, grantLicenseMode: "onLogin" } : {};
}

export async function memberIds(ctx: TableauContext, groupId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of ctx.client.pages<{ id: string }>(`/groups/${groupId}/users`, "users", "user")) {
    for (const u of page) ids.push(u.id);
  }
  return ids;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Adds and removes members so the group holds exactly `wanted`; bulk calls from 3.21, else one by one. */
export async function syncMembers(
  ctx: TableauContext,
  groupId: string,
  wanted: readonly string[],
  knownEmpty: boolean,
): Promise<{ added: number; removed: number }> {
  const current = new Set(knownEmpty ? [] : await memberIds(ctx, groupId));
  const want = new Set(wanted);
  const toAdd = [...want].filter((id) => !current.has(id));
  const toRemove = [...current].filter((id) => !want.has(id));
  const bulk = (await ctx.client.minor()) >= BULK_MEMBERSHIP_MIN_MINOR;
  const path = `/groups/${groupId}/users`;
  if (bulk) {
    for (const part of chunks(toAdd, BULK_CHUNK)) {
      await ctx.client.site("POST", path, { body: { users: { user: part.map((id) => ({ id })) } } });
    }
    for (const part of chunks(toRemove, BULK_CHUNK)) {
      await ctx.client.site("PUT", `${path}/remove`, {
        body: { users: { user: part.map((id) => ({ id })) } },
      });
    }
  } else {
    await mapLimited(toAdd, ctx.config.concurrency, async (id) => {
      try {
        await ctx.client.site("POST", path, { body: { user: { id } } });
      } catch (e) {
        if (!hasCode(e, ALREADY_MEMBER)) throw e;
      }
    });
    await mapLimited(toRemove, ctx.config.concurrency, async (id) => {
      try {
        await ctx.client.site("DELETE", `${path}/${id}`);
      } catch (e) {
        // Not a member (any more) is what we wanted.
        if (!isNotFound(e)) throw e;
      }
    });
  }
  return { added: toAdd.length, removed: toRemove.length };
}

/** group.upsert: the linked group renamed if needed, or a new/existing group found by name; then members. */
export async function upsertGroup(
  ctx: TableauContext,
  group: DesiredGroup,
  targetId?: string,
  /** The group under this name, when the batch already read it. */
  known?: TableauGroup,
): Promise<Outcome> {
  const name = group.displayName.trim();
  if (isAllUsers(name)) {
    return {
      status: "failed",
      code: "ALL_USERS_RESERVED",
      message: `Tableau's built-in '${ALL_USERS}' group holds every site user and cannot be managed; rename the SCIM group`,
    };
  }
  const body = { group: { name, ...grantFields(ctx) } };
  let id = targetId;
  let fresh = false;
  let detail = "updated";
  // There is no "get one group" call: the group is read by name, and written only when it differs.
  const current = id ? (known ?? (await findGroupByName(ctx, name))) : undefined;
  if (id && current?.id === id && current.name === name && matchesGrant(ctx, current)) {
    // Unchanged: nothing to write.
  } else if (id) {
    try {
      await ctx.client.site("PUT", `/groups/${id}`, { body });
    } catch (e) {
      if (hasCode(e, GROUP_EXISTS))
        return conflict(e as TableauError, `cannot rename the group to '${name}'`);
      if (!isNotFound(e)) throw e;
      id = undefined;
    }
  }
  if (!id) {
    try {
      const created = await ctx.client.site<{ group: TableauGroup }>("POST", "/groups", { body });
      id = created?.group?.id;
      if (!id)
        throw new TableauError(0, "NO_GROUP_ID", "Create group", "Tableau answered without a group id");
      fresh = true;
      detail = "created";
    } catch (e) {
      if (!hasCode(e, GROUP_EXISTS)) throw e;
      const existing = await findGroupByName(ctx, name);
      if (!existing) throw e;
      id = existing.id;
      detail = "linked to the existing group";
      if (existing.name !== name || Object.keys(grantFields(ctx)).length > 0) {
        await ctx.client.site("PUT", `/groups/${id}`, { body });
      }
    }
  }
  // Its members are still being provisioned: a later delivery adds them (the bridge knows it left the group empty).
  if (group.membersLater)
    return {
      status: "done",
      targetId: id,
      detail: `${detail}; members follow once provisioned`,
      ...(fresh ? { createdEmpty: true as const } : {}),
    };
  const { added, removed } = await syncMembers(ctx, id, group.memberTargetIds, fresh || !!group.knownEmpty);
  return { status: "done", targetId: id, detail: `${detail}; members +${added} -${removed}` };
}

export async function deleteGroup(
  ctx: TableauContext,
  targetId: string | undefined,
  displayName?: string,
): Promise<Outcome> {
  // Without a link (the create's answer was lost) the group is found by name.
  if (!targetId && displayName && isAllUsers(displayName))
    return { status: "done", detail: `Tableau's '${ALL_USERS}' group is never deleted` };
  const id = targetId ?? (displayName ? (await findGroupByName(ctx, displayName.trim()))?.id : undefined);
  if (!id) return { status: "done", detail: "no such group in the site; nothing to delete" };
  try {
    await ctx.client.site("DELETE", `/groups/${id}`);
    return { status: "done", detail: "deleted" };
  } catch (e) {
    if (isNotFound(e)) return { status: "done", detail: "already gone" };
    throw e;
  }
}

export async function* listGroups(ctx: TableauContext): AsyncGenerator<TargetGroup[]> {
  for await (const page of ctx.client.pages<TableauGroup>("/groups", "groups", "group")) {
    const groups = page.filter((g) => !isAllUsers(g.name));
    const out = await mapLimited(groups, ctx.config.concurrency, async (g) => ({
      targetId: g.id,
      displayName: g.name,
      memberTargetIds: await memberIds(ctx, g.id),
    }));
    if (out.length > 0) yield out;
  }
}
