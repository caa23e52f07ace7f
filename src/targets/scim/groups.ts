// Groups on the peer: correlated by displayName; members as the peer's user ids; membership changes as PATCH
// add/remove of the difference (PUT of the whole group when the peer has no PATCH).
import type { DesiredGroup, TargetGroup } from "../target.ts";
import {
  answerOutcome,
  createdId,
  findOne,
  getResource,
  goneMeanwhile,
  ok,
  PATCH_OP,
  type Plan,
  type ScimContext,
  type ScimResource,
} from "./context.ts";
import { CORE_GROUP } from "./discovery.ts";
import { listPages } from "./users.ts";

const memberIds = (g: ScimResource): string[] =>
  (Array.isArray(g.members) ? g.members : [])
    .map((m) => (m as { value?: unknown }).value)
    .filter((v): v is string => typeof v === "string");

/** Pure: the PATCH operations that turn `current` into `desired` (RFC 7644 §3.5.2). */
export function groupChanges(desired: DesiredGroup, current: ScimResource): Record<string, unknown>[] {
  const ops: Record<string, unknown>[] = [];
  if (String(current.displayName ?? "") !== desired.displayName)
    ops.push({ op: "replace", path: "displayName", value: desired.displayName });
  const have = new Set(memberIds(current));
  const want = new Set(desired.memberTargetIds);
  const add = [...want].filter((id) => !have.has(id));
  if (add.length) ops.push({ op: "add", path: "members", value: add.map((value) => ({ value })) });
  for (const id of have) {
    if (!want.has(id)) ops.push({ op: "remove", path: `members[value eq ${JSON.stringify(id)}]` });
  }
  return ops;
}

const groupBody = (g: DesiredGroup) => ({
  schemas: [CORE_GROUP],
  displayName: g.displayName,
  ...(g.externalId ? { externalId: g.externalId } : {}),
  members: g.memberTargetIds.map((value) => ({ value })),
});

export async function planGroupUpsert(
  ctx: ScimContext,
  group: DesiredGroup,
  targetId?: string,
): Promise<Plan> {
  const current =
    (targetId ? await getResource(ctx, `/Groups/${encodeURIComponent(targetId)}`) : undefined) ??
    (await findOne(ctx, "/Groups", "displayName", group.displayName));
  if (!current) {
    return {
      write: { method: "POST", path: "/Groups", data: groupBody(group) },
      meaning: (a) => {
        const id = ok(a.status) ? createdId(a) : undefined;
        if (id) return { status: "done", targetId: id };
        if (a.status === 409)
          return {
            ...answerOutcome(ctx, a),
            status: "retry" as const,
            message: `${group.displayName} exists already; linking it`,
          };
        return ok(a.status)
          ? {
              status: "retry",
              code: "SCIM_BAD_ANSWER",
              message: "the peer created the group but named no id",
            }
          : answerOutcome(ctx, a);
      },
    };
  }
  const ops = groupChanges(group, current);
  const done = { status: "done" as const, targetId: current.id };
  if (!ops.length) return { outcome: { ...done, detail: "already as wanted" } };
  const path = `/Groups/${encodeURIComponent(current.id)}`;
  const patch = (await ctx.capabilities()).patch;
  return {
    write: patch
      ? { method: "PATCH", path, data: { schemas: [PATCH_OP], Operations: ops } }
      : { method: "PUT", path, data: { ...groupBody(group), id: current.id } },
    meaning: (a) => (ok(a.status) ? done : a.status === 404 ? goneMeanwhile("group") : answerOutcome(ctx, a)),
    // Deleted on the peer since the read (an admin, or the peer lost it): found by name or created with its members.
    unlinked: () => planGroupUpsert(ctx, group),
  };
}

export async function planGroupDelete(
  ctx: ScimContext,
  linked: string | undefined,
  displayName?: string,
): Promise<Plan> {
  // Without a link (a create whose answer was lost) the group is found by displayName.
  const targetId =
    linked ?? (displayName ? (await findOne(ctx, "/Groups", "displayName", displayName))?.id : undefined);
  if (!targetId) return { outcome: { status: "done", detail: "not on the peer; nothing to delete" } };
  return {
    write: { method: "DELETE", path: `/Groups/${encodeURIComponent(targetId)}` },
    meaning: (a) => (ok(a.status) || a.status === 404 ? { status: "done" } : answerOutcome(ctx, a)),
  };
}

export async function* listGroups(ctx: ScimContext): AsyncIterable<TargetGroup[]> {
  for await (const page of listPages(ctx, "/Groups")) {
    yield page.map((g) => ({
      targetId: g.id,
      displayName: String(g.displayName ?? ""),
      memberTargetIds: memberIds(g),
    }));
  }
}
