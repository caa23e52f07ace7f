// Reconcile and import on the intervals in configuration. Runs never overlap: the next one is timed from the end
// of the last, so a slow target cannot pile runs up. Several bridge processes on one PostgreSQL each run it;
// repairs are idempotent jobs, so a duplicate run costs list calls, not double writes.
import type { Logger } from "pino";
import type { Config } from "../../config/index.ts";
import { loggableError } from "../../errors.ts";
import { importFrom } from "../import/import.ts";
import { reconcile } from "./reconcile.ts";
import type { SyncDeps } from "./types.ts";

export interface SyncScheduler {
  stop(): Promise<void>;
}

export function startSyncScheduler(
  deps: SyncDeps,
  config: Pick<Config, "reconcile" | "import">,
  logger: Logger,
): SyncScheduler {
  const timers = new Set<NodeJS.Timeout>();
  let running: Promise<void> | undefined;
  let stopped = false;

  function every(minutes: number, name: string, run: () => Promise<void>) {
    if (!minutes) return;
    const schedule = () => {
      if (stopped) return;
      const timer = setTimeout(async () => {
        timers.delete(timer);
        running = run().catch((err) => logger.error({ err: loggableError(err) }, `scheduled ${name} failed`));
        await running;
        running = undefined;
        schedule();
      }, minutes * 60_000);
      timer.unref();
      timers.add(timer);
    };
    schedule();
  }

  const rc = config.reconcile;
  every(rc.intervalMinutes, "reconcile", async () => {
    for (const t of deps.targets.filter((x) => !rc.targets || rc.targets.includes(x.name))) {
      const r = await reconcile(deps, {
        target: t.name,
        apply: rc.apply,
        deprovisionUnmanaged: rc.deprovisionUnmanaged,
      });
      logger.info(
        { target: t.name, users: r.users, groups: r.groups, enqueued: r.enqueued },
        "scheduled reconcile",
      );
    }
  });
  const from = config.import.from;
  if (from) {
    every(config.import.intervalMinutes, "import", async () => {
      const r = await importFrom(deps, { from, apply: true });
      logger.info({ from, users: r.users, groups: r.groups }, "scheduled import");
    });
  }
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await running;
    },
  };
}
