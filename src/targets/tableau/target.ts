// The Tableau target: one site of Tableau Server or Cloud, reached over the REST API (JSON).
import { mappingUntouched, mergeMapping } from "../../mapping/index.ts";
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
import { addUsersByCsv, type Indexed, type Removal, removeUsersByCsv, useCsv, usersById } from "./bulk.ts";
import { checkTableau } from "./check.ts";
import { TableauClient, type TableauClientOptions } from "./client/request.ts";
import type { TableauTargetConfig } from "./config.ts";
import { mapLimited, outcomeOfError, type TableauContext } from "./context.ts";
import { driftedFields } from "./drift.ts";
import { deleteGroup, groupsByName, listGroups, type TableauGroup, upsertGroup } from "./groups.ts";
import type { JobPolling } from "./jobs.ts";
import { defaultTableauMapping } from "./mapping.ts";
import {
  deprovisionUser,
  listUsers,
  preflightUser,
  TABLEAU_VIEW_ALSO_READS,
  type TableauUser,
  tableauUserView,
  upsertUser,
  userName,
} from "./users.ts";

export type TableauTargetOptions = TableauClientOptions & {
  /** How CSV import/delete jobs are polled (tests shorten it). */
  jobPolling?: JobPolling;
};

export interface TableauTarget extends Target, GroupTarget, PreflightTarget, DriftTarget, UserViewTarget {
  readonly kind: "tableau";
  /** The client, for diagnostics: API calls sent and sign-ins made. */
  readonly client: TableauClient;
}

export function createTableauTarget(
  config: TableauTargetConfig,
  options: TableauTargetOptions,
): TableauTarget {
  const client = new TableauClient(config, options);
  // The policy's default role is the mapping's base siteRole; a mapping of its own may replace it.
  const base = {
    ...defaultTableauMapping,
    fields: {
      ...defaultTableauMapping.fields,
      siteRole: {
        const: config.policies.grantLicenseOnSignIn ? "Unlicensed" : config.policies.defaultSiteRole,
      },
    },
  };
  const ctx: TableauContext = {
    client,
    config,
    mapping: mergeMapping(base, config.mapping),
    ...(options.logger ? { log: options.logger } : {}),
    ...(options.jobPolling ? { jobPolling: options.jobPolling } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  };

  /**
   * Users new to the site (and, when removal is the policy, users leaving it) go in one CSV job when a batch
   * has enough of them; everything else is one operation at a time.
   */
  async function apply(ops: Operation[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array(ops.length);
    const known = new Map<string, TableauUser | null>();
    const adds: Indexed<Extract<Operation, { kind: "user.upsert" }>>[] = [];
    const removals: Removal[] = [];
    const removing = config.policies.deprovision === "remove" && !config.policies.mapAssetsTo;
    ops.forEach((op, index) => {
      if (op.kind === "user.upsert" && op.user.active && !op.targetId && userName(ctx, op.user))
        adds.push({ index, op });
      else if (
        removing &&
        (op.kind === "user.deprovision" || (op.kind === "user.upsert" && !op.user.active))
      ) {
        const name = op.user ? userName(ctx, op.user) : "";
        removals.push({
          index,
          ...(op.targetId ? { targetId: op.targetId } : {}),
          ...(name ? { name } : {}),
        });
      }
    });
    const csv = async (n: number) => useCsv(ctx, n).catch(() => false);
    const [bulkAdds, bulkRemovals] = await Promise.all([csv(adds.length), csv(removals.length)]);
    await Promise.all([
      bulkAdds ? addUsersByCsv(ctx, adds, outcomes) : undefined,
      bulkRemovals ? removeUsersByCsv(ctx, removals, outcomes) : undefined,
    ]);
    const rest = ops.flatMap((op, index) => (outcomes[index] === undefined ? [{ op, index }] : []));
    // Linked users are read together: one lookup per 150 instead of one call each (a re-sync is mostly reads).
    const linked = rest.flatMap(({ op }) =>
      op.kind === "user.upsert" && op.user.active && op.targetId ? [op.targetId] : [],
    );
    if (linked.length > 1) {
      try {
        const found = await usersById(ctx, linked);
        for (const id of linked) known.set(id, found.get(id) ?? null);
      } catch {
        // Each operation reads its own user instead.
      }
    }
    // Linked groups likewise: one `name:in` lookup for the batch instead of one call each.
    const groupNames = rest.flatMap(({ op }) =>
      op.kind === "group.upsert" && op.targetId ? [op.group.displayName.trim()] : [],
    );
    let groups = new Map<string, TableauGroup>();
    if (groupNames.length > 1) groups = await groupsByName(ctx, groupNames).catch(() => groups);
    const done = await mapLimited(rest, config.concurrency, ({ op }) => applyOne(op, known, groups));
    rest.forEach(({ index }, i) => {
      outcomes[index] = done[i] as Outcome;
    });
    return outcomes;
  }

  async function applyOne(
    op: Operation,
    known = new Map<string, TableauUser | null>(),
    groups = new Map<string, TableauGroup>(),
  ): Promise<Outcome> {
    try {
      switch (op.kind) {
        case "user.upsert":
          return await upsertUser(
            ctx,
            op.user,
            op.targetId,
            op.sent,
            op.targetId ? known.get(op.targetId) : undefined,
          );
        case "user.deprovision":
          // Without a link the user is found by name: the create's answer may have been lost.
          return await deprovisionUser(ctx, op.targetId, op.user ? userName(ctx, op.user) : undefined);
        case "group.upsert":
          return await upsertGroup(ctx, op.group, op.targetId, groups.get(op.group.displayName.trim()));
        case "group.delete":
          return await deleteGroup(ctx, op.targetId, op.displayName);
      }
    } catch (e) {
      const outcome = outcomeOfError(ctx, e);
      ctx.log?.warn(
        { target: config.name, op: op.kind, key: op.key, outcome },
        "Tableau operation not applied",
      );
      return outcome;
    }
  }

  return {
    name: config.name,
    kind: "tableau",
    batchSize: config.batchSize,
    // A CSV batch holds a request slot for 3 short calls and none while its import job runs (seconds on a real
    // site) or while the store claims and records it: three batches per slot keep the slots busy (bench:provision,
    // 10,000 users at concurrency 8: 8 workers 6.5 s, 16 workers 4.8 s, 24 workers 3.8 s; floor 2.2 s).
    workers: Math.min(64, 3 * config.concurrency),
    client,
    signIns: client.auth.results,
    apply,
    check: () => checkTableau(ctx),
    listUsers: () => listUsers(ctx),
    listGroups: () => listGroups(ctx),
    // POST /groups, then the members: the create can go while the members are still being provisioned.
    createsGroupsApart: true,
    usesGroups: ctx.mapping.groupRules.length > 0,
    preflight: (user: DesiredUser): Problem[] => preflightUser(ctx, user),
    userView: (user: DesiredUser) => tableauUserView(ctx, user),
    viewUntouched: (before, after) => mappingUntouched(ctx.mapping, TABLEAU_VIEW_ALSO_READS, before, after),
    driftedFields: (user: DesiredUser, account: TargetAccount, sent?: Record<string, unknown>) =>
      driftedFields(ctx, user, account, sent),
    close: () => client.signOut(),
  };
}
