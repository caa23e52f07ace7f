// The outbox writer, the directory's planner: for every accepted write, one job per target the change concerns and
// the link rows the write sets, which the directory writes in the write's own transaction. Scope (a SCIM filter per
// target) decides provision vs deprovision; pre-flight marks a target that would certainly reject the user as failed
// (and refuses the write only when no target could take it); the deletion circuit breaker holds mass deprovisions;
// an imported resource is linked to the account it came from and sent to the other targets only.
import { isDeepStrictEqual } from "node:util";
import type { Change, PlannedLink, WritePlan, WritePlanner } from "../directory/index.ts";
import { BridgeError, MAX_DETAIL_LENGTH } from "../errors.ts";
import {
  auditTarget,
  countRecentDeprovisions,
  groupsOf,
  knownTo,
  linkedUserCount,
  type NewJob,
  type Queryable,
  type ResourceSchema,
  userMemberIds,
} from "../store/index.ts";
import {
  acceptsPasswords,
  type DesiredUser,
  handlesGroups,
  hasPreflight,
  hasUserView,
  type Problem,
} from "../targets/target.ts";
import type { ConfiguredTarget } from "./configured-target.ts";
import { preflightFailure } from "./plan.ts";
import { usersInScope } from "./scope.ts";
import type { SecretBox } from "./secrets.ts";

export interface BreakerPolicy {
  windowMs: number;
  /** Hold deprovisions beyond this many per window (0 = no count limit). */
  maxCount: number;
  /** Hold deprovisions beyond this percentage of the target's linked accounts per window (0 = none). */
  maxPercent: number;
}

export interface EnqueueOptions {
  targets: ConfiguredTarget[];
  /** The User schemas a target's scope may name. */
  userSchema: ResourceSchema;
  secrets?: SecretBox;
  breaker: BreakerPolicy;
}

export function outboxWriter(opts: EnqueueOptions): WritePlanner {
  const plan = async (tx: Queryable, change: Change): Promise<WritePlan> => {
    const out: WritePlan = { jobs: [], links: sourceLinks(change) };
    const targets = notTheSource(opts.targets, change);
    if (change.type === "User") {
      await userJobs(tx, { ...opts, targets }, [change.id], change.action === "delete", change, out);
      return out;
    }
    for (const t of targets.filter((x) => handlesGroups(x.target))) {
      const deleted = change.action === "delete";
      if (!deleted || (await knownTo(tx, t.name, "Group", [change.id])).size) {
        out.jobs.push(job(t.name, "Group", change.id, deleted ? "deprovision" : "provision", change));
      }
    }
    // Members whose scope or derived fields (group rules) may have changed, in the targets where that can matter:
    // one with a scope (it may name groups) or whose mapping uses groups. Elsewhere the group's own job carries
    // the membership, and a job per member (50,000 for a large group) would change nothing.
    const dependent = opts.targets.filter((t) => t.scope || t.target.usesGroups !== false);
    if (dependent.length) {
      const affected = new Set([...(change.membersAdded ?? []), ...(change.membersRemoved ?? [])]);
      if (change.action === "update" && change.before?.data.displayName !== change.after?.data.displayName) {
        for (const id of await userMemberIds(tx, change.id)) affected.add(id);
      }
      if (affected.size)
        await userJobs(tx, { ...opts, targets: dependent }, [...affected], false, change, out);
    }
    return out;
  };
  // The common write, a user created or changed with no target scoped and no pre-flight objection: every target
  // gets a provision job, decided before the write so that the jobs go in the user's own statement. With a scoped
  // target the jobs depend on the stored row, so there is no early answer at all (the directory then goes straight
  // to its locked path instead of asking on every write).
  if (opts.targets.some((t) => t.scope)) return { plan };
  const planEarly = async (q: Queryable, change: Change): Promise<WritePlan | undefined> => {
    if (change.type !== "User" || change.action === "delete" || !change.after) return undefined;
    const cache: PreflightCache = {};
    const jobs: NewJob[] = [];
    for (const t of notTheSource(opts.targets, change)) {
      if (await unseenBy(q, t, change, cache)) continue;
      // An objection is recorded (dead job, failed link, audit row) or refuses the write: plan does both.
      if ((await preflightOf(q, t, change, cache)).length) return undefined;
      jobs.push(provisionJob(opts, t, change.id, change));
    }
    return { jobs, links: sourceLinks(change) };
  };
  return { plan, planEarly };
}

/**
 * The targets a write is planned for: all but the one an imported resource comes from (it is already there, as
 * it was read: nothing to send back into the account it was read from).
 */
function notTheSource(targets: ConfiguredTarget[], change: Change): ConfiguredTarget[] {
  const source = change.ctx.source?.target;
  return source === undefined ? targets : targets.filter((t) => t.name !== source);
}

/** An imported resource's link to the account it was read from, synced. */
function sourceLinks(change: Change): PlannedLink[] {
  const src = change.ctx.source;
  if (!src || change.action === "delete") return [];
  return [
    {
      target: src.target,
      resourceType: change.type,
      resourceId: change.id,
      targetId: src.targetId,
      state: "synced",
    },
  ];
}

