// What recording one unit's delivery writes, as pure functions beside nextJobState (retry.ts): from the plan, the
// target's outcome, the job's decision and the link as the facts read it, the change of the unit's jobs, its link row
// and its audit row. record.ts persists what they return; every case has a row in
// test/sync/record-decision.test.ts.
import { isEngineMessage } from "../errors.ts";
import type { AuditRecord, LinkOutcome, ResourceType } from "../store/index.ts";
import type { Outcome } from "../targets/target.ts";
import { deliveryChange } from "./delivery-change.ts";
import { CREATED_EMPTY_AT, type UnitFacts, type UnitPlan } from "./plan.ts";
import type { JobDecision } from "./retry.ts";

/** One unit's delivery attempt as recorded. */
export interface UnitAttempt {
  resourceType: ResourceType;
  resourceId: string;
  /** The request that queued the unit's oldest job. */
  requestId?: string | null;
  /** The attempt number of the unit's oldest job in this claim. */
  attempts: number;
  /** The link as the facts read it. */
  link?: UnitFacts["link"];
  plan: UnitPlan;
  /** The target's answer, or the plan's own outcome when nothing was sent. */
  outcome: Outcome;
}

/** What the unit's jobs become (nextJobState's decision, with the code and message they show). */
export type JobChange =
  | { state: "done" }
  | { state: "pending"; delayMs: number; countAttempt: boolean; code: string; message: string }
  | { state: "dead"; code: string; message: string };

export interface UnitRecord {
  job: JobChange;
  link: LinkOutcome;
  audit?: AuditRecord;
  /** A user's membership in the target's groups changed (appeared, left, deactivated, back): its groups are queued. */
  queueGroups: boolean;
}

export interface RecordOptions {
  /** The target's name (the audit row's). */
  target: string;
  /** The target handles groups (GroupTarget): only then does a member's change queue its groups. */
  handlesGroups: boolean;
  /**
   * A later write's pre-flight refused the resource while this delivery ran (refusedSince): the status keeps that
   * refusal, since this outcome was decided from facts before it (the account id and what was sent still count).
   */
  refused?: { code: string | null; message: string | null };
  /** The target has a pre-flight (PreflightTarget): an active user's delivery that reached it passed it. */
  judges?: boolean;
}

/** What a delivery's audit row records beside its one-line detail, for the person's provisioning log. */
export interface DeliverySteps {
  operation?: string;
  /** "passed": the target's pre-flight took the user; "skipped": a deactivation, never judged. */
  preflight?: "passed" | "skipped";
  /** How the account was found (DeliveryTrace in targets/target.ts); the link sent when the target does not say. */
  match?: { by: string; targetId?: string };
  action?: string;
  code?: string;
  message?: string;
}

/** The steps of a person's provisioning log this attempt took, with the answer's code and message when it failed. */
export function deliverySteps(
  a: Pick<UnitAttempt, "plan" | "outcome">,
  judges: boolean,
  answer?: { code: string; message: string },
): DeliverySteps {
  if (a.plan.kind !== "apply") return answer ?? {};
  const { op } = a.plan;
  const match = a.outcome.match ?? (op.targetId ? { by: "link", targetId: op.targetId } : undefined);
  const judged = op.kind === "user.upsert" && judges;
  return {
    operation: op.kind,
    ...(judged || op.kind === "user.deprovision"
      ? { preflight: judged && op.user.active ? ("passed" as const) : ("skipped" as const) }
      : {}),
    ...(match ? { match } : {}),
    ...(a.outcome.action ? { action: a.outcome.action } : {}),
    ...answer,
  };
}

/** What an engine message ("Cannot read properties of undefined") is shown as: a bug of ours, not the target's. */
const ENGINE_FAILURE = "the bridge failed unexpectedly while delivering; the bridge's log has the details";

/**
 * What nextJobState decides from: the outcome, except that a group created while its members wait (the plan's
 * `thenWait`) goes back to waiting; `waiting` gives the attempt back (not a failed attempt).
 */
export function attemptOutcome(plan: UnitPlan, outcome: Outcome): { outcome: Outcome; waiting: boolean } {
  const early = plan.kind === "apply" && outcome.status === "done" ? plan.thenWait : undefined;
  return { outcome: early ?? outcome, waiting: (plan.kind === "skip" && !!plan.waiting) || !!early };
}

/** Whether a user counts as a member in the target's groups: linked there and not deprovisioned. */
function memberBefore(link: UnitAttempt["link"]): boolean {
  return !!link?.targetId && !link.deprovisioned;
}

