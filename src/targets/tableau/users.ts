// Tableau site users: idempotent upsert (correlated by name), deprovision by policy, listing.
import { diffFields, type MappedFields } from "../../mapping/index.ts";
import { sentFields } from "../shared/sent-fields.ts";
import type { DeliveryTrace, DesiredUser, Outcome, Problem, SentField, TargetAccount } from "../target.ts";
import { hasCode, isNotFound, TableauError, USER_EXISTS } from "./client/errors.ts";
import type { TableauContext } from "./context.ts";
import { TABLEAU_FIELDS } from "./field-semantics.ts";
import { mapTableauUser, TABLEAU_MAPPING_READS, validateTableauUser } from "./mapping.ts";
import { highestSiteRole } from "./roles.ts";

export interface TableauUser {
  id: string;
  name: string;
  siteRole: string;
  fullName?: string;
  email?: string;
  authSetting?: string;
  lastLogin?: string;
}

/** Fields the bridge keeps in step on an existing user; `name` is the correlation key and never changes. */
const UPDATABLE = ["fullName", "email", "siteRole", "authSetting"] as const;

const LUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function mapUser(ctx: TableauContext, user: DesiredUser): MappedFields {
  return mapTableauUser(ctx.mapping, { user: user.data, groups: user.groups });
}

/** What a delivery of `user` reads of it (UserViewTarget): its mapped fields and the active flag. */
export function tableauUserView(ctx: TableauContext, user: DesiredUser): unknown {
  return { mapped: mapUser(ctx, user), active: user.active };
}

/**
 * What tableauUserView reads of the user beside the mapping's fields (its extensions, and active), for
 * UserViewTarget.viewUntouched (mappingUntouched).
 */
export const TABLEAU_VIEW_ALSO_READS: ReadonlySet<string> = new Set([...TABLEAU_MAPPING_READS, "active"]);

/** The site user name (the correlation key) the mapping gives this user; "" when it gives none. */
export function userName(ctx: TableauContext, user: DesiredUser): string {
  const name = mapUser(ctx, user).name;
  return typeof name === "string" ? name : "";
}

/** Why Tableau would refuse this user; a user being deactivated only needs a name. */
export function preflightUser(ctx: TableauContext, user: DesiredUser): Problem[] {
  const problems = validateTableauUser(mapUser(ctx, user), { mapping: ctx.mapping });
  return user.active ? problems : problems.filter((p) => p.field === "name");
}

