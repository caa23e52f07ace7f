import type { SyncDeps } from "../reconcile/index.ts";

/** What operator actions act on: the same dependencies reconcile and import use. */
export type ActionDeps = SyncDeps & { deprovisionUnmanaged?: boolean | undefined };
