// Changing a resource: its body (PUT, or the result of a PATCH) and/or a group's members. A user's change, the IdP's
// usual write, is made without a lock when it can; everything else under the row's lock.
import { isDeepStrictEqual } from "node:util";
import {
  type Db,
  getResource,
  getResourceWithExtras,
  isResourceId,
  type LinkStatus,
  type Queryable,
  type ResourceSchema,
  type ResourceType,
  type ResourceWithExtras,
  type StoredResource,
  touchResource,
  updateResource,
  updateResourceAt,
} from "../store/index.ts";
import { changeMembers } from "./members.ts";
import type { Queued, ResourceView, UpdateRequest, WriteContext, WritePlanner } from "./types.ts";
import {
  auditEntry,
  checkVersion,
  NOTHING_QUEUED,
  notFound,
  queuedBy,
  uniqueness,
  updateOf,
  withJobs,
  writeLinks,
  writePlan,
} from "./writing.ts";

export interface Updated {
  view: ResourceView;
  changed: boolean;
  queued: Queued;
}

/** How many times a user's change is tried without a lock before it takes one (each try lost to a concurrent write). */
const UNLOCKED_ATTEMPTS = 3;
/** updateUnlocked's answer when the change must be made under a lock. */
const LOCK = Symbol("lock");

/**
 * Changes a resource: its body and/or a group's members, given as the full list (PUT) or as a delta (PATCH: touches
 * only the affected rows); `mutate` computes the new body from the row as locked. A write that changes nothing keeps
 * the version and queues nothing.
 */
export async function updateOne(
  db: Db,
  planner: WritePlanner,
  schema: ResourceSchema,
  type: ResourceType,
  id: string,
  change: UpdateRequest,
  ctx: WriteContext,
): Promise<Updated> {
  if (!isResourceId(id)) throw notFound(type, id);
  // The body that was written, for the 409's detail (a PATCH has no data of its own).
  let attempted: Record<string, unknown> | undefined;
  const attempting = (d: Record<string, unknown>) => {
    attempted = d;
  };
  try {
    // A user's change in two round trips: read, then write if the user is still at the version read. A concurrent
    // write in between makes it start over; after a few, the row is locked for the whole change instead. So is a
    // group's change (its members are rows written beside it), and a change the planner can only plan after the
    // write (a target with a scope: which users are in it is a query on the stored rows; a pre-flight objection,
    // recorded with the write). A planner that never plans early sends every change to the lock at once.
    if (type === "User" && planner.planEarly) {
      for (let attempt = 0; attempt < UNLOCKED_ATTEMPTS; attempt++) {
        const done = await updateUnlocked(db, planner, schema, type, id, change, ctx, attempting);
        if (done === LOCK) break;
        if (done) return done;
      }
    }
    return await updateLocked(db, planner, schema, type, id, change, ctx, attempting);
  } catch (e) {
    throw uniqueness(e, type, attempted ?? change.data ?? {});
  }
}

async function updateLocked(
  db: Db,
  planner: WritePlanner,
  schema: ResourceSchema,
  type: ResourceType,
  id: string,
  change: UpdateRequest,
  ctx: WriteContext,
  attempting: (data: Record<string, unknown>) => void,
): Promise<Updated> {
  return db.transaction(async (tx) => {
    const before = await getResource(tx, type, id, { forUpdate: true });
    if (!before) throw notFound(type, id);
    checkVersion(before, ctx.ifMatch);
    const { added, removed } =
      type === "Group" ? await changeMembers(tx, id, change) : { added: [], removed: [] };
    // A PATCH is applied here, on the row as locked, so no concurrent write can slip in between.
    const mutated = change.mutate ? await change.mutate(before.data) : undefined;
    const data = mutated?.data ?? change.data ?? before.data;
    attempting(data);
    const password = mutated?.password ?? change.password;
    const dataChanged = !isDeepStrictEqual(before.data, data);
    if (!dataChanged && !added.length && !removed.length && !password) {
      return { view: { resource: before }, changed: false, queued: NOTHING_QUEUED };
    }
    const now = new Date();
    const written = updateOf(before, data, now, ctx, { added, removed, password });
    const audit = auditEntry(schema, written);
    const early = await planner.planEarly?.(tx, written);
    const after = dataChanged
      ? await updateResource(tx, type, id, data, now, audit, early?.jobs)
      : ((await touchResource(tx, type, id, now, audit, early?.jobs)) as StoredResource);
    // Planned before the write, its jobs went in the write's statement; otherwise it is planned on the row as written.
    const plan = early ?? (await planner.plan(tx, { ...written, after }));
    await (early ? writeLinks(tx, plan.links) : writePlan(tx, plan));
    return { view: { resource: after }, changed: true, queued: queuedBy(plan.jobs) };
  });
}

/**
 * `update` without a lock or a transaction: undefined when the resource changed between the read and the write
 * (try again), LOCK when the change needs the locked path (the planner has no plan for it before the write).
 */
async function updateUnlocked(
  db: Db,
  planner: WritePlanner,
  schema: ResourceSchema,
  type: ResourceType,
  id: string,
  change: UpdateRequest,
  ctx: WriteContext,
  attempting: (data: Record<string, unknown>) => void,
): Promise<Updated | typeof LOCK | undefined> {
  const include = { relations: !!change.include?.relations, links: !!change.include?.status };
  const read: ResourceWithExtras | undefined =
    include.relations || include.links
      ? await getResourceWithExtras(db, type, id, include)
      : await getResource(db, type, id).then((resource) => resource && { resource });
  if (!read) throw notFound(type, id);
  const before = read.resource;
  checkVersion(before, ctx.ifMatch);
  const mutated = change.mutate ? await change.mutate(before.data) : undefined;
  const data = mutated?.data ?? change.data ?? before.data;
  attempting(data);
  const password = mutated?.password ?? change.password;
  const extras = (status: LinkStatus[] | undefined) => ({
    ...(read.relations ? { relations: read.relations } : {}),
    ...(status ? { status } : {}),
  });
  if (isDeepStrictEqual(before.data, data) && !password)
    return { view: { resource: before, ...extras(read.links) }, changed: false, queued: NOTHING_QUEUED };
  const now = new Date();
  const written = updateOf(before, data, now, ctx, { password });
  if (read.links) written.status = read.links;
  const plan = await planner.planEarly!(db, written);
  if (!plan) return LOCK;
  const audit = auditEntry(schema, written);
  // A target in which the read saw no open job (its status is neither pending nor held) has none to join: the
  // usual case of an IdP's push, each user changed once. The lookup is then left out of the write.
  const waiting = new Set(
    read.links?.filter((s) => s.state === "pending" || s.state === "held").map((s) => s.target),
  );
  const noOpenJobs = !!read.links && !plan.jobs.some((j) => waiting.has(j.target));
  const write = (q: Queryable) =>
    updateResourceAt(q, type, id, before.version, data, now, audit, plan.jobs, { noOpenJobs });
  // One statement; an import's link to its source (a plan with link rows) joins it in one transaction.
  const after = plan.links.length
    ? await db.transaction(async (tx) => {
        const r = await write(tx);
        if (r) await writeLinks(tx, plan.links);
        return r;
      })
    : await write(db);
  if (!after) return undefined;
  // The status read, with this write's jobs; an import's link rows are not in it (the caller reads it if needed).
  const status = read.links && !plan.links.length ? withJobs(read.links, plan.jobs) : undefined;
  return { view: { resource: after, ...extras(status) }, changed: true, queued: queuedBy(plan.jobs) };
}
