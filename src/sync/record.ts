// Records a batch's outcomes in one transaction: job states (nextJobState), links, the group work a member's
// change calls for, tombstones no longer needed, and the audit. Only jobs still held under the batch's claim
// token are written (fencing): a worker whose lease was taken over leaves the newer worker's outcome alone.

import { isEngineMessage } from "../errors.ts";
import {
  auditDeliveries,
  auditTarget,
  type ClaimedUnit,
  completeJobs,
  type Db,
  type DeliveryAudit,
  dropSettledTombstones,
  killJobs,
  type LinkOutcome,
  queueGroupsOfMembers,
  recordLinks,
  refusedSince,
  retryJobs,
  signInHistory,
  stillClaimed,
  type TargetAuditEntry,
  WAKE_GROUPS_MS,
} from "../store/index.ts";
import { createsGroupsApart, handlesGroups, type Outcome } from "../targets/target.ts";
import type { ConfiguredTarget } from "./configured-target.ts";
import { CREATED_EMPTY_AT, type UnitFacts, type UnitPlan } from "./plan.ts";
import { type BackoffPolicy, nextJobState } from "./retry.ts";

export interface Delivered {
  unit: ClaimedUnit;
  facts: UnitFacts;
  plan: UnitPlan;
  outcome: Outcome;
}

/** Whether a user counts as a member in the target's groups: linked there and not deprovisioned. */
function memberBefore(f: UnitFacts): boolean {
  return !!f.link?.targetId && !f.link.deprovisioned;
}

function memberAfter(d: Delivered): boolean {
  if (d.plan.kind !== "apply" || d.outcome.status !== "done") return memberBefore(d.facts);
  const targetId = d.outcome.targetId ?? d.facts.link?.targetId;
  return !!targetId && !d.plan.deprovisioning;
}

/**
 * Returns the units whose outcome was recorded (the others had lost their claim). `retryIn` hears the delay of
 * each unit put back to wait, and WAKE_GROUPS_MS when groups were queued or woken for the members' changes, so the
 * dispatcher can wake when work is due rather than at its next poll.
 */
