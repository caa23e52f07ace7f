// Issue #10's chaos run at CI size: two bridge processes on PostgreSQL, both emulators behind our fault proxy
// (gateway errors with HTML or JSON bodies, 429 with Retry-After, resets before and after the upstream answered,
// slow answers) on a quarter of the target calls, sessions ended now and then with the next sign-in refused once
// (issue #26), one process SIGKILLed mid-load, then faults off. Every account and membership must match the store,
// read back through the emulators' REST APIs. The larger run is `npm run bench:chaos`.
import { describe, expect, it } from "vitest";
import { runChaos } from "../support/chaos.ts";

if (!process.env.DATABASE_URL)
  console.info("chaos: DATABASE_URL not set, skipping (two bridge processes need a shared PostgreSQL)");

describe.skipIf(!process.env.DATABASE_URL)("chaos: faults, a kill -9, then convergence (PostgreSQL)", () => {
  it("converges: nothing missing, duplicated, wrong, orphaned or dead", async () => {
    const r = await runChaos({ users: 48, groups: 4, faultRate: 0.25 });
    console.info(
      `chaos: ${r.users} users, ${r.faultsInjected} faults, ${r.kills} kill, converged ${r.convergeMs} ms after the last write (${r.afterFaultsOffMs} ms after faults off)`,
    );
    expect(r.kills).toBe(1);
    expect(r.faultsInjected).toBeGreaterThanOrEqual(20);
    // Sign-ins were refused among successful ones (issue #26): the work did not wait out a 5-minute park.
    expect(r.faultsByKind["401-tableau-signin"]).toBeGreaterThanOrEqual(1);
    expect(r.faultsByKind["400-salesforce-token"]).toBeGreaterThanOrEqual(1);
    expect(r.problems).toEqual([]);
    expect({
      missing: r.missing,
      duplicate: r.duplicate,
      wrong: r.wrong,
      orphaned: r.orphaned,
      dead: r.dead,
    }).toEqual({
      missing: 0,
      duplicate: 0,
      wrong: 0,
      orphaned: 0,
      dead: 0,
    });
  }, 420_000);
});
