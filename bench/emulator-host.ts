// The emulated targets of bench:provision, in their own process (as real targets run elsewhere): started on request,
// answering the bench's questions (calls since a reset, write calls, a digest of the records, CPU used) over IPC.
// Stops when the bench disconnects.
import { createHash } from "node:crypto";
import type { DemoEmulator } from "../src/targets/kind.ts";
import { registeredKinds } from "../src/targets/registry.ts";

type Ask = {
  id: number;
  op: "start" | "reset" | "stats";
  kind?: string;
  kinds?: string[];
  latencyMs?: number;
};

const emus = new Map<string, DemoEmulator>();
let cpuMark = process.cpuUsage();

process.on("message", async (m: Ask) => {
  const answer = (value: unknown) => process.send?.({ id: m.id, value });
  if (m.op === "start") {
    for (const k of registeredKinds().filter((x) => x.demo && m.kinds?.includes(x.name)))
      emus.set(k.name, await k.demo!({ changed: () => {} }, { latencyMs: m.latencyMs ?? 0 }));
    answer(
      [...emus].map(([kind, e]) => ({
        kind,
        url: e.url,
        targetConfig: e.targetConfig,
        inFlight: e.inFlight,
      })),
    );
    return;
  }
  const e = emus.get(m.kind ?? "");
  if (!e) return answer(undefined);
  if (m.op === "reset") {
    e.stats.reset();
    cpuMark = process.cpuUsage();
    return answer(undefined);
  }
  const cpu = process.cpuUsage(cpuMark);
  answer({
    apiCalls: e.stats.apiCalls,
    writeCalls: Object.entries(e.stats.byRoute).reduce((n, [route, c]) => n + (e.writes(route) ? c : 0), 0),
    byRoute: e.stats.byRoute,
    digest: createHash("sha256").update(JSON.stringify(e.snapshot())).digest("hex"),
    // Shared by every emulator of this process: reported once per reset, by the first asked.
    cpuSeconds: (cpu.user + cpu.system) / 1e6 / emus.size,
  });
});

process.once("disconnect", async () => {
  for (const e of emus.values()) await e.close();
  process.exit(0);
});
