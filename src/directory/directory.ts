// The domain: users and groups as SCIM sees them. Every write is one transaction that stores the resource, its
// memberships, an audit row and what its planner (the outbox writer) returns for it, outbox jobs and link rows, or
// nothing at all; and returns what it queued, for the caller that waits for delivery. When the planner can say before
// the write what the write needs, that goes in the resource's own statement: a user's create is one statement (no
// transaction to open), an update two (read, then write at the version read). The planner runs after the write,
// inside its transaction, only where it must: a group's writes (its members are rows written beside it, and the
// members a change affects are read from them), a delete (which targets may hold the resource is read from its
// links), a target with a scope (who is in it is a query on the stored rows), a pre-flight objection (recorded with
// the write: a dead job, a failed link, an audit row) and a bulk's run of creates (one transaction already).
import type {
  Db,
  FilterAst,
  ListRequest,
  Member,
  ResourceType,
  SchemaSet,
  StoredResource,
} from "../store/index.ts";
import { createMany, createOne } from "./create.ts";
import { deleteOne } from "./delete.ts";
import {
  checkListRequest,
  extrasOfOne,
  getOne,
  type ListPage,
  listPage,
  takenNames,
  understands,
  type Wanted,
} from "./reads.ts";
import type { Queued, ResourceView, UpdateRequest, WriteContext, WritePlanner } from "./types.ts";
import { type Updated, updateOne } from "./update.ts";
import { NOTHING_TO_PLAN } from "./writing.ts";

export class Directory {
  readonly db: Db;
  /** What filters and sortBy may name on each resource type (core schemas and every registered extension). */
  readonly schemas: SchemaSet;
  private readonly planner: WritePlanner;

  /** Without a planner (a bridge with no targets) writes queue nothing. */
  constructor(db: Db, schemas: SchemaSet, planner: WritePlanner = NOTHING_TO_PLAN) {
    this.db = db;
    this.schemas = schemas;
    this.planner = planner;
  }

  /** One resource with its relations (unless refused) and, when asked for, its per-target status: one statement. */
  get(type: ResourceType, id: string, opts: Wanted = {}): Promise<ResourceView> {
    return getOne(this.db, type, id, opts);
  }

  /** Relations and status of a resource already in hand (a write's response). */
  extras(type: ResourceType, id: string, opts: Wanted): Promise<Omit<ResourceView, "resource">> {
    return extrasOfOne(this.db, type, id, opts);
  }

  /** A page of a SCIM list; a bad filter, sortBy or sortOrder is a 400 (invalidFilter, invalidValue). */
  list(type: ResourceType, request: ListRequest, opts: Wanted = {}): Promise<ListPage> {
    return listPage(this.db, this.schemas[type], request, opts);
  }

  /** Throws the 400 that `list` would answer for this request, without reading anything. */
  checkList(type: ResourceType, request: ListRequest): void {
    checkListRequest(this.schemas[type], request);
  }

  /** Whether `type` can evaluate the filter: every attribute it names exists there, with values that suit it. */
  understands(type: ResourceType, filter: string | FilterAst): boolean {
    return understands(this.schemas[type], filter);
  }

  /** Which of these userNames (Users) or displayNames (Groups) are taken, as their nameKeys (a bulk's pre-check). */
  takenNames(type: ResourceType, names: string[]): Promise<Set<string>> {
    return takenNames(this.db, type, names);
  }

  create(
    type: ResourceType,
    data: Record<string, unknown>,
    ctx: WriteContext,
    extra: { password?: string; members?: Member[] } = {},
  ): Promise<{ view: ResourceView; queued: Queued }> {
    return createOne(this.db, this.planner, this.schemas[type], type, data, ctx, extra);
  }

  /** Many resources of one type (without group members) in one transaction, all or nothing. */
  createMany(
    type: ResourceType,
    items: { data: Record<string, unknown>; password?: string; ctx: WriteContext }[],
  ): Promise<{ resources: StoredResource[]; queued: Queued }> {
    return createMany(this.db, this.planner, this.schemas[type], type, items);
  }

  /** A change of body and/or members; one that changes nothing keeps the version and queues nothing. */
  update(type: ResourceType, id: string, change: UpdateRequest, ctx: WriteContext): Promise<Updated> {
    return updateOne(this.db, this.planner, this.schemas[type], type, id, change, ctx);
  }

  delete(type: ResourceType, id: string, ctx: WriteContext): Promise<{ queued: Queued }> {
    return deleteOne(this.db, this.planner, this.schemas[type], type, id, ctx);
  }
}
