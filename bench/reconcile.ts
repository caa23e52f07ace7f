// Reconcile 100,000 users against the Tableau emulator (pages of 1,000) and report list calls, wall time and peak
// RSS. The emulator runs in a child process, so the figures are the bridge's own. Usage:
//   npm run bench:reconcile [-- --users 100000]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Directory } from "../src/directory/index.ts";
import { startTableauEmulator } from "../src/emulators/tableau/index.ts";
import { insertResources, type LinkOutcome, openStore, recordLinks } from "../src/store/index.ts";
import { reconcile } from "../src/sync/reconcile/index.ts";
import { buildTargets } from "../src/targets/registry.ts";
import type { TableauTarget } from "../src/targets/tableau/index.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const USERS = arg("users", 100_000);
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
const userName = (i: number) => `user${i}@example.com`;

/** Child: the emulator with USERS site users (every 1000th with a changed full name) and a few extra accounts. */
async function emulatorChild() {
  const e = await startTableauEmulator({ port: 0 });
  const site = e.server.site("");
  for (let i = 0; i < USERS; i++) {
    const drifted = i % 1000 === 0;
    const u = site.addUser({
      name: userName(i),
      siteRole: "Viewer",
      fullName: drifted ? "Changed By Hand" : `User ${i}`,
      email: userName(i),
    });
    process.stdout.write(`${i} ${u.id}\n`);
  }
  for (let i = 0; i < 50; i++) site.addUser({ name: `stranger${i}@example.com`, siteRole: "Viewer" });
  process.stdout.write(`ready ${e.url}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => e.close().then(() => process.exit(0)));
}

async function main() {
  const child = spawn(
    process.execPath,
    [...process.execArgv, import.meta.filename, "--child", "--users", String(USERS)],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const dir = mkdtempSync(join(tmpdir(), "bench-reconcile-"));
  // PostgreSQL when DATABASE_URL is set; else embedded PGlite, whose WASM heap alone is ~400 MB of RSS.
  const db = await openStore({
    dataDir: dir,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  });
  try {
    process.stderr.write(`seeding ${USERS} users in the store and the emulator…\n`);
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
    // 50 store users the site does not have: missing.
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
    for await (const line of createInterface({ input: child.stdout! })) {
      if (line.startsWith("ready ")) {
        url = line.slice(6);
        break;
      }
      const [i, id] = line.split(" ");
      batch.push({ resourceType: "User", resourceId: uuid(Number(i)), targetId: id!, state: "synced" });
      if (batch.length === 1000) {
        await recordLinks(db, "tableau", batch);
        batch = [];
      }
    }
    await recordLinks(db, "tableau", batch);

    const [built] = buildTargets([
      {
        name: "tableau",
        kind: "tableau",
        serverUrl: url,
        auth: { pat: { name: "scim-bridge-demo", secret: "demo-pat-secret" } },
      },
    ]);
    const deps = {
      db,
      directory: new Directory(db),
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
    const report = await reconcile(deps, { target: "tableau" });
    const wallMs = Date.now() - started;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const client = (built!.target as TableauTarget).client;
    const mb = (n: number) => Math.round(n / 1024 / 1024);
    const result = {
      users: USERS,
      target: "tableau emulator, pages of 1000",
      wallMs,
      tableauCalls: client.calls,
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
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--child")) await emulatorChild();
else await main();
