// Creating resources: one at a time (the SCIM POST, an import) and many in one transaction (a bulk's run of user
// creates). Each returns what it queued, for the caller that waits for delivery.
import { randomUUID } from "node:crypto";
import {
  type AuditEntry,
  type Db,
  insertResources,
  type Member,
  type ResourceSchema,
  type ResourceType,
  type StoredResource,
  writeAudit,
} from "../store/index.ts";
import { addInitialMembers } from "./members.ts";
import type { Change, Queued, ResourceView, WriteContext, WritePlan, WritePlanner } from "./types.ts";
import { auditEntry, auditRecord, queuedBy, uniqueness, withJobs, writeLinks, writePlan } from "./writing.ts";

/** Rows per multi-row INSERT: 8 parameters a user row, well under PostgreSQL's 65,535 parameters. */
const CREATE_CHUNK = 1000;

export async function createOne(
  db: Db,
  planner: WritePlanner,
  schema: ResourceSchema,
  type: ResourceType,
  data: Record<string, unknown>,
  ctx: WriteContext,
  extra: { password?: string; members?: Member[] },
): Promise<{ view: ResourceView; queued: Queued }> {
  const id = randomUUID();
  const change = (after: StoredResource, added?: string[]): Change => ({
    type,
    id,
    action: "create",
    after,
    ...(added ? { membersAdded: added } : {}),
    ...(extra.password ? { password: extra.password } : {}),
    ctx,
  });
  try {
    // A group's members must exist and are written after the group: it is planned after the write.
    const withMembers = type === "Group" && !!extra.members?.length;
    const unwritten = (now: Date) => change({ id, type, data, version: 1, created: now, lastModified: now });
    if (!withMembers) {
      const now = new Date();
      const plan = await planner.planEarly?.(db, unwritten(now));
      if (plan) {
        const audit = auditEntry(schema, unwritten(now));
        return {
          view: await createPlanned(db, type, id, data, now, audit, plan),
          queued: queuedBy(plan.jobs),
        };
      }
    }
    return await db.transaction(async (tx) => {
      const now = new Date();
      const audit = withMembers ? undefined : auditEntry(schema, unwritten(now));
      const [resource] = await insertResources(tx, type, [{ id, data }], now, audit);
      const added = withMembers ? await addInitialMembers(tx, id, extra.members!) : undefined;
      const written = change(resource!, added);
      if (!audit) await writeAudit(tx, [auditRecord(schema, written)]);
      const plan = await planner.plan(tx, written);
      await writePlan(tx, plan);
      return { view: { resource: resource! }, queued: queuedBy(plan.jobs) };
    });
  } catch (e) {
    throw uniqueness(e, type, data);
  }
}

/**
 * The common create: the row, its audit row and its outbox jobs in one statement (no transaction to open). A plan
 * with link rows (an import's link to its source) adds their statement, in one transaction with it.
 */
async function createPlanned(
  db: Db,
  type: ResourceType,
  id: string,
  data: Record<string, unknown>,
  now: Date,
  audit: AuditEntry,
  plan: WritePlan,
): Promise<ResourceView> {
  if (plan.links.length) {
    const resource = await db.transaction(async (tx) => {
      const [r] = await insertResources(tx, type, [{ id, data }], now, audit, plan.jobs);
      await writeLinks(tx, plan.links);
      return r!;
    });
    return { resource };
  }
  const [resource] = await insertResources(db, type, [{ id, data }], now, audit, plan.jobs);
  // A new resource's status is what its jobs just made, all pending: no need to read it back.
  return { resource: resource!, status: withJobs([], plan.jobs) };
}

/**
 * Creates many resources of one type (without group members) in one transaction: multi-row inserts, one audit
 * statement and one outbox statement per chunk, each resource planned after it is written. All or nothing: a caller
 * that needs each item to stand alone retries the items one `create` at a time.
 */
export async function createMany(
  db: Db,
  planner: WritePlanner,
  schema: ResourceSchema,
  type: ResourceType,
  items: { data: Record<string, unknown>; password?: string; ctx: WriteContext }[],
): Promise<{ resources: StoredResource[]; queued: Queued }> {
  if (!items.length) return { resources: [], queued: new Map() };
  return db.transaction(async (tx) => {
    const now = new Date();
    const resources: StoredResource[] = [];
    const queued = new Map<string, Set<string>>();
    for (let i = 0; i < items.length; i += CREATE_CHUNK) {
      const chunk = items.slice(i, i + CREATE_CHUNK);
      const ids = chunk.map(() => randomUUID());
      const inserted = await insertResources(
        tx,
        type,
        chunk.map((item, k) => ({ id: ids[k]!, data: item.data })),
        now,
      );
      const byId = new Map(inserted.map((r) => [r.id, r]));
      const rows = ids.map((id) => byId.get(id)!);
      const changes = rows.map(
        (resource, k): Change => ({
          type,
          id: resource.id,
          action: "create",
          after: resource,
          ...(chunk[k]!.password ? { password: chunk[k]!.password } : {}),
          ctx: chunk[k]!.ctx,
        }),
      );
      await writeAudit(
        tx,
        changes.map((c) => auditRecord(schema, c)),
      );
      const plan: WritePlan = { jobs: [], links: [] };
      for (const c of changes) {
        const mine = await planner.plan(tx, c);
        plan.jobs.push(...mine.jobs);
        plan.links.push(...mine.links);
      }
      await writePlan(tx, plan);
      queuedBy(plan.jobs, queued);
      resources.push(...rows);
    }
    return { resources, queued };
  });
}
