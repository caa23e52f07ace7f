// Operator actions on queued work: retry a failed job, retry every failed job matching a filter, retry one
// resource now, release deprovisions the circuit breaker held. Each is a thin call into the store, audited once.
import { BridgeError, excerpt } from "../../errors.ts";
import {
  jobSubject,
  type ResourceType,
  releaseHeld as releaseHeldJobs,
  retryResourceNow,
  reviveDeadJobs,
  reviveJob,
} from "../../store/index.ts";
import { findTarget } from "../reconcile/index.ts";
import type { Actor } from "./actor.ts";
import { perform } from "./perform.ts";
import type { ActionDeps } from "./types.ts";

/** Actions on queued work need only the store, the targets and the dispatcher's wake-up. */
type Deps = Pick<ActionDeps, "db" | "targets" | "kick">;

/** Queues one failed (dead) job again. Refused, with the reason, when it is not failed (any more). */
export async function retryJob(deps: Deps, actor: Actor, id: number) {
  return perform(deps.db, actor, "operator.retry", {}, async () => {
    const job = await jobSubject(deps.db, id);
    const subject = job
      ? { target: job.target, resourceType: job.resourceType, resourceId: job.resourceId }
      : undefined;
    const ok = !!job && (await reviveJob(deps.db, id));
    if (ok) deps.kick?.(job.target);
    return {
      value: ok,
      outcome: ok ? "ok" : "refused",
      ...(ok
        ? {}
        : {
            message: job
              ? `Job ${id} is ${job.state}, not failed; only failed jobs can be retried`
              : `No job ${excerpt(String(id))}`,
          }),
      detail: { jobs: [id] },
      ...(subject ? { subject } : {}),
    };
  });
}

/** Queues again every failed job of a target and/or error code (both optional). */
export async function retryAll(deps: Deps, actor: Actor, f: { target?: string; code?: string }) {
  return perform(deps.db, actor, "operator.retry-all", { target: f.target }, async () => {
    if (f.target) findTarget(deps.targets, f.target);
    const count = await reviveDeadJobs(deps.db, f);
    deps.kick?.(f.target);
    return { value: count, detail: { matching: f, count } };
  });
}

/** Retries one resource's failed jobs and those waiting out a backoff, in every target, now. */
export async function retryResource(deps: Deps, actor: Actor, type: ResourceType, id: string) {
  return perform(
    deps.db,
    actor,
    "operator.retry-resource",
    { resourceType: type, resourceId: id },
    async () => {
      const targets = await retryResourceNow(deps.db, id);
      for (const t of targets) deps.kick?.(t);
      return {
        value: targets,
        ...(targets.length
          ? {}
          : { outcome: "refused" as const, message: "Nothing to retry: no failed or waiting job" }),
        detail: { targets },
      };
    },
  );
}

/** Releases a target's held deprovisions: the ones given, or all of them. Needs the role admin. */
export async function releaseHeld(deps: Deps, actor: Actor, target: string, ids?: number[]) {
  return perform(deps.db, actor, "operator.release", { target }, async () => {
    findTarget(deps.targets, target);
    if (ids && !ids.length)
      throw new BridgeError(
        "SCIM_INVALID_VALUE",
        "Select the held deprovisions to release first (or release all)",
      );
    const count = await releaseHeldJobs(deps.db, target, ids);
    deps.kick?.(target);
    return { value: count, detail: ids ? { jobs: ids, count } : { all: true, count } };
  });
}
