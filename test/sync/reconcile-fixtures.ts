// Shared by the reconcile-*/import-* tests: a bridge's reconcile/import dependencies and small lookups.

import type { ReconcileReport, SyncDeps } from "../../src/sync/reconcile/index.ts";
import { syncDeps } from "../../src/sync/reconcile/index.ts";
import type { TestBridge } from "../support/bridge.ts";

export function depsOf(t: TestBridge, breaker?: { maxDeprovisions: number; maxPercent: number }): SyncDeps {
  return syncDeps(t.bridge, {
    sync: {
      breaker: {
        windowMinutes: 60,
        maxDeprovisions: breaker?.maxDeprovisions ?? 100,
        maxPercent: breaker?.maxPercent ?? 0,
      },
    },
  } as never);
}

/** status → keys, for readable assertions. */
export function byStatus(report: ReconcileReport, type: "User" | "Group" = "User"): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const i of report.items.filter((x) => x.type === type))
    out[i.status] = [...(out[i.status] ?? []), i.key];
  for (const v of Object.values(out)) v.sort();
  return out;
}

export const item = (report: ReconcileReport, key: string) => report.items.find((i) => i.key === key);
