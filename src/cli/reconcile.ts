// `scim-bridge reconcile [--target NAME] [--apply] [--format table|json] [--no-wait]`
import type { Command } from "commander";
import { RECONCILE_STATUSES, type ReconcileReport, reconcile } from "../sync/reconcile/index.ts";
import { createProgress, table } from "./progress.ts";
import { runSyncCommand, type SyncCommandOptions } from "./sync-session.ts";

export function formatReconcileReport(r: ReconcileReport): string {
  const head = `${r.applied ? "Reconciled" : "Plan for"} target ${r.target} (${r.kind}): ${r.pages} pages read in ${r.durationMs} ms\n`;
  const counts = table(
    ["", ...RECONCILE_STATUSES],
    [
      ["users", ...RECONCILE_STATUSES.map((s) => r.users[s])],
      ["groups", ...RECONCILE_STATUSES.map((s) => r.groups[s])],
    ],
  );
  const items = r.items.length
    ? table(
        ["type", "status", "key", "fields", "repair", "note"],
        r.items.map((i) => [i.type, i.status, i.key, i.fields?.join(",") ?? "", i.repair, i.note ?? ""]),
      ) +
      (r.truncated
        ? "(more items not shown; the counts are complete; use --format json for the stream)\n"
        : "")
    : "";
  const tail = r.applied
    ? `queued: ${r.enqueued.provision} provision, ${r.enqueued.deprovision} deprovision, ${r.enqueued.held} held by the circuit breaker\n`
    : "dry run: nothing was changed; run with --apply to queue the repairs\n";
  return `${head}${counts}${items ? `\n${items}` : ""}\n${tail}`;
}

export function registerReconcileCommand(program: Command) {
  program
    .command("reconcile")
    .description("compare targets with the store: in sync, drifted, missing, found-unlinked, unmanaged, gone")
    .option("--target <name>", "one target (default: every configured target)")
    .option("--apply", "queue the repairs through the outbox (default: a dry run)", false)
    .option("--format <format>", "table or json", "table")
    .option("--no-wait", "with --apply, do not wait for the repairs to be delivered")
    .option("--local", "never use a running bridge; open the store here", false)
    .option("--deprovision-unmanaged", "also deprovision accounts that only exist in the target", false)
    .option("--timeout <minutes>", "how long to wait for delivery", "30")
    .action(async (o: SyncCommandOptions & { target?: string; deprovisionUnmanaged: boolean }) =>
      runSyncCommand(o, async (session, config, mark) => {
        const names =
          o.target !== undefined
            ? [o.target]
            : session.mode === "local"
              ? session.deps.targets.map((t) => t.name)
              : (await session.server.call<{ targets: { name: string }[] }>("GET", "/targets")).targets.map(
                  (t) => t.name,
                );
        const deprovisionUnmanaged = o.deprovisionUnmanaged || config.reconcile.deprovisionUnmanaged;
        for (const target of names) {
          let report: ReconcileReport & { mark?: number };
          if (session.mode === "local") {
            const progress = createProgress();
            report = await reconcile(session.deps, {
              target,
              apply: o.apply,
              deprovisionUnmanaged,
              onProgress: (p) => progress.update(`${target}: ${p.phase}`, p.seen),
            });
            progress.done();
          } else {
            report = await session.server.call("POST", "/reconcile", { target, apply: o.apply });
            if (report.mark !== undefined && mark === 0) mark = report.mark;
          }
          process.stdout.write(
            o.format === "json" ? `${JSON.stringify(report)}\n` : formatReconcileReport(report),
          );
        }
        return { mark, targets: names };
      }),
    );
}
