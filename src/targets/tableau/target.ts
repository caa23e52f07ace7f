// The Tableau target: one site of Tableau Server or Cloud, reached over the REST API (JSON).
import { defaultTableauMapping, mergeMapping } from "../../mapping/index.ts";
import type { DesiredUser, Operation, Outcome, Problem, Target, TargetAccount } from "../target.ts";
import { checkTableau } from "./check.ts";
import { TableauClient, type TableauClientOptions } from "./client/request.ts";
import type { TableauTargetConfig } from "./config.ts";
import { mapLimited, outcomeOfError, type TableauContext } from "./context.ts";
import { driftedFields } from "./drift.ts";
import { deleteGroup, listGroups, upsertGroup } from "./groups.ts";
import { deprovisionUser, listUsers, preflightUser, upsertUser } from "./users.ts";

export type TableauTargetOptions = TableauClientOptions;

export interface TableauTarget extends Target {
  readonly kind: "tableau";
  /** The client, for diagnostics: API calls sent and sign-ins made. */
  readonly client: TableauClient;
}

export function createTableauTarget(
  config: TableauTargetConfig,
  options: TableauTargetOptions = {},
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
  };

  async function applyOne(op: Operation): Promise<Outcome> {
    try {
      switch (op.kind) {
        case "user.upsert":
          return await upsertUser(ctx, op.user, op.targetId);
        case "user.deprovision":
          return await deprovisionUser(ctx, op.targetId);
        case "group.upsert":
          return await upsertGroup(ctx, op.group, op.targetId);
        case "group.delete":
          return await deleteGroup(ctx, op.targetId);
      }
    } catch (e) {
      const outcome = outcomeOfError(e);
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
    concurrency: config.concurrency,
    acceptsPasswords: false,
    handlesGroups: true,
    client,
    apply: (ops) => mapLimited(ops, config.concurrency, applyOne),
    check: () => checkTableau(ctx),
    listUsers: () => listUsers(ctx),
    listGroups: () => listGroups(ctx),
    preflight: (user: DesiredUser): Problem[] => preflightUser(ctx, user),
    driftedFields: (user: DesiredUser, account: TargetAccount) => driftedFields(ctx, user, account),
    close: () => client.signOut(),
  };
}
