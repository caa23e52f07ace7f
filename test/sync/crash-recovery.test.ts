// kill -9 a bridge in the middle of a 2,000-user load, restart it: every user reaches the target exactly once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { eventually } from "../support/bridge.ts";
import { type BridgeProcess, schemaUrl, spawnBridge } from "../support/process.ts";
import { openTestDb, type TestDb } from "../support/store.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const TOKEN = "crash-test-token-0123456789";
const N = 2000;

describe.skipIf(!process.env.DATABASE_URL)("crash recovery (PostgreSQL)", () => {
  let store: TestDb;
  let target: RunningTestTarget;
  const procs: BridgeProcess[] = [];
  beforeAll(async () => {
    store = await openTestDb("postgres");
    target = await startTestTarget({ faults: { latencyMs: 2 } });
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await target.close();
    await store.close();
  });

  const start = () =>
    spawnBridge({
      databaseUrl: schemaUrl(process.env.DATABASE_URL!, store.schema!),
      token: TOKEN,
      config: { targets: [{ name: "accounts", kind: "test", url: target.url, batchSize: 25 }] },
      // A short lease so the restarted process takes over the dead one's claimed work quickly. Deliveries run
      // beside the 16 clients' load instead of giving way to it, so the kill lands in the middle of them.
      env: { SYNC_WAIT_MS: "0", SYNC_LEASE_MS: "1500", SYNC_POLL_MS: "50", SYNC_YIELD_MS: "0" },
    }).then((p) => {
      procs.push(p);
      return p;
    });

  async function create(url: string, i: number): Promise<boolean> {
    try {
      const res = await fetch(`${url}/scim/v2/Users`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/scim+json" },
        body: JSON.stringify(user(`load${i}@example.com`)),
      });
      return res.status === 201 || res.status === 409; // 409: stored before the crash, answer lost
    } catch {
      return false;
    }
  }

  it("delivers every stored user exactly once after kill -9 and restart", async () => {
    const first = await start();
    const pending = Array.from({ length: N }, (_, i) => i);
    const accepted = new Set<number>();
    let killed = false;
    // 16 concurrent clients; the bridge is killed once the target has a few hundred accounts.
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (pending.length && !killed) {
          const i = pending.shift()!;
          if (await create(first.url, i)) accepted.add(i);
          else pending.push(i);
          if (!killed && target.accounts.size >= 300) {
            killed = true;
            first.child.kill("SIGKILL");
          }
        }
      }),
    );
    await first.exited;
    expect(killed).toBe(true);

    const second = await start();
    for (let i = 0; i < N; i++) if (!accepted.has(i)) expect(await create(second.url, i)).toBe(true);

    await eventually(
      async () => {
        const { rows } = await store.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM links WHERE state = 'synced' AND target_id IS NOT NULL",
        );
        return Number(rows[0]?.n) === N;
      },
      120_000,
      250,
    );

    const keys = [...target.accounts.values()].map((a) => a.key);
    expect(keys).toHaveLength(N);
    expect(new Set(keys).size).toBe(N);
    const creates = target.log.filter((e) => e.method === "POST").length;
    expect(creates).toBe(N);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 240_000);
});
