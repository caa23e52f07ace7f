// npm run bench:scim — SCIM throughput and latency against PostgreSQL with 100,000 users and a 50,000-member
// group, each scenario beside a plain Express JSON endpoint measured in the same run (this machine's ceiling).
//
//   DATABASE_URL   default postgres://postgres@127.0.0.1:5432/test (a fresh schema, dropped afterwards)
//   BENCH_PEER=<url> BENCH_PEER_TOKEN=<token>  instead: the bridge beside a peer SCIM server (bench/peer.ts)
//   BENCH_SECONDS  seconds per scenario (default 8)   BENCH_USERS  users to load (default 100000)
//   BENCH_ONLY     comma-separated scenario kinds (createUser,filterUser,getUser,getUserJwt,getUserOAuth,getUserBasic,
//                  patchUser,page,addMember,
//                  createUserTargets,patchUserTargets)
//   BENCH_TARGET_LATENCY_MS  per-call latency of the two emulated targets (default 50)
//   BENCH_DISPATCH=0         the *Targets scenarios without the dispatcher (the write path's own cost)
//   BENCH_PROVISIONED=0      PATCH with targets changes users the targets never saw (default: users both hold, synced)
//   BENCH_PATCH=email        PATCH the work email (both targets see it) instead of displayName (Tableau's fullName)
//   BENCH_PROFILE=<kinds>    write a V8 CPU profile of the bridge process during each of those scenarios (bench-<kind>-*.cpuprofile)
//   BENCH_ROUNDS             how many times the with/without-targets pairs run (default 3; the median ratio is the figure)
//                            (the PATCHed users are fresh each round and outside the group for up to 5 rounds)
//   BENCH_PGSS=1             the statements PostgreSQL spent most time on during each scenario (pg_stat_statements)
//   SYNC_YIELD_MS            how often each target may start a batch while SCIM requests are in flight (default 1000)
//   BENCH_SCALE=<users>      instead of the above: lookups and pages at 10,000 users and at <users> (bench/scale.ts)
//
// After the *Targets scenarios: the delivery jobs done during each burst, and how long the queue took to drain after
// the last one (deliveries give way to SCIM requests: sync/foreground.ts).
//
// Each row also gives the bridge process's CPU time per request (user + system), which stays meaningful when the
// machine is shared; the emulators' CPU (work real targets do elsewhere) is printed apart at the end.
//
// The server runs in this process; autocannon runs in a child process so that it does not share the event loop,
// one for the whole run: each scenario starts as soon as the previous one ends, as an IdP's updates follow its
// creates (a client started per scenario left a second and a half between them, in which the dispatcher, with
// nothing to give way to, started a dozen batches that then ran on into the next burst).
// The *Targets scenarios write to a second app in this process: the whole bridge (outbox, dispatcher) with both
// targets configured (Tableau and Salesforce emulators in another child process, answering in 50 ms per call), so
// POST and PATCH are measured with and without targets in one run (goal: with targets ≥ 0.8× without).
// GET /Users/{id} is measured with each kind of SCIM credential beside the bearer token: a JWT from an issuer (RS256,
// keys from a JWKS served in this process), an access token from the bridge's /oauth/token, and Basic
// (goal: each ≥ 0.9× the bearer token's throughput).
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import express from "express";
import pg from "pg";
import { pino } from "pino";
import { createBridge } from "../src/bridge.ts";
import { ConfigSchema } from "../src/config/index.ts";
import {
  salesforceEmulatorTargetConfig,
  startSalesforceEmulator,
} from "../src/emulators/salesforce/index.ts";
import { startTableauEmulator, tableauEmulatorTargetConfig } from "../src/emulators/tableau/index.ts";
import { migrate, openPostgres } from "../src/store/index.ts";
import { startBenchIssuer } from "./auth-issuer.ts";
import { checkAnswers, runClient, type Scenario, type ScenarioResult } from "./client.ts";
import { postgresCpu } from "./pg-cpu.ts";
import { tracePostgres } from "./pg-trace.ts";
import { startProfile } from "./profile.ts";
import { runScale } from "./scale.ts";

