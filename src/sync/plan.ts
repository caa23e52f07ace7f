// What one claimed unit (a resource in a target) calls for, from the resource's current state and its link:
// a pure function, so every case has a row in test/sync/plan-unit.test.ts.
import type { DeliveryCode } from "../errors.ts";
import {
  createsGroupsApart,
  type DesiredGroup,
  type DesiredUser,
  handlesGroups,
  hasPreflight,
  type Operation,
  type Outcome,
  type Problem,
  type Target,
} from "../targets/target.ts";

export interface UnitFacts {
  resourceType: "User" | "Group";
  resourceId: string;
  /**
   * Another worker took the unit over (its lease ran out) before these facts were read: nothing is sent from them,
   * since an old "active" would undo the newer worker's deactivation.
   */
  claimLost?: boolean;
  /** The current SCIM body; undefined once the resource is deleted. */
  current?: Record<string, unknown>;
  /** The last body of a deleted resource, kept until every target has confirmed. */
  tombstone?: Record<string, unknown>;
  /** The link to this target, if any attempt was ever recorded or queued. */
  link?: { targetId: string | null; deprovisioned: boolean; sent?: Record<string, unknown> };
  /** Users: whether the target's scope takes the user now. */
  inScope?: boolean;
  /** Users: display names of the user's direct groups, for group rules. */
  groups?: string[];
  /** Users: a queued password, for targets that accept one. */
  password?: string;
  /** Groups: target ids of the members linked (and not deprovisioned) there; members still being provisioned. */
  members?: { linked: string[]; waiting: number };
  /** How long the unit's oldest job has been queued (ms). */
  queuedForMs?: number;
  /** Which attempt of the unit's oldest job this claim is (a takeover after a crash counts one more). */
  attempt?: number;
}

/** What the dispatcher plans with besides the facts: what the target can do. */
export interface PlanOptions {
  /** False: the target does not handle groups (GroupTarget); group work queued before it stopped is not its to do. */
  handlesGroups?: boolean;
  /** The target creates a group in a call apart from adding its members (GroupTarget.createsGroupsApart). */
  createsGroupsApart?: boolean;
  /**
   * The target's pre-flight (PreflightTarget.preflight), when it has one. Every delivery of an active user passes it,
   * whatever queued the work (a SCIM write, a retry, "provision now", reconcile or import): a user it objects to
   * fails with its reason, naming the attribute to fix, and the target is not called.
   */
  preflight?: (user: DesiredUser) => Problem[];
}

/** What `target` can do, as planUnit plans with it. */
export function planOptions(target: Target): PlanOptions {
  return {
    handlesGroups: handlesGroups(target),
    createsGroupsApart: createsGroupsApart(target),
    ...(hasPreflight(target) ? { preflight: (u: DesiredUser) => target.preflight(u) } : {}),
  };
}

/** A pre-flight's objections as the failure they record (the dead job, the failed status, the audit row). */
export function preflightFailure(problems: Problem[]): Extract<Outcome, { status: "failed" }> {
  return { status: "failed", code: problems[0]!.code, message: problems.map((p) => p.detail).join("; ") };
}

/**
 * Kept with a group's link (in `sent`) by record.ts when the target created the group empty while the group
 * waited for its members: the attempt number of its job then. Its last delivery, claimed at that same attempt
 * number, knows the group holds no members (nothing was sent since: a recorded attempt clears the mark, and a
 * takeover after a crash counts one more attempt), so the target need not read them.
 */
export const CREATED_EMPTY_AT = "createdEmptyAtAttempt";

export type UnitPlan =
  /** Send this operation; `deprovisioning` marks the link as deprovisioned once it is done. */
  | {
      kind: "apply";
      op: Operation;
      deprovisioning: boolean;
      /** Once applied, the unit goes back to waiting with this outcome (a group created while its members are). */
      thenWait?: Extract<Outcome, { status: "retry" }>;
    }
  /** Nothing to send now; record this outcome. `waiting` = not a failed attempt (a group waits for members). */
  | {
      kind: "skip";
      outcome: Outcome;
      waiting?: boolean;
      /** The target's pre-flight refused the user (the outcome is its failure): recorded as a write's refusal is. */
      refusal?: Problem[];
    };

