// Two bridge processes on one PostgreSQL: no job applied twice and each resource's changes arrive in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { eventually } from "../support/bridge.ts";
import { type BridgeProcess, schemaUrl, spawnBridge } from "../support/process.ts";
import { openTestDb, type TestDb } from "../support/store.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const TOKEN = "two-proc-token-0123456789";

describe.skipIf(!process.env.DATABASE_URL)("two bridge processes on one PostgreSQL", () => {
  let store: TestDb;
  let target: RunningTestTarget;
  let a: BridgeProcess;
  let b: BridgeProcess;
  beforeAll(async () => {
    store = await openTestDb("postgres");
    target = await startTestTarget({ faults: { latencyMs: 3 } });
    const spawnOne = () =>
      spawnBridge({
        databaseUrl: schemaUrl(process.env.DATABASE_URL!, store.schema!),
        token: TOKEN,
        config: { targets: [{ name: "accounts", kind: "test", url: target.url, batchSize: 10 }] },
        env: { SYNC_WAIT_MS: "0", SYNC_POLL_MS: "20", SYNC_WORKERS_PER_TARGET: "3" },
      });
    [a, b] = await Promise.all([spawnOne(), spawnOne()]);
  });
  afterAll(async () => {
    for (const p of [a, b]) p?.child.kill("SIGTERM");
    await Promise.all([a?.exited, b?.exited]);
    await target.close();
    await store.close();
  });

  const call = (url: string, method: string, path: string, body: unknown) =>
    fetch(`${url}/scim/v2${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify(body),
    });

  it("delivers each user once, with its last change last, whichever process took each write", async () => {
    const users = 150;
    const versions = 4;
    await Promise.all(
      Array.from({ length: users }, async (_, i) => {
        const first = await call(
          i % 2 ? a.url : b.url,
          "POST",
          "/Users",
          user(`pair${i}@example.com`, { title: "v0" }),
        );
        const { id } = (await first.json()) as { id: string };
        for (let v = 1; v <= versions; v++) {
          // Alternate processes for every change of the same user.
          const url = (i + v) % 2 ? a.url : b.url;
          const res = await call(
            url,
            "PUT",
            `/Users/${id}`,
            user(`pair${i}@example.com`, { title: `v${v}` }),
          );
          expect(res.status).toBe(200);
        }
      }),
    );
    await eventually(
      async () => {
        const { rows } = await store.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM outbox WHERE state IN ('pending', 'running')",
        );
        return Number(rows[0]?.n) === 0;
      },
      60_000,
      100,
    );

    const accounts = [...target.accounts.values()].filter((x) => x.key.startsWith("pair"));
    expect(accounts).toHaveLength(users);
    expect(new Set(accounts.map((x) => x.key)).size).toBe(users);
    for (const acc of accounts) expect(acc.fields.title).toBe(`v${versions}`);
    // Per account: created once, first; and no change was sent after a later one (titles never go backwards).
    for (const acc of accounts) {
      const entries = target.log.filter((e) => e.accountId === acc.id);
      expect(entries[0]?.method).toBe("POST");
      expect(entries.filter((e) => e.method === "POST")).toHaveLength(1);
      const titles = entries.map((e) => Number(String(e.fields?.title ?? "v0").slice(1)));
      expect(titles).toEqual([...titles].sort((x, y) => x - y));
    }
    const { rows: dead } = await store.db.query("SELECT id FROM outbox WHERE state = 'dead'");
    expect(dead).toEqual([]);
  }, 120_000);
});
