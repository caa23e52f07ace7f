// Queues reconcile's repairs through the outbox, like a SCIM write would: one transaction per batch, link rows
// marked pending, and every deprovision through the deletion circuit breaker.
import { randomUUID } from "node:crypto";
import {
  clearTargetIds,
  type Db,
  enqueueJobs,
  type LinkOutcome,
  markPending,
  type NewJob,
  type ResourceType,
  recordLinks,
} from "../../store/index.ts";
import { type BreakerPolicy, breakerTrips } from "../enqueue.ts";

export interface RepairJob {
  type: ResourceType;
  /** The store resource; absent for an unmanaged account being deprovisioned by policy. */
  resourceId?: string;
  action: "provision" | "deprovision";
  /** Link the resource to this existing account first (found-unlinked, unmanaged). */
  linkTo?: string;
  /** The linked account is gone: forget its id so delivery creates or re-links. */
  unlink?: boolean;
}

export interface Enqueued {
  provision: number;
  deprovision: number;
  held: number;
}

export async function enqueueRepairs(
  db: Db,
  target: string,
  repairs: RepairJob[],
  breaker: BreakerPolicy,
  requestId: string,
): Promise<Enqueued> {
  const out: Enqueued = { provision: 0, deprovision: 0, held: 0 };
  if (!repairs.length) return out;
  await db.transaction(async (tx) => {
    const links: LinkOutcome[] = [];
    const jobs: NewJob[] = [];
    const prov: Record<ResourceType, string[]> = { User: [], Group: [] };
    const deprov: Record<ResourceType, string[]> = { User: [], Group: [] };
    for (const r of repairs) {
      // An account without a store resource gets a link of its own, so the dispatcher's usual "linked but not
      // wanted" path deprovisions it.
      const id = r.resourceId ?? randomUUID();
      if (r.linkTo)
        links.push({ resourceType: r.type, resourceId: id, targetId: r.linkTo, state: "pending" });
      // The account is active again, so the link no longer counts as deprovisioned: the dispatcher acts on it.
      else if (r.action === "deprovision")
        links.push({ resourceType: r.type, resourceId: id, state: "pending", deprovisioned: false });
      (r.action === "provision" ? prov : deprov)[r.type].push(id);
    }
    await recordLinks(tx, target, links);
    await clearTargetIds(
      tx,
      target,
      repairs.filter((r) => r.unlink && r.resourceId).map((r) => r.resourceId as string),
    );
    for (const type of ["User", "Group"] as const) {
      for (const id of prov[type])
        jobs.push({ target, resourceType: type, resourceId: id, action: "provision", requestId });
      await markPending(tx, target, type, prov[type]);
      out.provision += prov[type].length;
    }
    const count = deprov.User.length + deprov.Group.length;
    const held = count > 0 && (await breakerTrips(tx, target, count, breaker));
    for (const type of ["User", "Group"] as const) {
      for (const id of deprov[type]) {
        jobs.push({
          target,
          resourceType: type,
          resourceId: id,
          action: "deprovision",
          requestId,
          ...(held ? { state: "held" as const } : {}),
        });
      }
      await markPending(tx, target, type, deprov[type], held ? "held" : "pending");
    }
    if (held) out.held += count;
    else out.deprovision += count;
    await enqueueJobs(tx, jobs);
  });
  return out;
}
