// `scim-bridge doctor`: configuration, store and every target's check(), as a pass/fail table with the fix for
// each failure. Exit code 1 when anything fails.
import type { Command } from "commander";
import { type Config, ConfigError, loadConfig } from "../config/index.ts";
import { migrationStatus, openStore } from "../store/index.ts";
import { credentialsParked, retryPolicy } from "../sync/index.ts";
import { buildTargets, targetConfigs } from "../targets/registry.ts";
import type { CheckResult } from "../targets/target.ts";
import { table } from "./progress.ts";
import { findRunningServer } from "./running-server.ts";

export interface DoctorRow {
  area: string;
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

async function storeChecks(config: Config): Promise<DoctorRow[]> {
  const area = "store";
  const where = config.databaseUrl ? "PostgreSQL (DATABASE_URL)" : `PGlite in ${config.dataDir}`;
  if (!config.databaseUrl) {
    const server = await findRunningServer(config).catch(() => undefined);
    // The embedded store admits one process; the running bridge has it open, so ask that bridge instead.
    if (server)
      return [
        { area, check: "open the store", ok: true, detail: `held by the bridge running at ${server.url}` },
      ];
  }
  let db: Awaited<ReturnType<typeof openStore>>;
  try {
    db = await openStore({
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      dataDir: config.dataDir,
      migrate: false,
    });
  } catch (e) {
    return [
      {
        area,
        check: "open the store",
        ok: false,
        detail: `${where}: ${(e as Error).message}`,
        fix: config.databaseUrl
          ? "check DATABASE_URL (host, credentials, database) and that PostgreSQL is up"
          : `make ${config.dataDir} writable, or set DATA_DIR`,
      },
    ];
  }
  try {
    const { files, pending } = await migrationStatus(db);
    // Work the targets parked on refused credentials, as every process sees it in the outbox.
    const parked = pending.length ? new Map() : await credentialsParked(db).catch(() => new Map());
    return [
      { area, check: "open the store", ok: true, detail: where },
      {
        area,
        check: "migrations applied",
        ok: pending.length === 0,
        detail: pending.length ? `pending: ${pending.join(", ")}` : `${files.length} of ${files.length}`,
        ...(pending.length ? { fix: "run `scim-bridge migrate` (serve also migrates on start)" } : {}),
      },
      ...[...parked].map(([target, c]: [string, CheckResult]) => ({
        area: `target ${target}`,
        check: c.check,
        ok: c.ok,
        detail: c.detail,
        ...(c.fix ? { fix: c.fix } : {}),
      })),
    ];
  } finally {
    await db.close();
  }
}

export async function runDoctor(env: Record<string, string | undefined> = process.env): Promise<DoctorRow[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (e) {
    const problems = e instanceof ConfigError ? e.problems : [(e as Error).message];
    return problems.map((p) => ({
      area: "config",
      check: "configuration",
      ok: false,
      detail: p,
      fix: "fix the setting named (environment variable or BRIDGE_CONFIG file)",
    }));
  }
  const rows: DoctorRow[] = [
    {
      area: "config",
      check: "configuration",
      ok: true,
      detail: env.BRIDGE_CONFIG ? `environment + ${env.BRIDGE_CONFIG}` : "environment",
    },
  ];
  rows.push(...(await storeChecks(config)));
  let targets: ReturnType<typeof buildTargets> = [];
  try {
    targets = buildTargets(targetConfigs(config.targets, env), { retry: retryPolicy });
  } catch (e) {
    const problems = e instanceof ConfigError ? e.problems : [(e as Error).message];
    for (const p of problems)
      rows.push({
        area: "targets",
        check: "target configuration",
        ok: false,
        detail: p,
        fix: "fix the target entry named",
      });
  }
  if (!targets.length && rows.every((r) => r.area !== "targets"))
    rows.push({
      area: "targets",
      check: "targets configured",
      ok: true,
      detail: "none: users are stored, nothing is provisioned",
    });
  for (const t of targets) {
    let results: CheckResult[];
    try {
      results = await t.target.check();
    } catch (e) {
      results = [{ check: "check", ok: false, detail: (e as Error).message, fix: "see the detail" }];
    } finally {
      await t.target.close?.().catch(() => {});
    }
    for (const r of results)
      rows.push({
        area: `target ${t.name}`,
        check: r.check,
        ok: r.ok,
        detail: r.detail,
        ...(r.fix ? { fix: r.fix } : {}),
      });
  }
  return rows;
}

export function formatDoctor(rows: DoctorRow[]): string {
  const body = table(
    ["", "area", "check", "detail", "fix"],
    rows.map((r) => [r.ok ? "PASS" : "FAIL", r.area, r.check, r.detail, r.ok ? "" : (r.fix ?? "")]),
  );
  const failed = rows.filter((r) => !r.ok).length;
  return `${body}\n${failed ? `${failed} check(s) failed` : "all checks passed"}\n`;
}

export function registerDoctorCommand(program: Command) {
  program
    .command("doctor")
    .description("check the configuration, the store and every target; print the fix for each failure")
    .option("--format <format>", "table or json", "table")
    .action(async (o: { format: string }) => {
      const rows = await runDoctor();
      process.stdout.write(o.format === "json" ? `${JSON.stringify(rows)}\n` : formatDoctor(rows));
      if (rows.some((r) => !r.ok)) process.exitCode = 1;
    });
}
