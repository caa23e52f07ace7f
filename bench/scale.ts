// BENCH_SCALE=1000000 npm run bench:scim — whether a lookup or a page costs the same in a large directory as in a
// small one: the same requests at 10,000 users and at BENCH_SCALE users, side by side, with their ratio (flat ≈ 1).
//
// Each size gets a fresh schema, loaded in bulk SQL (generate_series, 100,000 users per statement, the secondary
// indexes built once after the rows, as a restore would), then VACUUM ANALYZE as autovacuum would. The rows are what
// the SCIM layer writes for such a user (columns, name key, JSON body); every user is in one of size/100 groups of
// 100, so a page reads each user's groups as a real one does. Both sizes are loaded first and their requests then
// alternate (small, large, large, small, …), one at a time over HTTP to a SCIM app per size in this process: the
// other work on a shared machine and the process's warm-up fall on both sizes alike. Each scenario picks its users
// at random over the whole directory.
//
//   BENCH_SCALE          the large size (required to run this mode); the small one is 10,000
//   BENCH_SCALE_REQUESTS requests per scenario and size (default 300; 20 for the rows slow by nature)
//   BENCH_SCALE_ROUNDS   how many times the requests run over the same directories (default 1), a table each
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import pg from "pg";
import { pino } from "pino";
import { Directory } from "../src/directory/index.ts";
import { createApp } from "../src/http/app.ts";
import { AuthFailureLimiter } from "../src/http/auth.ts";
import { bridgeSchemaSet } from "../src/schemas.ts";
import { encodeCursor } from "../src/store/cursor.ts";
import type { Db } from "../src/store/db.ts";
import { migrate, openPostgres } from "../src/store/index.ts";
import { compileList, type ListRequest } from "../src/store/list-query.ts";
import { listPageSql } from "../src/store/views.ts";

const SMALL = 10_000;
const REQUESTS = Number(process.env.BENCH_SCALE_REQUESTS ?? 300);
const ROUNDS = Number(process.env.BENCH_SCALE_ROUNDS ?? 1);
const CHUNK = 100_000;
const GROUP_SIZE = 100;
const CORE = "urn:ietf:params:scim:schemas:core:2.0:";

interface Sized {
  size: number;
  db: Db;
  /** The application_name of the app's database connections (whose CPU time is read from /proc). */
  name: string;
  base: string;
  headers: Record<string, string>;
  close(): Promise<void>;
}

interface Scenario {
  name: string;
  /** p95 goal in ms (issue #27), where there is one. */
  goal?: number;
  requests: number;
  make(size: number): ListRequest;
  /** A lookup of a user who exists: an empty answer means the rows are not what the filter compiler reads. */
  finds?: boolean;
}

interface Figures {
  p50: number;
  p95: number;
  /** CPU time per request, this process's (the SCIM app and the client) plus its PostgreSQL backends'. */
  cpu: number;
  buffers: number;
}

/** Runs the scale comparison against the PostgreSQL at `url` and prints its table. */
export async function runScale(url: string, large: number): Promise<void> {
  const sizes = [SMALL, Math.max(SMALL, large)];
  const directories: Sized[] = [];
  try {
    for (const size of sizes) directories.push(await open(url, size));
    const load = () =>
      loadavg()
        .map((x) => x.toFixed(1))
        .join(" ");
    for (let round = 1; round <= ROUNDS; round++) {
      const before = load();
      const results = await measure(directories);
      if (ROUNDS > 1) console.log(`\nround ${round} of ${ROUNDS}`);
      print(sizes, results);
      console.log(`load average (1, 5, 15 min): ${before} before the requests, ${load()} after`);
    }
  } finally {
    for (const d of directories) await d.close();
  }
}

