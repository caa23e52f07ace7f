// npm run bench:peer (or BENCH_PEER=<url> npm run bench:scim) — the bridge beside a peer SCIM server, same scenarios,
// same client (bench/client.ts, autocannon in a child process), in one run: each round runs every scenario against
// both, the peer first in odd rounds and the bridge first in even ones, so that the machine's drift falls on both.
// The table gives the median req/s of each over the rounds and the median of the per-round ratios.
//
//   BENCH_PEER         the peer's base URL (e.g. http://localhost:8880); it answers /scim/v2/Users, as
//                      scimgateway does (the README's Development section says how to start it)
//   BENCH_PEER_TOKEN   the bearer token the peer accepts
//   BENCH_STORE        postgres (default: a fresh schema in DATABASE_URL, dropped afterwards) or pglite (a fresh
//                      data directory in the system's temporary directory, removed afterwards)
//   BENCH_USERS        users preloaded into both (default 10000): the bridge's through SQL, the peer's through its
//                      SCIM API (users it already holds, from an earlier run, are kept)
//   BENCH_SECONDS      seconds per scenario (default 6)   BENCH_ROUNDS  rounds (default 3)
//   BENCH_CONNECTIONS  concurrent connections (default 10)
//
// The bridge runs in this process with no target and its rate limit lifted, as bench:scim runs it; a plain Express
// GET is measured before and after the rounds, and the load average printed, so that a loaded machine shows.
//
// Without BENCH_PEER: the bridge alone, the same scenarios and rounds, with the CPU each request cost the bridge's
// process (user + system; on PGlite the SQL engine's too, which runs in it) and PostgreSQL's server processes: the
// figure to compare before and after a change on a shared machine, where req/s drift with the neighbours' load.
//   BENCH_ONLY         comma-separated scenario kinds (createUser,filterUser,getUser,patchUser,page)
//   BENCH_PROFILE      kinds to write a V8 CPU profile of during their first round (bench-<kind>-*.cpuprofile)
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import pg from "pg";
import { pino } from "pino";
import { createBridge } from "../src/bridge.ts";
import { ConfigSchema } from "../src/config/index.ts";
import { openPglite } from "../src/store/db.ts";
import { type Db, migrate, openPostgres } from "../src/store/index.ts";
import { checkAnswers, runClient, type Scenario, type ScenarioResult } from "./client.ts";
import { postgresCpu } from "./pg-cpu.ts";
import { startProfile } from "./profile.ts";

const PEER = process.env.BENCH_PEER?.replace(/\/+$/, "") ?? "";
const PEER_TOKEN = process.env.BENCH_PEER_TOKEN ?? "";
const STORE = process.env.BENCH_STORE === "pglite" ? "pglite" : "postgres";
const URL_ = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const TOKEN = randomBytes(16).toString("hex");
const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";

/** Each scenario and the ratio (bridge / peer) it should reach, per store (issue #27). */
const ALL_SCENARIOS = [
  { kind: "createUser", name: "POST /Users", goal: { postgres: 1.6, pglite: 1.0 } },
  { kind: "filterUser", name: "GET filter userName eq", goal: { postgres: 3, pglite: 1.0 } },
  { kind: "getUser", name: "GET by id", goal: { postgres: 3, pglite: 1.0 } },
  { kind: "patchUser", name: "PATCH user", goal: { postgres: 2.5, pglite: 1.0 } },
  { kind: "page", name: "GET page of 100", goal: { postgres: 50, pglite: 30 } },
] as const;
const ONLY = process.env.BENCH_ONLY?.split(",").map((k) => k.trim());
const SCENARIOS = ALL_SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.kind));
const PROFILE = new Set(process.env.BENCH_PROFILE?.split(",").map((k) => k.trim()) ?? []);

let clientProcess: ChildProcess | undefined;

if (process.argv.includes("--client")) {
  process.on("message", async (s: Scenario) => process.send?.(await runClient(s)));
  process.once("disconnect", () => process.exit(0));
} else {
  if (PEER && !PEER_TOKEN) {
    console.error("bench:peer needs BENCH_PEER_TOKEN=<the peer's bearer token> beside BENCH_PEER");
    process.exit(2);
  }
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

/** The bridge's users in multi-row INSERTs (as bench:scim loads them); their ids in order. */
async function loadBridge(db: Db): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < USERS; start += 5000) {
    const chunk = Array.from({ length: Math.min(5000, USERS - start) }, (_, k) => ({
      id: randomUUID(),
      body: userBody(start + k),
    }));
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
  await db.query("VACUUM ANALYZE");
  return ids;
}

/**
 * The peer's users through its SCIM API, CONNECTIONS at a time; a 409 (already there from an earlier run against
 * the same peer) keeps the user. Their ids in order, read from the answers (scimgateway's loki plugin uses the
 * userName).
 */
