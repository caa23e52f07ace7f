// The dependencies reconcile and import need, taken from a running bridge and its configuration.
import type { Config } from "../../config/index.ts";
import type { Directory } from "../../directory/index.ts";
import type { Db } from "../../store/index.ts";
import type { ConfiguredTarget } from "../configured-target.ts";
import type { BreakerPolicy } from "../enqueue.ts";
import type { SyncDeps } from "./types.ts";

export function breakerPolicy(config: Pick<Config, "sync">): BreakerPolicy {
  const b = config.sync.breaker;
  return { windowMs: b.windowMinutes * 60_000, maxCount: b.maxDeprovisions, maxPercent: b.maxPercent };
}

export function syncDeps(
  bridge: {
    db: Db;
    directory: Directory;
    targets: ConfiguredTarget[];
    dispatcher?: { kick(t?: string): void };
    outboxStatistics?: { noteQueued(jobs: number): void };
  },
  config: Pick<Config, "sync">,
): SyncDeps {
  const dispatcher = bridge.dispatcher;
  const statistics = bridge.outboxStatistics;
  return {
    db: bridge.db,
    directory: bridge.directory,
    targets: bridge.targets,
    breaker: breakerPolicy(config),
    ...(dispatcher ? { kick: (t?: string) => dispatcher.kick(t) } : {}),
    ...(statistics ? { queued: (jobs: number) => statistics.noteQueued(jobs) } : {}),
  };
}
