// Provisioning at the API-call floor: emulated targets with a per-call latency (in a child process, emulator-host.ts,
// as real targets run elsewhere), the real outbox and dispatcher.
// The emulators are the registered kinds' demo emulators; `both` (or `all`) runs every kind that has one.
//   bin/node22 bench/provision.ts --target salesforce|tableau|both [--users 10000] [--groups 100] [--latency 50]
//                                 [--concurrency 8] [--workers N] [--updates 1000] [--baseline 200]
// Workers (batches per target at once): `--workers N` for every target; without it each target's own number
// (Tableau: 3 × concurrency, as in production) and 8 for a kind that does not say (Salesforce: its requests in
// flight, so its floor divides by it).
// Phases, each timed until the outbox is empty:
//   1. initial load: every user and group new to the targets;
//   2. re-sync: every user and group delivered again with nothing changed (must write nothing);
//   3. `--updates` users get a new title, written together, then delivered;
//   4. `--updates` users get another title one at a time at an IdP's pace (`--pace`, changes per second) while the
//      dispatcher runs: calls per user, and accept → synced (p50, p95) from the outbox's own timestamps.
// `--coalesce MS` sets SYNC_COALESCE_MS (the window that lets partial batches fill; default the configuration's).
// Per target and phase: API calls (and per user), write calls, wall time, and the floor: calls × latency ÷
// the requests the target may have in flight. `--baseline N` also times the seed script's one-call-per-user
// shape against Salesforce (create + set password, sequential) on N users and extrapolates.
// Each phase also gives the CPU used by this process, PostgreSQL and the emulators. `--latency 0` measures the
// floor the bridge's own work sets on this machine (store and CPU), beside the API floor.
// BENCH_TRACE=1: time per SQL statement and per apply; BENCH_PROFILE=initial|re-sync: a CPU profile of that phase.
import { fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { createBridge } from "../src/bridge.ts";
import { ConfigSchema } from "../src/config/index.ts";
import { type Db, migrate, openPglite, openPostgres } from "../src/store/index.ts";
import { enqueueRepairs } from "../src/sync/reconcile/repairs.ts";
import { registeredKinds } from "../src/targets/registry.ts";
import { postgresCpu } from "./pg-cpu.ts";
import { tracePostgres } from "./pg-trace.ts";
import { startProfile } from "./profile.ts";
import { seedScriptBaseline } from "./salesforce-seed-baseline.ts";

const { values: args } = parseArgs({
  options: {
    target: { type: "string", default: "salesforce" },
    users: { type: "string", default: "10000" },
    groups: { type: "string", default: "100" },
    latency: { type: "string", default: "50" },
    concurrency: { type: "string", default: "8" },
    workers: { type: "string" },
    updates: { type: "string", default: "1000" },
    baseline: { type: "string", default: "0" },
    pace: { type: "string", default: "100" },
    coalesce: { type: "string" },
  },
});
const USERS = Number(args.users);
const GROUPS = Number(args.groups);
const LATENCY = Number(args.latency);
const CONCURRENCY = Number(args.concurrency);
/** `--workers N` for every target; without it each target's own (Tableau: 3 × concurrency), 8 for the others. */
const WORKERS = args.workers === undefined ? undefined : Number(args.workers);
const OTHER_KINDS_WORKERS = 8;
const UPDATES = Math.min(USERS, Number(args.updates));
const PACE = Number(args.pace);
const emulated = registeredKinds().filter((k) => k.demo);
const kinds = ["both", "all"].includes(args.target)
  ? emulated
  : emulated.filter((k) => k.name === args.target);
if (!kinds.length) {
  process.stderr.write(
    `--target must be one of ${emulated.map((k) => k.name).join(", ")} or both (every one of them)\n`,
  );
  process.exit(2);
}

async function openDb(): Promise<{ db: Db; close(): Promise<void> }> {
  if (!process.env.DATABASE_URL) {
    const db = await openPglite();
    await migrate(db);
    return { db, close: () => db.close() };
  }
  const schema = `bench_${Date.now().toString(36)}`;
  const admin = await openPostgres(process.env.DATABASE_URL);
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const db = await openPostgres(process.env.DATABASE_URL, { schema, max: 10 });
  await migrate(db);
  return {
    db,
    async close() {
      await db.close();
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

/**
 * An emulated target, running in a child process (emulator-host.ts) as a real one runs elsewhere: its work (CSV
 * parsing, queries, JSON) does not take this process's event loop from the bridge.
 */
interface Emu {
  kind: string;
  url: string;
  targetConfig: Record<string, unknown>;
  inFlight: "worker" | "concurrency";
  reset(): Promise<void>;
  /** API calls since the last reset, the write calls among them, by route; and a digest of the target's records. */
  stats(): Promise<{
    apiCalls: number;
    writeCalls: number;
    byRoute: Record<string, number>;
    digest: string;
    cpuSeconds: number;
  }>;
}
const host = fork(fileURLToPath(new URL("./emulator-host.ts", import.meta.url)), [], {
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
let asked = 0;
const answers = new Map<number, (v: unknown) => void>();
host.on("message", (m: { id: number; value: unknown }) => {
  answers.get(m.id)?.(m.value);
  answers.delete(m.id);
});
function ask<T>(op: string, kind?: string, extra: Record<string, unknown> = {}): Promise<T> {
  const id = ++asked;
  return new Promise((resolve) => {
    answers.set(id, resolve as (v: unknown) => void);
    host.send({ id, op, kind, ...extra });
  });
}
const hosted = await ask<
  { kind: string; url: string; targetConfig: Record<string, unknown>; inFlight: Emu["inFlight"] }[]
>("start", undefined, { kinds: kinds.map((k) => k.name), latencyMs: LATENCY });
const emus: Emu[] = hosted.map((e) => ({
  ...e,
  reset: () => ask("reset", e.kind),
  stats: () => ask("stats", e.kind),
}));
const targetConfigs = emus.map((e) => ({ ...e.targetConfig, concurrency: CONCURRENCY }));

const store = await openDb();
// The default poll: the dispatcher wakes itself for this process's work (a write's kick, a retry falling due), and
// polling every 50 ms made 24 idle workers send ~1,900 claim queries per run, taking the 2 cores from the deliveries.
const config = ConfigSchema.parse({
  sync: {
    waitForDeliveryMs: 0,
    ...(WORKERS ? { workersPerTarget: WORKERS } : {}),
    ...(args.coalesce === undefined ? {} : { coalesceMs: Number(args.coalesce) }),
  },
});
const bridge = await createBridge({
  config,
  logger: pino({ level: "warn" }),
  db: store.db,
  targetConfigs,
  tokens: [],
  adminTokens: [],
  dispatch: false,
});

process.stderr.write(`loading ${USERS} users and ${GROUPS} groups into the store (${store.db.kind})...\n`);
const userIds: string[] = [];
for (let i = 0; i < USERS; i++) {
  const userName = `bench${i}@example.com`;
  const v = await bridge.directory.create(
    "User",
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName,
      name: { givenName: `Given${i}`, familyName: `Family${i}` },
      emails: [{ value: userName, type: "work", primary: true }],
      title: "Analyst",
      active: true,
    },
    {},
  );
  userIds.push(v.view.resource.id);
}
const groupIds: string[] = [];
for (let g = 0; g < GROUPS; g++) {
  const members = userIds
    .filter((_, i) => i % GROUPS === g)
    .map((value) => ({ value, type: "User" as const }));
  const v = await bridge.directory.create(
    "Group",
    { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: `Bench group ${g}` },
    {},
    { members },
  );
  groupIds.push(v.view.resource.id);
}

// Current planner statistics, as autovacuum would have them a minute after a bulk load: with none, the claim
// query's plan degrades (measured: ~400 ms per claim with 2,000 open jobs, 0.5 ms after ANALYZE).
if (store.db.kind === "postgres") await store.db.exec("ANALYZE");

async function drain(): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { rows } = await store.db.query<{ open: number; dead: number }>(
      "SELECT count(*) FILTER (WHERE state IN ('pending','running'))::int AS open, count(*) FILTER (WHERE state = 'dead')::int AS dead FROM outbox",
    );
    const open = Number(rows[0]?.open ?? 0);
    if (open === 0) return (Date.now() - started) / 1000;
    if (process.env.BENCH_TRACE) {
      const t = await store.db.query<{ k: string; n: number }>(
        "SELECT resource_type || ':' || state || ':' || coalesce(last_error_code, '') AS k, count(*)::int AS n FROM outbox WHERE state IN ('pending','running') GROUP BY 1",
      );
      process.stderr.write(
        `${((Date.now() - started) / 1000).toFixed(1)} ${t.rows.map((r) => `${r.k}=${r.n}`).join(" ")}\n`,
      );
    }
    process.stderr.write(
      `\r${open} jobs open, ${rows[0]?.dead ?? 0} dead, ${((Date.now() - started) / 1000).toFixed(1)} s   `,
    );
    await nextBatchOr(200);
  }
}

/**
 * Resolves when the dispatcher next records a batch (the queue can only empty then), or after `ms` at the latest:
 * the drain sees the queue empty within a statement's time instead of up to a poll interval later.
 */
function nextBatchOr(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const stop = bridge.dispatcher.onBatch(done);
  });
}

interface PhaseFigures {
  wallSeconds: number;
  apiCalls: number;
  callsPerUser: number;
  writeCalls: number;
  floorSeconds: number;
  wallOverFloor: number;
  recordsChanged?: boolean;
}

async function phase(
  name: string,
  per: number,
  run: () => Promise<void>,
): Promise<Record<string, PhaseFigures>> {
  const before = await Promise.all(emus.map(async (e) => (await e.stats()).digest));
  for (const e of emus) await e.reset();
  const started = Date.now();
  const loop = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const pgCpu = postgresCpu();
  const profile =
    process.env.BENCH_PROFILE === name.split(" ")[0] ? await startProfile(name.split(" ")[0]!) : undefined;
  await run();
  bridge.dispatcher.kick();
  await drain();
  const wall = (Date.now() - started) / 1000;
  if (profile) process.stderr.write(`\nCPU profile of ${name}: ${await profile()}\n`);
  // How busy the bridge's one thread was says whether the wall time is waiting (on the targets' latency, the
  // database) or this process's own work; the emulators' and PostgreSQL's CPU are the rest of the machine's.
  const busy = performance.eventLoopUtilization(loop).utilization;
  const used = process.cpuUsage(cpu);
  const after = await Promise.all(emus.map((e) => e.stats()));
  process.stderr.write(
    `\n${name}: ${wall.toFixed(1)} s, event loop busy ${(busy * 100).toFixed(0)}%, CPU ${((used.user + used.system) / 1e6).toFixed(1)} s` +
      ` (PostgreSQL ${pgCpu().toFixed(1)} s, emulators ${after.reduce((n, a) => n + a.cpuSeconds, 0).toFixed(1)} s)\n`,
  );
  return Object.fromEntries(
    emus.map((e, i) => {
      const calls = after[i]!.apiCalls;
      const inFlight = e.inFlight === "worker" ? (workersOf.get(e.kind) ?? 1) : CONCURRENCY;
      const floor = (calls * LATENCY) / 1000 / inFlight;
      return [
        e.kind,
        {
          wallSeconds: Number(wall.toFixed(1)),
          apiCalls: calls,
          callsPerUser: Number((calls / per).toFixed(4)),
          writeCalls: after[i]!.writeCalls,
          floorSeconds: Number(floor.toFixed(2)),
          wallOverFloor: Number((wall / Math.max(floor, 0.001)).toFixed(2)),
          recordsChanged: after[i]!.digest !== before[i],
        },
      ];
    }),
  );
}

if (process.env.BENCH_TRACE) {
  const trace = tracePostgres();
  process.on("exit", () => trace.print());
  const t0 = Date.now();
  for (const t of bridge.dispatcher.targets) {
    const apply = t.target.apply.bind(t.target);
    t.target.apply = async (ops) => {
      const s0 = Date.now();
      const out = await apply(ops);
      process.stderr.write(
        `${((s0 - t0) / 1000).toFixed(2)} ${t.name} apply ${ops.length} (${[...new Set(ops.map((o) => o.kind))].join(",")}) ${Date.now() - s0} ms\n`,
      );
      return out;
    };
  }
}
// A kind that does not ask for a number of workers keeps the bench's 8 (its requests in flight, for Salesforce).
const workersOf = new Map<string, number>();
for (const t of bridge.dispatcher.targets) {
  if (!WORKERS && t.target.workers === undefined)
    (t.target as { workers?: number }).workers = OTHER_KINDS_WORKERS;
  workersOf.set(t.target.kind, WORKERS ?? t.target.workers ?? OTHER_KINDS_WORKERS);
}
bridge.dispatcher.start();
const initial = await phase("initial load", USERS, async () => {});
if (process.env.BENCH_ROUTES) for (const e of emus) console.error(e.kind, (await e.stats()).byRoute);
const resync = await phase("re-sync, nothing changed", USERS, async () => {
  const repairs = [
    ...userIds.map((resourceId) => ({ type: "User" as const, resourceId, action: "provision" as const })),
    ...groupIds.map((resourceId) => ({ type: "Group" as const, resourceId, action: "provision" as const })),
  ];
  const breaker = { windowMs: 3_600_000, maxCount: 0, maxPercent: 0 };
  for (const e of emus) await enqueueRepairs(store.db, e.kind, repairs, breaker, "bench-resync");
});
// The changes arrive together (a SCIM Bulk request, an IdP's push): written first, then delivered.
await bridge.dispatcher.stop();
const updated = await phase(`${UPDATES} titles changed`, UPDATES, async () => {
  for (const id of userIds.slice(0, UPDATES)) {
    await bridge.directory.update(
      "User",
      id,
      { mutate: async (current) => ({ data: { ...current, title: "Senior Analyst" } }) },
      {},
    );
  }
  bridge.dispatcher.start();
});

// Phase 4: the same number of changes, one at a time at an IdP's pace, the dispatcher running (each write kicks it,
// as a SCIM write does).
const paceStarted = await store.db.query<{ now: Date }>("SELECT now() AS now");
const paced = await phase(`${UPDATES} titles changed at ${PACE}/s`, UPDATES, async () => {
  // Each change starts on schedule, whether or not the one before was answered (an IdP has several connections).
  const t0 = performance.now();
  const writes: Promise<void>[] = [];
  for (const [i, id] of userIds.slice(0, UPDATES).entries()) {
    const ahead = t0 + (i * 1000) / PACE - performance.now();
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    writes.push(
      bridge.directory
        .update(
          "User",
          id,
          { mutate: async (current) => ({ data: { ...current, title: `Lead Analyst ${i}` } }) },
          {},
        )
        .then(() => bridge.dispatcher.kick()),
    );
  }
  await Promise.all(writes);
});
const { rows: latencies } = await store.db.query<{ target: string; p50: number; p95: number; max: number }>(
  `SELECT target,
     (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::float8 AS p50,
     (percentile_cont(0.95) WITHIN GROUP (ORDER BY ms))::float8 AS p95, max(ms)::float8 AS max
   FROM (SELECT target, extract(epoch FROM finished - created) * 1000 AS ms FROM outbox
          WHERE state = 'done' AND resource_type = 'User' AND created >= $1) j
   GROUP BY target ORDER BY target`,
  [paceStarted.rows[0]!.now],
);
const pacedReport = Object.fromEntries(
  Object.entries(paced).map(([kind, f]) => {
    const l = latencies.find((r) => r.target === kind);
    return [
      kind,
      {
        ...f,
        acceptToSyncedMs: l
          ? { p50: Math.round(l.p50), p95: Math.round(l.p95), max: Math.round(l.max) }
          : undefined,
      },
    ];
  }),
);

const { rows: states } = await store.db.query<{ target: string; state: string; n: number }>(
  "SELECT target, state, count(*)::int AS n FROM links GROUP BY target, state ORDER BY 1, 2",
);

const N = Number(args.baseline);
// The seed script this is compared with wrote to Salesforce only.
const sf = emus.find((e) => e.kind === "salesforce");
const baseline =
  N > 0 && sf
    ? await seedScriptBaseline(
        { url: sf.url, reset: sf.reset, calls: async () => (await sf.stats()).apiCalls },
        N,
      )
    : undefined;

const report = {
  targets: kinds.map((k) => k.name),
  store: store.db.kind,
  users: USERS,
  groups: GROUPS,
  latencyMs: LATENCY,
  concurrency: CONCURRENCY,
  dispatcherWorkersPerTarget: Object.fromEntries(workersOf),
  initialLoad: initial,
  resyncUnchanged: resync,
  titleUpdates: { users: UPDATES, ...updated },
  titleUpdatesPaced: {
    users: UPDATES,
    perSecond: PACE,
    coalesceMs: config.sync.coalesceMs,
    ...pacedReport,
  },
  links: states.map((s) => `${s.target} ${s.state}: ${s.n}`),
  ...(baseline
    ? {
        baselineScript: {
          measuredUsers: baseline.users,
          apiCallsPerUser: Number((baseline.calls / baseline.users).toFixed(2)),
          secondsFor10kUsers: Math.round((baseline.seconds / baseline.users) * USERS),
        },
      }
    : {}),
};
console.log(JSON.stringify(report, null, 2));
await bridge.stop();
await store.close();
host.disconnect();
