// What every write shares: its refusals (not found, version, uniqueness), its audit entry, and the plan's rows
// written, read back as status and as what was queued.
import { BridgeError, excerpt } from "../errors.ts";
import {
  type AuditChange,
  type AuditEntry,
  type AuditRecord,
  enqueueJobs,
  type LinkStatus,
  type NewJob,
  type Queryable,
  type ResourceSchema,
  type ResourceType,
  recordLinks,
  type StoredResource,
} from "../store/index.ts";
import { attributeChanges, memberChange } from "./changes.ts";
import type { Change, Queued, WriteContext, WritePlan, WritePlanner } from "./types.ts";

/** The directory of a bridge without targets: nothing to queue, and every write can say so before it is made. */
export const NOTHING_TO_PLAN: WritePlanner = {
  planEarly: async () => ({ jobs: [], links: [] }),
  plan: async () => ({ jobs: [], links: [] }),
};

export const notFound = (type: ResourceType, id: string) =>
  new BridgeError("SCIM_NOT_FOUND", `${type} ${id} not found`);

/** Unique violations from either engine become SCIM 409 uniqueness with the value that clashed. */
export function uniqueness(e: unknown, type: ResourceType, data: Record<string, unknown>): unknown {
  if ((e as { code?: string })?.code !== "23505") return e;
  return type === "User"
    ? new BridgeError(
        "SCIM_UNIQUENESS",
        `userName ${excerpt(data.userName, 80)} is already taken by another User`,
      )
    : new BridgeError(
        "SCIM_UNIQUENESS",
        `displayName ${excerpt(data.displayName, 80)} is already taken by another Group`,
      );
}

export function checkVersion(r: StoredResource, ifMatch: string | undefined) {
  if (!ifMatch || ifMatch.trim() === "*") return;
  const wanted = ifMatch.split(",").map((t) => t.trim().replace(/^W\//, ""));
  if (!wanted.includes(`"${r.version}"`)) {
    throw new BridgeError(
      "SCIM_PRECONDITION_FAILED",
      `${r.type} ${r.id} is at version W/"${r.version}", not ${ifMatch}; fetch it again and retry`,
    );
  }
}

/** What a change did, attribute by attribute (a group's members as one entry): its audit row's `changes`. */
function changesOf(schema: ResourceSchema, change: Change): AuditChange[] {
  return [
    ...attributeChanges(schema, change.before?.data, change.after?.data, !!change.password),
    ...memberChange(change.membersAdded, change.membersRemoved),
  ];
}

/** A change's audit row, written by the resource's own statement. */
export function auditEntry(schema: ResourceSchema, change: Change): AuditEntry {
  const { membersAdded, membersRemoved } = change;
  return {
    requestId: change.ctx.requestId,
    actor: change.ctx.actor,
    action: `scim.${change.type.toLowerCase()}.${change.action}`,
    ...(membersAdded?.length || membersRemoved?.length
      ? {
          detail: {
            membersAdded: membersAdded?.length || undefined,
            membersRemoved: membersRemoved?.length || undefined,
          },
        }
      : {}),
    changes: changesOf(schema, change),
  };
}

/** A change's audit row, for a write whose resource statement did not carry it. */
export function auditRecord(schema: ResourceSchema, change: Change): AuditRecord {
  return {
    ...auditEntry(schema, change),
    resourceType: change.type,
    resourceId: change.id,
    outcome: "accepted",
  };
}

/** An update as the planner sees it before it is written (`after` holds the body about to be written). */
export function updateOf(
  before: StoredResource,
  data: Record<string, unknown>,
  now: Date,
  ctx: WriteContext,
  extra: { added?: string[]; removed?: string[]; password?: string | undefined },
): Change {
  return {
    type: before.type,
    id: before.id,
    action: "update",
    before,
    after: { ...before, data, version: before.version + 1, lastModified: now },
    ...(extra.added?.length ? { membersAdded: extra.added } : {}),
    ...(extra.removed?.length ? { membersRemoved: extra.removed } : {}),
    ...(extra.password ? { password: extra.password } : {}),
    ctx,
  };
}

/**
 * A resource's status as read before a write, after the write queued `jobs`: pending in each of their targets
 * (held stays held: the held job is still first in line), as linkStatusRows would now read it.
 */
export function withJobs(status: LinkStatus[], jobs: readonly NewJob[]): LinkStatus[] {
  const byTarget = new Map(status.map((s) => [s.target, s]));
  for (const j of jobs) {
    if (j.state && j.state !== "pending") continue;
    const s = byTarget.get(j.target);
    if (s?.state !== "held") byTarget.set(j.target, { ...(s ?? { target: j.target }), state: "pending" });
  }
  return [...byTarget.values()].sort((a, b) => a.target.localeCompare(b.target));
}

/** The targets each resource was queued for by these jobs: pending work only (see Queued). */
export function queuedBy(
  jobs: readonly NewJob[],
  into = new Map<string, Set<string>>(),
): Map<string, Set<string>> {
  for (const j of jobs) {
    if (j.state && j.state !== "pending") continue;
    const targets = into.get(j.resourceId);
    if (targets) targets.add(j.target);
    else into.set(j.resourceId, new Set([j.target]));
  }
  return into;
}

export const NOTHING_QUEUED: Queued = new Map();

/** The plan's rows, for a write whose resource statement did not carry them. */
export async function writePlan(tx: Queryable, plan: WritePlan): Promise<void> {
  await enqueueJobs(tx, plan.jobs);
  await writeLinks(tx, plan.links);
}

/** The plan's link rows, one statement per target. */
export async function writeLinks(tx: Queryable, links: WritePlan["links"]): Promise<void> {
  const byTarget = new Map<string, typeof links>();
  for (const l of links) byTarget.set(l.target, [...(byTarget.get(l.target) ?? []), l]);
  for (const [target, rows] of byTarget) {
    await recordLinks(
      tx,
      target,
      rows.map(({ target: _, ...link }) => link),
    );
  }
}
