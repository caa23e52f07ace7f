// What reconcile reports: one classification per account or store resource, with counts for the plan.

import type { Directory } from "../../directory/index.ts";
import type { Db } from "../../store/index.ts";
import type { DriftedField } from "../../targets/target.ts";

export type { ConfiguredTarget } from "../configured-target.ts";

import type { ConfiguredTarget } from "../configured-target.ts";
import type { BreakerPolicy } from "../enqueue.ts";

export const RECONCILE_STATUSES = [
  "in-sync",
  "drifted",
  "missing",
  "found-unlinked",
  "unmanaged",
  "gone",
] as const;
export type ReconcileStatus = (typeof RECONCILE_STATUSES)[number];

/** What --apply does about an item. */
export type Repair = "none" | "provision" | "link+provision" | "deprovision" | "relink+provision";

export interface ReconcileItem {
  target: string;
  type: "User" | "Group";
  status: ReconcileStatus;
  /** The correlation key: user name / Username, or group display name. */
  key: string;
  targetId?: string;
  scimId?: string;
  /** For drifted: the fields whose value in the target differs from what the mapping produces. */
  fields?: string[];
  /** For drifted: each such field's value in the target and the store's, side by side (secrets never). */
  values?: DriftedField[];
  repair: Repair;
  note?: string;
}

export type Counts = Record<ReconcileStatus, number>;

export interface ReconcileReport {
  target: string;
  kind: string;
  applied: boolean;
  users: Counts;
  groups: Counts;
  /** Items that are not in sync (at most `maxItems`; the counts are always complete). */
  items: ReconcileItem[];
  truncated: boolean;
  /** Pages read from the target (each page is one list call, plus member calls for some targets' groups). */
  pages: number;
  enqueued: { provision: number; deprovision: number; held: number };
  durationMs: number;
}

export interface SyncDeps {
  db: Db;
  directory: Directory;
  targets: ConfiguredTarget[];
  breaker: BreakerPolicy;
  /** Wakes the dispatcher for a target after repairs were queued. */
  kick?: (target?: string) => void;
  /** Told how many jobs a run queued, once committed: the outbox's statistics follow (sync/outbox-statistics.ts). */
  queued?: (jobs: number) => void;
}

export interface ReconcileOptions {
  target: string;
  apply?: boolean;
  deprovisionUnmanaged?: boolean;
  /** Called for every item (in-sync ones included), e.g. to stream JSON lines. */
  onItem?: (item: ReconcileItem) => void;
  /** Called after every page read from the target. */
  onProgress?: (p: { target: string; phase: "users" | "groups" | "store"; seen: number }) => void;
  maxItems?: number;
}

export const emptyCounts = (): Counts => ({
  "in-sync": 0,
  drifted: 0,
  missing: 0,
  "found-unlinked": 0,
  unmanaged: 0,
  gone: 0,
});