/** How long a group waits when a member's own provisioning is still queued in this target. */
export const WAIT_FOR_MEMBERS_MS = 500;
/**
 * The longest a group's delivery waits for members: waiting saves a group being sent again for each member during a
 * load, but a member stuck behind a held deprovision or a long backoff must not delay taking others out of the
 * group. After this the group goes with the members it has; the others re-queue it when they are provisioned.
 */
export const MAX_WAIT_FOR_MEMBERS_MS = 60_000;

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

export function planUnit(f: UnitFacts, opts: PlanOptions = {}): UnitPlan {
  const key = f.resourceId;
  const targetId = f.link?.targetId ?? undefined;
  const withId = targetId ? { targetId } : {};
  if (f.claimLost)
    return {
      kind: "skip",
      outcome: {
        status: "retry",
        code: "CLAIM_LOST" satisfies DeliveryCode,
        message: "taken over by another worker",
      },
    };
  if (f.resourceType === "Group" && opts.handlesGroups === false)
    return { kind: "skip", outcome: { status: "done", detail: "this target does not handle groups" } };
  if (f.resourceType === "User") {
    if (f.current && f.inScope) {
      const user: DesiredUser = {
        scimId: key,
        data: f.current,
        active: f.current.active !== false,
        groups: f.groups ?? [],
        ...(f.password ? { password: f.password } : {}),
      };
      // A deactivation is never judged: it must reach the target whatever else the record says.
      const problems = user.active && opts.preflight ? opts.preflight(user) : [];
      if (problems.length) return { kind: "skip", outcome: preflightFailure(problems), refusal: problems };
      return {
        kind: "apply",
        op: { kind: "user.upsert", key, ...withId, ...(f.link?.sent ? { sent: f.link.sent } : {}), user },
        deprovisioning: !user.active,
      };
    }
    // Deleted or out of scope. A job exists only when the target may hold an account, and whether an earlier
    // attempt reached it is unknown (its answer may have been lost), so deprovision every time: it is idempotent,
    // and without a link the target finds the account by the correlation keys of the last known body.
    const data = f.current ?? f.tombstone;
    if (!targetId && !data)
      return { kind: "skip", outcome: { status: "done", detail: "nothing to find the account by" } };
    const user: DesiredUser | undefined = data
      ? { scimId: key, data, active: false, groups: f.groups ?? [] }
      : undefined;
    return {
      kind: "apply",
      op: { kind: "user.deprovision", key, ...withId, ...(user ? { user } : {}) },
      deprovisioning: true,
    };
  }
  if (f.current) {
    const m = f.members ?? { linked: [], waiting: 0 };
    const externalId = str(f.current.externalId);
    const upsert = (members: Pick<DesiredGroup, "memberTargetIds" | "membersLater" | "knownEmpty">) => ({
      kind: "group.upsert" as const,
      key,
      ...withId,
      group: {
        scimId: key,
        displayName: String(f.current?.displayName),
        ...(externalId ? { externalId } : {}),
        ...members,
      },
    });
    if (m.waiting > 0 && (f.queuedForMs ?? 0) < MAX_WAIT_FOR_MEMBERS_MS) {
      const wait = {
        status: "retry" as const,
        code: "WAITING_FOR_MEMBERS" as const,
        message: `${m.waiting} member(s) not provisioned yet`,
        delayMs: WAIT_FOR_MEMBERS_MS,
      };
      // The create does not depend on the members: sent now, it overlaps their provisioning.
      if (opts.createsGroupsApart && !targetId)
        return {
          kind: "apply",
          op: upsert({ memberTargetIds: [], membersLater: true }),
          deprovisioning: false,
          // Looked at again at once: the members may have been provisioned while the group was created.
          thenWait: { ...wait, delayMs: 0 },
        };
      return { kind: "skip", waiting: true, outcome: wait };
    }
    const mark = f.link?.sent?.[CREATED_EMPTY_AT];
    const knownEmpty = !!targetId && f.attempt !== undefined && mark === f.attempt;
    return {
      kind: "apply",
      op: upsert({ memberTargetIds: m.linked, ...(knownEmpty ? { knownEmpty: true as const } : {}) }),
      deprovisioning: false,
    };
  }
  const displayName = str(f.tombstone?.displayName);
  if (!targetId && !displayName)
    return { kind: "skip", outcome: { status: "done", detail: "nothing to find the group by" } };
  return {
    kind: "apply",
    op: { kind: "group.delete", key, ...withId, ...(displayName ? { displayName } : {}) },
    deprovisioning: true,
  };
}
