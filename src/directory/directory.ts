// The domain: users and groups as SCIM sees them. Every write is one transaction that stores the resource, its
// memberships, an audit row and whatever the change listeners (the outbox) add, or nothing at all. When every
// listener can say before the write which outbox jobs it adds, they go in the resource's own statement: a user's
// create is then one statement (no transaction to open), and an update one statement less.
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { BridgeError, excerpt } from "../errors.ts";
import {
  type AuditEntry,
  addMembers,
  checkListRequest,
  type Db,
  deleteResource,
  existingIds,
  extrasOf,
  type FilterAst,
  getResource,
  getResourceWithExtras,
  insertResources,
  isResourceId,
  type LinkStatus,
  type ListRequest,
  listResourcesWithExtras,
  type Member,
  membersOfGroups,
  type NewJob,
  type Queryable,
  type ResourceType,
  type ResourceWithExtras,
  removeMembers,
  type SchemaSet,
  type StoredResource,
  takenNames,
  touchResource,
  updateResource,
  updateResourceAt,
  writeAudit,
} from "../store/index.ts";

export interface WriteContext {
  requestId?: string;
  /** The name of the token that made the request. */
  actor?: string;
  /** The If-Match header, when the client sent one. */
  ifMatch?: string;
  /** How long the client asked to wait for delivery (`Prefer: wait=N`, already bounded); else the default. */
  waitMs?: number;
  /** Filled by change listeners: the targets each resource was queued for, so the caller can await delivery. */
  queued?: Map<string, Set<string>>;
}

export type ChangeAction = "create" | "update" | "delete";

export interface Change {
  type: ResourceType;
  id: string;
  action: ChangeAction;
  before?: StoredResource;
  after?: StoredResource;
  /** Group membership delta (Group changes) */
  membersAdded?: string[];
  membersRemoved?: string[];
  /** A password that came with the write: never stored with the resource. */
  password?: string;
  /** An update's status in each target, as the write read it before writing (when it did). */
  status?: readonly LinkStatus[];
  ctx: WriteContext;
}

/** Called inside the write transaction, e.g. to add outbox jobs; throwing rolls the write back. */
export interface ChangeListener {
  (tx: Queryable, change: Change): Promise<void>;
  /**
   * The outbox jobs this listener adds for `change`, decided before the resource is written (`change.after` holds
   * the body about to be written), so that they are written by the same statement; then the listener is not called
   * after the write. Undefined when this change needs the listener to run after the write. Throwing refuses the
   * write before anything is written. A listener without it always runs after the write, under the row's lock.
   */
  early?(q: Queryable, change: Change): Promise<NewJob[] | undefined>;
}

export interface UpdateRequest {
  data?: Record<string, unknown>;
  /** Computes the new body from the current one inside the write transaction (PATCH). */
  mutate?: (
    current: Record<string, unknown>,
  ) => Promise<{ data: Record<string, unknown>; password?: string }>;
  password?: string;
  /** The full member list (PUT). */
  members?: Member[];
  /** A member delta (PATCH). */
  addMembers?: Member[];
  removeMembers?: string[] | "all";
  /**
   * What the caller's answer shows besides the resource. A user's change is then answered from what was read with
   * the user before it (its own write cannot change its groups; its status is the one read, pending wherever this
   * write queued a job), without reading again after the write.
   */
  include?: { relations?: boolean; status?: boolean };
}

export interface Relation {
  value: string;
  display?: string;
  type?: ResourceType;
}

export interface ResourceView {
  resource: StoredResource;
  /** Per-target provisioning status; undefined when not loaded. */
  status?: LinkStatus[];
  /** groups of a User, members of a Group; undefined when not loaded. */
  relations?: Relation[];
}

/** An update as the listeners see it before it is written (`after` holds the body about to be written). */
function updateOf(
  before: StoredResource,
  data: Record<string, unknown>,
  now: Date,
  ctx: WriteContext,
  extra: { added?: string[]; removed?: string[]; password?: string | undefined },
): Change {
  return {
    type: before.type,
    id: before.id,
    action: "update",
    before,
    after: { ...before, data, version: before.version + 1, lastModified: now },
    ...(extra.added?.length ? { membersAdded: extra.added } : {}),
    ...(extra.removed?.length ? { membersRemoved: extra.removed } : {}),
    ...(extra.password ? { password: extra.password } : {}),
    ctx,
  };
}

/**
 * A resource's status as read before a write, after the write queued `jobs`: pending in each of their targets
 * (held stays held: the held job is still first in line), as linkStatusRows would now read it.
 */
