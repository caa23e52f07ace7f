// The SCIM target: provisions users and groups into any SCIM 2.0 service provider (an app's own SCIM API,
// another scim-bridge), using what the peer advertises: PATCH or PUT, Bulk or one call per write.
import type { Logger } from "pino";
import type { RetryPolicy } from "../kind.ts";
import { mapLimited } from "../shared/limiter.ts";
import { driftedField } from "../shared/sent-fields.ts";
import type {
  DesiredUser,
  DriftedField,
  DriftTarget,
  GroupTarget,
  Operation,
  Outcome,
  PasswordTarget,
  Target,
  TargetAccount,
} from "../target.ts";
import { checkScim } from "./check.ts";
import { ScimClient } from "./client.ts";
import type { ScimTargetConfig } from "./config.ts";
import type { Plan, ScimContext, WritePlan } from "./context.ts";
import { discover, ENTERPRISE_USER, type PeerCapabilities } from "./discovery.ts";
import { listGroups, planGroupDelete, planGroupUpsert } from "./groups.ts";
import { managedPaths, managerOf, peerUser, userChanges } from "./mapping.ts";
import { outcomeOfError } from "./outcome.ts";
import { sendAll } from "./send.ts";
import { listUsers, planUserDeprovision, planUserUpsert } from "./users.ts";

/** Groups (`policies.groups`) and passwords (`acceptsPasswords`) are capabilities only when configured. */
export interface ScimTarget extends Target, DriftTarget {
  readonly kind: "scim";
  readonly client: ScimClient;
}

export interface ScimTargetOptions {
  /** The bridge's retry policy (transport classification); the SCIM kind makes no retries in place. */
  retry: RetryPolicy;
  logger?: Logger;
  /** The peer's id of another SCIM resource of this target (a user's manager), when it is linked. */
  resolveLink?: (scimId: string) => Promise<string | undefined>;
}

export function createScimTarget(config: ScimTargetConfig, options: ScimTargetOptions): ScimTarget {
  const client = new ScimClient(config, options.retry);
  let known: PeerCapabilities | undefined;
  let pending: Promise<PeerCapabilities> | undefined;
  const ctx: ScimContext = {
    client,
    config,
    ...(options.logger ? { log: options.logger } : {}),
    ...(options.resolveLink ? { resolveLink: options.resolveLink } : {}),
    async capabilities() {
      if (known) return known;
      // Failures are not kept: the next operation asks again.
      pending ??= discover(client).finally(() => {
        pending = undefined;
      });
      known = await pending;
      return known;
    },
  };

  function plan(op: Operation): Promise<Plan> {
    switch (op.kind) {
      case "user.upsert":
        // Deactivating needs only the account: nothing else in the record (a userName the peer refuses) may keep
        // an offboarded user active, so it goes the deprovision way, as in the other kinds.
        if (!op.user.active)
          return planUserDeprovision(ctx, op.targetId, String(op.user.data.userName ?? ""));
        return planUserUpsert(ctx, op.user, op.targetId);
      case "user.deprovision":
        return planUserDeprovision(
          ctx,
          op.targetId,
          op.user ? String(op.user.data.userName ?? "") : undefined,
        );
      case "group.upsert":
        return planGroupUpsert(ctx, op.group, op.targetId);
      case "group.delete":
        return planGroupDelete(ctx, op.targetId, op.displayName);
    }
  }

  const failed = (op: Operation, e: unknown): Outcome => {
    const outcome = outcomeOfError(options.retry, e);
    ctx.log?.warn({ target: config.name, op: op.kind, key: op.key, outcome }, "SCIM operation not applied");
    return outcome;
  };

  const planAll = (jobs: { op: Operation; plan: () => Promise<Plan> }[]) =>
    mapLimited(jobs, config.concurrency, (j) =>
      j.plan().catch((e: unknown): Plan => ({ outcome: failed(j.op, e) })),
    );

  /** Sends the planned writes; an update answered 404 (`replan`) is planned again without its link, and sent. */
  async function deliver(ops: Operation[], plans: Plan[], replan: boolean): Promise<Outcome[]> {
    const writing = plans.flatMap((p, i) => ("write" in p ? [i] : []));
    const out: Outcome[] = plans.map((p) => ("outcome" in p ? p.outcome : { status: "done" }));
    const gone: number[] = [];
    try {
      const answers = await sendAll(
        ctx,
        writing.map((i) => (plans[i] as WritePlan).write),
      );
      writing.forEach((i, n) => {
        const p = plans[i] as WritePlan;
        if (replan && p.unlinked && answers[n]!.status === 404) gone.push(i);
        else out[i] = p.meaning(answers[n]!);
      });
    } catch (e) {
      for (const i of writing) out[i] = failed(ops[i]!, e);
      return out;
    }
    if (!gone.length) return out;
    const again = gone.map((i) => ({ op: ops[i]!, plan: () => (plans[i] as WritePlan).unlinked!() }));
    const outcomes = await deliver(
      again.map((j) => j.op),
      await planAll(again),
      false,
    );
    gone.forEach((i, n) => {
      out[i] = outcomes[n]!;
    });
    return out;
  }

  return {
    name: config.name,
    kind: "scim",
    batchSize: config.batchSize,
    client,
    signIns: client.signIns,
    async apply(ops) {
      // Reads (correlation, current state) one by one, then the writes together: Bulk needs them in one request.
      const plans = await planAll(ops.map((op) => ({ op, plan: () => plan(op) })));
      return deliver(ops, plans, true);
    },
    check: () => checkScim(ctx),
    listUsers: () => listUsers(ctx),
    ...(config.policies.groups ? ({ listGroups: () => listGroups(ctx) } satisfies GroupTarget) : {}),
    ...(config.acceptsPasswords ? ({ acceptsPasswords: true } satisfies PasswordTarget) : {}),
    driftedFields(user: DesiredUser, account: TargetAccount): DriftedField[] {
      // Drift is computed against what discovery said; before any call, nothing is filtered.
      // The manager's peer id needs a lookup; reconcile compares the rest and leaves the manager to delivery.
      const ent = account.fields[ENTERPRISE_USER] as { manager?: { value?: unknown } } | undefined;
      const held = typeof ent?.manager?.value === "string" ? ent.manager.value : undefined;
      const desired = peerUser(
        user,
        config.mapping,
        known ?? { patch: false, filter: true },
        managerOf(user) ? held : undefined,
      );
      return userChanges(desired, account.fields, managedPaths(config.mapping)).map((c) =>
        driftedField(c.path, account.fields[c.path], c.op === "replace" ? c.value : undefined),
      );
    },
  };
}
