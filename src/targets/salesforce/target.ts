// The Salesforce target: one org, reached with jsforce. apply() takes a dispatcher batch (≤ 200 ops),
// syncs users first (so group members and assignments see them), then assignments, then groups.
import { mappingUntouched, mergeMapping } from "../../mapping/index.ts";
import type { RetryPolicy } from "../kind.ts";
import type {
  DesiredUser,
  DriftTarget,
  GroupTarget,
  Operation,
  Outcome,
  PreflightTarget,
  Problem,
  Target,
  TargetAccount,
  UserViewTarget,
} from "../target.ts";
import { checkTarget } from "./check.ts";
import { SalesforceClient } from "./client.ts";
import type { SalesforceTargetConfig } from "./config.ts";
import type { SalesforceContext, TargetLogger } from "./context.ts";
import { driftedFields } from "./drift.ts";
import { applyGroupOps } from "./groups.ts";
import { listGroups, listUsers } from "./listing.ts";
import { standardLookups } from "./lookups.ts";
import { defaultSalesforceMapping, mapSalesforceUser } from "./mapping.ts";
import { syncAssignments } from "./permissions.ts";
import { applyUserOps, type Indexed, SALESFORCE_VIEW_ALSO_READS, salesforceUserView } from "./users.ts";
import { validateSalesforceUser } from "./validate.ts";

export interface SalesforceTargetDeps {
  /** The bridge's retry policy (transport classification); Salesforce makes no retries in place (API budget). */
  retry: RetryPolicy;
  logger?: TargetLogger;
  /** The Salesforce user id linked to a SCIM user id in this target, for ManagerId; without it ManagerId is not set. */
  resolveLink?: (scimId: string) => Promise<string | undefined>;
  /** Clock, for budget parking in tests. */
  now?: () => number;
}

export interface SalesforceTarget extends Target, GroupTarget, PreflightTarget, DriftTarget, UserViewTarget {
  readonly kind: "salesforce";
  /** Data API calls this target has made (for benchmarks and logs). */
  readonly apiCalls: number;
  /** The last Sforce-Limit-Info seen: api-usage used/limit. */
  readonly apiUsage: { used: number; limit: number } | undefined;
}

function byKind<K extends Operation["kind"]>(
  ops: Operation[],
  kind: K,
): Indexed<Extract<Operation, { kind: K }>>[] {
  return ops.flatMap((op, index) =>
    op.kind === kind ? [{ index, op: op as Extract<Operation, { kind: K }> }] : [],
  );
}

export function createSalesforceTarget(
  config: SalesforceTargetConfig,
  deps: SalesforceTargetDeps,
): SalesforceTarget {
  const now = deps.now ?? Date.now;
  const client = new SalesforceClient(config, deps.retry, now);
  const mapping = mergeMapping(defaultSalesforceMapping, config.mapping);
  const ctx: SalesforceContext = {
    config,
    client,
    retry: deps.retry,
    mapping,
    ...standardLookups(client, now),
    ...(deps.resolveLink ? { resolveLink: deps.resolveLink } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    now,
  };

  async function apply(ops: Operation[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array(ops.length);
    const parked = client.parkedUntilTime();
    if (parked !== undefined) {
      const delayMs = Math.max(1000, parked - now());
      return ops.map(() => ({
        status: "retry",
        code: "REQUEST_LIMIT_EXCEEDED",
        message: `The org's API allocation is nearly used up; work is parked until ${new Date(parked).toISOString()}`,
        delayMs,
        blocked: "budget",
      }));
    }
    const synced = await applyUserOps(
      ctx,
      byKind(ops, "user.upsert"),
      byKind(ops, "user.deprovision"),
      outcomes,
    );
    await syncAssignments(ctx, synced, outcomes);
    await applyGroupOps(ctx, byKind(ops, "group.upsert"), byKind(ops, "group.delete"), outcomes);
    return Array.from(
      outcomes,
      (o) => o ?? { status: "retry", code: "NOT_APPLIED", message: "the operation was not reached" },
    );
  }

  return {
    name: config.name,
    kind: "salesforce",
    batchSize: config.batchSize,
    signIns: client.session.signIns,
    get apiCalls() {
      return client.calls;
    },
    get apiUsage() {
      return client.usage;
    },
    apply,
    check: () => checkTarget(ctx),
    listUsers: () => listUsers(ctx),
    listGroups: () => listGroups(ctx),
    /** Profile names cannot be checked offline; everything else Salesforce would refuse is. */
    usesGroups: mapping.groupRules.length > 0,
    preflight(user: DesiredUser): Problem[] {
      const fields = mapSalesforceUser(mapping, { user: user.data, groups: user.groups });
      return validateSalesforceUser(fields, { mapping });
    },
    userView: (user: DesiredUser) => salesforceUserView(ctx, user),
    viewUntouched: (before, after) => mappingUntouched(mapping, SALESFORCE_VIEW_ALSO_READS, before, after),
    driftedFields: (user: DesiredUser, account: TargetAccount, sent?: Record<string, unknown>) =>
      driftedFields(ctx, user, account, sent),
    async close() {
      // Access tokens simply expire; there is nothing held open between calls.
    },
  };
}
