// SCIM groups as public groups (Group Type 'Regular'), linked by Id or else by Name, with GroupMember
// kept to exactly the members linked in this org. group.delete deletes the Group (public groups can be).
import { createHash } from "node:crypto";
import type { Operation, Outcome } from "../target.ts";
import { writeCollections } from "./composite.ts";
import { errorOutcome, onlyErrors, type SalesforceContext, saveOutcome } from "./context.ts";
import type { Indexed } from "./users.ts";

type GroupUpsertOp = Extract<Operation, { kind: "group.upsert" }>;
type GroupDeleteOp = Extract<Operation, { kind: "group.delete" }>;
type GroupRow = { Id: string; Name: string; DeveloperName?: string };
type MemberRow = { Id: string; GroupId: string; UserOrGroupId: string };

const DEVELOPER_NAME_MAX = 80;
const id15 = (id: string) => id.slice(0, 15);

/**
 * A Group's API name: letters, digits and single underscores, starting with a letter, at most 80
 * characters. When the name had to change, a short hash of it keeps "Sales-EMEA" and "Sales EMEA" apart.
 */
export function developerName(name: string): string {
  const ascii = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  let base = ascii.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  if (!/^[A-Za-z]/.test(base)) base = base ? `G_${base}` : "Group";
  if (base === name && base.length <= DEVELOPER_NAME_MAX) return base;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 6);
  return `${base.slice(0, DEVELOPER_NAME_MAX - 7).replace(/_+$/, "")}_${hash}`;
}

async function linkGroups(
  ctx: SalesforceContext,
  ops: Indexed<GroupUpsertOp>[],
): Promise<Map<number, GroupRow>> {
  const linked = new Map<number, GroupRow>();
  const withId = ops.filter((o) => o.op.targetId);
  if (withId.length > 0) {
    const rows = await ctx.client.queryIn<GroupRow>(
      "SELECT Id, Name, DeveloperName FROM Group WHERE Id IN {IN}",
      withId.map((o) => o.op.targetId as string),
    );
    const byId = new Map(rows.map((r) => [id15(r.Id), r]));
    for (const o of withId) {
      const row = byId.get(id15(o.op.targetId as string));
      if (row) linked.set(o.index, row);
    }
  }
  const pending = ops.filter((o) => !linked.has(o.index));
  if (pending.length > 0) {
    const rows = await ctx.client.queryIn<GroupRow>(
      "SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Regular' AND Name IN {IN}",
      pending.map((o) => o.op.group.displayName),
    );
    const taken = new Set([...linked.values()].map((r) => r.Id));
    for (const o of pending) {
      const row = rows.find(
        (r) => r.Name.toLowerCase() === o.op.group.displayName.toLowerCase() && !taken.has(r.Id),
      );
      if (row) {
        linked.set(o.index, row);
        taken.add(row.Id);
      }
    }
  }
  return linked;
}

/** Adds and removes GroupMember rows so each group holds exactly its linked members. */
async function syncMembers(
  ctx: SalesforceContext,
  groups: { index: number; groupId: string; created: boolean; members: string[] }[],
  outcomes: Outcome[],
): Promise<void> {
  const existing = groups.filter((g) => !g.created).map((g) => g.groupId);
  const current = existing.length
    ? await ctx.client.queryIn<MemberRow>(
        "SELECT Id, GroupId, UserOrGroupId FROM GroupMember WHERE GroupId IN {IN}",
        existing,
      )
    : [];
  const byGroup = new Map<string, MemberRow[]>();
  for (const m of current) byGroup.set(id15(m.GroupId), [...(byGroup.get(id15(m.GroupId)) ?? []), m]);
  const adds: { index: number; record: { GroupId: string; UserOrGroupId: string } }[] = [];
  const removes: { index: number; id: string }[] = [];
  for (const g of groups) {
    const have = byGroup.get(id15(g.groupId)) ?? [];
    const haveIds = new Set(have.map((m) => id15(m.UserOrGroupId)));
    const want = new Set(g.members.map(id15));
    for (const member of new Set(g.members)) {
      if (!haveIds.has(id15(member)))
        adds.push({ index: g.index, record: { GroupId: g.groupId, UserOrGroupId: member } });
    }
    for (const m of have) if (!want.has(id15(m.UserOrGroupId))) removes.push({ index: g.index, id: m.Id });
  }
  // Up to five collections of 200 per call: a 1,000-member group is filled in one call.
  const [added = [], removed = []] = await writeCollections(ctx, [
    { op: "create", type: "GroupMember", records: adds.map((a) => a.record) },
    { op: "delete", ids: removes.map((r) => r.id) },
  ]);
  const settle = (
    index: number,
    result: Parameters<typeof saveOutcome>[1],
    okCodes: string[],
    what: string,
  ) => {
    if (onlyErrors(result, okCodes)) return;
    const failure = saveOutcome(ctx, result);
    if (!failure) return;
    // A membership that did not change is a group that does not match: never "synced" with a note.
    if (outcomes[index]?.status === "retry") return;
    outcomes[index] =
      failure.status === "retry" ? failure : { ...failure, message: `${what}: ${failure.message}` };
  };
  adds.forEach((a, i) => {
    settle(a.index, added[i], ["DUPLICATE_VALUE"], `adding ${a.record.UserOrGroupId}`);
  });
  removes.forEach((r, i) => {
    settle(r.index, removed[i], ["ENTITY_IS_DELETED"], `removing member ${r.id}`);
  });
}