function withJobs(status: LinkStatus[], jobs: readonly NewJob[]): LinkStatus[] {
  const byTarget = new Map(status.map((s) => [s.target, s]));
  for (const j of jobs) {
    if (j.state && j.state !== "pending") continue;
    const s = byTarget.get(j.target);
    if (s?.state !== "held") byTarget.set(j.target, { ...(s ?? { target: j.target }), state: "pending" });
  }
  return [...byTarget.values()].sort((a, b) => a.target.localeCompare(b.target));
}

/** How many times a user's change is tried without a lock before it takes one (each try lost to a concurrent write). */
const UNLOCKED_ATTEMPTS = 3;
/** updateUnlocked's answer when the change must be made under a lock. */
const LOCK = Symbol("lock");

/** Rows per multi-row INSERT: 8 parameters a user row, well under PostgreSQL's 65,535 parameters. */
const CREATE_CHUNK = 1000;
function auditEntry(
  type: ResourceType,
  action: ChangeAction,
  ctx: WriteContext,
  added: string[] = [],
  removed: string[] = [],
): AuditEntry {
  return {
    requestId: ctx.requestId,
    actor: ctx.actor,
    action: `scim.${type.toLowerCase()}.${action}`,
    ...(added.length || removed.length
      ? { detail: { membersAdded: added.length || undefined, membersRemoved: removed.length || undefined } }
      : {}),
  };
}

/** Store rows with extras → the domain's view (relations of a user are always groups). */
function viewOf(r: ResourceWithExtras): ResourceView {
  return {
    ...(r.resource ? { resource: r.resource } : {}),
    ...(r.relations ? { relations: r.relations } : {}),
    ...(r.links ? { status: r.links } : {}),
  } as ResourceView;
}

const notFound = (type: ResourceType, id: string) =>
  new BridgeError("SCIM_NOT_FOUND", `${type} ${id} not found`);

/** Unique violations from either engine become SCIM 409 uniqueness with the value that clashed. */
function uniqueness(e: unknown, type: ResourceType, data: Record<string, unknown>): unknown {
  if ((e as { code?: string })?.code !== "23505") return e;
  return type === "User"
    ? new BridgeError(
        "SCIM_UNIQUENESS",
        `userName ${excerpt(data.userName, 80)} is already taken by another User`,
      )
    : new BridgeError(
        "SCIM_UNIQUENESS",
        `displayName ${excerpt(data.displayName, 80)} is already taken by another Group`,
      );
}

