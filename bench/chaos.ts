// The chaos run of issue #10 at a larger size: both emulators behind the fault proxy, two bridge processes on
// PostgreSQL (DATABASE_URL), one SIGKILLed mid-load, faults then off. Prints the counts and the time to converge.
//   DATABASE_URL=postgres://… bin/node22 bench/chaos.ts [--users 600] [--groups 20] [--faults 0.25]
import { parseArgs } from "node:util";
import { runChaos } from "../test/support/chaos.ts";

const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "600" },
    groups: { type: "string", default: "20" },
    faults: { type: "string", default: "0.25" },
  },
});
if (!process.env.DATABASE_URL) {
  console.error("bench:chaos needs DATABASE_URL (two bridge processes share one PostgreSQL)");
  process.exit(2);
}
const started = Date.now();
const r = await runChaos({
  users: Number(args.users),
  groups: Number(args.groups),
  faultRate: Number(args.faults),
  log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`),
});
console.log(
  [
    `users ${r.users}, groups ${r.groups}, faults injected ${r.faultsInjected} (${Object.entries(
      r.faultsByKind,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}), kills ${r.kills}`,
    `time to converge: ${(r.convergeMs / 1000).toFixed(1)} s after the last SCIM write, ${(r.afterFaultsOffMs / 1000).toFixed(1)} s after faults off (whole run ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `missing ${r.missing}, duplicate ${r.duplicate}, wrong ${r.wrong}, orphaned ${r.orphaned}, dead ${r.dead}`,
    ...r.problems.slice(0, 20),
  ].join("\n"),
);
process.exitCode = r.problems.length || r.dead ? 1 : 0;
