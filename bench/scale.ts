// BENCH_SCALE=1000000 npm run bench:scim — whether a lookup or a page costs the same in a large directory as in a
// small one: the same requests at 10,000 users and at BENCH_SCALE users, side by side, with their ratio (flat ≈ 1).
//
// Each size gets a fresh schema, loaded with one SQL statement per 100,000 users (generate_series), not through HTTP,
// then VACUUM ANALYZE as autovacuum would. Requests go one at a time (latency, not throughput) over HTTP to the SCIM
// app in this process; each scenario picks its users at random over the whole directory.
//
//   BENCH_SCALE          the large size (required to run this mode); the small one is 10,000
//   BENCH_SCALE_REQUESTS requests per scenario (default 300; 20 for the OFFSET rows, which are slow by nature)
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import pg from "pg";
import { pino } from "pino";
import { Directory } from "../src/directory/index.ts";
import { createApp } from "../src/http/app.ts";
import { AuthFailureLimiter } from "../src/http/auth.ts";
import { bridgeSchemaSet } from "../src/schemas.ts";
import { encodeCursor } from "../src/store/cursor.ts";
import { migrate, openPostgres } from "../src/store/index.ts";
import { compileList, type ListRequest } from "../src/store/list-query.ts";
import { listPageSql } from "../src/store/views.ts";

const SMALL = 10_000;
const REQUESTS = Number(process.env.BENCH_SCALE_REQUESTS ?? 300);
const CHUNK = 100_000;
const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";

interface Row {
  scenario: string;
  p50: number;
  p95: number;
  buffers: number;
}

/** Runs the scale comparison against the PostgreSQL at `url` and prints its table. */
export async function runScale(url: string, large: number): Promise<void> {
  const sizes = [SMALL, Math.max(SMALL, large)];
  const results: Row[][] = [];
  for (const size of sizes) results.push(await atSize(url, size));
  const width = Math.max(...results[0]!.map((r) => r.scenario.length));
  const ms = (x: number) => `${x.toFixed(2).padStart(7)} ms`;
  const n = (x: number) => x.toLocaleString("en");
  const [a, b] = [n(SMALL), n(sizes[1]!)];
  console.log(
    `\n${"scenario".padEnd(width)} | p50 @${a} | p95 @${a} | p50 @${b} | p95 @${b} | p95 ratio | buffers @${a} | buffers @${b}`,
  );
  for (const [i, small] of results[0]!.entries()) {
    const big = results[1]![i]!;
    console.log(
      [
        small.scenario.padEnd(width),
        ms(small.p50),
        ms(small.p95),
        ms(big.p50),
        ms(big.p95),
        `${(big.p95 / small.p95).toFixed(2)}×`,
        String(small.buffers),
        String(big.buffers),
      ].join(" | "),
    );
  }
  console.log(
    "p50/p95: one request at a time over HTTP; buffers: the page statement's shared buffers (EXPLAIN).",
  );
}