export async function applyGroupOps(
  ctx: SalesforceContext,
  upserts: Indexed<GroupUpsertOp>[],
  deletes: Indexed<GroupDeleteOp>[],
  outcomes: Outcome[],
): Promise<void> {
  if (upserts.length > 0) await upsertGroups(ctx, upserts, outcomes);
  if (deletes.length > 0) {
    let targets: { index: number; id: string }[];
    try {
      targets = await groupsToDelete(ctx, deletes, outcomes);
    } catch (e) {
      for (const d of deletes) outcomes[d.index] = errorOutcome(ctx, e);
      return;
    }
    const results = await ctx.client.deleteMany(targets.map((d) => d.id));
    targets.forEach((d, i) => {
      const result = results[i];
      const gone = onlyErrors(result, ["ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND"]);
      outcomes[d.index] = (gone ? undefined : saveOutcome(ctx, result)) ?? { status: "done", targetId: d.id };
    });
    ctx.publicGroups.invalidate();
  }
}

/** The Group each delete acts on: its link, else the public group of that name (a create whose answer was lost). */
async function groupsToDelete(
  ctx: SalesforceContext,
  deletes: Indexed<GroupDeleteOp>[],
  outcomes: Outcome[],
): Promise<{ index: number; id: string }[]> {
  const out = deletes.flatMap((d) => (d.op.targetId ? [{ index: d.index, id: d.op.targetId }] : []));
  const byName = deletes.filter((d) => !d.op.targetId && d.op.displayName);
  const rows = byName.length
    ? await ctx.client.queryIn<GroupRow>(
        "SELECT Id, Name FROM Group WHERE Type = 'Regular' AND Name IN {IN}",
        byName.map((d) => d.op.displayName as string),
      )
    : [];
  for (const d of deletes) {
    if (d.op.targetId) continue;
    const name = d.op.displayName?.toLowerCase();
    const row = name === undefined ? undefined : rows.find((r) => r.Name.toLowerCase() === name);
    if (row) out.push({ index: d.index, id: row.Id });
    else outcomes[d.index] = { status: "done", detail: "no such public group; nothing to delete" };
  }
  return out;
}

async function upsertGroups(
  ctx: SalesforceContext,
  ops: Indexed<GroupUpsertOp>[],
  outcomes: Outcome[],
): Promise<void> {
  let linked: Map<number, GroupRow>;
  try {
    linked = await linkGroups(ctx, ops);
  } catch (e) {
    for (const o of ops) outcomes[o.index] = errorOutcome(ctx, e);
    return;
  }
  const toCreate = ops.filter((o) => !linked.has(o.index));
  const renames = ops.filter((o) => {
    const row = linked.get(o.index);
    return row && row.Name !== o.op.group.displayName;
  });
  const [created = [], renamed = []] = await writeCollections(ctx, [
    {
      op: "create",
      type: "Group",
      records: toCreate.map((o) => ({
        Name: o.op.group.displayName,
        DeveloperName: developerName(o.op.group.displayName),
        Type: "Regular",
      })),
    },
    {
      op: "update",
      type: "Group",
      records: renames.map((o) => ({
        Id: (linked.get(o.index) as GroupRow).Id,
        Name: o.op.group.displayName,
      })),
    },
  ]);
  if (toCreate.length > 0) ctx.publicGroups.invalidate();
  const ready: { index: number; groupId: string; created: boolean; members: string[] }[] = [];
  toCreate.forEach((o, i) => {
    const failure = saveOutcome(ctx, created[i]);
    if (failure) outcomes[o.index] = failure;
    else
      ready.push({
        index: o.index,
        groupId: String(created[i]?.id),
        created: true,
        members: o.op.group.memberTargetIds,
      });
  });
  renames.forEach((o, i) => {
    const failure = saveOutcome(ctx, renamed[i]);
    if (failure) outcomes[o.index] = failure;
  });
  for (const o of ops) {
    const row = linked.get(o.index);
    if (row && outcomes[o.index] === undefined)
      ready.push({ index: o.index, groupId: row.Id, created: false, members: o.op.group.memberTargetIds });
  }
  try {
    await syncMembers(ctx, ready, outcomes);
  } catch (e) {
    for (const g of ready) outcomes[g.index] = errorOutcome(ctx, e);
  }
  for (const g of ready) outcomes[g.index] ??= { status: "done", targetId: g.groupId };
}
