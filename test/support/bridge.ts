// A whole bridge (store, dispatcher, HTTP) on a test store, with targets, driven over real HTTP.
import { Writable } from "node:stream";
import { pino } from "pino";
import supertest from "supertest";
import { type Bridge, createBridge } from "../../src/bridge.ts";
import { type Config, ConfigSchema } from "../../src/config/index.ts";
import type { ForegroundLoad } from "../../src/sync/index.ts";
import { type Backend, openTestDb, type TestDb } from "./store.ts";

export const TOKEN = "bridge-test-token-0123456789";
export const ADMIN_TOKEN = "bridge-admin-token-0123456789";
export const AUTH = { Authorization: `Bearer ${TOKEN}` };
export const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };

export interface TestBridge {
  bridge: Bridge;
  request: ReturnType<typeof supertest>;
  store: TestDb;
  logs: string[];
  url: string;
  stop(): Promise<void>;
}

/** Fast timings so tests converge quickly; any config key can be overridden. */
export async function startTestBridge(opts: {
  targets: Record<string, unknown>[];
  config?: Record<string, unknown>;
  backend?: Backend;
  foreground?: ForegroundLoad;
  /** Another bridge's store, shared as several processes share one PostgreSQL (left open by stop). */
  store?: TestDb;
}): Promise<TestBridge> {
  const store = opts.store ?? (await openTestDb(opts.backend));
  const logs: string[] = [];
  const logger = pino(
    { level: "debug" },
    new Writable({
      write(chunk, _e, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const config: Config = ConfigSchema.parse({
    sync: {
      pollMs: 50,
      backoffBaseMs: 20,
      backoffMaxMs: 200,
      waitForDeliveryMs: 3000,
      // Each delivery at once (coalesce-updates.test.ts turns the window on).
      coalesceMs: 0,
      ...(opts.config?.sync as object),
    },
    ...opts.config,
  });
  const bridge = await createBridge({
    config: { ...config, sync: { ...config.sync } },
    logger,
    db: store.db,
    targetConfigs: opts.targets,
    tokens: [{ name: "test", token: TOKEN }],
    adminTokens: [{ name: "admin", token: ADMIN_TOKEN }],
    ...(opts.foreground ? { foreground: opts.foreground } : {}),
  });
  const server = await bridge.listen(0, "127.0.0.1");
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    bridge,
    request: supertest(url),
    store,
    logs,
    url,
    async stop() {
      await bridge.stop();
      if (!opts.store) await store.close();
    },
  };
}

/** Resolves when `check` returns a truthy value; polls because the state lives in another component. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves once every job in the bridge's outbox is done: nothing pending, running, held or failed. */
export async function outboxDrained(t: Pick<TestBridge, "store">, timeoutMs?: number): Promise<void> {
  await eventually(async () => {
    const { rows } = await t.store.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox WHERE state <> 'done'",
    );
    return Number(rows[0]?.n) === 0;
  }, timeoutMs);
}