export async function recordOutcomes(
  db: Db,
  t: ConfiguredTarget,
  delivered: Delivered[],
  token: string,
  backoff: BackoffPolicy,
  retryIn?: (delayMs: number) => void,
): Promise<Delivered[]> {
  return db.transaction(async (tx) => {
    const owned = await stillClaimed(
      tx,
      token,
      delivered.flatMap((d) => d.unit.jobs.map((j) => j.id)),
    );
    const recorded = delivered.filter((d) => d.unit.jobs.every((j) => owned.has(j.id)));
    // A write refused by the pre-flight while this batch ran keeps its `failed` status: this outcome was decided
    // from the facts before it (the account ids and what was sent are still recorded).
    const refused = await refusedSince(
      tx,
      t.name,
      recorded.map((d) => d.unit.resourceId),
      recorded.map((d) => Math.max(...d.unit.jobs.map((j) => j.id))),
    );
    const links: LinkOutcome[] = [];
    // Completed in one statement for the batch (one per unit cost ~1 ms each: 2 s per 1,000 users).
    const doneIds: number[] = [];
    const audit: DeliveryAudit[] = [];
    /** Pre-flight refusals, audited as a write's are (target.preflight, with the fields to fix). */
    const refusals: TargetAuditEntry[] = [];
    const membershipChanged: string[] = [];
    // Whether a refused sign-in parks the work depends on how the target's sign-ins went lately, in every process.
    const signIns = recorded.some((d) => d.outcome.status === "retry" && d.outcome.blocked === "credentials")
      ? await signInHistory(tx, t.name)
      : undefined;
    for (const d of recorded) {
      const { unit, plan, outcome: o } = d;
      const ids = unit.jobs.map((j) => j.id);
      const head = unit.jobs[0]!;
      const base = { resourceType: unit.resourceType, resourceId: unit.resourceId };
      const audited = { ...base, requestId: head.requestId };
      // A group created while it waits for its members: linked now, and back to waiting.
      const early = plan.kind === "apply" && o.status === "done" ? plan.thenWait : undefined;
      const created = early && o.status === "done" ? o : undefined;
      const next = early ?? o;
      const decision = nextJobState(next, head.attempts, backoff, {
        waiting: (plan.kind === "skip" && !!plan.waiting) || !!created,
        ...(signIns ? { signIns } : {}),
      });
      // Any other recorded attempt of the group may have sent members: the "created empty" mark goes.
      const unmark =
        plan.kind === "apply" && !created && d.facts.link?.sent?.[CREATED_EMPTY_AT] !== undefined
          ? { sent: {} }
          : {};
      if (decision.state === "done") {
        doneIds.push(...ids);
        const targetId = o.status === "done" ? (o.targetId ?? null) : null;
        if (plan.kind === "apply") {
          links.push({
            ...base,
            state: "synced",
            targetId,
            deprovisioned: plan.deprovisioning,
            ...unmark,
            ...(o.status === "done" && o.sent ? { sent: o.sent } : {}),
          });
          audit.push({
            ...audited,
            outcome: "synced",
            detail: (o.status === "done" && o.detail) || plan.op.kind,
          });
          if (unit.resourceType === "User" && memberBefore(d.facts) !== memberAfter(d))
            membershipChanged.push(unit.resourceId);
        } else links.push({ ...base, state: "synced", targetId });
        continue;
      }
      const code =
        decision.state === "pending" && decision.code
          ? decision.code
          : next.status === "done"
            ? ""
            : next.code;
      // An engine message ("Cannot read properties of undefined") describes a bug of ours or a library's, not the
      // target's answer: it is logged by the dispatcher, and shown to SCIM clients and admins as what it is.
      const raw = next.status === "done" ? "" : next.message;
      const message = isEngineMessage(raw)
        ? "the bridge failed unexpectedly while delivering; the bridge's log has the details"
        : raw;
      if (decision.state === "pending") {
        await retryJobs(tx, ids, decision.delayMs, code, message, decision.countAttempt);
        retryIn?.(decision.delayMs);
        links.push({
          ...base,
          state: "pending",
          errorCode: code,
          errorMessage: message,
          ...unmark,
          ...(created
            ? {
                targetId: created.targetId ?? null,
                sent: created.createdEmpty ? { [CREATED_EMPTY_AT]: head.attempts } : {},
              }
            : {}),
        });
        if (created) audit.push({ ...audited, outcome: "synced", detail: created.detail || "group.upsert" });
        else if (decision.countAttempt)
          audit.push({ ...audited, outcome: "retry", detail: `${code}: ${message}` });
      } else {
        await killJobs(tx, ids, code, message);
        links.push({ ...base, state: "failed", errorCode: code, errorMessage: message, ...unmark });
        if (plan.kind === "skip" && plan.refusal)
          refusals.push({
            ...base,
            outcome: "failed",
            detail: { detail: `${code}: ${message}`, fields: plan.refusal.map((p) => p.field) },
            ...(head.requestId ? { requestId: head.requestId } : {}),
            actor: "dispatcher",
          });
        else audit.push({ ...audited, outcome: "failed", detail: `${code}: ${message}` });
      }
    }
    if (doneIds.length) await completeJobs(tx, doneIds);
    await recordLinks(
      tx,
      t.name,
      links.map((l) => {
        const r = refused.get(l.resourceId);
        return r ? { ...l, state: "failed" as const, errorCode: r.code, errorMessage: r.message } : l;
      }),
    );
    await auditDeliveries(tx, t.name, audit);
    await auditTarget(tx, t.name, "target.preflight", refusals);
    // A member who appeared, left, was deactivated or came back changes what its groups hold in this target. Late
    // in the transaction: it holds the groups' pending jobs (FOR SHARE) until the commit.
    if (
      handlesGroups(t.target) &&
      membershipChanged.length &&
      (await queueGroupsOfMembers(tx, t.name, membershipChanged, null, createsGroupsApart(t.target)))
    )
      retryIn?.(WAKE_GROUPS_MS); // a worker wakes for them instead of at its next poll
    // After queueing: a deleted member's tombstone says which groups it was in.
    await dropSettledTombstones(
      tx,
      recorded.filter((d) => !d.facts.current).map((d) => d.unit.resourceId),
    );
    return recorded;
  });
}
