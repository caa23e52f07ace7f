// BENCH_TRACE=1: time spent waiting for each kind of SQL statement (by its first 90 characters), printed at exit.
// Wall time per statement as the caller sees it (PostgreSQL's work, the round trip and any queueing), not CPU.
import pg from "pg";

export function tracePostgres(out: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  const orig = pg.Client.prototype.query;
  const spent = new Map<string, { n: number; ms: number }>();
  // biome-ignore lint/suspicious/noExplicitAny: tracing only
  (pg.Client.prototype as any).query = function (this: unknown, ...a: any[]) {
    const text = String(typeof a[0] === "string" ? a[0] : a[0]?.text)
      .replace(/\s+/g, " ")
      .slice(0, 90);
    const s0 = performance.now();
    // biome-ignore lint/suspicious/noExplicitAny: tracing only
    const r: any = (orig as any).apply(this, a);
    if (r && typeof r.then === "function")
      r.then(
        () => {
          const e = spent.get(text) ?? { n: 0, ms: 0 };
          e.n++;
          e.ms += performance.now() - s0;
          spent.set(text, e);
        },
        () => {},
      );
    return r;
  };
  return {
    reset: () => spent.clear(),
    print(top = 12) {
      for (const [q, e] of [...spent.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, top))
        out(`${e.ms.toFixed(0).padStart(7)} ms ${String(e.n).padStart(6)}x ${q}`);
    },
  };
}
