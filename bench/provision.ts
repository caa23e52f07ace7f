// Provisioning throughput into an emulated target with per-call latency.
//   bin/node22 bench/provision.ts --target salesforce|tableau [--users 10000] [--groups 100] [--latency 50]
//                                 [--concurrency 8] [--baseline 200]
// Loads users (and groups) into the store through the directory, so the outbox and dispatcher do the real work,
// then reports wall time until every resource is synced, API calls per user, and the floor implied by the
// latency and the allowed concurrency. `--baseline N` also times a one-call-per-user script (create + set
// password, sequential, as the Tableau Prep seed script does) on N users and extrapolates.
import { parseArgs } from "node:util";
import { pino } from "pino";
import { createBridge } from "../src/bridge.ts";
import { ConfigSchema } from "../src/config/index.ts";
import {
  SALESFORCE_EMULATOR_DEFAULTS as SF,
  salesforceEmulatorTargetConfig,
  startSalesforceEmulator,
} from "../src/emulators/salesforce/index.ts";
import { startTableauEmulator, tableauEmulatorTargetConfig } from "../src/emulators/tableau/index.ts";
import { type Db, migrate, openPglite, openPostgres } from "../src/store/index.ts";

const { values: args } = parseArgs({
  options: {
    target: { type: "string", default: "salesforce" },
    users: { type: "string", default: "10000" },
    groups: { type: "string", default: "100" },
    latency: { type: "string", default: "50" },
    concurrency: { type: "string", default: "8" },
    baseline: { type: "string", default: "200" },
  },
});
const USERS = Number(args.users);
const GROUPS = Number(args.groups);
const LATENCY = Number(args.latency);
const CONCURRENCY = Number(args.concurrency);
const kind = args.target === "tableau" ? "tableau" : "salesforce";

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

const emu =
  kind === "salesforce"
    ? await startSalesforceEmulator({ port: 0, latencyMs: LATENCY, apiBudget: 10_000_000 })
    : await startTableauEmulator({
        port: 0,
        latencyMs: LATENCY,
        licences: { Creator: 1e6, Explorer: 1e6, Viewer: 1e6 },
      });
const targetConfig =
  kind === "salesforce"
    ? { ...salesforceEmulatorTargetConfig(emu.url), concurrency: CONCURRENCY }
    : { ...tableauEmulatorTargetConfig(emu.url), concurrency: CONCURRENCY };

const store = await openDb();
const config = ConfigSchema.parse({ sync: { pollMs: 50, waitForDeliveryMs: 0, workersPerTarget: 2 } });
const bridge = await createBridge({
  config,
  logger: pino({ level: "warn" }),
  db: store.db,
  targetConfigs: [targetConfig],
  tokens: [],
  adminTokens: [],
  dispatch: false,
});

process.stderr.write(`loading ${USERS} users and ${GROUPS} groups into the store (${store.db.kind})...\n`);
const ids: string[] = [];
for (let i = 0; i < USERS; i++) {
  const userName = `bench${i}@example.com`;
  const v = await bridge.directory.create(
    "User",
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName,
      name: { givenName: `Given${i}`, familyName: `Family${i}` },
      emails: [{ value: userName, type: "work", primary: true }],
      active: true,
    },
    {},
  );
  ids.push(v.resource.id);
}
for (let g = 0; g < GROUPS; g++) {
  const members = ids.filter((_, i) => i % GROUPS === g).map((value) => ({ value, type: "User" as const }));
  await bridge.directory.create(
    "Group",
    { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: `Bench group ${g}` },
    {},
    { members },
  );
}

emu.stats.reset();
const started = Date.now();
bridge.dispatcher.start();
for (;;) {
  const { rows } = await store.db.query<{ open: number; dead: number }>(
    "SELECT count(*) FILTER (WHERE state IN ('pending','running'))::int AS open, count(*) FILTER (WHERE state = 'dead')::int AS dead FROM outbox",
  );
  const open = Number(rows[0]?.open ?? 0);
  if (open === 0) break;
  process.stderr.write(
    `\r${open} jobs open, ${rows[0]?.dead ?? 0} dead, ${((Date.now() - started) / 1000).toFixed(1)} s   `,
  );
  await new Promise((r) => setTimeout(r, 500));
}
const wallS = (Date.now() - started) / 1000;
process.stderr.write("\n");
const { rows: states } = await store.db.query<{ state: string; n: number }>(
  "SELECT state, count(*)::int AS n FROM links GROUP BY state",
);
const calls = emu.stats.apiCalls;
// The floor: every call the run needed, at the configured latency, with as many in flight as allowed (Salesforce:
// one call at a time per dispatcher worker, since a batch's calls depend on each other; Tableau: the target's
// concurrency across all batches).
const inFlight = kind === "salesforce" ? config.sync.workersPerTarget : CONCURRENCY;
const floorS = (calls * LATENCY) / 1000 / inFlight;

let baseline: { users: number; calls: number; seconds: number } | undefined;
const N = Number(args.baseline);
if (N > 0 && kind === "salesforce") {
  // The seed script's shape: one create and one password call per user, one user at a time.
  const jsforce = (await import("jsforce")).default;
  const conn = new jsforce.Connection({
    loginUrl: emu.url,
    version: "62.0",
    oauth2: { loginUrl: emu.url, clientId: SF.clientId, clientSecret: SF.clientSecret },
  });
  await conn.login(SF.username, SF.password + SF.securityToken);
  const profile = (await conn.query<{ Id: string }>("SELECT Id FROM Profile WHERE Name = 'Standard User'"))
    .records[0]!.Id;
  emu.stats.reset();
  const t0 = Date.now();
  for (let i = 0; i < N; i++) {
    const u = `script${i}@example.com`;
    const r = (await conn.sobject("User").create({
      Username: u,
      Email: u,
      LastName: `Script${i}`,
      Alias: `s${i}`.slice(0, 8),
      ProfileId: profile,
      TimeZoneSidKey: "America/Los_Angeles",
      LocaleSidKey: "en_US",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
    })) as { id: string };
    await conn.requestPost(`/services/data/v62.0/sobjects/User/${r.id}/password`, {
      NewPassword: "Generic-Passw0rd!",
    });
  }
  baseline = { users: N, calls: emu.stats.apiCalls, seconds: (Date.now() - t0) / 1000 };
}

const report = {
  target: kind,
  store: store.db.kind,
  users: USERS,
  groups: GROUPS,
  latencyMs: LATENCY,
  concurrency: CONCURRENCY,
  wallSeconds: Number(wallS.toFixed(1)),
  apiCalls: calls,
  apiCallsPerUser: Number((calls / USERS).toFixed(4)),
  usersPerSecond: Math.round(USERS / wallS),
  requestsInFlight: inFlight,
  floorSeconds: Number(floorS.toFixed(1)),
  linkStates: Object.fromEntries(states.map((s) => [s.state, Number(s.n)])),
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
await emu.close();