/** A provision job, carrying the write's password (sealed) for targets that take passwords. */
function provisionJob(opts: EnqueueOptions, t: ConfiguredTarget, id: string, change: Change): NewJob {
  const secret =
    change.password && id === change.id && acceptsPasswords(t.target) && opts.secrets
      ? opts.secrets.seal(change.password)
      : undefined;
  return { ...job(t.name, "User", id, "provision", change), ...(secret ? { secret } : {}) };
}

/** What the targets' judgements of one write share: the user's groups, read once. */
interface PreflightCache {
  groups?: string[];
}

/**
 * The displayNames of the written user's groups, for a target whose mapping uses them: a user being created is in
 * no group yet; other writes read the groups once.
 */
async function groupsFor(q: Queryable, t: ConfiguredTarget, change: Change, cache: PreflightCache) {
  if (change.action === "create" || t.target.usesGroups === false) return [];
  cache.groups ??= ((await groupsOf(q, [change.id])).get(change.id) ?? []).map((g) => g.display);
  return cache.groups;
}

/** The written user with body `data`, as a target judges it. */
const desiredUser = (change: Change, data: Record<string, unknown>, groups: string[]): DesiredUser => ({
  scimId: change.id,
  data,
  active: data.active !== false,
  groups,
});

/**
 * Whether `t` cannot see this update: its view of the user (UserViewTarget: what its delivery reads) is as it was,
 * and the target has the user as it was (synced) or is about to (a delivery pending, which sends the state it
 * finds then: as good as this one for `t`). Then the change needs no job there, and no pre-flight either (its
 * verdict on an unchanged view is the one the pending or done delivery had). A target that failed, holds the user
 * back or never had it is sent every write, so any write retries it; a password always goes.
 */
async function unseenBy(q: Queryable, t: ConfiguredTarget, change: Change, cache: PreflightCache) {
  const state = change.status?.find((s) => s.target === t.name)?.state;
  const target = t.target;
  if (change.action !== "update" || !change.before || !change.after || change.password) return false;
  if ((state !== "synced" && state !== "pending") || !hasUserView(target)) return false;
  // The usual IdP write changes an attribute or two: when the target reads none of them, its view is unchanged.
  if (target.viewUntouched?.(change.before.data, change.after.data)) return true;
  const groups = await groupsFor(q, t, change, cache);
  const view = (data: Record<string, unknown>) => target.userView(desiredUser(change, data, groups));
  return isDeepStrictEqual(view(change.before.data), view(change.after.data));
}

/**
 * Why `t` would certainly reject the written user ([] = it would not, or it has no pre-flight). A deactivation is
 * never judged: it must reach the target whatever else the record says (the target only needs to find the account
 * to take its access away).
 */
async function preflightOf(
  q: Queryable,
  t: ConfiguredTarget,
  change: Change,
  cache: PreflightCache,
): Promise<Problem[]> {
  const target = t.target;
  if (!hasPreflight(target) || change.after!.data.active === false) return [];
  return target.preflight(desiredUser(change, change.after!.data, await groupsFor(q, t, change, cache)));
}

function job(
  target: string,
  type: "User" | "Group",
  id: string,
  action: NewJob["action"],
  change: Change,
): NewJob {
  return {
    target,
    resourceType: type,
    resourceId: id,
    action,
    ...(change.ctx.requestId ? { requestId: change.ctx.requestId } : {}),
  };
}

interface TargetPlan {
  t: ConfiguredTarget;
  provision: string[];
  deprovision: string[];
  /** The pre-flight's objections to the written user, when this target would certainly reject it. */
  problems: Problem[];
}

async function userJobs(
  tx: Queryable,
  opts: EnqueueOptions,
  ids: string[],
  deleted: boolean,
  change: Change,
  out: WritePlan,
) {
  const single = change.type === "User" && !deleted && change.after;
  const cache: PreflightCache = {};
  const plans: TargetPlan[] = [];
  for (const t of opts.targets) {
    // The written user exists (it is in this transaction): without a scope it is in it, no query needed.
    const inScope = deleted
      ? new Set<string>()
      : single && !t.scope
        ? new Set(ids)
        : await usersInScope(tx, opts.userSchema, t, ids);
    const provision = ids.filter((id) => inScope.has(id));
    const outOfScope = ids.filter((id) => !inScope.has(id));
    const deprovision = outOfScope.length ? [...(await knownTo(tx, t.name, "User", outOfScope))] : [];
    const problems = single && provision.length ? await preflightOf(tx, t, change, cache) : [];
    plans.push({ t, provision, deprovision, problems });
  }
  // An imported user is already in the target it was read from: that one takes it, whatever the others say.
  if (!change.ctx.source) refuseIfNoTargetTakes(plans);

  for (const { t, provision, deprovision, problems } of plans) {
    if (problems.length) await recordRefusal(tx, t, change, problems, out);
    else for (const id of provision) out.jobs.push(provisionJob(opts, t, id, change));
    if (!deprovision.length) continue;
    const held = await breakerTrips(tx, t.name, deprovision.length, opts.breaker);
    for (const id of deprovision) {
      out.jobs.push({
        ...job(t.name, "User", id, "deprovision", change),
        ...(held ? { state: "held" as const } : {}),
      });
    }
  }
}

