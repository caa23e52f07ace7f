// The contract between the dispatcher and a provisioning target (Tableau site, Salesforce org, ...).
// A target declares what it can do by what it implements; the dispatcher never branches on a target's kind.
import type { BridgeCode, OutcomeCode } from "./codes.ts";
import type { SignIns } from "./shared/signins.ts";

/** A user as the bridge wants it to be in every target: the SCIM body plus what targets derive fields from. */
export interface DesiredUser {
  scimId: string;
  /** The SCIM User body: core attributes and extension objects keyed by their URN (no id, meta or password). */
  data: Record<string, unknown>;
  active: boolean;
  /** displayNames of the user's direct groups, for group rules (site role, profile, permission sets). */
  groups: string[];
  /** Only for targets configured to receive passwords; decrypted from the outbox just before delivery. */
  password?: string;
}

export interface DesiredGroup {
  scimId: string;
  displayName: string;
  externalId?: string;
  /** Members that are linked in this target; members not (yet) provisioned there are left out. */
  memberTargetIds: string[];
  /**
   * Create (or link) the group only and leave its members as they are: they are still being provisioned, and a
   * later delivery sends them (see `GroupTarget.createsGroupsApart`). `memberTargetIds` is then empty.
   */
  membersLater?: true;
  /**
   * The bridge created the group empty and has sent it no members since: the target need not read them to know
   * what to add or remove.
   */
  knownEmpty?: true;
}

export type Operation =
  | {
      kind: "user.upsert";
      key: string;
      user: DesiredUser;
      targetId?: string;
      /** What the target kept of earlier deliveries (see Outcome `sent`). */
      sent?: Record<string, unknown>;
    }
  /**
   * The user left the target's scope or was deleted in SCIM: deactivate (or remove, by policy). Without a
   * `targetId` (a create whose answer was lost, a crash before the link was recorded) the target finds the
   * account by its correlation keys, computed from `user` (the last known body, kept in a tombstone after a
   * delete), and deactivates it if found. At least one of `targetId` and `user` is set.
   */
  | { kind: "user.deprovision"; key: string; targetId?: string; user?: DesiredUser }
  | { kind: "group.upsert"; key: string; group: DesiredGroup; targetId?: string }
  /** Without a `targetId`, the group is found by `displayName` (a create whose answer was lost). */
  | { kind: "group.delete"; key: string; targetId?: string; displayName?: string };

/**
 * A vendor field a delivery sent, for the audit: the value the target held before (absent on a create, or when the
 * target's record was not read) and the value sent; `hidden` for a field never shown (a secret). The audit's
 * AuditChange has this shape.
 */
export interface SentField {
  path: string;
  old?: string | number | boolean;
  new?: string | number | boolean;
  hidden?: true;
}

/**
 * How a user's delivery found the account and what it did to it: the match and action steps of a person's
 * provisioning log. A target that does not say is shown by what the bridge knew (the link it sent).
 */
export interface DeliveryTrace {
  /**
   * `by`: "link" (the account id the bridge had linked), the correlation key that found the account (Salesforce
   * `FederationIdentifier`, `Username`, `Email`; Tableau `name`), or "none" (no account was found).
   */
  match?: { by: string; targetId?: string };
  action?: DeliveryAction;
}

/** What a user's delivery did to the account; "none" when there was nothing to act on. */
export type DeliveryAction = "create" | "update" | "unchanged" | "deactivate" | "remove" | "none";

export type Outcome = DeliveryTrace &
  /** Applied; `targetId` is the account's id in the target (kept as the link). */
  (
    | {
        status: "done";
        targetId?: string;
        detail?: string;
        /** A `group.upsert` with `membersLater`: the group was created now, so it holds no members. */
        createdEmpty?: true;
        /**
         * What the target keeps of this delivery; the bridge stores it with the link (replacing what was kept) and
         * hands it back as `sent` with the next operation on the account. E.g. values of fields the target may hold
         * back (ignore, or keep pending a confirmation) as this delivery sent them, so that they are not sent again
         * while unchanged and reconcile does not count them as drift; or the fields as written, so that the next
         * change is written without reading the account first (Salesforce).
         */
        sent?: Record<string, unknown>;
        /** The fields this delivery wrote (see `sentFields`), for its audit row; never a secret's value. */
        fields?: SentField[];
      }
    /**
     * Not applied this time; try again after `delayMs` (or the dispatcher's backoff). `blocked` says the target as
     * a whole cannot take work now, through no fault of this operation: "credentials" (refused sign-in: an admin
     * must fix the configuration), "budget" (API allocation used up), "session" (a session ended again right after
     * a fresh sign-in, e.g. a Tableau PAT shared with another process). Blocked work is never given up as dead.
     */
    | {
        status: "retry";
        code: OutcomeCode;
        message: string;
        delayMs?: number;
        blocked?: "credentials" | "budget" | "session";
      }
    /** Will not succeed by retrying; the target's own code and message. */
    | { status: "failed"; code: OutcomeCode; message: string }
  );

