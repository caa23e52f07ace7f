// What the console costs to load on a big store: 100,000 users (synced into two targets), 200,000 delivered jobs,
// 1,000,000 audit events (the users' creates, 200,000 deliveries in the last hour, the rest a month of updates and
// their deliveries), 500 failed jobs and 300 held deprovisions. Each page is loaded in Debian's Chromium (as an admin
// would) and measured: requests, bytes over the wire, load time (p50 and p95 of repeat visits); then an audit and a
// delivery export's first byte.
// Usage (PostgreSQL at DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test):
//   npm run bench:console [-- --users 100000 --audit 1000000 --runs 20 --sql]   (--sql: each page's costliest statements)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { chromium } from "playwright-core";
import { createBridge } from "../src/bridge.ts";
import { startDemoEmulators } from "../src/cli/demo.ts";
import { ConfigSchema } from "../src/config/index.ts";
import { CHROMIUM, CHROMIUM_ARGS } from "../test/support/chromium.ts";
import { openBenchStore } from "./reconcile-store.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const USERS = Number(arg("users") ?? 100_000);
const AUDIT = Number(arg("audit") ?? 1_000_000);
const RUNS = Number(arg("runs") ?? 20);
/** Audit rows besides the users' creates and the last hour's deliveries: a month of updates and their deliveries. */
const OLDER = Math.max(0, AUDIT - USERS * 3);
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]!;
const ADMIN = "bench-admin-token-0123456789";

