// Reconcile 100,000 users against an emulator and report list calls, wall time and peak RSS. The emulator
// runs in a child process, so the figures are the bridge's own. Targets: the Tableau emulator (pages of
// 1,000; the default) or the Salesforce emulator (SOQL query batches of 2,000). Usage:
//   npm run bench:reconcile [-- --target tableau|salesforce] [--users 100000]

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Directory } from "../src/directory/index.ts";
import { bridgeSchemaSet } from "../src/schemas.ts";
import { insertResources, type LinkOutcome, recordLinks } from "../src/store/index.ts";
import { reconcile } from "../src/sync/reconcile/index.ts";
import { retryPolicy } from "../src/sync/retry.ts";
import { buildTargets } from "../src/targets/registry.ts";
import { openBenchStore } from "./reconcile-store.ts";
import { BENCH_TARGETS, userName } from "./reconcile-targets.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const USERS = Number(arg("users") ?? 100_000);
const TARGET_NAME = arg("target") ?? "tableau";
const bench = BENCH_TARGETS[TARGET_NAME];
if (!bench) throw new Error(`--target must be one of ${Object.keys(BENCH_TARGETS).join(", ")}`);
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

/** Child: the emulator with seeded accounts; prints `i targetId` per user, then `ready <url>`, then answers
 *  `stats` lines on stdin with `stats <json>` until stdin ends. */
async function emulatorChild() {
  const emulator = await bench!.seed(USERS, (i, id) => process.stdout.write(`${i} ${id}\n`));
  process.stdout.write(`ready ${emulator.url}\n`);
  const commands = createInterface({ input: process.stdin });
  commands.on("line", (line) => {
    if (line === "stats") process.stdout.write(`stats ${JSON.stringify(emulator.stats())}\n`);
  });
  commands.on("close", () => emulator.close().then(() => process.exit(0)));
}

async function main() {
  const child = spawn(
    process.execPath,
    // The emulator holds every account in memory; the bench's heap cap is for the bridge, not for it.
    [
      ...process.execArgv,
      "--max-old-space-size=4096",
      import.meta.filename,
      "--child",
      "--target",
      TARGET_NAME,
      "--users",
      String(USERS),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const r = await lines.next();
    if (r.done) throw new Error("the emulator child exited early");
    return r.value;
  };
  const dir = mkdtempSync(join(tmpdir(), "bench-reconcile-"));
  // PostgreSQL when DATABASE_URL is set; else embedded PGlite, whose WASM heap alone is ~400 MB of RSS.
  const store = await openBenchStore(dir, process.env.DATABASE_URL);
  const db = store.db;
  try {
    process.stderr.write(`seeding ${USERS} users in the store and the ${bench!.name} emulator…\n`);
    for (let i = 0; i < USERS; i += 1000) {
      const items = [];
      for (let j = i; j < Math.min(USERS, i + 1000); j++) {
        items.push({
          id: uuid(j),
          data: {
            schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
            userName: userName(j),
            displayName: `User ${j}`,
            emails: [{ value: userName(j), primary: true }],
            active: true,
          },
        });
      }
      await insertResources(db, "User", items, new Date());
    }
    // 50 store users the target does not have: missing.
    await insertResources(
      db,
      "User",
      Array.from({ length: 50 }, (_, k) => ({
        id: uuid(USERS + k),
        data: { userName: `new${k}@example.com`, active: true },
      })),
      new Date(),
    );
    let url = "";
    let batch: LinkOutcome[] = [];
    for (;;) {
      const line = await nextLine();
      if (line.startsWith("ready ")) {
        url = line.slice(6);
        break;
      }
      const [i, id] = line.split(" ");
      batch.push({ resourceType: "User", resourceId: uuid(Number(i)), targetId: id!, state: "synced" });
      if (batch.length === 1000) {
        await recordLinks(db, bench!.name, batch);
        batch = [];
      }
    }
    await recordLinks(db, bench!.name, batch);

    const [built] = buildTargets([bench!.config(url)], { retry: retryPolicy });
    const deps = {
      db,
      directory: new Directory(db, bridgeSchemaSet()),
      targets: [built!],
      breaker: { windowMs: 3_600_000, maxCount: 100, maxPercent: 20 },
    };
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let heapPeak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 20);
    const started = Date.now();
    const report = await reconcile(deps, { target: bench!.name });
    const wallMs = Date.now() - started;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    child.stdin!.write("stats\n");
    let childStats: unknown = {};
    for (;;) {
      const line = await nextLine();
      if (line.startsWith("stats ")) {
        childStats = JSON.parse(line.slice(6));
        break;
      }
    }
    const mb = (n: number) => Math.round(n / 1024 / 1024);
    const result = {
      users: USERS,
      target: bench!.description,
      wallMs,
      ...bench!.calls(built!, childStats),
      pages: report.pages,
      counts: report.users,
      rssBeforeMb: mb(baseline),
      store: db.kind,
      peakRssDuringReconcileMb: mb(peak),
      reconcileRssGrowthMb: mb(peak - baseline),
      peakJsHeapMb: mb(heapPeak),
      maxRssWholeProcessMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    console.log(JSON.stringify(result, null, 2));
    await built!.target.close?.();
  } finally {
    child.stdin!.end();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--child")) await emulatorChild();
else await main();
