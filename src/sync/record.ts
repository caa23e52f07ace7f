// Records a batch's outcomes in one transaction. What each unit's jobs, link and audit row become is decided by pure
// functions (nextJobState in retry.ts, recordDecision in record-decision.ts); this persists it, with the group work
// a member's change calls for and the tombstones no longer needed. Only jobs still held under the batch's claim
// token are written (fencing): a worker whose lease was taken over leaves the newer worker's outcome alone.

import {
  type ClaimedUnit,
  completeJobs,
  type Db,
  dropSettledTombstones,
  killJobs,
  queueGroupsOfMembers,
  recordLinks,
  refusedSince,
  retryJobs,
  signInHistory,
  stillClaimed,
  WAKE_GROUPS_MS,
  writeAudit,
} from "../store/index.ts";
import { createsGroupsApart, handlesGroups, hasPreflight, type Outcome } from "../targets/target.ts";
import type { ConfiguredTarget } from "./configured-target.ts";
import type { UnitFacts, UnitPlan } from "./plan.ts";
import { attemptOutcome, recordDecision, type UnitAttempt } from "./record-decision.ts";
import { type BackoffPolicy, nextJobState } from "./retry.ts";

export interface Delivered {
  unit: ClaimedUnit;
  facts: UnitFacts;
  plan: UnitPlan;
  outcome: Outcome;
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
    // Whether a refused sign-in parks the work depends on how the target's sign-ins went lately, in every process.
    const signIns = recorded.some((d) => d.outcome.status === "retry" && d.outcome.blocked === "credentials")
      ? await signInHistory(tx, t.name)
      : undefined;
    const groups = handlesGroups(t.target);
    const records = recorded.map((d) => {
      const head = d.unit.jobs[0]!;
      const attempt: UnitAttempt = {
        resourceType: d.unit.resourceType,
        resourceId: d.unit.resourceId,
        requestId: head.requestId,
        attempts: head.attempts,
        ...(d.facts.link ? { link: d.facts.link } : {}),
        plan: d.plan,
        outcome: d.outcome,
      };
      const { outcome, waiting } = attemptOutcome(d.plan, d.outcome);
      const decision = nextJobState(outcome, head.attempts, backoff, {
        waiting,
        ...(signIns ? { signIns } : {}),
      });
      const refusal = refused.get(d.unit.resourceId);
      return {
        ids: d.unit.jobs.map((j) => j.id),
        ...recordDecision(attempt, decision, {
          target: t.name,
          handlesGroups: groups,
          judges: hasPreflight(t.target),
          ...(refusal ? { refused: refusal } : {}),
        }),
      };
    });
    for (const { ids, job } of records) {
      if (job.state === "pending") {
        await retryJobs(tx, ids, job.delayMs, job.code, job.message, job.countAttempt);
        retryIn?.(job.delayMs);
      } else if (job.state === "dead") await killJobs(tx, ids, job.code, job.message);
    }
    // Completed in one statement for the batch (one per unit cost ~1 ms each: 2 s per 1,000 users).
    const doneIds = records.flatMap((r) => (r.job.state === "done" ? r.ids : []));
    if (doneIds.length) await completeJobs(tx, doneIds);
    await recordLinks(
      tx,
      t.name,
      records.map((r) => r.link),
    );
    await writeAudit(
      tx,
      records.flatMap((r) => (r.audit ? [r.audit] : [])),
    );
    // A member who appeared, left, was deactivated or came back changes what its groups hold in this target. Late
    // in the transaction: it holds the groups' pending jobs (FOR SHARE) until the commit.
    const members = records.filter((r) => r.queueGroups).map((r) => r.link.resourceId);
    if (
      members.length &&
      (await queueGroupsOfMembers(tx, t.name, members, null, createsGroupsApart(t.target)))
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
