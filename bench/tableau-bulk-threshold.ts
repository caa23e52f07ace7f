// Where Tableau's CSV import starts to pay: n new users added one by one (add + update) versus one import
// job (import + polls + lookup), at a per-call latency, with the target's default concurrency.
//   bin/node22 bench/tableau-bulk-threshold.ts [--latency 50] [--job-ms-per-row 0.2]

import { parseArgs } from "node:util";
import { startTableauEmulator, tableauEmulatorTargetConfig } from "../src/emulators/tableau/index.ts";
import { retryPolicy } from "../src/sync/retry.ts";
import { createTableauTarget, TableauTargetConfig } from "../src/targets/tableau/index.ts";

const { values: args } = parseArgs({
  options: {
    latency: { type: "string", default: "50" },
    "job-ms-per-row": { type: "string", default: "0.2" },
  },
});
const rows: { n: number; path: string; calls: number; ms: number }[] = [];
let seq = 0;
for (const n of [2, 5, 10, 15, 20, 50, 100]) {
  for (const path of ["one by one", "CSV import"]) {
    const emu = await startTableauEmulator({
      port: 0,
      latencyMs: Number(args.latency),
      csvJobMsPerRow: Number(args["job-ms-per-row"]),
    });
    const config = TableauTargetConfig.parse({
      ...tableauEmulatorTargetConfig(emu.url),
      bulkThreshold: path === "CSV import" ? 0 : 1_000_000,
    });
    const target = createTableauTarget(config, { retry: retryPolicy });
    await target.check();
    const ops = Array.from({ length: n }, () => {
      const userName = `t${++seq}@example.com`;
      return {
        kind: "user.upsert" as const,
        key: userName,
        user: {
          scimId: userName,
          active: true,
          groups: [],
          data: { userName, displayName: `User ${seq}`, emails: [{ value: userName, primary: true }] },
        },
      };
    });
    emu.stats.reset();
    const t0 = performance.now();
    const outcomes = await target.apply(ops);
    const ms = performance.now() - t0;
    if (outcomes.some((o) => o.status !== "done")) throw new Error(`${path}: not every user was added`);
    rows.push({ n, path, calls: emu.stats.apiCalls, ms: Math.round(ms) });
    await target.close?.();
    await emu.close();
  }
}
console.log(
  `latency ${args.latency} ms per call, concurrency ${TableauTargetConfig.parse({ ...tableauEmulatorTargetConfig("http://x") }).concurrency}`,
);
console.table(rows);
