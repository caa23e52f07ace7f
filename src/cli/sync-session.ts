// What `reconcile` and `import` share: run here on the store, or through the bridge already serving it, and
// wait (with progress) for what was queued to be delivered.
import { pino } from "pino";
import { type Bridge, createBridge } from "../bridge.ts";
import { type Config, loadConfig } from "../config/index.ts";
import {
  type DeliveryProgress,
  outboxMark,
  type SyncDeps,
  syncDeps,
  waitForDelivery,
} from "../sync/reconcile/index.ts";
import { targetConfigs } from "../targets/registry.ts";
import { createProgress } from "./progress.ts";
import { findRunningServer, type RunningServer } from "./running-server.ts";

export type Session =
  | { mode: "remote"; server: RunningServer; close(): Promise<void> }
  | { mode: "local"; bridge: Bridge; deps: SyncDeps; close(): Promise<void> };

export async function openSession(
  config: Config,
  env: Record<string, string | undefined>,
  opts: { local?: boolean; dispatch: boolean },
): Promise<Session> {
  const server = opts.local ? undefined : await findRunningServer(config);
  if (server) {
    process.stderr.write(`using the bridge running at ${server.url} (it holds the store)\n`);
    return { mode: "remote", server, close: async () => {} };
  }
  // Logs go to stderr so that stdout carries only the report.
  const logger = pino({ level: config.logLevel === "info" ? "warn" : config.logLevel }, process.stderr);
  const bridge = await createBridge({
    config,
    logger,
    targetConfigs: targetConfigs(config.targets, env),
    tokens: [],
    adminTokens: [],
    dispatch: opts.dispatch,
  });
  return { mode: "local", bridge, deps: syncDeps(bridge, config), close: () => bridge.stop() };
}

export async function markOf(session: Session): Promise<number> {
  return session.mode === "local" ? outboxMark(session.bridge.db) : 0;
}

/** Waits for jobs created since `mark` in `targets` (all when undefined); returns the final tally. */
export async function waitWithProgress(
  session: Session,
  mark: number,
  targets: string[] | undefined,
  timeoutMs: number,
): Promise<DeliveryProgress & { timedOut: boolean }> {
  const progress = createProgress();
  const show = (p: DeliveryProgress) => {
    const total = p.open + p.done + p.dead;
    progress.update("delivering", p.done + p.dead, total);
  };
  try {
    if (session.mode === "local") {
      return await waitForDelivery(session.bridge.db, mark, {
        ...(targets ? { targets } : {}),
        timeoutMs,
        onProgress: show,
      });
    }
    const until = Date.now() + timeoutMs;
    const query = `/deliveries?since=${mark}${targets ? `&target=${encodeURIComponent(targets.join(","))}` : ""}`;
    for (;;) {
      const p = await session.server.call<DeliveryProgress>("GET", query);
      show(p);
      if (p.open === 0) return { ...p, timedOut: false };
      if (Date.now() > until) return { ...p, timedOut: true };
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    progress.done();
  }
}

export function deliverySummary(p: DeliveryProgress & { timedOut: boolean }): string {
  const parts = [`${p.done} delivered`, `${p.dead} failed`];
  if (p.held)
    parts.push(
      `${p.held} held by the circuit breaker (\`scim-bridge held\` lists whose; release them with POST /admin/targets/<name>/release)`,
    );
  if (p.timedOut) parts.push(`${p.open} still queued (the server keeps delivering them)`);
  return `delivery: ${parts.join(", ")}\n`;
}

/** The options every sync command (reconcile, import) takes besides its own. */
export interface SyncCommandOptions {
  apply: boolean;
  format: string;
  wait: boolean;
  local: boolean;
  timeout: string;
}

/**
 * The frame of a sync command: check --format, open a session, run `body` (it writes its report and says from
 * which outbox mark, and for which targets, to wait), then with --apply and without --no-wait wait for delivery.
 */
export async function runSyncCommand(
  o: SyncCommandOptions,
  body: (
    session: Session,
    config: Config,
    mark: number,
  ) => Promise<{ mark: number; targets?: string[]; failed?: boolean }>,
): Promise<void> {
  if (!["table", "json"].includes(o.format)) throw new Error("--format must be table or json");
  const config = loadConfig();
  const session = await openSession(config, process.env, {
    local: o.local,
    dispatch: o.apply && o.wait,
  });
  try {
    const { mark, targets, failed } = await body(session, config, await markOf(session));
    if (o.apply && o.wait) {
      const result = await waitWithProgress(session, mark, targets, Number(o.timeout) * 60_000);
      process.stderr.write(deliverySummary(result));
    }
    if (failed) process.exitCode = 1;
  } finally {
    await session.close();
  }
}