const URL_ = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const GROUP_MEMBERS = Math.min(50_000, Math.floor(USERS / 2));
/**
 * The users outside the group, in ten slots of SLOT: PATCH without and with targets each take one per round, two
 * slots further on each round (fresh users for five rounds); the warm-up PATCHes a slot inside the group. At 100,000
 * users: 50,000–55,000 and 55,000–60,000, then 10,000 further on each round.
 */
const SLOT = Math.max(1, Math.floor((USERS - GROUP_MEMBERS) / 10));
const TOKEN = randomBytes(16).toString("hex");
const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";

const TARGET_LATENCY_MS = Number(process.env.BENCH_TARGET_LATENCY_MS ?? 50);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
/** BENCH_PGSS=1: the statements PostgreSQL spent most time on during each scenario (needs pg_stat_statements). */
const PGSS = !!process.env.BENCH_PGSS;
/** The client process, started with the first scenario (see `client`). */
let clientProcess: ChildProcess | undefined;

if (process.argv.includes("--client")) {
  // One client for the whole run, as an IdP is one: scenario after scenario, with no start-up in between.
  process.on("message", async (s: Scenario) => {
    process.send?.({ started: true });
    process.send?.(await runClient(s));
  });
  process.once("disconnect", () => process.exit(0));
} else if (process.argv.includes("--emulators")) {
  // Both targets, slow as real ones, outside the bridge's event loop; they stop when the parent disconnects.
  const sf = await startSalesforceEmulator({ port: 0, latencyMs: TARGET_LATENCY_MS, apiBudget: 100_000_000 });
  const tab = await startTableauEmulator({
    port: 0,
    latencyMs: TARGET_LATENCY_MS,
    licences: { Creator: 1e7, Explorer: 1e7, Viewer: 1e7 },
  });
  process.send?.({ salesforce: sf.url, tableau: tab.url });
  // The accounts of users the bridge has already provisioned (provisionedInTargets), as its deliveries made them.
  process.on("message", (m: { provision?: number[] }) => {
    if (!m.provision) return;
    const profileId = sf.org.profileId("Standard User");
    const site = tab.server.site("");
    const accounts = m.provision.map((i) => {
      const u = userBody(i);
      const s = sf.org.insert("User", {
        Username: u.userName,
        Email: u.userName,
        FirstName: u.name.givenName,
        LastName: u.name.familyName,
        Alias: `b${u.name.familyName.replace(/\W/g, "").toLowerCase()}`.slice(0, 8),
        FederationIdentifier: u.userName,
        TimeZoneSidKey: "America/Los_Angeles",
        LocaleSidKey: "en_US",
        EmailEncodingKey: "UTF-8",
        LanguageLocaleKey: "en_US",
        ProfileId: profileId,
        IsActive: true,
      });
      const t = site.addUser({
        name: u.userName,
        siteRole: "Viewer",
        fullName: u.displayName,
        email: u.userName,
      });
      return { salesforce: String(s.Id), tableau: t.id };
    });
    process.send?.({ accounts });
  });
  process.once("disconnect", async () => {
    const u = process.cpuUsage();
    console.log(`emulators' CPU over the run: ${((u.user + u.system) / 1e6).toFixed(1)} s`);
    await sf.close();
    await tab.close();
    process.exit(0);
  });
} else if (process.env.BENCH_SCALE) {
  await runScale(URL_, Number(process.env.BENCH_SCALE));
} else if (process.env.BENCH_PEER) {
  // The same scenarios against a peer SCIM server and the bridge, side by side (bench/peer.ts).
  await import("./peer.ts");
} else {
  await main();
}

function userBody(i: number) {
  const userName = `user${i}@bench.example.com`;
  return {
    schemas: [CORE],
    userName,
    name: { givenName: "Bench", familyName: `User ${i}` },
    displayName: `Bench User ${i}`,
    emails: [{ value: userName, type: "work", primary: true }],
    active: true,
  };
}