function checkVersion(r: StoredResource, ifMatch: string | undefined) {
  if (!ifMatch || ifMatch.trim() === "*") return;
  const wanted = ifMatch.split(",").map((t) => t.trim().replace(/^W\//, ""));
  if (!wanted.includes(`"${r.version}"`)) {
    throw new BridgeError(
      "SCIM_PRECONDITION_FAILED",
      `${r.type} ${r.id} is at version W/"${r.version}", not ${ifMatch}; fetch it again and retry`,
    );
  }
}

export class Directory {
  readonly db: Db;
  /** What filters and sortBy may name on each resource type (core schemas and every registered extension). */
  readonly schemas: SchemaSet;
  private readonly listeners: ChangeListener[] = [];

  constructor(db: Db, schemas: SchemaSet) {
    this.db = db;
    this.schemas = schemas;
  }

  onChange(listener: ChangeListener) {
    this.listeners.push(listener);
  }

  /**
   * Every listener's early jobs for `change`, or undefined when one of them needs to run after the write (then
   * every listener runs after it, as usual).
   */
  private async earlyJobs(q: Queryable, change: Change): Promise<NewJob[] | undefined> {
    const jobs: NewJob[] = [];
    for (const l of this.listeners) {
      const mine = l.early ? await l.early(q, change) : undefined;
      if (!mine) return undefined;
      jobs.push(...mine);
    }
    return jobs;
  }

  /** `audited`: the write statement already inserted the audit row. */
  private async emit(tx: Queryable, audited: boolean, change: Change) {
    if (audited) for (const l of this.listeners) await l(tx, change);
    else await this.emitMany(tx, [change]);
  }

  /** One audit row per change (in one statement), then every listener for each change, in order. */
  private async emitMany(tx: Queryable, changes: Change[]) {
    await writeAudit(
      tx,
      changes.map((change) => ({
        requestId: change.ctx.requestId,
        actor: change.ctx.actor,
        action: `scim.${change.type.toLowerCase()}.${change.action}`,
        resourceType: change.type,
        resourceId: change.id,
        outcome: "accepted",
        ...(change.membersAdded || change.membersRemoved
          ? {
              detail: {
                membersAdded: change.membersAdded?.length,
                membersRemoved: change.membersRemoved?.length,
              },
            }
          : {}),
      })),
    );
    for (const change of changes) for (const l of this.listeners) await l(tx, change);
  }

  /**
   * One resource with, in the same statement, its relations (a user's groups, a group's members) and its per-target
   * status, each only when asked for.
   */
  async get(
    type: ResourceType,
    id: string,
    opts: { relations?: boolean; status?: boolean } = {},
  ): Promise<ResourceView> {
    if (!isResourceId(id)) throw notFound(type, id);
    const include = { relations: opts.relations !== false, links: !!opts.status };
    const found = await getResourceWithExtras(this.db, type, id, include);
    if (!found) throw notFound(type, id);
    return viewOf(found);
  }

  /** Relations and status of resources already in hand (a write's response). */
  async extras(
    type: ResourceType,
    id: string,
    opts: { relations?: boolean; status?: boolean },
  ): Promise<Omit<ResourceView, "resource">> {
    const found = (
      await extrasOf(this.db, type, [id], { relations: !!opts.relations, links: !!opts.status })
    ).get(id);
    return found ? viewOf(found) : {};
  }

  /** A page of a SCIM list; a bad filter, sortBy or sortOrder is a 400 (invalidFilter, invalidValue). */
  async list(
    type: ResourceType,
    request: ListRequest,
    opts: { relations?: boolean; status?: boolean } = {},
  ): Promise<{ total: number; items: ResourceView[] }> {
    const include = { relations: opts.relations !== false, links: !!opts.status };
    const { total, items } = await listResourcesWithExtras(this.db, this.schemas[type], request, include);
    return { total, items: items.map(viewOf) };
  }

  /** Throws the 400 that `list` would answer for this request, without reading anything. */
  checkList(type: ResourceType, request: ListRequest): void {
    checkListRequest(this.schemas[type], request);
  }

  /** Whether `type` can evaluate the filter: every attribute it names exists there, with values that suit it. */
  understands(type: ResourceType, filter: string | FilterAst): boolean {
    try {
      this.checkList(type, { filter, startIndex: 1, count: 0 });
      return true;
    } catch {
      return false;
    }
  }

  /** Which of these userNames (Users) or displayNames (Groups) are taken, lower-cased (a bulk's pre-check). */
  takenNames(type: ResourceType, names: string[]): Promise<Set<string>> {
    return takenNames(this.db, type, names);
  }

  /** Validates member references exist; returns them with their real types. */
  private async resolveMembers(tx: Queryable, members: Member[], groupId?: string): Promise<Member[]> {
    if (!members.length) return [];
    if (groupId && members.some((m) => m.value === groupId)) {
      throw new BridgeError("SCIM_INVALID_VALUE", `Group ${groupId} cannot be a member of itself`);
    }
    const ids = members.map((m) => m.value);
    const users = await existingIds(tx, "User", ids);
    const groups = users.size === ids.length ? new Set<string>() : await existingIds(tx, "Group", ids);
    const missing = ids.filter((id) => !users.has(id) && !groups.has(id));
    if (missing.length) {
      throw new BridgeError(
        "SCIM_INVALID_VALUE",
        `Group members must be existing Users or Groups; not found: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ` and ${missing.length - 10} more` : ""}`,
      );
    }
    return members.map((m) => ({ value: m.value, type: users.has(m.value) ? "User" : "Group" }));
  }

  async create(
    type: ResourceType,
    data: Record<string, unknown>,
    ctx: WriteContext,
    extra: { password?: string; members?: Member[] } = {},
  ): Promise<ResourceView> {
    const id = randomUUID();
    try {
      const withMembers = type === "Group" && !!extra.members?.length;
      if (!withMembers) {
        // One statement: the row, its audit row and its outbox jobs.
        const now = new Date();
        const change: Change = {
          type,
          id,
          action: "create",
          after: { id, type, data, version: 1, created: now, lastModified: now },
          ...(extra.password ? { password: extra.password } : {}),
          ctx,
        };
        const jobs = await this.earlyJobs(this.db, change);
        if (jobs) {
          const audit = auditEntry(type, "create", ctx);
          const [resource] = await insertResources(this.db, type, [{ id, data }], now, audit, jobs);
          // A new resource's status is what its jobs just made, all pending: no need to read it back.
          return { resource: resource!, status: withJobs([], jobs) };
        }
      }
      return await this.db.transaction(async (tx) => {
        const now = new Date();
        const audit = withMembers ? undefined : auditEntry(type, "create", ctx);
        const [resource] = await insertResources(tx, type, [{ id, data }], now, audit);
        let added: string[] | undefined;
        if (withMembers) added = await addMembers(tx, id, await this.resolveMembers(tx, extra.members!));
        await this.emit(tx, !!audit, {
          type,
          id,
          action: "create",
          after: resource!,
          ...(added ? { membersAdded: added } : {}),
          ...(extra.password ? { password: extra.password } : {}),
          ctx,
        });
        return { resource: resource! };
      });
    } catch (e) {
      throw uniqueness(e, type, data);
    }
  }

  /**
   * Creates many resources of one type (without group members) in one transaction: multi-row inserts and one
   * audit statement per chunk; the change listeners (the outbox) still run for each resource inside it.
   * All or nothing: a caller that needs each item to stand alone retries the items one `create` at a time.
   */
  async createMany(
    type: ResourceType,
    items: { data: Record<string, unknown>; password?: string; ctx: WriteContext }[],
  ): Promise<StoredResource[]> {
    if (!items.length) return [];
    return this.db.transaction(async (tx) => {
      const now = new Date();
      const out: StoredResource[] = [];
      for (let i = 0; i < items.length; i += CREATE_CHUNK) {
        const chunk = items.slice(i, i + CREATE_CHUNK);
        const ids = chunk.map(() => randomUUID());
        const inserted = await insertResources(
          tx,
          type,
          chunk.map((item, k) => ({ id: ids[k]!, data: item.data })),
          now,
        );
        const byId = new Map(inserted.map((r) => [r.id, r]));
        const rows = ids.map((id) => byId.get(id)!);
        await this.emitMany(
          tx,
          rows.map((resource, k) => ({
            type,
            id: resource.id,
            action: "create" as const,
            after: resource,
            ...(chunk[k]!.password ? { password: chunk[k]!.password } : {}),
            ctx: chunk[k]!.ctx,
          })),
        );
        out.push(...rows);
      }
      return out;
    });
  }

  /**
   * Changes a resource: its body (PUT, or the result of a PATCH) and/or a group's members, given as the full list
   * (PUT) or as a delta (PATCH: touches only the affected rows); `mutate` computes the new body from the row as
   * locked. A write that changes nothing keeps the version and emits nothing.
   */
  async update(
    type: ResourceType,
    id: string,
    change: UpdateRequest,
    ctx: WriteContext,
  ): Promise<{ view: ResourceView; changed: boolean }> {
    if (!isResourceId(id)) throw notFound(type, id);
    // The body that was written, for the 409's detail (a PATCH has no data of its own).
    let attempted: Record<string, unknown> | undefined;
    try {
      // A user's change, the IdP's usual write, in two round trips: read, then write if the user is still at the
      // version read. A concurrent write in between makes it start over; after a few, or when a listener must run
      // after the write, the row is locked for the whole change instead (at once when a listener never answers
      // early: the unlocked read would be wasted).
      if (type === "User" && this.listeners.every((l) => l.early)) {
        for (let attempt = 0; attempt < UNLOCKED_ATTEMPTS; attempt++) {
          const done = await this.updateUnlocked(type, id, change, ctx, (d) => {
            attempted = d;
          });
          if (done === LOCK) break;
          if (done) return done;
        }
      }
      return await this.db.transaction(async (tx) => {
        const before = await getResource(tx, type, id, { forUpdate: true });
        if (!before) throw notFound(type, id);
        checkVersion(before, ctx.ifMatch);
        let added: string[] = [];
        let removed: string[] = [];
        if (type === "Group" && change.members) {
          const wanted = await this.resolveMembers(tx, change.members, id);
          const current = (await membersOfGroups(tx, [id])).get(id) ?? [];
          const wantedIds = new Set(wanted.map((m) => m.value));
          const currentIds = new Set(current.map((m) => m.value));
          removed = await removeMembers(
            tx,
            id,
            current.filter((m) => !wantedIds.has(m.value)).map((m) => m.value),
          );
          added = await addMembers(
            tx,
            id,
            wanted.filter((m) => !currentIds.has(m.value)),
          );
        } else if (type === "Group") {
          if (change.removeMembers) {
            removed = await removeMembers(
              tx,
              id,
              change.removeMembers === "all" ? undefined : change.removeMembers,
            );
          }
          if (change.addMembers?.length) {
            added = await addMembers(tx, id, await this.resolveMembers(tx, change.addMembers, id));
            // A member removed and added back in one request did not change.
            const back = new Set(added);
            removed = removed.filter((m) => !back.has(m));
          }
        }
        // A PATCH is applied here, on the row as locked, so no concurrent write can slip in between.
        const mutated = change.mutate ? await change.mutate(before.data) : undefined;
        const data = mutated?.data ?? change.data ?? before.data;
        attempted = data;
        const password = mutated?.password ?? change.password;
        const dataChanged = !isDeepStrictEqual(before.data, data);
        if (!dataChanged && !added.length && !removed.length && !password) {
          return { view: { resource: before }, changed: false };
        }
        const now = new Date();
        const audit = auditEntry(type, "update", ctx, added, removed);
        const written = updateOf(before, data, now, ctx, { added, removed, password });
        const jobs = await this.earlyJobs(tx, written);
        const after = dataChanged
          ? await updateResource(tx, type, id, data, now, audit, jobs)
          : ((await touchResource(tx, type, id, now, audit, jobs)) as StoredResource);
        if (!jobs) await this.emit(tx, true, { ...written, after });
        return { view: { resource: after }, changed: true };
      });
    } catch (e) {
      throw uniqueness(e, type, attempted ?? change.data ?? {});
    }
  }

  /**
   * `update` without a lock or a transaction: undefined when the resource changed between the read and the write
   * (try again), LOCK when the change needs the locked path (a listener with no early jobs for it).
   */
  private async updateUnlocked(
    type: ResourceType,
    id: string,
    change: UpdateRequest,
    ctx: WriteContext,
    attempting: (data: Record<string, unknown>) => void,
  ): Promise<{ view: ResourceView; changed: boolean } | typeof LOCK | undefined> {
    const include = { relations: !!change.include?.relations, links: !!change.include?.status };
    const read: ResourceWithExtras | undefined =
      include.relations || include.links
        ? await getResourceWithExtras(this.db, type, id, include)
        : await getResource(this.db, type, id).then((resource) => resource && { resource });
    if (!read) throw notFound(type, id);
    const before = read.resource;
    checkVersion(before, ctx.ifMatch);
    const mutated = change.mutate ? await change.mutate(before.data) : undefined;
    const data = mutated?.data ?? change.data ?? before.data;
    attempting(data);
    const password = mutated?.password ?? change.password;
    const extras = (status: LinkStatus[] | undefined) => ({
      ...(read.relations ? { relations: read.relations } : {}),
      ...(status ? { status } : {}),
    });
    if (isDeepStrictEqual(before.data, data) && !password)
      return { view: { resource: before, ...extras(read.links) }, changed: false };
    const now = new Date();
    const written = updateOf(before, data, now, ctx, { password });
    if (read.links) written.status = read.links;
    const jobs = await this.earlyJobs(this.db, written);
    if (!jobs) return LOCK;
    const audit = auditEntry(type, "update", ctx);
    // A target in which the read saw no open job (its status is neither pending nor held) has none to join: the
    // usual case of an IdP's push, each user changed once. The lookup is then left out of the write.
    const waiting = new Set(
      read.links?.filter((s) => s.state === "pending" || s.state === "held").map((s) => s.target),
    );
    const noOpenJobs = !!read.links && !jobs.some((j) => waiting.has(j.target));
    const after = await updateResourceAt(this.db, type, id, before.version, data, now, audit, jobs, {
      noOpenJobs,
    });
    return (
      after && {
        view: { resource: after, ...extras(read.links && withJobs(read.links, jobs)) },
        changed: true,
      }
    );
  }

  async delete(type: ResourceType, id: string, ctx: WriteContext): Promise<void> {
    if (!isResourceId(id)) throw notFound(type, id);
    await this.db.transaction(async (tx) => {
      const before = await getResource(tx, type, id, { forUpdate: true });
      if (!before) throw notFound(type, id);
      checkVersion(before, ctx.ifMatch);
      const membersRemoved = type === "Group" ? await removeMembers(tx, id) : undefined;
      await deleteResource(tx, type, id);
      await this.emit(tx, false, {
        type,
        id,
        action: "delete",
        before,
        ...(membersRemoved?.length ? { membersRemoved } : {}),
        ctx,
      });
    });
  }
}