/**
 * The acceptance rule: a user some in-scope target's pre-flight refuses is still stored when another in-scope target
 * can take it; the write is refused only when none can, or when a refusing target is configured `preflight: reject`.
 * A write that takes access away somewhere (a target loses the user) is never refused: refusing it would roll back
 * that deprovision, leaving an offboarded user's access to wait on an unrelated field.
 */
export function refusal(
  plans: { name: string; inScope: boolean; problems: Problem[]; reject: boolean }[],
  takesAccessAway = false,
): string | undefined {
  if (takesAccessAway) return undefined;
  const inScope = plans.filter((p) => p.inScope);
  const refusing = inScope.filter((p) => p.problems.length);
  if (!refusing.length) return undefined;
  const blocking = refusing.filter((p) => p.reject);
  const named = blocking.length ? blocking : refusing.length === inScope.length ? refusing : [];
  if (!named.length) return undefined;
  const full = named
    .map((p) => `Target "${p.name}" would reject this user: ${p.problems.map((x) => x.detail).join("; ")}`)
    .join(". ");
  return full.length <= MAX_DETAIL_LENGTH ? full : briefRefusal(named);
}

/**
 * Every refusing target within one SCIM detail (which is cut at MAX_DETAIL_LENGTH): each names its fields, then as
 * much of its reasons as an equal share of the room allows, so no target's reason is cut off by another's.
 */
function briefRefusal(named: { name: string; problems: Problem[] }[]): string {
  const heads = named.map(
    (p) =>
      `Target "${p.name}" would reject this user: ${[...new Set(p.problems.map((x) => x.field))].join(", ")}`,
  );
  const fixed = heads.reduce((n, h) => n + h.length, 0) + (named.length - 1) * ". ".length;
  const share = Math.floor((MAX_DETAIL_LENGTH - fixed) / named.length) - " — …".length;
  return named
    .map((p, i) => {
      if (share < 20) return heads[i];
      const reasons = p.problems.map((x) => x.detail).join("; ");
      return `${heads[i]} — ${reasons.length <= share ? reasons : `${reasons.slice(0, share).trimEnd()}…`}`;
    })
    .join(". ");
}

function refuseIfNoTargetTakes(plans: TargetPlan[]) {
  const why = refusal(
    plans.map((p) => ({
      name: p.t.name,
      inScope: p.provision.length > 0,
      problems: p.problems,
      reject: p.t.preflight === "reject",
    })),
    plans.some((p) => p.deprovision.length > 0),
  );
  if (why) throw new BridgeError("MAPPING_INVALID_FIELD", why);
}

/** Stored, but this target can't take it: a dead job, a failed status and an audit row, all with the pre-flight's reason. */
async function recordRefusal(
  tx: Queryable,
  t: ConfiguredTarget,
  change: Change,
  problems: Problem[],
  out: WritePlan,
) {
  const { code: errorCode, message: errorMessage } = preflightFailure(problems);
  out.jobs.push({
    ...job(t.name, "User", change.id, "provision", change),
    state: "dead",
    errorCode,
    errorMessage,
  });
  out.links.push({
    target: t.name,
    resourceType: "User",
    resourceId: change.id,
    state: "failed",
    errorCode,
    errorMessage,
  });
  await auditTarget(tx, t.name, "target.preflight", [
    {
      resourceType: "User",
      resourceId: change.id,
      outcome: "failed",
      detail: { detail: `${errorCode}: ${errorMessage}`, fields: problems.map((p) => p.field) },
      // The change it stopped: an update where the write knew an account there.
      change: change.status?.some((s) => s.target === t.name && s.targetId) ? "updated" : "created",
      ...(change.ctx.requestId ? { requestId: change.ctx.requestId } : {}),
      ...(change.ctx.actor ? { actor: change.ctx.actor } : {}),
    },
  ]);
}

/** Whether queuing `adding` more deprovisions for a target would pass the breaker's threshold. */
export async function breakerTrips(
  tx: Queryable,
  target: string,
  adding: number,
  p: BreakerPolicy,
): Promise<boolean> {
  if (!p.maxCount && !p.maxPercent) return false;
  const recent = (await countRecentDeprovisions(tx, target, new Date(Date.now() - p.windowMs))) + adding;
  if (p.maxCount && recent > p.maxCount) return true;
  if (p.maxPercent) {
    const linked = await linkedUserCount(tx, target);
    // A percentage of a handful of accounts says nothing; the count limit covers small targets.
    if (linked >= 20 && (recent * 100) / linked > p.maxPercent) return true;
  }
  return false;
}
