// What the directory's writes take and give: the write's context, the change as its planner sees it, and the plan
// (outbox jobs, link rows) the planner returns for it.
import type {
  LinkOutcome,
  LinkStatus,
  Member,
  NewJob,
  Queryable,
  ResourceType,
  StoredResource,
} from "../store/index.ts";

export interface WriteContext {
  requestId?: string;
  /** The name of the token that made the request. */
  actor?: string;
  /** The If-Match header, when the client sent one. */
  ifMatch?: string;
  /** How long the client asked to wait for delivery (`Prefer: wait=N`, already bounded); else the default. */
  waitMs?: number;
  /**
   * The account this write comes from (an import): the resource is already there, so the planner queues nothing for
   * it in that target and links it to the account instead, in the write's own transaction.
   */
  source?: { target: string; targetId: string };
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

/** A link row a write sets in `target`. */
export type PlannedLink = LinkOutcome & { target: string };

/** What a write adds besides the resource and its audit row, in the same transaction. */
export interface WritePlan {
  jobs: NewJob[];
  /** Link rows: an import's link to its source account, a pre-flight's failed status. */
  links: PlannedLink[];
}

/** Decides each write's plan: the outbox writer. Throwing refuses the write (nothing is written). */
export interface WritePlanner {
  /**
   * The plan decided before the write (`change.after` holds the body about to be written), so that its jobs go in
   * the resource's own statement; undefined when this change must be planned after the write. Absent when the
   * planner never answers before a write (then a user's update goes straight to the locked path).
   */
  planEarly?(q: Queryable, change: Change): Promise<WritePlan | undefined>;
  /** The plan made inside the write's transaction, after the resource is written and under its row's lock. */
  plan(tx: Queryable, change: Change): Promise<WritePlan>;
}

/**
 * The targets each resource was queued for by a write (the resource itself, or a group's members), pending work
 * only: held work waits for an admin and dead work (a pre-flight refusal) for the next write, so nobody waits for
 * them. What a caller awaits for `Prefer: wait=N`.
 */
export type Queued = ReadonlyMap<string, ReadonlySet<string>>;

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