/** 100,000 users in multi-row INSERTs of 5,000 rows (unnest of arrays): a few seconds, not through HTTP. */
async function load(db: Awaited<ReturnType<typeof openPostgres>>) {
  const ids: string[] = [];
  for (let start = 0; start < USERS; start += 5000) {
    const n = Math.min(5000, USERS - start);
    const chunk = Array.from({ length: n }, (_, k) => ({ id: randomUUID(), body: userBody(start + k) }));
    ids.push(...chunk.map((c) => c.id));
    await db.query(
      `INSERT INTO users (id, user_name, display_name, active, data)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bool[], $5::jsonb[])`,
      [
        chunk.map((c) => c.id),
        chunk.map((c) => c.body.userName),
        chunk.map((c) => c.body.displayName),
        chunk.map(() => true),
        chunk.map((c) => JSON.stringify(c.body)),
      ],
    );
  }
  const groupId = randomUUID();
  await db.query("INSERT INTO groups (id, display_name, data) VALUES ($1, 'Everyone (bench)', $2)", [
    groupId,
    JSON.stringify({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "Everyone (bench)",
    }),
  ]);
  await db.query(
    `INSERT INTO group_members (group_id, member_id, member_type)
     SELECT $1, id, 'User' FROM unnest($2::uuid[]) AS id`,
    [groupId, ids.slice(0, GROUP_MEMBERS)],
  );
  // What autovacuum does on a live database: statistics, and a visibility map so that paging and count(*) can use
  // index-only scans.
  await db.query("VACUUM ANALYZE");
  return { ids, groupId };
}

type Accounts = { salesforce: string; tableau: string }[];

function emulators(): Promise<{
  urls: { salesforce: string; tableau: string };
  /** Creates the accounts of the given users (by their index in the load) in both emulators: their ids, in order. */
  provision(users: number[]): Promise<Accounts>;
  stop(): void;
}> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ["--emulators"], { stdio: "inherit" });
    const provision = (users: number[]) =>
      new Promise<Accounts>((done) => {
        child.once("message", (m) => done((m as { accounts: Accounts }).accounts));
        child.send({ provision: users });
      });
    child.once("message", (urls) =>
      resolve({
        urls: urls as { salesforce: string; tableau: string },
        provision,
        stop: () => child.disconnect(),
      }),
    );
    child.once("error", reject);
  });
}

/**
 * Users the bridge with targets has delivered before: their accounts in both emulators and their links `synced`, as
 * after the IdP's first push. An IdP's PATCH changes a user the targets already hold (BENCH_PROVISIONED=0: users they
 * never saw, each PATCH then being the user's first delivery).
 */
async function provisionedInTargets(
  db: Awaited<ReturnType<typeof openPostgres>>,
  emus: Awaited<ReturnType<typeof emulators>>,
  ids: string[],
  users: number[],
) {
  const accounts = await emus.provision(users);
  for (const target of ["salesforce", "tableau"] as const) {
    await db.query(
      `INSERT INTO links (resource_type, resource_id, target, target_id, state, synced_version, last_attempt_at)
       SELECT 'User', id, $1, tid, 'synced', 1, now() FROM unnest($2::uuid[], $3::text[]) AS x(id, tid)`,
      [target, users.map((i) => ids[i]), accounts.map((a) => a[target])],
    );
  }
}

/**
 * Runs a scenario in the client process (started once, kept for the whole run: the next scenario begins as soon as
 * the last one ends, as an IdP's updates follow its creates); `onStart` is called as its load begins.
 */
function client(s: Scenario, onStart?: () => void): Promise<ScenarioResult> {
  clientProcess ??= fork(fileURLToPath(import.meta.url), ["--client"], { stdio: "inherit" });
  const child = clientProcess;
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if ((m as { started?: boolean }).started) return onStart?.();
      child.off("message", onMessage);
      child.off("error", reject);
      try {
        resolve(checkAnswers(s.name, m as ScenarioResult));
      } catch (e) {
        reject(e);
      }
    };
    child.on("message", onMessage);
    child.once("error", reject);
    child.send(s);
  });
}