async function loadPeer(): Promise<string[]> {
  const headers = { authorization: `Bearer ${PEER_TOKEN}`, "content-type": "application/scim+json" };
  const probe = await fetch(`${PEER}/scim/v2/Users?count=1`, { headers });
  if (!probe.ok)
    throw new Error(`the peer answered GET /scim/v2/Users with ${probe.status}: check BENCH_PEER(_TOKEN)`);
  await probe.arrayBuffer();
  const ids: string[] = new Array(USERS);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < USERS; i = next++) {
      const body = userBody(i);
      const res = await fetch(`${PEER}/scim/v2/Users`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
      });
      const answer = (await res.json().catch(() => ({}))) as { id?: string };
      if (res.status === 201 && answer.id) ids[i] = answer.id;
      else if (res.status === 409) ids[i] = await peerId(body.userName, headers);
      else throw new Error(`the peer answered POST /scim/v2/Users with ${res.status} while preloading`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return ids;
}

async function peerId(userName: string, headers: Record<string, string>): Promise<string> {
  const filter = encodeURIComponent(`userName eq "${userName}"`);
  const res = await fetch(`${PEER}/scim/v2/Users?filter=${filter}&attributes=id`, { headers });
  const list = (await res.json()) as { Resources?: { id: string }[] };
  const id = list.Resources?.[0]?.id;
  if (!id) throw new Error(`the peer refused ${userName} as a duplicate but does not find it`);
  return id;
}

function client(s: Scenario): Promise<ScenarioResult> {
  clientProcess ??= fork(fileURLToPath(import.meta.url), ["--client"], { stdio: "inherit" });
  const child = clientProcess;
  return new Promise((resolve, reject) => {
    child.once("message", (m) => {
      try {
        resolve(checkAnswers(s.name, m as ScenarioResult));
      } catch (e) {
        reject(e);
      }
    });
    child.send(s);
  });
}

