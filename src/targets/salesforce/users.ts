// user.upsert and user.deprovision for one batch: map, link (by Id, else by the correlation keys: all the
// queries in one /composite call), then create and update through sObject Collections, together in one
// more /composite call. A linked user whose link remembers what was last written skips the read: what changed since
// is written by Id. Users are never deleted.
import { diffFields } from "../../mapping/index.ts";
import { sentFields } from "../shared/sent-fields.ts";
import type { DeliveryTrace, DesiredUser, Operation, Outcome } from "../target.ts";
import { writeCollections } from "./composite.ts";
import { errorOutcome, onlyErrors, type SalesforceContext, saveOutcome } from "./context.ts";
import { BASE_FIELDS, type Found, linkExisting } from "./correlate.ts";
import { SALESFORCE_FIELDS } from "./field-semantics.ts";
import { mapSalesforceUser, SALESFORCE_MAPPING_READS } from "./mapping.ts";
import { changedSinceSynced, isPending, lastSynced, remembered } from "./memory.ts";

type UpsertOp = Extract<Operation, { kind: "user.upsert" }>;
type DeprovisionOp = Extract<Operation, { kind: "user.deprovision" }>;
export type Indexed<T> = { index: number; op: T };

const ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/** Keys a mapping derives that are not User fields: applied as assignments or resolved to an Id. */
const DERIVED_KEYS = new Set(["ProfileName", "permissionSets", "publicGroups", "siteRole", "authSetting"]);
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
export interface UserPlan {
  index: number;
  op: UpsertOp;
  /** User fields to write; null = "clear on update, omit on create". */
  fields: Record<string, unknown>;
  profileName?: string;
  /** Present when the mapping manages the list for this user (possibly empty: remove everything managed). */
  permissionSets?: string[];
  publicGroups?: string[];
}

/** A user that exists in Salesforce (as desired, or linked with its write refused); its assignments come next. */
export interface SyncedUser {
  plan: UserPlan;
  userId: string;
  created: boolean;
}

const asNames = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x.trim() !== "") : undefined;

/** The Salesforce view of one SCIM user: User fields plus the derived keys, before Ids are resolved. */
export function planUser(ctx: SalesforceContext, index: number, op: UpsertOp): UserPlan {
  const mapped = mapSalesforceUser(ctx.mapping, { user: op.user.data, groups: op.user.groups });
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(mapped)) {
    if (!DERIVED_KEYS.has(key) && FIELD_NAME.test(key)) fields[key] = value;
  }
  // The bridge's own active flag is authoritative (a SCIM delete or leaving the scope also deactivates).
  fields.IsActive = op.user.active;
  const plan: UserPlan = { index, op, fields };
  if (typeof mapped.ProfileName === "string") plan.profileName = mapped.ProfileName;
  const sets = asNames(mapped.permissionSets);
  if (sets) plan.permissionSets = sets;
  const groups = asNames(mapped.publicGroups);
  if (groups) plan.publicGroups = groups;
  return plan;
}

/**
 * What a delivery of `user` reads of it (UserViewTarget): its mapped fields (planUser), the active flag and the
 * manager (resolveReferences). Whatever else planUser or resolveReferences comes to read belongs here too.
 */
export function salesforceUserView(ctx: Pick<SalesforceContext, "mapping">, user: DesiredUser): unknown {
  return {
    mapped: mapSalesforceUser(ctx.mapping, { user: user.data, groups: user.groups }),
    active: user.active,
    manager: managerScimId(user) ?? null,
  };
}

/**
 * What salesforceUserView reads of the user beside the mapping's fields (entitlements, its extension, active and
 * the enterprise extension's manager), for UserViewTarget.viewUntouched (mappingUntouched).
 */
export const SALESFORCE_VIEW_ALSO_READS: ReadonlySet<string> = new Set([
  ...SALESFORCE_MAPPING_READS,
  "active",
  ENTERPRISE_URN.toLowerCase(),
]);

