// The database goes away under load (a failover, a pooler restart, idle_session_timeout): the bridge process stays
// up, every write it answered 201 is stored, the writes it could not store are SCIM 503s, /readyz says so while the
// database is unreachable, and deliveries resume when it is back.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { eventually } from "../support/bridge.ts";
import { type BridgeProcess, schemaUrl, spawnBridge } from "../support/process.ts";
import { openTestDb, type TestDb } from "../support/store.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const TOKEN = "db-faults-token-0123456789";

interface Load {
  /** userNames answered 201. */
  created: string[];
  /** Statuses other than 201, with their content type. */
  refused: { status: number; type: string; detail?: string }[];
  stop(): Promise<void>;
}

/** 8 clients creating users until stopped; `onCreated` sees the running count of 201s. */
function writeLoad(url: string, prefix: string, onCreated: (n: number) => void): Load {
  const created: string[] = [];
  const refused: Load["refused"] = [];
  let running = true;
  let next = 0;
  const clients = Array.from({ length: 8 }, async () => {
    while (running) {
      const userName = `${prefix}${next++}@example.com`;
      const res = await fetch(`${url}/scim/v2/Users`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/scim+json" },
        body: JSON.stringify(user(userName)),
      }).catch(() => undefined);
      if (!res) {
        // The bridge is gone (or reset the connection): recorded as status 0, and this client stops.
        refused.push({ status: 0, type: "" });
        return;
      }
      const body = (await res.json().catch(() => ({}))) as { detail?: string };
      if (res.status === 201) {
        created.push(userName);
        onCreated(created.length);
      } else
        refused.push({
          status: res.status,
          type: res.headers.get("content-type") ?? "",
          detail: body.detail,
        });
    }
  });
  return {
    created,
    refused,
    async stop() {
      running = false;
      await Promise.all(clients);
    },
  };
}

describe.skipIf(!process.env.DATABASE_URL)("database faults (PostgreSQL)", () => {
  let store: TestDb;
  let target: RunningTestTarget;
  let bridge: BridgeProcess | undefined;
  let proxy: TcpProxy | undefined;
  beforeAll(async () => {
    store = await openTestDb("postgres");
    target = await startTestTarget({ faults: { latencyMs: 5 } });
  });
  afterEach(async () => {
    if (bridge && bridge.child.exitCode === null) {
      bridge.child.kill("SIGTERM");
      await bridge.exited;
    }
    bridge = undefined;
    await proxy?.close();
    proxy = undefined;
  });
  afterAll(async () => {
    await target.close();
    await store.close();
  });

  const start = (databaseUrl: string) =>
    spawnBridge({
      databaseUrl,
      token: TOKEN,
      config: { targets: [{ name: "accounts", kind: "test", url: target.url, batchSize: 10 }] },
      // Deliveries run beside the load instead of giving way to it, so the cuts land in the middle of both.
      // The writers retry a 503 at once (thousands during a cut): the rate limit is not what is tested here.
      env: {
        SYNC_WAIT_MS: "0",
        SYNC_LEASE_MS: "2000",
        SYNC_POLL_MS: "50",
        SYNC_YIELD_MS: "0",
        RATE_LIMIT_PER_MINUTE: "1000000",
      },
    });

  async function storedUserNames(): Promise<Set<string>> {
    const { rows } = await store.db.query<{ u: string }>("SELECT user_name AS u FROM users");
    return new Set(rows.map((r) => r.u));
  }

  /** Every stored user reaches the target exactly once: deliveries resumed after the faults. */
  async function expectDelivered(): Promise<void> {
    const stored = await storedUserNames();
    await eventually(
      () => new Set([...target.accounts.values()].map((a) => a.key)).size >= stored.size,
      60_000,
      100,
    );
    const keys = [...target.accounts.values()].map((a) => a.key);
    expect(new Set(keys).size).toBe(keys.length);
  }

  function expectOnlyScim503s(load: Load) {
    for (const r of load.refused) {
      expect(r.status).toBe(503);
      expect(r.type).toContain("application/scim+json");
      expect(r.detail ?? "").not.toMatch(/terminat|ECONN|pg_|Client|at \w+ \(/);
    }
  }

  it("survives its backends being terminated during writes and deliveries", async () => {
    const app = `bridge_${randomBytes(4).toString("hex")}`;
    const url = new URL(schemaUrl(process.env.DATABASE_URL!, store.schema!));
    url.searchParams.set("application_name", app);
    bridge = await start(url.toString());
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    const terminate = () =>
      admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [
        app,
      ]);

    // Three rounds: each time another 60 users are stored, every backend of this bridge is terminated.
    const cuts: Promise<unknown>[] = [];
    let nextCut = 60;
    let done!: () => void;
    const enough = new Promise<void>((r) => (done = r));
    const load = writeLoad(bridge.url, "term", (n) => {
      if (n >= nextCut && cuts.length < 3) {
        nextCut += 60;
        cuts.push(terminate());
      }
      if (n >= 240) done();
    });
    await Promise.race([enough, bridge.exited]);
    await load.stop();
    await Promise.all(cuts);
    await admin.end();

    // The process stayed up; if not, what it said before it died.
    expect(bridge.child.exitCode, bridge.output().slice(-4000)).toBeNull();
    expect(cuts).toHaveLength(3);
    const stored = await storedUserNames();
    for (const u of load.created) expect(stored.has(u)).toBe(true);
    expectOnlyScim503s(load);
    await expectDelivered();
    expect(bridge.output()).not.toMatch(/Unhandled 'error' event/);
  }, 120_000);

  it("survives every connection cut and refused for 10 s: 503s and /readyz failing meanwhile, then resumes", async () => {
    const pgUrl = new URL(process.env.DATABASE_URL!);
    proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    const viaProxy = new URL(schemaUrl(process.env.DATABASE_URL!, store.schema!));
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    bridge = await start(viaProxy.toString());
    const b = bridge;

    let cutAt = 0;
    let cutStarted!: () => void;
    const cutting = new Promise<void>((r) => (cutStarted = r));
    const load = writeLoad(b.url, "cut", (n) => {
      if (n === 50) {
        proxy!.cut();
        cutAt = Date.now();
        cutStarted();
      }
    });
    await Promise.race([cutting, b.exited]);
    const readyDuringCut = await fetch(`${b.url}/readyz`);
    expect(readyDuringCut.status).toBe(503);
    // The outage lasts 10 s, whatever happens meanwhile: that is the fault being injected, not a wait for an event.
    await new Promise((r) => setTimeout(r, Math.max(0, cutAt + 10_000 - Date.now())));
    const createdDuringCut = load.created.length;
    proxy.restore();
    await eventually(async () => (await fetch(`${b.url}/readyz`)).status === 200, 30_000, 100);
    // Writes are stored again after the database is back.
    await eventually(() => load.created.length >= createdDuringCut + 50, 30_000, 50);
    await load.stop();

    expect(b.child.exitCode).toBeNull();
    expect(load.refused.length).toBeGreaterThan(0);
    const stored = await storedUserNames();
    for (const u of load.created) expect(stored.has(u)).toBe(true);
    expectOnlyScim503s(load);
    await expectDelivered();
  }, 120_000);
});