async function openBridgeStore(): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (STORE === "pglite") {
    const dir = mkdtempSync(join(tmpdir(), "bench-peer-"));
    const db = await openPglite(join(dir, "pglite"));
    return {
      db,
      drop: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: URL_ });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = await openPostgres(URL_, { schema, max: 20 });
  return {
    db,
    drop: async () => {
      await db.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

async function main() {
  const { db, drop } = await openBridgeStore();
  const servers: Server[] = [];
  let stopBridge: (() => Promise<void>) | undefined;
  try {
    await migrate(db);
    let t0 = Date.now();
    const bridgeIds = await loadBridge(db);
    console.log(`bridge (${STORE}): ${USERS} users loaded in ${Date.now() - t0} ms`);
    t0 = Date.now();
    const peerIds = PEER ? await loadPeer() : [];
    if (PEER)
      console.log(`peer ${PEER}: ${USERS} users preloaded through its SCIM API in ${Date.now() - t0} ms`);

    const bridge = await createBridge({
      config: ConfigSchema.parse({ rateLimit: { perMinute: 100_000_000 } }),
      logger: pino({ level: "silent" }),
      db,
      targetConfigs: [],
      tokens: [{ name: "bench", token: TOKEN }],
      adminTokens: [],
    });
    stopBridge = () => bridge.stop();
    const server = await bridge.listen(0, "127.0.0.1");
    servers.push(server);
    const bridgeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const plain = express();
    plain.get("/json", (_req, res) => {
      res.json({ schemas: [CORE], id: bridgeIds[0], userName: "plain@example.com", active: true });
    });
    const plainUrl = await new Promise<string>((resolve) => {
      const s = plain.listen(0, "127.0.0.1", () =>
        resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`),
      );
      servers.push(s);
    });

    const sides = {
      peer: { url: PEER, token: PEER_TOKEN, ids: peerIds },
      bridge: { url: bridgeUrl, token: TOKEN, ids: bridgeIds },
    };
    // GET by id reads the first half of the users, PATCH the second half, a tenth of it further on each round.
    const half = Math.max(1, Math.floor(USERS / 2));
    const slot = Math.max(1, Math.floor((USERS - half) / 10));
    const scenario = (side: keyof typeof sides, kind: Scenario["kind"], round: number, seconds = SECONDS) => {
      const { url, token, ids } = sides[side];
      const from = half + ((round * slot) % Math.max(1, USERS - half));
      return {
        name: `${side} ${kind}${round >= 0 ? ` (round ${round + 1})` : " (warm-up)"}`,
        kind,
        url,
        token,
        seconds,
        connections: CONNECTIONS,
        users: USERS,
        ids: kind === "patchUser" ? ids.slice(from, from + slot) : ids.slice(0, Math.min(5000, half)),
      } satisfies Scenario;
    };
    // A server keeps working on the requests in flight when a scenario's time is up (the peer's pages take a second
    // or more each, one at a time): one request answered afterwards means that backlog is gone before the next
    // scenario starts, instead of being charged to it.
    const settle = async (side: keyof typeof sides) => {
      const { url, token, ids } = sides[side];
      const res = await fetch(`${url}/scim/v2/Users/${ids[0]}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
    };
    /** The bridge's CPU per request (its process; PostgreSQL's server processes apart), in µs. */
    const run = async (
      side: keyof typeof sides,
      kind: Scenario["kind"],
      round: number,
      seconds = SECONDS,
    ) => {
      const cpu0 = process.cpuUsage();
      const pgCpu = STORE === "postgres" ? postgresCpu() : () => 0;
      const stopProfile =
        side === "bridge" && round === 0 && PROFILE.has(kind) ? await startProfile(kind) : undefined;
      const r = await client(scenario(side, kind, round, seconds));
      const file = await stopProfile?.();
      if (file) console.log(`profile of bridge ${kind}: ${file}`);
      const cpu = process.cpuUsage(cpu0);
      const pg = pgCpu();
      await settle(side);
      const requests = Math.max(1, r.ok + r.non2xx);
      return {
        ...r,
        cpuUs: (cpu.user + cpu.system) / requests,
        pgUs: (pg * 1e6) / requests,
      };
    };
    const baseline = async (when: string) => {
      const r = await client({
        name: "plain Express GET /json",
        kind: "plainGet",
        url: plainUrl,
        token: TOKEN,
        seconds: Math.min(SECONDS, 3),
        connections: CONNECTIONS,
      });
      const line = `plain Express GET /json ${when}: ${Math.round(r.rps).toLocaleString("en")} req/s, load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")}`;
      console.log(line);
      return line;
    };
    const before = await baseline("before the rounds");
    // Warm-up (not measured): both sides' code optimised before the first round.
    const sideNames = PEER ? (["peer", "bridge"] as const) : (["bridge"] as const);
    for (const side of sideNames)
      for (const kind of ["createUser", "getUser", "patchUser"] as const)
        await run(side, kind, -1, Math.min(SECONDS, 2));

    const rps = new Map<
      string,
      { peer: number[]; bridge: number[]; ratio: number[]; cpuUs: number[]; pgUs: number[] }
    >();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? sideNames : [...sideNames].reverse();
      for (const s of SCENARIOS) {
        const got = { peer: 0, bridge: 0 };
        const row = rps.get(s.kind) ?? { peer: [], bridge: [], ratio: [], cpuUs: [], pgUs: [] };
        for (const side of order) {
          const r = await run(side, s.kind, round);
          got[side] = r.rps;
          if (side === "bridge") {
            row.cpuUs.push(r.cpuUs);
            row.pgUs.push(r.pgUs);
          }
          const cpu = side === "bridge" ? `, CPU ${fmt(r.cpuUs)} µs/req (PostgreSQL ${fmt(r.pgUs)})` : "";
          console.log(
            `round ${round + 1} ${s.name} ${side}: ${Math.round(r.rps).toLocaleString("en")} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${cpu}${r.non2xx ? `, ${r.non2xx} non-2xx` : ""}`,
          );
        }
        row.peer.push(got.peer);
        row.bridge.push(got.bridge);
        row.ratio.push(got.bridge / Math.max(got.peer, 1e-9));
        rps.set(s.kind, row);
      }
    }
    const after = await baseline("after the rounds");

    if (!PEER) {
      console.log(
        `\nbridge alone on ${STORE === "pglite" ? "PGlite" : "PostgreSQL"}: ${USERS} users preloaded, ${SECONDS} s per scenario, ` +
          `${CONNECTIONS} connections, medians of ${ROUNDS} round${ROUNDS > 1 ? "s" : ""}\n`,
      );
      console.log("| scenario | req/s | bridge CPU µs/req | PostgreSQL CPU µs/req |");
      console.log("|---|---|---|---|");
      for (const s of SCENARIOS) {
        const row = rps.get(s.kind)!;
        console.log(
          `| ${s.name} | ${fmt(median(row.bridge))} | ${fmt(median(row.cpuUs))} | ${STORE === "postgres" ? fmt(median(row.pgUs)) : "-"} |`,
        );
      }
      console.log(`\n${before}\n${after}`);
      return;
    }

    console.log(
      `\nbridge on ${STORE === "pglite" ? "PGlite" : "PostgreSQL"} vs ${PEER}: ${USERS} users preloaded, ${SECONDS} s per scenario, ` +
        `${CONNECTIONS} connections, medians of ${ROUNDS} round${ROUNDS > 1 ? "s" : ""} (ratio: median of the rounds' ratios)\n`,
    );
    console.log("| scenario | peer req/s | bridge req/s | ratio | goal |");
    console.log("|---|---|---|---|---|");
    for (const s of SCENARIOS) {
      const row = rps.get(s.kind)!;
      const ratio = median(row.ratio);
      const goal = s.goal[STORE];
      console.log(
        `| ${s.name} | ${fmt(median(row.peer))} | ${fmt(median(row.bridge))} | ${ratio.toFixed(ratio < 10 ? 2 : 0)}× | ≥ ${goal}× ${ratio >= goal ? "met" : "NOT met"} |`,
      );
    }
    console.log(`\n${before}\n${after}`);
  } finally {
    clientProcess?.disconnect();
    await stopBridge?.();
    for (const s of servers) s.close();
    await drop();
  }
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function fmt(rps: number) {
  return Math.round(rps).toLocaleString("en");
}
