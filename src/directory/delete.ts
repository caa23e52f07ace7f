// Deleting a resource: under its row's lock, a tombstone with its correlation keys kept until every target has
// confirmed (a group's members and memberships go with it), planned after the write.
import {
  type Db,
  deleteResource,
  dropSettledTombstones,
  getResource,
  isResourceId,
  type ResourceSchema,
  type ResourceType,
  removeMembers,
  writeAudit,
} from "../store/index.ts";
import type { Change, Queued, WriteContext, WritePlanner } from "./types.ts";
import { auditRecord, checkVersion, notFound, queuedBy, writePlan } from "./writing.ts";

export async function deleteOne(
  db: Db,
  planner: WritePlanner,
  schema: ResourceSchema,
  type: ResourceType,
  id: string,
  ctx: WriteContext,
): Promise<{ queued: Queued }> {
  if (!isResourceId(id)) throw notFound(type, id);
  return db.transaction(async (tx) => {
    const before = await getResource(tx, type, id, { forUpdate: true });
    if (!before) throw notFound(type, id);
    checkVersion(before, ctx.ifMatch);
    const membersRemoved = type === "Group" ? await removeMembers(tx, id) : undefined;
    await deleteResource(tx, type, id);
    const change: Change = {
      type,
      id,
      action: "delete",
      before,
      ...(membersRemoved?.length ? { membersRemoved } : {}),
      ctx,
    };
    await writeAudit(tx, [auditRecord(schema, change)]);
    // Which targets may hold the resource is a question about its links, and a group's members are gone by now.
    const plan = await planner.plan(tx, change);
    await writePlan(tx, plan);
    // A deleted resource no target may hold needs no tombstone.
    await dropSettledTombstones(tx, [id]);
    return { queued: queuedBy(plan.jobs) };
  });
}
