// `scim-bridge import --from TARGET [--apply] [--format table|json] [--no-wait]`: e.g. Tableau users into the store,
// and from there into Salesforce.
import type { Command } from "commander";
import { type ImportReport, importFrom } from "../sync/import/index.ts";
import { createProgress, table } from "./progress.ts";
import { runSyncCommand, type SyncCommandOptions } from "./sync-session.ts";

const RESULTS = ["created", "linked", "updated", "skipped", "failed"] as const;

export function formatImportReport(r: ImportReport): string {
  const head = `${r.applied ? "Imported from" : "Import plan from"} ${r.from} in ${r.durationMs} ms\n`;
  const counts = table(
    ["", ...RESULTS],
    [
      ["users", ...RESULTS.map((s) => r.users[s])],
      ["groups", ...RESULTS.map((s) => r.groups[s])],
    ],
  );
  const items = table(
    ["type", "key", "result", "reason"],
    r.items.map((i) => [i.type, i.key, i.result, i.reason ?? ""]),
  );
  const tail = r.applied
    ? "the store now holds these users; the dispatcher provisions them into every other target in scope\n"
    : "dry run: nothing was changed; run with --apply to import\n";
  return `${head}${counts}\n${items}${r.truncated ? "(more results not shown; use --format json)\n" : ""}\n${tail}`;
}

export function registerImportCommand(program: Command) {
  program
    .command("import")
    .description(
      "bring a target's users and groups into the store, linked, so the other targets receive them",
    )
    .requiredOption("--from <target>", "the source target, e.g. tableau")
    .option("--apply", "write to the store (default: a dry run)", false)
    .option("--include-inactive", "also import accounts that are inactive in the source", false)
    .option("--format <format>", "table or json", "table")
    .option("--no-wait", "with --apply, do not wait for the other targets to be provisioned")
    .option("--local", "never use a running bridge; open the store here", false)
    .option("--timeout <minutes>", "how long to wait for delivery", "30")
    .action(async (o: SyncCommandOptions & { from: string; includeInactive: boolean }) =>
      runSyncCommand(o, async (session, _config, mark) => {
        let report: ImportReport & { mark?: number };
        if (session.mode === "local") {
          const progress = createProgress();
          report = await importFrom(session.deps, {
            from: o.from,
            apply: o.apply,
            includeInactive: o.includeInactive,
            onProgress: (p) => progress.update(`${o.from}: ${p.phase}`, p.seen),
          });
          progress.done();
          session.deps.kick?.();
        } else {
          report = await session.server.call("POST", "/import", {
            from: o.from,
            apply: o.apply,
            includeInactive: o.includeInactive,
          });
          mark = report.mark ?? 0;
        }
        process.stdout.write(
          o.format === "json" ? `${JSON.stringify(report)}\n` : formatImportReport(report),
        );
        return { mark, failed: report.users.failed + report.groups.failed > 0 };
      }),
    );
}