async function atSize(url: string, size: number): Promise<Row[]> {
  const schema = `bench_scale_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = await openPostgres(url, { schema, max: 4 });
  try {
    await migrate(db);
    const loadStart = performance.now();
    await load(db, size);
    console.log(
      `${size.toLocaleString("en")} users loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
    );
    return await measure(db, size);
  } finally {
    await db.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

/** Users as an IdP sends them, created a second apart (the default order's key), in bulk SQL. */
async function load(db: Awaited<ReturnType<typeof openPostgres>>, size: number) {
  for (let start = 1; start <= size; start += CHUNK) {
    const end = Math.min(size, start + CHUNK - 1);
    await db.query(
      `INSERT INTO users (id, user_name, external_id, display_name, active, data, created, last_modified)
       SELECT gen_random_uuid(), u.name, 'ext-' || i, 'Bench User ' || i, true,
              jsonb_build_object('schemas', jsonb_build_array($3::text), 'userName', u.name,
                'name', jsonb_build_object('givenName', 'Bench', 'familyName', 'Family' || i),
                'displayName', 'Bench User ' || i,
                'emails', jsonb_build_array(jsonb_build_object('value', u.name, 'type', 'work', 'primary', true)),
                'active', true),
              timestamptz '2026-01-01' + make_interval(secs => i), timestamptz '2026-01-01' + make_interval(secs => i)
         FROM generate_series($1::int, $2::int) AS i, LATERAL (SELECT 'user' || i || '@bench.example.com' AS name) u`,
      [start, end, CORE],
    );
  }
  await db.exec("VACUUM ANALYZE users");
}

async function measure(db: Awaited<ReturnType<typeof openPostgres>>, size: number): Promise<Row[]> {
  const token = randomBytes(16).toString("hex");
  const directory = new Directory(db, bridgeSchemaSet());
  const app = createApp({
    directory,
    logger: pino({ level: "error" }, new Writable({ write: (_c, _e, cb) => cb() })),
    tokens: () => [{ name: "bench", token }],
    bodyLimit: "1mb",
    rateLimitPerMinute: 100_000_000,
    authLimiter: new AuthFailureLimiter(30),
    filterMaxResults: 1000,
  });
  const server = await new Promise<import("node:http").Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;
  const headers = { Authorization: `Bearer ${token}` };
  const random = () => 1 + Math.floor(Math.random() * size);
  const eq = (filter: string): ListRequest => ({ filter, startIndex: 1, count: 100 });

  // Cursors at random places in the list: a real walk would reach them page by page.
  const schemas = bridgeSchemaSet();
  const cursorAt = async (sortBy: string | undefined, keySql: string) => {
    const request = { ...(sortBy ? { sortBy } : {}), startIndex: 1, count: 100 };
    const { fingerprint } = compileList(schemas.User, { ...request, cursor: "" }).keyset!;
    const { rows } = await db.query<{ id: string; key: string }>(
      `SELECT id, ${keySql} AS key FROM users TABLESAMPLE SYSTEM (5) LIMIT 2000`,
    );
    return (): ListRequest => {
      const row = rows[Math.floor(Math.random() * rows.length)]!;
      return { ...request, cursor: encodeCursor({ key: row.key, id: row.id }, fingerprint) };
    };
  };
  const createdCursor = await cursorAt(undefined, "created::text");
  const userNameCursor = await cursorAt("userName", "lower(user_name)");

  const scenarios: [string, () => ListRequest, number][] = [
    ["userName eq", () => eq(`userName eq "user${random()}@bench.example.com"`), REQUESTS],
    ["userName sw", () => eq(`userName sw "user${random()}@"`), REQUESTS],
    ["emails.value eq", () => eq(`emails.value eq "USER${random()}@bench.example.com"`), REQUESTS],
    ["name.familyName eq", () => eq(`name.familyName eq "family${random()}"`), REQUESTS],
    ["externalId eq", () => eq(`externalId eq "ext-${random()}"`), REQUESTS],
    ["userName co", () => eq(`userName co "r${random()}@bench"`), REQUESTS],
    ["cursor page of 100 (default order)", createdCursor, REQUESTS],
    ["cursor page of 100 (sortBy userName)", userNameCursor, REQUESTS],
    ["index page of 100, first", () => ({ startIndex: 1, count: 100 }), REQUESTS],
    ["index page of 100, last (OFFSET)", () => ({ startIndex: size - 99, count: 100 }), 20],
  ];
  const pathOf = (r: ListRequest) => {
    const q = new URLSearchParams({ count: String(r.count), startIndex: String(r.startIndex) });
    if (r.cursor !== undefined) {
      q.delete("startIndex");
      q.set("cursor", r.cursor);
    }
    if (typeof r.filter === "string") q.set("filter", r.filter);
    if (r.sortBy) q.set("sortBy", r.sortBy);
    return `/Users?${q}`;
  };
  /** Buffers the page's statement touches (EXPLAIN ANALYZE): the database's work, whatever else runs on the machine. */
  const buffersOf = async (r: ListRequest) => {
    const page = listPageSql("User", { relations: true }, compileList(schemas.User, r));
    const { rows } = await db.query<{ "QUERY PLAN": [{ Plan: Record<string, number> }] }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${page.sql}`,
      page.params,
    );
    const plan = rows[0]!["QUERY PLAN"][0].Plan;
    return (plan["Shared Hit Blocks"] ?? 0) + (plan["Shared Read Blocks"] ?? 0);
  };
  const rows: Row[] = [];
  try {
    for (const [scenario, make, n] of scenarios) {
      const get = async () => {
        const res = await fetch(base + pathOf(make()), { headers });
        if (res.status !== 200) throw new Error(`${scenario}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      };
      for (let i = 0; i < Math.min(20, n); i++) await get(); // warm-up: connections, plans, caches
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await get();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
      const buffers = await buffersOf(make());
      rows.push({ scenario, p50: at(0.5), p95: at(0.95), buffers });
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return rows;
}
