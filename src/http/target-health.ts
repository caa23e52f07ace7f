// Each target's health checks (the doctor's), cached briefly so the admin API and the console polling them do not
// turn into a stream of sign-ins against the target. One instance is shared by both.
import type { Queryable } from "../store/index.ts";
import { type ConfiguredTarget, credentialsParked } from "../sync/index.ts";
import type { CheckResult } from "../targets/target.ts";

const FRESH_MS = 30_000;

export interface TargetHealth {
  /** The target's check results; `fresh` skips the cache. */
  check(t: ConfiguredTarget, fresh?: boolean): Promise<CheckResult[]>;
}

/**
 * With the store, a target that has work parked on refused credentials also gets a failing "credentials" check:
 * every process sees it in the outbox at once, even while the cached check() still passes.
 */
export function targetHealth(db?: Queryable): TargetHealth {
  const cache = new Map<string, { at: number; results: CheckResult[] }>();
  const parked = async (t: ConfiguredTarget): Promise<CheckResult[]> => {
    if (!db) return [];
    const c = (await credentialsParked(db).catch(() => new Map<string, CheckResult>())).get(t.name);
    return c ? [c] : [];
  };
  return {
    async check(t, fresh = false) {
      const cached = cache.get(t.name);
      if (cached && !fresh && Date.now() - cached.at < FRESH_MS)
        return [...cached.results, ...(await parked(t))];
      let results: CheckResult[];
      try {
        results = await t.target.check();
      } catch (e) {
        results = [{ check: "check", ok: false, detail: (e as Error).message }];
      }
      cache.set(t.name, { at: Date.now(), results });
      return [...results, ...(await parked(t))];
    },
  };
}
