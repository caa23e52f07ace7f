// Each target's health checks (the doctor's), cached briefly so the admin API and the console polling them do not
// turn into a stream of sign-ins against the target. One instance is shared by both.
import type { ConfiguredTarget } from "../sync/index.ts";
import type { CheckResult } from "../targets/target.ts";

const FRESH_MS = 30_000;

export interface TargetHealth {
  /** The target's check results; `fresh` skips the cache. */
  check(t: ConfiguredTarget, fresh?: boolean): Promise<CheckResult[]>;
}

export function targetHealth(): TargetHealth {
  const cache = new Map<string, { at: number; results: CheckResult[] }>();
  return {
    async check(t, fresh = false) {
      const cached = cache.get(t.name);
      if (cached && !fresh && Date.now() - cached.at < FRESH_MS) return cached.results;
      let results: CheckResult[];
      try {
        results = await t.target.check();
      } catch (e) {
        results = [{ check: "check", ok: false, detail: (e as Error).message }];
      }
      cache.set(t.name, { at: Date.now(), results });
      return results;
    },
  };
}