export async function getUser(ctx: TableauContext, id: string): Promise<TableauUser | undefined> {
  try {
    return (await ctx.client.site<{ user: TableauUser }>("GET", `/users/${id}`))?.user;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Site user names are unique ignoring case, so correlation ignores case too. */
export async function findUserByName(ctx: TableauContext, name: string): Promise<TableauUser | undefined> {
  const body = await ctx.client.site<{ users?: { user?: TableauUser[] } }>("GET", "/users", {
    query: { filter: `name:cieq:${name}`, fields: "_all_" },
  });
  const users = body?.users?.user ?? [];
  return users.find((u) => u.name.toLowerCase() === name.toLowerCase());
}

/** The role to write: with licence-on-sign-in, a role Tableau granted at sign-in is not taken back. */
function roleToWrite(ctx: TableauContext, wanted: string, current: string): string {
  const grant = ctx.config.policies.grantLicenseOnSignIn;
  if (grant && current === grant.minimumSiteRole && highestSiteRole([wanted, current]) === current)
    return current;
  return wanted;
}

/** user.upsert: link or add by name, then bring fullName, email, siteRole and authSetting in line. */
export async function upsertUser(
  ctx: TableauContext,
  user: DesiredUser,
  targetId?: string,
  sent?: Record<string, unknown>,
  /** The linked user as a batch lookup found it (null: not on the site); undefined = read it here. */
  known?: TableauUser | null,
): Promise<Outcome> {
  const fields = mapUser(ctx, user);
  const name = typeof fields.name === "string" ? fields.name : "";
  if (!user.active) return deprovisionUser(ctx, targetId, name);
  // Other pre-flight problems (a bad role…) were refused upstream; if one slips through, Tableau's own
  // code (400013…) is the clearer report. Without a name there is nothing to send.
  const missingName = name === "" ? preflightUser(ctx, user).find((p) => p.field === "name") : undefined;
  if (missingName) return { status: "failed", code: missingName.code, message: missingName.detail };
  const siteRole = String(fields.siteRole);

  let existing = targetId
    ? known !== undefined
      ? (known ?? undefined)
      : await getUser(ctx, targetId)
    : undefined;
  let detail = existing ? "updated" : "linked to the existing site user";
  let match: DeliveryTrace["match"] = existing ? { by: "link", targetId: existing.id } : undefined;
  let added: SentField[] = [];
  if (!existing) {
    // Adding first is one call for the common case; 409017 says the name is taken, so link to it.
    try {
      const user = { name, siteRole, ...(fields.authSetting ? { authSetting: fields.authSetting } : {}) };
      const answer = await ctx.client.site<{ user: TableauUser }>("POST", "/users", { body: { user } });
      const created = answer?.user;
      if (!created?.id)
        throw new TableauError(0, "NO_USER_ID", "Add user", "Tableau answered without a user id");
      existing = { ...created, fullName: "", email: "" };
      detail = "created";
      match = { by: "none", targetId: existing.id };
      added = sentFields(user);
      if (existing.siteRole !== siteRole) {
        // Tableau adds the user Unlicensed when no licence is free rather than refusing the add.
        return {
          status: "done",
          targetId: existing.id,
          detail: `created as ${existing.siteRole}: no licence was free for ${siteRole}`,
          match,
          action: "create",
          fields: added,
        };
      }
    } catch (e) {
      if (!hasCode(e, ...USER_EXISTS)) throw e;
      existing = await findUserByName(ctx, name);
      if (!existing) throw e;
      match = { by: "name", targetId: existing.id };
    }
  }

  const done = await bringInLine(ctx, existing, fields, detail, sent);
  const traced = { ...done, match, ...(detail === "created" ? { action: "create" as const } : {}) };
  if (traced.status !== "done" || !added.length) return traced;
  // A new user's update writes what the add could not: both are what this delivery sent.
  const later = traced.fields?.filter((f) => !added.some((a) => a.path === f.path)) ?? [];
  return { ...traced, fields: [...added, ...later] };
}

/** The fields to keep in step on an existing user, as the mapping gives them. */
export function desiredFields(ctx: TableauContext, fields: MappedFields, current: TableauUser): MappedFields {
  const desired: MappedFields = {};
  for (const f of UPDATABLE) if (fields[f] !== undefined && fields[f] !== null) desired[f] = fields[f];
  desired.siteRole = roleToWrite(ctx, String(fields.siteRole), current.siteRole);
  return desired;
}

/**
 * Fields a site may keep as it likes: Tableau Cloud ignores fullName on update (the IdP supplies it) and email
 * before API 3.26. Once sent and not taken, they are not sent again until the SCIM value changes.
 */
export const HOLDABLE = ["fullName", "email"] as const;

/** The held fields among `changed`: sent before with the same value, so the site chose to keep its own. */
export function heldFields(
  changed: readonly string[],
  desired: MappedFields,
  sent: Record<string, unknown> | undefined,
): string[] {
  return changed.filter(
    (f) =>
      (HOLDABLE as readonly string[]).includes(f) &&
      sent !== undefined &&
      Object.hasOwn(sent, f) &&
      String(sent[f]) === String(desired[f]),
  );
}

/**
 * One update with the fields in which `existing` differs from the mapping (none when it matches), leaving out
 * fields the site held back before. Fields the site did not take this time are reported as sent.
 */
export async function bringInLine(
  ctx: TableauContext,
  existing: TableauUser,
  fields: MappedFields,
  detail: string,
  sent?: Record<string, unknown>,
): Promise<Outcome> {
  const desired = desiredFields(ctx, fields, existing);
  const differ = diffFields(desired, existing as unknown as Record<string, unknown>, TABLEAU_FIELDS);
  const held = heldFields(differ, desired, sent);
  const changed = differ.filter((f) => !held.includes(f));
  if (changed.length === 0)
    return {
      status: "done",
      targetId: existing.id,
      detail: detail === "updated" ? "unchanged" : detail,
      action: "unchanged",
    };
  const patch = Object.fromEntries(changed.map((f) => [f, desired[f]]));
  const answer = await ctx.client.site<{ user?: Partial<TableauUser> }>("PUT", `/users/${existing.id}`, {
    body: { user: patch },
  });
  const kept = changed.filter(
    (f) =>
      (HOLDABLE as readonly string[]).includes(f) &&
      answer?.user !== undefined &&
      Object.hasOwn(answer.user, f) &&
      String(answer.user[f as keyof TableauUser] ?? "") !== String(patch[f] ?? ""),
  );
  return {
    status: "done",
    targetId: existing.id,
    detail: `${detail} (${changed.join(", ")})${kept.length ? `; the site kept its own ${kept.join(", ")}` : ""}`,
    action: "update",
    ...(kept.length ? { sent: { ...sent, ...Object.fromEntries(kept.map((f) => [f, patch[f]])) } } : {}),
    fields: sentFields(patch, existing as unknown as Record<string, unknown>),
  };
}

/** The LUID of the user who inherits content on removal; a name is looked up once. */
async function heirId(
  ctx: TableauContext,
  cache: Map<string, Promise<string | undefined>>,
): Promise<string | undefined> {
  const to = ctx.config.policies.mapAssetsTo;
  if (!to || LUID.test(to)) return to;
  let p = cache.get(to);
  if (!p) {
    p = findUserByName(ctx, to).then((u) => u?.id);
    cache.set(to, p);
    p.catch(() => cache.delete(to));
  }
  return p;
}

const heirs = new WeakMap<TableauContext, Map<string, Promise<string | undefined>>>();

async function unlicense(ctx: TableauContext, id: string): Promise<void> {
  await ctx.client.site("PUT", `/users/${id}`, { body: { user: { siteRole: "Unlicensed" } } });
}

/** Unlicenses the user; false when the user is no longer on the site (as deprovisioned as it gets). */
async function unlicenseIfThere(ctx: TableauContext, id: string): Promise<boolean> {
  try {
    await unlicense(ctx, id);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/**
 * user.deprovision (and upserts with active=false): "unlicense" keeps the user and content; "remove"
 * deletes them, moving their content to mapAssetsTo. A user who still owns content cannot be removed:
 * Tableau answers 409 and leaves them Unlicensed, which is still a deprovisioned user.
 */
export async function deprovisionUser(
  ctx: TableauContext,
  targetId: string | undefined,
  name?: string,
): Promise<Outcome> {
  const id = targetId ?? (name ? (await findUserByName(ctx, name))?.id : undefined);
  if (!id)
    return {
      status: "done",
      detail: "not a user of the site; nothing to deprovision",
      match: { by: "none" },
      action: "none",
    };
  const traced = await deprovisionFound(ctx, id);
  return { ...traced, match: { by: targetId ? "link" : "name", targetId: id } };
}

async function deprovisionFound(ctx: TableauContext, id: string): Promise<Outcome> {
  const gone: Outcome = { status: "done", detail: "already removed from the site", action: "none" };
  if (ctx.config.policies.deprovision === "unlicense") {
    if (!(await unlicenseIfThere(ctx, id))) return gone;
    return {
      status: "done",
      targetId: id,
      detail: "unlicensed",
      action: "deactivate",
      fields: sentFields({ siteRole: "Unlicensed" }),
    };
  }
  if (!heirs.has(ctx)) heirs.set(ctx, new Map());
  const heir = await heirId(ctx, heirs.get(ctx) as Map<string, Promise<string | undefined>>);
  if (ctx.config.policies.mapAssetsTo && !heir) {
    // A wrong setting must not leave an offboarded user licensed: take the licence now, remove once it is fixed.
    if (!(await unlicenseIfThere(ctx, id))) return gone;
    return {
      status: "failed",
      action: "deactivate",
      code: "MAP_ASSETS_TO_NOT_FOUND",
      message: `policies.mapAssetsTo names '${ctx.config.policies.mapAssetsTo}', who is not a user of the site; the user is left Unlicensed until it names a site user`,
    };
  }
  try {
    await ctx.client.site("DELETE", `/users/${id}`, { query: { mapAssetsTo: heir } });
    return { status: "done", detail: "removed from the site", action: "remove" };
  } catch (e) {
    if (isNotFound(e)) {
      // 404 may also name the heir; only a missing user means "already gone".
      if (!(await getUser(ctx, id))) return gone;
      throw e;
    }
    if (!(e instanceof TableauError) || e.status !== 409) throw e;
    await unlicense(ctx, id);
    return {
      status: "done",
      targetId: id,
      detail: `owns content, so left Unlicensed instead of removed (${e.code})`,
      action: "deactivate",
    };
  }
}

export function toAccount(u: TableauUser): TargetAccount {
  const { id, name, ...fields } = u;
  return { targetId: id, key: name, active: u.siteRole !== "Unlicensed", fields: { name, ...fields } };
}

export async function* listUsers(ctx: TableauContext): AsyncGenerator<TargetAccount[]> {
  for await (const page of ctx.client.pages<TableauUser>("/users", "users", "user", { fields: "_all_" })) {
    yield page.map(toAccount);
  }
}