function memberAfter(a: UnitAttempt): boolean {
  if (a.plan.kind !== "apply" || a.outcome.status !== "done") return memberBefore(a.link);
  const targetId = a.outcome.targetId ?? a.link?.targetId;
  return !!targetId && !a.plan.deprovisioning;
}

/** The rows recording attempt `a`, whose jobs nextJobState decided `decision` for (from attemptOutcome). */
export function recordDecision(a: UnitAttempt, decision: JobDecision, opts: RecordOptions): UnitRecord {
  const { plan, outcome: o } = a;
  const base = { resourceType: a.resourceType, resourceId: a.resourceId };
  const audit = (action: string, outcome: string, detail: Record<string, unknown>): AuditRecord => ({
    action,
    target: opts.target,
    ...base,
    outcome,
    detail,
    actor: "dispatcher",
    requestId: a.requestId || null,
    change: deliveryChange(plan, a.link),
  });
  /**
   * A delivery's row: its steps for the person's log and, for a done outcome, the `fields` it sent (with the
   * target's values before) as its changes.
   */
  const delivered = (
    outcome: string,
    detail: string,
    answer?: { code: string; message: string },
    done?: Outcome,
  ) => {
    const row = audit("target.deliver", outcome, { detail, ...deliverySteps(a, !!opts.judges, answer) });
    return done?.status === "done" && done.fields?.length ? { ...row, changes: done.fields } : row;
  };
  const withRefusal = (link: LinkOutcome): LinkOutcome =>
    opts.refused
      ? { ...link, state: "failed", errorCode: opts.refused.code, errorMessage: opts.refused.message }
      : link;
  const next = attemptOutcome(plan, o).outcome;
  // A group created while it waits for its members: linked now, and back to waiting.
  const created = plan.kind === "apply" && plan.thenWait && o.status === "done" ? o : undefined;
  // Any other recorded attempt of the group may have sent members: the "created empty" mark goes.
  const unmark =
    plan.kind === "apply" && !created && a.link?.sent?.[CREATED_EMPTY_AT] !== undefined ? { sent: {} } : {};

  if (decision.state === "done") {
    const targetId = o.status === "done" ? (o.targetId ?? null) : null;
    if (plan.kind === "skip")
      return { job: decision, link: withRefusal({ ...base, state: "synced", targetId }), queueGroups: false };
    return {
      job: decision,
      link: withRefusal({
        ...base,
        state: "synced",
        targetId,
        deprovisioned: plan.deprovisioning,
        ...unmark,
        ...(o.status === "done" && o.sent ? { sent: o.sent } : {}),
      }),
      audit: delivered("synced", (o.status === "done" && o.detail) || plan.op.kind, undefined, o),
      queueGroups: opts.handlesGroups && a.resourceType === "User" && memberBefore(a.link) !== memberAfter(a),
    };
  }

  const code =
    decision.state === "pending" && decision.code ? decision.code : next.status === "done" ? "" : next.code;
  // An engine message describes a bug of ours or a library's, not the target's answer: it is logged by the
  // dispatcher, and shown to SCIM clients and admins as what it is.
  const raw = next.status === "done" ? "" : next.message;
  const message = isEngineMessage(raw) ? ENGINE_FAILURE : raw;
  const error = { errorCode: code, errorMessage: message };

  if (decision.state === "pending") {
    const link = withRefusal({
      ...base,
      state: "pending",
      ...error,
      ...unmark,
      ...(created
        ? {
            targetId: created.targetId ?? null,
            sent: created.createdEmpty ? { [CREATED_EMPTY_AT]: a.attempts } : {},
          }
        : {}),
    });
    const job = {
      state: "pending" as const,
      delayMs: decision.delayMs,
      countAttempt: decision.countAttempt,
      code,
      message,
    };
    // An attempt given back (waiting, blocked target) is not audited: nothing happened to the resource.
    const row = created
      ? delivered("synced", created.detail || "group.upsert", undefined, created)
      : decision.countAttempt
        ? delivered("retry", `${code}: ${message}`, { code, message })
        : undefined;
    return { job, link, ...(row ? { audit: row } : {}), queueGroups: false };
  }

  return {
    job: { state: "dead", code, message },
    link: withRefusal({ ...base, state: "failed", ...error, ...unmark }),
    // A pre-flight refusal is audited as a write's is (target.preflight, with the fields to fix).
    audit:
      plan.kind === "skip" && plan.refusal
        ? audit("target.preflight", "failed", {
            detail: `${code}: ${message}`,
            fields: plan.refusal.map((p) => p.field),
          })
        : delivered("failed", `${code}: ${message}`, { code, message }),
    queueGroups: false,
  };
}