export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** An account as read from a target, for reconcile and import. */
export interface TargetAccount {
  targetId: string;
  /** The correlation key (user name, Username, ...). */
  key: string;
  active: boolean;
  fields: Record<string, unknown>;
}

export interface TargetGroup {
  targetId: string;
  displayName: string;
  memberTargetIds?: string[];
}

export interface Problem {
  field: string;
  code: BridgeCode;
  detail: string;
}

/**
 * What every target does. Anything more is a capability below, declared by implementing its interface: a target
 * without groups simply has no group methods, and the bridge asks with the type guards, never by kind.
 */
export interface Target {
  readonly name: string;
  readonly kind: string;
  /** How many operations one `apply` call may take (e.g. 200 for Salesforce sObject Collections). */
  readonly batchSize: number;
  /**
   * How many batches the dispatcher runs at once for this target in one process when `sync.workersPerTarget` does
   * not say (default 2). More than the requests the target allows in flight when a batch spends much of its time
   * holding none: waiting for a background job, or for the store.
   */
  readonly workers?: number;
  /**
   * Whether what this target is sent for a user depends on the user's groups (group rules in the mapping); unknown
   * counts as yes. When not, a SCIM write does not read the user's groups for its pre-flight, and a group's
   * membership change queues no work for the members' accounts here (the group's own job carries the membership).
   */
  readonly usesGroups?: boolean;

  /**
   * A target that signs in (opens sessions or fetches tokens with its credentials) reports each sign-in here: the
   * bridge keeps a history shared by every process, so that one refusal among successes does not park the work, and
   * a success anywhere wakes the work parked on refused credentials.
   */
  readonly signIns?: SignIns;

  /** Group operations reach only a `GroupTarget` (the outbox queues none for any other target). */
  apply(ops: Operation[]): Promise<Outcome[]>;
  check(): Promise<CheckResult[]>;
  listUsers(): AsyncIterable<TargetAccount[]>;
  close?(): Promise<void>;
}

/** Provisions groups (`group.upsert`, `group.delete`); without it, group changes only affect member users. */
export interface GroupTarget {
  listGroups(): AsyncIterable<TargetGroup[]>;
  /**
   * Creating a group is a call of its own, apart from adding its members (Tableau): a group whose members are still
   * being provisioned is created meanwhile (`membersLater`), in the calls' idle moments, so that its last delivery
   * only adds them. Not for a target that creates a group with its members in one call (it would cost a call).
   */
  readonly createsGroupsApart?: boolean;
}

/** Wants SCIM passwords: they are sealed in the outbox and handed over in `DesiredUser.password`. */
export interface PasswordTarget {
  readonly acceptsPasswords: true;
}

export interface PreflightTarget {
  /**
   * Problems that would make the target certainly reject this user: the target is marked failed with them (the SCIM
   * write is refused with 400 only when no in-scope target could take it, or the target says `preflight: reject`).
   */
  preflight(user: DesiredUser): Problem[];
}

export interface UserViewTarget {
  /**
   * Everything a delivery of `user` to this target depends on, as plain data (its mapped fields, the active flag and
   * whatever else the delivery reads of the user): two users with deep-equal views are delivered alike, so a change
   * that leaves the view as it was needs no delivery here. A target without it is sent every change.
   */
  userView(user: DesiredUser): unknown;
  /**
   * True only when the change of a user's SCIM body from `before` to `after` certainly leaves userView as it was (its
   * groups the same), known more cheaply than by evaluating the view twice; false when it cannot tell. Without
   * it, the view is evaluated before and after every change.
   */
  viewUntouched?(before: Record<string, unknown>, after: Record<string, unknown>): boolean;
}

/** A field in which an account differs: the account's value in the target and what the store's user maps to. */
export interface DriftedField {
  field: string;
  target?: string | number | boolean;
  store?: string | number | boolean;
}

export interface DriftTarget {
  /**
   * For reconcile: the fields in which a listed account differs from what this target would write for `user`
   * ([] = in sync), named as the account's own fields, with both values (see `driftedField`). Without it, reconcile
   * compares the active state only.
   */
  driftedFields(user: DesiredUser, account: TargetAccount, sent?: Record<string, unknown>): DriftedField[];
}

export const handlesGroups = (t: Target): t is Target & GroupTarget =>
  typeof (t as Partial<GroupTarget>).listGroups === "function";

/** Whether `t` creates a group in a call of its own, before its members are provisioned (GroupTarget). */
export const createsGroupsApart = (t: Target): boolean => handlesGroups(t) && t.createsGroupsApart === true;

export const acceptsPasswords = (t: Target): t is Target & PasswordTarget =>
  (t as Partial<PasswordTarget>).acceptsPasswords === true;

export const hasPreflight = (t: Target): t is Target & PreflightTarget =>
  typeof (t as Partial<PreflightTarget>).preflight === "function";

export const hasUserView = (t: Target): t is Target & UserViewTarget =>
  typeof (t as Partial<UserViewTarget>).userView === "function";

export const detectsDrift = (t: Target): t is Target & DriftTarget =>
  typeof (t as Partial<DriftTarget>).driftedFields === "function";
