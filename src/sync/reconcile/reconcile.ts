// reconcile(target): stream the target's users and groups, classify each against the store and the links,
// and (with apply) queue the repairs through the outbox in batches as they are found.
import { randomUUID } from "node:crypto";
import { BridgeError } from "../../errors.ts";
import { reconcileGroups } from "./groups.ts";
import { type Enqueued, enqueueRepairs, type RepairJob } from "./repairs.ts";
import {
  type ConfiguredTarget,
  emptyCounts,
  type ReconcileItem,
  type ReconcileOptions,
  type ReconcileReport,
  type SyncDeps,
} from "./types.ts";
import { reconcileUsers, type Sink } from "./users.ts";

const REPAIR_BATCH = 500;

export function findTarget(targets: ConfiguredTarget[], name: string): ConfiguredTarget {
  const t = targets.find((x) => x.name === name);
  if (!t) {
    throw new BridgeError(
      "SCIM_NOT_FOUND",
      `No target named "${name}"; configured: ${targets.map((x) => x.name).join(", ") || "none"}`,
    );
  }
  return t;
}

export async function reconcile(deps: SyncDeps, opts: ReconcileOptions): Promise<ReconcileReport> {
  const started = Date.now();
  const t = findTarget(deps.targets, opts.target);
  const maxItems = opts.maxItems ?? 1000;
  const requestId = `reconcile-${randomUUID()}`;
  const report: ReconcileReport = {
    target: t.name,
    kind: t.target.kind,
    applied: !!opts.apply,
    users: emptyCounts(),
    groups: emptyCounts(),
    items: [],
    truncated: false,
    pages: 0,
    enqueued: { provision: 0, deprovision: 0, held: 0 },
    durationMs: 0,
  };
  let pending: RepairJob[] = [];
  const flush = async () => {
    if (!pending.length) return;
    const batch = pending;
    pending = [];
    const e: Enqueued = await enqueueRepairs(deps.db, t.name, batch, deps.breaker, requestId);
    report.enqueued.provision += e.provision;
    report.enqueued.deprovision += e.deprovision;
    report.enqueued.held += e.held;
    deps.queued?.(e.provision + e.deprovision + e.held);
    deps.kick?.(t.name);
  };
  const sink: Sink = {
    item(i: ReconcileItem) {
      (i.type === "User" ? report.users : report.groups)[i.status]++;
      if (i.status !== "in-sync") {
        if (report.items.length < maxItems) report.items.push(i);
        else report.truncated = true;
      }
      opts.onItem?.(i);
    },
    async repair(r) {
      if (!opts.apply) return;
      pending.push(r);
      if (pending.length >= REPAIR_BATCH) await flush();
    },
    page(phase, seen) {
      if (phase !== "store") report.pages++;
      opts.onProgress?.({ target: t.name, phase, seen });
    },
  };
  await reconcileUsers(deps, t, sink, { deprovisionUnmanaged: !!opts.deprovisionUnmanaged });
  await reconcileGroups(deps, t, sink);
  await flush();
  report.durationMs = Date.now() - started;
  return report;
}