function managerScimId(user: DesiredUser): string | undefined {
  const enterprise = user.data[ENTERPRISE_URN] as { manager?: { value?: unknown } } | undefined;
  const value = enterprise?.manager?.value;
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Profile names → ProfileId, and the SCIM manager → ManagerId; plans that cannot be resolved fail here. */
async function resolveReferences(
  ctx: SalesforceContext,
  plans: UserPlan[],
  outcomes: Outcome[],
): Promise<UserPlan[]> {
  // Ids go through the lookup too, so a 15-character Id compares equal to the 18-character one Salesforce returns.
  const names = plans.flatMap(
    (p) => p.profileName ?? (typeof p.fields.ProfileId === "string" ? p.fields.ProfileId : []),
  );
  const profiles = names.length > 0 ? await ctx.profiles.resolve(names) : new Map<string, string>();
  const managers = new Map<string, string | undefined>();
  if (ctx.resolveLink) {
    const ids = [...new Set(plans.flatMap((p) => managerScimId(p.op.user) ?? []))];
    const resolve = ctx.resolveLink;
    await Promise.all(ids.map(async (id) => managers.set(id, await resolve(id))));
  }
  return plans.filter((plan) => {
    if (plan.profileName) {
      const id = profiles.get(plan.profileName.toLowerCase());
      if (!id) {
        outcomes[plan.index] = {
          status: "failed",
          code: "PROFILE_NOT_FOUND",
          message: `No Salesforce Profile is named "${plan.profileName}"; fix the mapping's ProfileId (a profile name or an 00e… Id)`,
        };
        return false;
      }
      plan.fields.ProfileId = id;
    } else if (typeof plan.fields.ProfileId === "string") {
      // An unknown Id is left for Salesforce to refuse (INVALID_CROSS_REFERENCE_KEY).
      plan.fields.ProfileId = profiles.get(plan.fields.ProfileId.toLowerCase()) ?? plan.fields.ProfileId;
    }
    const manager = managerScimId(plan.op.user);
    const managerId = manager ? managers.get(manager) : undefined;
    // An unlinked manager is left as is rather than cleared: it may simply not be provisioned yet.
    if (managerId) plan.fields.ManagerId = managerId;
    return true;
  });
}

/** A new User: every mapped field that has a value. */
function createRecord(plan: UserPlan): Record<string, unknown> {
  return Object.fromEntries(Object.entries(plan.fields).filter(([, v]) => v !== null && v !== undefined));
}

type UserRecord = { Id: string } & Record<string, unknown>;

interface UserUpdate {
  index: number;
  /** Absent for a deactivation. */
  plan?: UserPlan;
  record: UserRecord;
  /** Written by the linked Id without reading the record first (what changed since the link's last delivery). */
  unread?: true;
  /** How the account was found (the person's provisioning log). */
  match: NonNullable<DeliveryTrace["match"]>;
  /** The values before, for the audit: the record as read, or (unread) as the last delivery wrote it. */
  before?: Record<string, unknown>;
}

/** How Salesforce refuses an update by an Id whose record is gone (deleted, or another org after a sandbox refresh). */
const RECORD_GONE = ["ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND"] as const;

export async function applyUserOps(
  ctx: SalesforceContext,
  upserts: Indexed<UpsertOp>[],
  deprovisions: Indexed<DeprovisionOp>[],
  outcomes: Outcome[],
): Promise<SyncedUser[]> {
  let plans: UserPlan[] = [];
  // Deactivating only needs the account: it goes the deprovision way (IsActive=false alone), so that nothing else in
  // the record (an unknown profile, a field Salesforce refuses) can keep an offboarded user active.
  const deactivations = upserts
    .filter(({ op }) => !op.user.active)
    .map(
      ({ index, op }): Indexed<DeprovisionOp> => ({
        index,
        op: {
          kind: "user.deprovision",
          key: op.key,
          user: op.user,
          ...(op.targetId ? { targetId: op.targetId } : {}),
        },
      }),
    );
  for (const { index, op } of upserts) {
    if (!op.user.active) continue;
    try {
      plans.push(planUser(ctx, index, op));
    } catch (e) {
      outcomes[index] = { status: "failed", code: "MAPPING_ERROR", message: (e as Error).message };
    }
  }
  const synced: SyncedUser[] = [];
  const planned = plans;
  try {
    plans = await resolveReferences(ctx, plans, outcomes);
  } catch (e) {
    for (const plan of plans) outcomes[plan.index] ??= errorOutcome(ctx, e);
    plans = [];
  }
  keepAssignments(planned, outcomes, synced);
  plans = plans.filter((p) => outcomes[p.index] === undefined);

  // A linked user whose link remembers the fields last written gets what changed since, by Id, in the same call as
  // the batch's other writes: no read. IsActive goes too (a deprovision since then is not remembered). Nothing
  // changed (a re-sync, a repair) reads the record and writes what differs, so drift made in Salesforce is repaired.
  const updates: UserUpdate[] = [];
  const toRead: UserPlan[] = [];
  for (const plan of plans) {
    const changed = plan.op.targetId ? changedSinceSynced(plan) : undefined;
    if (!changed?.length) {
      toRead.push(plan);
      continue;
    }
    const record: UserRecord = { Id: plan.op.targetId as string, IsActive: true };
    for (const field of changed) record[field] = plan.fields[field] ?? null;
    const before = lastSynced(plan);
    updates.push({
      index: plan.index,
      plan,
      record,
      unread: true,
      match: { by: "link", targetId: record.Id },
      ...(before ? { before } : {}),
    });
  }
  // Salesforce users cannot be deleted; deprovisioning takes their licence back by deactivating.
  for (const { index, targetId, by } of await deprovisionTargets(
    ctx,
    [...deprovisions, ...deactivations],
    outcomes,
  ))
    updates.push({ index, record: { Id: targetId, IsActive: false }, match: { by, targetId } });

  const gone = await syncUsers(ctx, toRead, updates, outcomes, synced);
  // Written by an Id whose record is gone: found again by the keys (or created) as an unknown account is.
  if (gone.length > 0) await syncUsers(ctx, gone, [], outcomes, synced);
  if (ctx.config.policies.resetPasswordEmailOnCreate) await sendPasswordEmails(ctx, synced);
  return synced;
}

/**
 * A linked user whose record this batch cannot write (an unknown profile, a refused field) still exists: its
 * permission sets and public groups follow SCIM all the same, or access granted by a group the user has left
 * would outlive the group. The outcome stays the refusal.
 */
function keepAssignments(plans: UserPlan[], outcomes: Outcome[], synced: SyncedUser[]) {
  for (const plan of plans)
    if (outcomes[plan.index]?.status === "failed" && plan.op.targetId)
      synced.push({ plan, userId: plan.op.targetId, created: false });
}

/**
 * Reads the records of `toRead` (linkExisting), then creates the missing and updates what differs, together with
 * `updates`, in one /composite call for a batch of 200. Returns the plans written unread whose record is gone.
 */
async function syncUsers(
  ctx: SalesforceContext,
  toRead: UserPlan[],
  updates: UserUpdate[],
  outcomes: Outcome[],
  synced: SyncedUser[],
): Promise<UserPlan[]> {
  let plans = toRead;
  let linked: Found = new Map();
  try {
    linked = await linkExisting(ctx, plans, outcomes);
  } catch (e) {
    for (const plan of plans) outcomes[plan.index] ??= errorOutcome(ctx, e);
  }
  keepAssignments(plans, outcomes, synced);
  plans = plans.filter((p) => outcomes[p.index] === undefined);

  const toCreate: UserPlan[] = [];
  for (const plan of plans) {
    const current = linked.get(plan);
    if (!current) {
      toCreate.push(plan);
      continue;
    }
    const match = { by: linked.by?.get(plan) ?? "link", targetId: current.Id };
    const changed = diffFields(plan.fields, current, SALESFORCE_FIELDS).filter((f) => !isPending(plan, f));
    if (changed.length === 0) {
      outcomes[plan.index] = {
        status: "done",
        targetId: current.Id,
        ...remembered(plan),
        match,
        action: "unchanged",
      };
      synced.push({ plan, userId: current.Id, created: false });
    } else {
      const record: UserRecord = { Id: current.Id };
      for (const field of changed) record[field] = plan.fields[field] ?? null;
      updates.push({ index: plan.index, plan, record, match, before: current });
    }
  }

  const creates = toCreate.map(createRecord);
  const [created = [], updated = []] = await writeCollections(ctx, [
    { op: "create", type: "User", records: creates },
    { op: "update", type: "User", records: updates.map((u) => u.record) },
  ]);
  toCreate.forEach((plan, i) => {
    const result = created[i];
    const failure = saveOutcome(ctx, result);
    outcomes[plan.index] = {
      ...(failure ?? {
        status: "done",
        targetId: String(result?.id),
        ...remembered(plan),
        fields: sentFields(creates[i]!),
      }),
      // No account was found by any key: the one created is named beside it.
      match: failure ? { by: "none" } : { by: "none", targetId: String(result?.id) },
      action: "create",
    };
    if (!failure) synced.push({ plan, userId: String(result?.id), created: true });
  });
  const lost: UserPlan[] = [];
  updates.forEach((u, i) => {
    const result = updated[i];
    if (u.unread && u.plan && onlyErrors(result, RECORD_GONE)) {
      lost.push(u.plan);
      return;
    }
    let failure = saveOutcome(ctx, result);
    const gone = !!failure && /NOT_FOUND|ENTITY_IS_DELETED/.test(failure.code);
    // A deprovisioned user that no longer exists is as deprovisioned as it gets.
    if (gone && !u.plan && failure?.status === "failed") failure = undefined;
    const { Id, ...written } = u.record;
    outcomes[u.index] = {
      ...(failure ?? {
        status: "done",
        targetId: Id,
        ...(u.plan ? remembered(u.plan, u.record) : {}),
        fields: sentFields(written, u.before),
      }),
      match: u.match,
      action: u.plan ? "update" : "deactivate",
    };
    // Refused or not, the user exists (unless Salesforce says it is gone): its assignments follow SCIM.
    if (u.plan && !gone) synced.push({ plan: u.plan, userId: u.record.Id, created: false });
  });
  return lost;
}

/**
 * The user id each deprovision acts on: its link, else the user found by the correlation keys of the last known
 * body (the create's answer may have been lost, so an account can exist that the bridge never linked). Those
 * found nowhere are done.
 */
async function deprovisionTargets(
  ctx: SalesforceContext,
  deprovisions: Indexed<DeprovisionOp>[],
  outcomes: Outcome[],
): Promise<{ index: number; targetId: string; by: string }[]> {
  const out: { index: number; targetId: string; by: string }[] = [];
  const lookups: UserPlan[] = [];
  for (const { index, op } of deprovisions) {
    if (op.targetId) out.push({ index, targetId: op.targetId, by: "link" });
    else if (op.user) {
      try {
        lookups.push(planUser(ctx, index, { kind: "user.upsert", key: op.key, user: op.user }));
      } catch (e) {
        outcomes[index] = { status: "failed", code: "MAPPING_ERROR", message: (e as Error).message };
      }
    } else
      outcomes[index] = {
        status: "done",
        detail: "no link and no record to find the account by",
        match: { by: "none" },
        action: "none",
      };
  }
  if (lookups.length === 0) return out;
  try {
    // Only the correlation keys are read: a mapped field the org cannot query must not keep anyone active.
    const found = await linkExisting(ctx, lookups, outcomes, BASE_FIELDS.join(", "));
    for (const plan of lookups) {
      const record = found.get(plan);
      if (record) out.push({ index: plan.index, targetId: record.Id, by: found.by?.get(plan) ?? "link" });
      else
        outcomes[plan.index] ??= {
          status: "done",
          detail: "no Salesforce user found; nothing to deprovision",
          match: { by: "none" },
          action: "none",
        };
    }
  } catch (e) {
    for (const plan of lookups) outcomes[plan.index] ??= errorOutcome(ctx, e);
  }
  return out;
}

/** Salesforce's "set your password" email for new active users; a failure is logged, the user stays created. */
async function sendPasswordEmails(ctx: SalesforceContext, synced: SyncedUser[]): Promise<void> {
  const fresh = synced.filter((s) => s.created && s.plan.fields.IsActive !== false);
  await Promise.all(
    fresh.map(async (s) => {
      try {
        await ctx.client.request("DELETE", `/sobjects/User/${s.userId}/password`);
      } catch (e) {
        ctx.logger?.warn(
          { userId: s.userId, err: (e as Error).message },
          "Salesforce password reset email failed",
        );
      }
    }),
  );
}
