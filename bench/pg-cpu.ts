// PostgreSQL's CPU time, read from /proc (Linux; nothing elsewhere): the server's share of a scenario's cost, which
// the bridge's own process.cpuUsage() does not see when both run on this machine.
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU ticks used so far by each process named `postgres`, by pid. */
function postgresTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return ticks;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (stat.slice(stat.indexOf("(") + 1, close) !== "postgres") continue;
      const f = stat.slice(close + 2).split(" ");
      ticks.set(pid, Number(f[11]) + Number(f[12])); // utime, stime (fields 14 and 15)
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks;
}

/**
 * Starts measuring; the returned function gives PostgreSQL's CPU seconds since. A backend that ended in between
 * (a pool closing an idle connection) is not counted, so this is a lower bound.
 */
export function postgresCpu(): () => number {
  const before = postgresTicks();
  return () => {
    let ticks = 0;
    for (const [pid, t] of postgresTicks()) ticks += t - (before.get(pid) ?? 0);
    return ticks / TICKS_PER_SECOND;
  };
}