async function main() {
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: URL_ });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = await openPostgres(URL_, { schema, max: 20 });
  const servers: import("node:http").Server[] = [];
  let stopTargets: (() => Promise<void>) | undefined;
  let issuer: Awaited<ReturnType<typeof startBenchIssuer>> | undefined;
  try {
    await migrate(db);
    const t0 = Date.now();
    const { ids, groupId } = await load(db);
    console.log(`loaded ${USERS} users and a ${GROUP_MEMBERS}-member group in ${Date.now() - t0} ms`);

    // The bridge as `serve` runs it with no target configured (the no-target figures), and below the same with both
    // targets: the ratio is what configuring the targets costs the IdP, nothing else.
    issuer = await startBenchIssuer();
    const noTargets = await createBridge({
      config: ConfigSchema.parse({
        rateLimit: { perMinute: 100_000_000 },
        auth: { scim: issuer.credentials },
      }),
      logger: pino({ level: "silent" }),
      db,
      targetConfigs: [],
      tokens: [{ name: "bench", token: TOKEN }],
      adminTokens: [],
    });
    const plain = express();
    plain.get("/json", (_req, res) => {
      res.json({ schemas: [CORE], id: ids[0], userName: "plain@example.com", active: true });
    });
    plain.post("/json", express.json(), (req, res) => {
      res.status(201).json({ ...req.body, id: randomUUID() });
    });
    const listen = (a: express.Express) =>
      new Promise<string>((resolve) => {
        const s = a.listen(0, "127.0.0.1", () =>
          resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`),
        );
        servers.push(s);
      });
    const noTargetsServer = await noTargets.listen(0, "127.0.0.1");
    servers.push(noTargetsServer);
    const base = `http://127.0.0.1:${(noTargetsServer.address() as AddressInfo).port}`;
    const headers = await issuer.authorizations(base);
    const plainBase = await listen(plain);
    // The same store behind the whole bridge with both targets configured, with the default settings.
    const emus = await emulators();
    const bridge = await createBridge({
      config: ConfigSchema.parse({
        rateLimit: { perMinute: 100_000_000 },
        sync: {
          ...(process.env.SYNC_YIELD_MS ? { yieldMs: process.env.SYNC_YIELD_MS } : {}),
          ...(process.env.SYNC_WORKERS_PER_TARGET
            ? { workersPerTarget: process.env.SYNC_WORKERS_PER_TARGET }
            : {}),
        },
      }),
      logger: pino({ level: "silent" }),
      db,
      targetConfigs: [
        tableauEmulatorTargetConfig(emus.urls.tableau),
        salesforceEmulatorTargetConfig(emus.urls.salesforce),
      ],
      tokens: [{ name: "bench", token: TOKEN }],
      adminTokens: [],
      ...(process.env.BENCH_DISPATCH === "0" ? { dispatch: false } : {}),
    });
    stopTargets = async () => {
      await noTargets.stop();
      await bridge.stop();
      emus.stop();
    };
    const server = await bridge.listen(0, "127.0.0.1");
    const targetsBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const common = { seconds: SECONDS, token: TOKEN, connections: 10 };
    // The users the no-target PATCH changes in its first round, and the bridge with targets in its warm-up.
    const firstPatchIds = ids.slice(GROUP_MEMBERS, GROUP_MEMBERS + SLOT);

    type Kind =
      | Scenario["kind"]
      | "createUserTargets"
      | "patchUserTargets"
      | "getUserJwt"
      | "getUserOAuth"
      | "getUserBasic";
    const scenarios: (Omit<Scenario, "kind"> & { kind: Kind; goal: string })[] = [
      { ...common, name: "POST /Users", kind: "createUser", url: base, goal: "≥ 2,000 req/s" },
      {
        ...common,
        name: 'GET /Users?filter=userName eq "…"',
        kind: "filterUser",
        url: base,
        users: USERS,
        goal: "≥ 4,000 req/s",
      },
      { ...common, name: "GET /Users/{id}", kind: "getUser", url: base, ids: ids.slice(0, 5000), goal: "" },
      ...(
        [
          ["getUserJwt", "a JWT from an issuer (RS256)", headers.jwt],
          ["getUserOAuth", "an access token from /oauth/token", headers.oauth],
          ["getUserBasic", "Basic", headers.basic],
        ] as const
      ).map(([kind, what, authorization]) => ({
        ...common,
        name: `GET /Users/{id} with ${what}`,
        kind,
        url: base,
        ids: ids.slice(0, 5000),
        authorization,
        goal: "≥ 0.9× GET /Users/{id} with the bearer token",
      })),
      {
        ...common,
        name: `PATCH /Users/{id} (replace ${process.env.BENCH_PATCH === "email" ? "the work email" : "displayName"})`,
        kind: "patchUser",
        url: base,
        ids: firstPatchIds,
        goal: "≥ 1,500 req/s",
      },
      {
        ...common,
        name: `POST /Users, both targets configured (${TARGET_LATENCY_MS} ms per call)`,
        kind: "createUserTargets",
        url: targetsBase,
        goal: "≥ 0.8× POST without targets",
      },
      {
        ...common,
        name: `PATCH /Users/{id}, both targets configured (${TARGET_LATENCY_MS} ms per call)`,
        kind: "patchUserTargets",
        url: targetsBase,
        ids: ids.slice(GROUP_MEMBERS + SLOT, GROUP_MEMBERS + 2 * SLOT),
        goal: "≥ 0.8× PATCH without targets",
      },
      {
        ...common,
        name: "GET /Users?startIndex=…&count=100",
        kind: "page",
        url: base,
        users: USERS,
        goal: "≥ 400 req/s",
      },
      {
        ...common,
        connections: 1,
        name: "PATCH /Groups/{id} add 1 member (50,000 members, 1 connection)",
        kind: "addMember",
        url: base,
        groupId,
        ids: ids.slice(GROUP_MEMBERS),
        goal: "p50 < 5 ms",
      },
    ];
    const only = process.env.BENCH_ONLY?.split(",");
    const chosen = only ? scenarios.filter((s) => only.includes(s.kind)) : scenarios;
    const baselineGet = await client({
      ...common,
      name: "plain Express GET /json",
      kind: "plainGet",
      url: plainBase,
    });
    const baselinePost = await client({
      ...common,
      name: "plain Express POST /json",
      kind: "plainPost",
      url: plainBase,
    });
    // Warm-up (not measured): the first scenario of the process would otherwise run on code not yet optimised.
    for (const kind of ["createUser", "patchUser"] as const)
      await client({
        ...common,
        seconds: 3,
        name: `warm-up ${kind}`,
        kind,
        url: base,
        ids: ids.slice(Math.max(0, GROUP_MEMBERS - 2 * SLOT), GROUP_MEMBERS - SLOT),
      });
    const rows: string[] = [];
    const results = new Map<string, ScenarioResult & { cpuMs: number }>();
    // How deliveries fared while the IdP was busy: outbox jobs done during each burst, and how long the queue took
    // to drain after the last one (they give way to SCIM requests, so most wait for the burst to end).
    const jobs = async (states: string) =>
      Number(
        (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE state IN (${states})`))
          .rows[0]?.n ?? 0,
      );
    const topStatements = async (kind: string, round: number) => {
      try {
        const { rows: top } = await db.query<{ calls: number; ms: number; q: string }>(
          `SELECT calls, round(total_exec_time::numeric) AS ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS q
             FROM public.pg_stat_statements ORDER BY total_exec_time DESC LIMIT 10`,
        );
        return `statements of ${kind} (round ${round + 1}), calls and total ms:\n${top.map((x) => `  ${x.calls}  ${x.ms} ms  ${x.q}`).join("\n")}`;
      } catch {
        return "BENCH_PGSS: pg_stat_statements is not installed in this database (shared_preload_libraries, CREATE EXTENSION)";
      }
    };
    const deliveries: string[] = [];
    const trace = process.env.BENCH_TRACE ? tracePostgres((l) => console.log(l)) : undefined;
    // The with/without-targets pairs run ROUNDS times (fresh users each round, the queue drained between rounds):
    // this machine's speed drifts between scenarios, and one pair alone can land on either side of the goal.
    const compared = new Set(["createUser", "patchUser", "createUserTargets", "patchUserTargets"]);
    const runs = Array.from({ length: ROUNDS }, (_, round) =>
      chosen
        .filter((s) => round === 0 || compared.has(s.kind))
        .map((s) => ({
          ...s,
          round,
          ...(s.ids && compared.has(s.kind) ? { ids: shifted(ids, s.ids, round * 2 * SLOT) } : {}),
        })),
    ).flat();
    // What one delivery job costs this process and PostgreSQL, measured while the queue drains with no SCIM traffic.
    const drain = async (last: boolean) => {
      const started = Date.now();
      const done0 = await jobs("'done'");
      const cpu0 = process.cpuUsage();
      const pgCpu = postgresCpu();
      const profile =
        last && process.env.BENCH_PROFILE?.split(",").includes("drain")
          ? await startProfile("drain")
          : undefined;
      while ((await jobs("'pending', 'running'")) > 0 && Date.now() - started < 300_000)
        await new Promise((r) => setTimeout(r, 200));
      const cpu = process.cpuUsage(cpu0);
      if (profile) console.log(`CPU profile of the drain: ${await profile()}`);
      const done = Math.max(1, (await jobs("'done'")) - done0);
      const figures =
        `queue drained ${((Date.now() - started) / 1000).toFixed(1)} s after the last burst ` +
        `(${await jobs("'pending', 'running'")} left, ${await jobs("'dead'")} dead): ${done} jobs, ` +
        `${((cpu.user + cpu.system) / 1000 / done).toFixed(2)} ms bridge CPU and ` +
        `${((pgCpu() * 1000) / done).toFixed(2)} ms PostgreSQL CPU per job`;
      // The deliveries' dead rows (each job is updated twice) are vacuumed and the tables analysed between rounds,
      // outside every measured scenario, as autovacuum would between an IdP's bursts: a PostgreSQL run with
      // autovacuum off (this project's CI machine) would otherwise carry every earlier round's dead rows.
      const vacuumStarted = Date.now();
      await db.query("VACUUM (ANALYZE) outbox, links, audit");
      return `${figures}; vacuumed in ${((Date.now() - vacuumStarted) / 1000).toFixed(1)} s`;
    };
    // The bridge with targets warmed up as well (its pre-flights, mappings and dispatcher would otherwise run cold in
    // the first round only), on users the no-target PATCH of the first round changes later (that bridge reads no
    // status), then drained, vacuumed and analysed as between rounds: every round starts from the same state.
    if (runs.some((s) => s.kind.endsWith("Targets"))) {
      if (process.env.BENCH_PROVISIONED !== "0") {
        // The users PATCHed with targets, in the warm-up and in every round, as the runs name them.
        const t1 = Date.now();
        const index = new Map(ids.map((id, i) => [id, i]));
        const patched = new Set([
          ...firstPatchIds,
          ...runs.filter((s) => s.kind === "patchUserTargets").flatMap((s) => s.ids ?? []),
        ]);
        const users = [...patched].map((id) => index.get(id)!);
        await provisionedInTargets(db, emus, ids, users);
        console.log(`${users.length} users provisioned in both targets in ${Date.now() - t1} ms`);
      }
      for (const kind of ["createUser", "patchUser"] as const)
        await client({
          ...common,
          seconds: 3,
          name: `warm-up ${kind} with targets`,
          kind,
          url: targetsBase,
          ids: firstPatchIds,
        });
      if (process.env.BENCH_DISPATCH !== "0") console.log(`warm-up with targets: ${await drain(false)}`);
    }
    for (const [n, s] of runs.entries()) {
      if (n > 0 && s.round !== runs[n - 1]!.round && deliveries.length) deliveries.push(await drain(false));
      trace?.reset();
      const targets = s.kind.endsWith("Targets");
      const done0 = targets ? await jobs("'done'") : 0;
      let doneAtStart: Promise<number> | undefined;
      const cpu0 = process.cpuUsage();
      const loop0 = performance.eventLoopUtilization();
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const pgCpu = postgresCpu();
      const profile = process.env.BENCH_PROFILE?.split(",").includes(s.kind)
        ? await startProfile(s.kind)
        : undefined;
      if (PGSS) await db.query("SELECT public.pg_stat_statements_reset()").catch(() => undefined);
      const r = await client(
        { ...s, kind: s.kind.replace(/Targets$|Jwt$|OAuth$|Basic$/, "") as Scenario["kind"] },
        () => {
          if (targets) doneAtStart = jobs("'done'");
        },
      );
      const doneAtEnd = targets ? await jobs("'done'") : 0;
      const cpu = process.cpuUsage(cpu0);
      if (profile) console.log(`CPU profile of ${s.kind}: ${await profile()}`);
      const loop = performance.eventLoopUtilization(loop0).utilization;
      delay.disable();
      const stall = `event loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(0)} ms`;
      const pgMs = (pgCpu() * 1000) / Math.max(1, r.rps * SECONDS);
      const cpuMs = (cpu.user + cpu.system) / 1000 / Math.max(1, r.rps * SECONDS);
      results.set(`${s.kind}#${s.round}`, { ...r, cpuMs });
      const baseline =
        s.kind.startsWith("get") || s.kind === "filterUser" || s.kind === "page" ? baselineGet : baselinePost;
      rows.push(
        `| ${s.name}${ROUNDS > 1 && compared.has(s.kind) ? ` (round ${s.round + 1})` : ""} | ${fmt(r)} | ${cpuMs.toFixed(2)} | ${pgMs.toFixed(2)} | ${fmt(baseline)} | ${s.goal} | ${r.non2xx ? `${r.non2xx} non-2xx` : ""} |`,
      );
      console.log(rows.at(-1));
      console.log(`  ${stall}`);
      if (PGSS) console.log(await topStatements(s.kind, s.round));
      trace?.print();
      if (s.kind.endsWith("Targets") && process.env.BENCH_DISPATCH !== "0")
        deliveries.push(
          `${s.kind} (round ${s.round + 1}): ${doneAtEnd - ((await doneAtStart) ?? done0)} delivery jobs done during the burst ` +
            `(${((await doneAtStart) ?? done0) - done0} in the moment before it), ` +
            `${await jobs("'pending', 'running'")} queued at its end, event loop ${(loop * 100).toFixed(0)}% busy, ${stall}`,
        );
    }
    if (deliveries.length) deliveries.push(await drain(true));
    console.log(
      `\n${USERS} users, ${SECONDS} s per scenario, 10 connections unless stated; server and client on this machine\n`,
    );
    console.log(
      "| scenario | SCIM req/s, p50 / p99 ms | bridge CPU ms/request | PostgreSQL CPU ms/request | plain Express req/s, p50 / p99 ms | goal | errors |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (const r of rows) console.log(r);
    for (const d of deliveries) console.log(d);
    for (const kind of ["getUserJwt", "getUserOAuth", "getUserBasic"]) {
      const a = results.get(`${kind}#0`);
      const b = results.get("getUser#0");
      if (a && b)
        console.log(
          `${kind} / getUser (bearer token): ${(a.rps / b.rps).toFixed(2)}× the throughput (goal ≥ 0.9×), ` +
            `${(a.cpuMs / b.cpuMs).toFixed(2)}× the bridge CPU per request`,
        );
    }
    for (const [withTargets, without] of [
      ["createUserTargets", "createUser"],
      ["patchUserTargets", "patchUser"],
    ] as const) {
      const ratios: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const a = results.get(`${withTargets}#${round}`);
        const b = results.get(`${without}#${round}`);
        if (!a || !b) continue;
        ratios.push(a.rps / b.rps);
        console.log(
          `${withTargets} / ${without}${ROUNDS > 1 ? ` (round ${round + 1})` : ""}: ` +
            `${(a.rps / b.rps).toFixed(2)}× the throughput (goal ≥ 0.8×), ` +
            `${(a.cpuMs / b.cpuMs).toFixed(2)}× the bridge CPU per request`,
        );
      }
      if (ratios.length > 1)
        console.log(
          `${withTargets} / ${without}: median ${median(ratios).toFixed(2)}× over ${ratios.length} rounds ` +
            `(${ratios.map((x) => x.toFixed(2)).join(", ")})`,
        );
    }
  } finally {
    clientProcess?.disconnect();
    await issuer?.close();
    await stopTargets?.();
    for (const s of servers) s.close();
    await db.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The same number of ids as `slice`, starting `by` further on in `all` (wrapping round). */
function shifted(all: string[], slice: string[], by: number): string[] {
  const start = all.indexOf(slice[0]!);
  return slice.map((_, i) => all[(start + by + i) % all.length]!);
}

function fmt(r: ScenarioResult) {
  return `${Math.round(r.rps).toLocaleString("en")} req/s, ${r.p50} / ${r.p99}`;
}