function print(sizes: number[], results: { scenario: Scenario; at: Figures[] }[]) {
  const width = Math.max(...results.map((r) => r.scenario.name.length));
  const ms = (x: number) => `${x.toFixed(2).padStart(6)} ms`;
  const [a, b] = sizes.map((n) => n.toLocaleString("en"));
  console.log(
    `\n${"scenario".padEnd(width)} | p95 goal | p50 @${a} | p95 @${a} | p50 @${b} | p95 @${b} | p95 ratio | CPU/req @${a} | CPU/req @${b} | buffers @${a} | buffers @${b}`,
  );
  for (const { scenario, at } of results) {
    const [small, big] = at as [Figures, Figures];
    const goal = scenario.goal
      ? `≤ ${scenario.goal} ms ${big.p95 <= scenario.goal && small.p95 <= scenario.goal ? "✓" : "✗"}`
      : "";
    console.log(
      [
        scenario.name.padEnd(width),
        goal.padEnd(8),
        ms(small.p50),
        ms(small.p95),
        ms(big.p50),
        ms(big.p95),
        `${(big.p95 / small.p95).toFixed(2)}×`,
        ms(small.cpu),
        ms(big.cpu),
        String(small.buffers),
        String(big.buffers),
      ].join(" | "),
    );
  }
  console.log(
    "p50/p95: one request at a time over HTTP, the sizes' requests interleaved; CPU/req: this process's (app and client) and its PostgreSQL backends' CPU time per request, which other work on the machine barely changes; buffers: the page statement's shared buffers (EXPLAIN).",
  );
}

