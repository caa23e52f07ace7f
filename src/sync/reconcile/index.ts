// sync/reconcile: compare a target with the store and repair drift through the outbox.
//
//   reconcile(deps, {target, apply})   — classify every account and store resource; queue repairs with apply
//   waitForDelivery(db, mark)          — until what was queued since `mark` is delivered (or dead / held)
//   startSyncScheduler(...)            — reconcile and import on the intervals in config

export { openJobsSince, outboxMark } from "../../store/index.ts";
export { breakerPolicy, syncDeps } from "./deps.ts";
export { driftCheckFor } from "./desired-fields.ts";
export { findTarget, reconcile } from "./reconcile.ts";
export { type SyncScheduler, startSyncScheduler } from "./schedule.ts";
export {
  RECONCILE_STATUSES,
  type ReconcileItem,
  type ReconcileOptions,
  type ReconcileReport,
  type ReconcileStatus,
  type SyncDeps,
} from "./types.ts";
export { type DeliveryProgress, waitForDelivery } from "./wait.ts";