async function main() {
  const dir = await mkdtemp(join(tmpdir(), "console-bench-"));
  const store = await openBenchStore(
    dir,
    process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
  );
  const demo = await startDemoEmulators([]);
  const t0 = Date.now();
  // Bulk seed in SQL: the bench measures reading, so writing goes the fastest way.
  // One connection runs the whole seed: the store's statement timeout is for serving, not for seeding.
  await store.db.exec(`
    SET statement_timeout = 0;
    INSERT INTO users (id, user_name, display_name, data, created, last_modified)
      SELECT md5('u' || i)::uuid, 'user' || i || '@example.com', 'User ' || i,
             jsonb_build_object('userName', 'user' || i || '@example.com', 'displayName', 'User ' || i, 'active', true),
             now() - interval '2 hours', now() - interval '2 hours'
        FROM generate_series(1, ${USERS}) i;
    INSERT INTO links (resource_type, resource_id, target, target_id, state, last_attempt_at, synced_version)
      SELECT 'User', md5('u' || i)::uuid, t, t || '-' || i, 'synced', now() - (i % 3600) * interval '1 second', 1
        FROM generate_series(1, ${USERS}) i, unnest(ARRAY['tableau', 'salesforce']) t;
    INSERT INTO outbox (target, resource_type, resource_id, action, state, attempts, created, finished)
      SELECT t, 'User', md5('u' || i)::uuid, 'provision', 'done', 1,
             now() - (i % 3600) * interval '1 second' - (50 + i % 900) * interval '1 millisecond',
             now() - (i % 3600) * interval '1 second'
        FROM generate_series(1, ${USERS}) i, unnest(ARRAY['tableau', 'salesforce']) t;
    INSERT INTO outbox (target, resource_type, resource_id, action, state, attempts, last_error_code, last_error_message, finished)
      SELECT CASE WHEN i % 2 = 0 THEN 'tableau' ELSE 'salesforce' END, 'User', md5('u' || i)::uuid, 'provision', 'dead', 10,
             CASE WHEN i % 2 = 0 THEN '409017' ELSE 'DUPLICATE_USERNAME' END, 'refused by the target', now()
        FROM generate_series(1, 500) i;
    INSERT INTO outbox (target, resource_type, resource_id, action, state)
      SELECT 'salesforce', 'User', md5('u' || i)::uuid, 'deprovision', 'held' FROM generate_series(1001, 1300) i;
    INSERT INTO audit (at, request_id, actor, action, resource_type, resource_id, outcome)
      SELECT now() - interval '2 hours', 'req-c' || i, 'okta', 'scim.user.create', 'User', md5('u' || i)::uuid, 'accepted'
        FROM generate_series(1, ${USERS}) i;
    INSERT INTO audit (at, request_id, actor, action, resource_type, resource_id, target, outcome, change, detail)
      SELECT now() - (i % 3600) * interval '1 second', 'req-c' || i, 'dispatcher', 'target.deliver', 'User',
             md5('u' || i)::uuid, t, CASE WHEN i % 97 = 0 THEN 'retry' ELSE 'synced' END,
             CASE WHEN i % 10 = 0 THEN 'updated' ELSE 'created' END, '{"detail": "created"}'
        FROM generate_series(1, ${USERS}) i, unnest(ARRAY['tableau', 'salesforce']) t;
    -- One person with a long history: 5,000 requests, each a write and its delivery to both targets.
    INSERT INTO audit (at, request_id, actor, action, resource_type, resource_id, outcome)
      SELECT now() - i * interval '1 second', 'req-' || i, 'okta', 'scim.user.update', 'User', md5('u4242')::uuid, 'accepted'
        FROM generate_series(1, 5000) i;
    INSERT INTO audit (at, request_id, actor, action, resource_type, resource_id, target, outcome, detail)
      SELECT now() - i * interval '1 second' + interval '100 milliseconds', 'req-' || i, 'dispatcher', 'target.deliver',
             'User', md5('u4242')::uuid, t, 'synced',
             jsonb_build_object('detail', 'updated', 'operation', 'user.upsert', 'preflight', 'passed',
               'match', jsonb_build_object('by', 'link', 'targetId', t || '-4242'), 'action', 'update')
        FROM generate_series(1, 5000) i, unnest(ARRAY['tableau', 'salesforce']) t;
    -- A month of updates (every third one by a person in the console) and each one's delivery to one target.
    INSERT INTO audit (at, request_id, actor, action, resource_type, resource_id, outcome)
      SELECT now() - interval '2 hours' - (i % 2592000) * interval '1 second', 'req-u' || i,
             CASE WHEN i % 3 = 0 THEN 'ada@example.com' ELSE 'okta' END, 'scim.user.update', 'User',
             md5('u' || (i % ${USERS} + 1))::uuid, 'accepted'
        FROM generate_series(1, ${Math.floor(OLDER / 2)}) i;
    INSERT INTO audit (at, request_id, actor, action, resource_type, resource_id, target, outcome, change, detail)
      SELECT now() - interval '2 hours' - (i % 2592000) * interval '1 second' + interval '1 second', 'req-u' || i,
             'dispatcher', 'target.deliver', 'User', md5('u' || (i % ${USERS} + 1))::uuid,
             CASE WHEN i % 2 = 0 THEN 'tableau' ELSE 'salesforce' END, 'synced',
             CASE WHEN i % 50 = 0 THEN 'deactivated' ELSE 'updated' END, '{"detail": "updated"}'
        FROM generate_series(1, ${OLDER - Math.floor(OLDER / 2)}) i;
    ANALYZE;
    RESET statement_timeout;
  `);
  // As autovacuum would have by now on an insert-only table: the visibility map lets index-only scans skip the heap.
  await store.db.exec("VACUUM audit");
  console.log(
    `seeded ${USERS} users, ${USERS * 2} delivered jobs, ${USERS * 3 + OLDER} audit events in ${Date.now() - t0} ms`,
  );

  // Each statement's time, so a slow page names the SQL it waits for (printed per page: the three costliest).
  const spent = new Map<string, number[]>();
  const query = store.db.query.bind(store.db);
  store.db.query = (async (sql: unknown, params?: unknown[]) => {
    const s = performance.now();
    try {
      return await query(sql as string, params);
    } finally {
      const text = typeof sql === "string" ? sql : String((sql as { text?: string }).text ?? sql);
      const key = text.replace(/\s+/g, " ").slice(0, 110);
      spent.set(key, [...(spent.get(key) ?? []), performance.now() - s]);
    }
  }) as typeof store.db.query;
  const costliest = () => {
    const rows = [...spent].map(([sql, ms]) => {
      ms.sort((a, b) => a - b);
      return { sql, n: ms.length, p95: pct(ms, 0.95), total: ms.reduce((a, b) => a + b, 0) };
    });
    spent.clear();
    return rows
      .sort((a, b) => b.total - a.total)
      .slice(0, 3)
      .map((r) => `    ${r.p95.toFixed(1)} ms p95 ×${r.n}: ${r.sql}`)
      .join("\n");
  };

  const config = ConfigSchema.parse({});
  const bridge = await createBridge({
    config,
    logger: pino({ level: "silent" }),
    db: store.db,
    targetConfigs: demo.targetConfigs,
    tokens: [{ name: "okta", token: "bench-scim-token-0123456789" }],
    adminTokens: [{ name: "admin", token: ADMIN }],
    dispatch: false,
  });
  const server = await bridge.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const profile = await mkdtemp(join(tmpdir(), "console-bench-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: CHROMIUM_ARGS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${url}/console`);
    await page.getByLabel("Admin token").fill(ADMIN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${url}/console`);
    const cdp = await context.newCDPSession(page);
    const userId = (await store.db.query<{ id: string }>("SELECT md5('u4242')::uuid AS id")).rows[0]!.id;
    const cookie = () => context.cookies().then((cs) => cs.map((c) => `${c.name}=${c.value}`).join("; "));
    const pages: [string, string][] = [
      ["overview", "/console"],
      ["find (prefix of 100,000 userNames)", "/console/find?q=user4242"],
      ["a person's page", `/console/users/${userId}`],
      ["a person's log (15,000 events, newest page)", `/console/users/${userId}/log`],
      ["failed & held", "/console/work"],
      ["audit (first page)", "/console/audit"],
      ["audit (filtered by actor)", "/console/audit?actor=ada@example.com"],
      ["audit (a person)", "/console/audit?resource=user4242@example.com"],
      ["deliveries (first page)", "/console/deliveries"],
      ["deliveries (updated, requested by ada)", "/console/deliveries?action=updated&actor=ada@example.com"],
    ];
    console.log(
      `\npage | requests (first / repeat) | bytes transferred (first / repeat) | load ms: first / p50 / p95 of ${RUNS} repeats`,
    );
    for (const [name, path] of pages) {
      const rows: { requests: number; bytes: number; ms: number }[] = [];
      for (let run = 0; run < RUNS + 1; run++) {
        // Run 0 starts with an empty browser cache (a first visit); the others are repeat visits.
        if (run === 0) await cdp.send("Network.clearBrowserCache");
        const sizes: Promise<number>[] = [];
        const onFinished = (r: import("playwright-core").Request) => {
          sizes.push(r.sizes().then((s) => s.responseBodySize + s.responseHeadersSize));
        };
        page.on("requestfinished", onFinished);
        const start = performance.now();
        const answer = await page.goto(`${url}${path}`, { waitUntil: "load" });
        const ms = performance.now() - start;
        page.off("requestfinished", onFinished);
        if (answer?.status() !== 200) throw new Error(`${path} answered ${answer?.status()}`);
        const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
        rows.push({ requests: sizes.length, bytes, ms });
      }
      const repeat = rows.slice(1).sort((a, b) => a.ms - b.ms);
      const ms = repeat.map((r) => r.ms);
      console.log(
        `${name} | ${rows[0]!.requests} / ${repeat[0]!.requests} | ${rows[0]!.bytes} / ${repeat[0]!.bytes} | ${rows[0]!.ms.toFixed(0)} / ${pct(ms, 0.5).toFixed(0)} / ${pct(ms, 0.95).toFixed(0)}`,
      );
      if (process.argv.includes("--sql")) console.log(costliest());
      else spent.clear();
    }
    // An export's first byte: how soon a download starts (the rest streams, a batch at a time).
    for (const [name, path] of [
      ["audit export (CSV, no filter)", "/console/audit/export.csv"],
      ["audit export (CSV, a person)", "/console/audit/export.csv?resource=user4242@example.com"],
      ["deliveries export (NDJSON, retried)", "/console/deliveries/export.ndjson?outcome=retry"],
    ] as const) {
      const first: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        const ac = new AbortController();
        const res = await fetch(`${url}${path}`, { headers: { Cookie: await cookie() }, signal: ac.signal });
        const reader = res.body!.getReader();
        // The header row comes first; the first rows are the byte that counts.
        let seen = 0;
        while (seen < 2) {
          const { value, done } = await reader.read();
          if (done) break;
          seen += new TextDecoder().decode(value).split("\n").length - 1;
        }
        first.push(performance.now() - s);
        ac.abort();
        await reader.cancel().catch(() => {});
      }
      first.sort((a, b) => a - b);
      console.log(
        `${name}: first rows p50 ${pct(first, 0.5).toFixed(1)} ms, p95 ${pct(first, 0.95).toFixed(1)} ms`,
      );
    }
    // The overview's live region is re-fetched every 5 s while the page is open: what one poll costs.
    const polls: number[] = [];
    let pollBytes = 0;
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      const res = await fetch(`${url}/console/live/overview`, {
        headers: { Cookie: await cookie(), "X-Console-Live": "1" },
      });
      pollBytes = (await res.arrayBuffer()).byteLength;
      polls.push(performance.now() - s);
    }
    polls.sort((a, b) => a - b);
    console.log(
      `\nlive overview poll: ${pollBytes} bytes, p50 ${polls[10]!.toFixed(1)} ms, max ${polls[19]!.toFixed(1)} ms (20 polls)`,
    );
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
    await bridge.stop();
    await demo.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