/** A fresh schema of `size` users and the SCIM app over it. */
async function open(url: string, size: number): Promise<Sized> {
  const schema = `bench_scale_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const named = new URL(url);
  named.searchParams.set("application_name", schema);
  const db = await openPostgres(named.toString(), { schema, max: 4 });
  let server: Server | undefined;
  const close = async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    await db.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  };
  try {
    await migrate(db);
    const loadStart = performance.now();
    await load(db, size);
    console.log(
      `${size.toLocaleString("en")} users in ${(size / GROUP_SIZE).toLocaleString("en")} groups loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
    );
    const token = randomBytes(16).toString("hex");
    const app = createApp({
      directory: new Directory(db, bridgeSchemaSet()),
      logger: pino({ level: "error" }, new Writable({ write: (_c, _e, cb) => cb() })),
      tokens: () => [{ name: "bench", token }],
      bodyLimit: "1mb",
      rateLimitPerMinute: 100_000_000,
      authLimiter: new AuthFailureLimiter(30),
      filterMaxResults: 1000,
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;
    return { size, db, name: schema, base, headers: { Authorization: `Bearer ${token}` }, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Users as an IdP sends them and the SCIM layer stores them (mixed-case userName, its name key, externalId, name,
 * a work email, created a second apart: the default order's key), and groups of GROUP_SIZE members. The secondary
 * indexes are dropped and built again after the rows, from their own definitions (what the migrations made).
 */
async function load(db: Db, size: number) {
  const groups = Math.max(1, Math.ceil(size / GROUP_SIZE));
  await db.transaction(async (tx) => {
    await tx.exec("SET LOCAL statement_timeout = 0; SET LOCAL maintenance_work_mem = '256MB'");
    const { rows: indexes } = await tx.query<{ name: string; def: string }>(
      `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename IN ('users', 'groups', 'group_members')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(quote_ident(i.indexname)))`,
    );
    for (const { name } of indexes) await tx.exec(`DROP INDEX ${name}`);
    // Ids from the row number (md5 as a uuid: random in the index, as the bridge's v4 ids are), so memberships
    // can name them without a join.
    for (let start = 1; start <= size; start += CHUNK) {
      await tx.query(
        `INSERT INTO users (id, user_name, user_name_key, external_id, display_name, active, data, created, last_modified)
         SELECT md5('user' || i)::uuid, u.name, lower(u.name), 'ext-' || i, 'Bench User ' || i, true,
                jsonb_build_object('schemas', jsonb_build_array($3::text || 'User'), 'userName', u.name,
                  'externalId', 'ext-' || i,
                  'name', jsonb_build_object('givenName', 'Bench', 'familyName', 'Family' || i),
                  'displayName', 'Bench User ' || i,
                  'emails', jsonb_build_array(jsonb_build_object('value', lower(u.name), 'type', 'work', 'primary', true)),
                  'active', true),
                timestamptz '2026-01-01' + make_interval(secs => i), timestamptz '2026-01-01' + make_interval(secs => i)
           FROM generate_series($1::int, $2::int) AS i, LATERAL (SELECT 'User' || i || '@Bench.example.com' AS name) u`,
        [start, Math.min(size, start + CHUNK - 1), CORE],
      );
    }
    await tx.query(
      `INSERT INTO groups (id, display_name, display_name_key, external_id, data, created, last_modified)
       SELECT md5('group' || g)::uuid, 'Bench Group ' || g, 'bench group ' || g, 'gext-' || g,
              jsonb_build_object('schemas', jsonb_build_array($2::text || 'Group'), 'displayName', 'Bench Group ' || g,
                'externalId', 'gext-' || g),
              timestamptz '2026-01-01', timestamptz '2026-01-01'
         FROM generate_series(1, $1::int) AS g`,
      [groups, CORE],
    );
    await tx.query(
      `INSERT INTO group_members (group_id, member_id, member_type, added)
       SELECT md5('group' || (1 + (i - 1) % $1::int))::uuid, md5('user' || i)::uuid, 'User', timestamptz '2026-01-01'
         FROM generate_series(1, $2::int) AS i`,
      [groups, size],
    );
    for (const { def } of indexes) await tx.exec(def);
  });
  await db.exec("VACUUM ANALYZE users, groups, group_members");
}

const SCENARIOS: Scenario[] = [];
const lookup = (
  name: string,
  goal: number | undefined,
  filter: (i: number) => string,
  requests = REQUESTS,
): Scenario => ({
  name,
  ...(goal ? { goal } : {}),
  requests,
  finds: true,
  make: (size) => ({ filter: filter(1 + Math.floor(Math.random() * size)), startIndex: 1, count: 100 }),
});
SCENARIOS.push(
  lookup("userName eq", 5, (i) => `userName eq "user${i}@bench.example.com"`),
  lookup("userName sw", 5, (i) => `userName sw "user${i}@"`),
  lookup("emails.value eq", 5, (i) => `emails.value eq "USER${i}@bench.example.com"`),
  lookup("name.familyName eq", 5, (i) => `name.familyName eq "family${i}"`),
  lookup("externalId eq", undefined, (i) => `externalId eq "ext-${i}"`),
  // Trigrams: each of the term's is a posting list to intersect, so a term sharing a part with every name
  // ("@bench") reads lists as long as the directory (slow by nature, hence fewer requests).
  lookup('userName co "r<i>@"', undefined, (i) => `userName co "r${i}@"`),
  lookup('userName co "r<i>@bench"', undefined, (i) => `userName co "r${i}@bench"`, Math.min(REQUESTS, 20)),
);

/** Starts measuring the CPU time of `d`'s PostgreSQL backends (Linux /proc; 0 elsewhere); the function gives ms since. */
async function backendCpu(d: Sized): Promise<() => Promise<number>> {
  const ticks = async () => {
    const { rows } = await d.db.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
      [d.name],
    );
    const out = new Map<number, number>();
    for (const { pid } of rows) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        out.set(pid, Number(f[11]) + Number(f[12])); // utime, stime in 1/100 s
      } catch {
        // not on this machine, or ended
      }
    }
    return out;
  };
  const before = await ticks();
  return async () => {
    let sum = 0;
    for (const [pid, t] of await ticks()) sum += t - (before.get(pid) ?? 0);
    return sum * 10;
  };
}

async function measure(directories: Sized[]) {
  const schemas = bridgeSchemaSet();
  // Cursors at random places in the list, made as the store makes them (its sort key, as text): a real walk would
  // reach them page by page.
  const cursorsAt = async (d: Sized, sortBy: string | undefined) => {
    const request = { ...(sortBy ? { sortBy } : {}), startIndex: 1, count: 100 };
    const { fingerprint, sort } = compileList(schemas.User, { ...request, cursor: "" }).keyset!;
    const { rows } = await d.db.query<{ id: string; key: string }>(
      `SELECT t.id, (${sort.key})::text AS key FROM users t TABLESAMPLE SYSTEM (5) LIMIT 2000`,
    );
    return (): ListRequest => {
      const row = rows[Math.floor(Math.random() * rows.length)]!;
      return { ...request, cursor: encodeCursor({ key: row.key, id: row.id }, fingerprint) };
    };
  };
  const cursors = new Map<string, Map<number, () => ListRequest>>();
  for (const sortBy of ["", "userName"]) {
    const bySize = new Map<number, () => ListRequest>();
    for (const d of directories) bySize.set(d.size, await cursorsAt(d, sortBy || undefined));
    cursors.set(sortBy, bySize);
  }
  const scenarios: Scenario[] = [
    ...SCENARIOS,
    {
      name: "cursor page of 100 (default order)",
      goal: 10,
      requests: REQUESTS,
      make: (size) => cursors.get("")!.get(size)!(),
    },
    {
      name: "cursor page of 100 (sortBy userName)",
      goal: 10,
      requests: REQUESTS,
      make: (size) => cursors.get("userName")!.get(size)!(),
    },
    { name: "index page of 100, first", requests: REQUESTS, make: () => ({ startIndex: 1, count: 100 }) },
    {
      name: "index page of 100, last (OFFSET)",
      requests: Math.min(REQUESTS, 20),
      make: (size) => ({ startIndex: size - 99, count: 100 }),
    },
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
  const buffersOf = async (d: Sized, r: ListRequest) => {
    const page = listPageSql("User", { relations: true }, compileList(schemas.User, r));
    const { rows } = await d.db.query<{ "QUERY PLAN": [{ Plan: Record<string, number> }] }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${page.sql}`,
      page.params,
    );
    const plan = rows[0]!["QUERY PLAN"][0].Plan;
    return (plan["Shared Hit Blocks"] ?? 0) + (plan["Shared Read Blocks"] ?? 0);
  };
  const results: { scenario: Scenario; at: Figures[] }[] = [];
  for (const scenario of scenarios) {
    const check = (status: number, body: string) => {
      if (status !== 200) throw new Error(`${scenario.name}: ${status} ${body}`);
      if (scenario.finds && !(JSON.parse(body).totalResults >= 1))
        throw new Error(`${scenario.name}: found nothing for a user who exists`);
    };
    const get = async (d: Sized) => {
      const res = await fetch(d.base + pathOf(scenario.make(d.size)), { headers: d.headers });
      return [res.status, await res.text()] as const;
    };
    const times = directories.map(() => [] as number[]);
    const cpu = directories.map(() => 0);
    // Warm-up (connections, plans, caches), then the sizes alternate: ABBA, so neither always goes first.
    for (let i = 0; i < Math.min(20, scenario.requests); i++)
      for (const d of directories) check(...(await get(d)));
    const backends = await Promise.all(directories.map((d) => backendCpu(d)));
    for (let i = 0; i < scenario.requests; i++) {
      const order = i % 2 ? [...directories.keys()].reverse() : [...directories.keys()];
      for (const k of order) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const [status, body] = await get(directories[k]!);
        times[k]!.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu[k]! += (c.user + c.system) / 1000;
        check(status, body);
      }
    }
    const backendMs = await Promise.all(backends.map((since) => since()));
    const at: Figures[] = [];
    for (const [k, d] of directories.entries()) {
      const sorted = times[k]!.sort((x, y) => x - y);
      const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
      at.push({
        p50: q(0.5),
        p95: q(0.95),
        cpu: (cpu[k]! + backendMs[k]!) / scenario.requests,
        buffers: await buffersOf(d, scenario.make(d.size)),
      });
    }
    results.push({ scenario, at });
  }
  return results;
}
