// Short leases are safe: a worker renews its claim while its batch runs (heartbeat), and a worker whose claim
// was taken over cannot record its late outcome over the newer worker's (fencing by claim token).
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  claimFollowers,
  claimUnits,
  enqueueJobs,
  extendClaims,
  listJobs,
  stillClaimed,
} from "../../src/store/index.ts";
import type { ConfiguredTarget } from "../../src/sync/configured-target.ts";
import { recordOutcomes } from "../../src/sync/record.ts";
import { DEFAULT_BACKOFF } from "../../src/sync/retry.ts";
import { vendorCode } from "../../src/targets/codes.ts";
import { eventually } from "../support/bridge.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

describe.each(BACKENDS)("claims on %s", (backend) => {
  let store: TestDb | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  async function oneJob() {
    store = await openTestDb(backend);
    const id = randomUUID();
    await enqueueJobs(store.db, [{ target: "t", resourceType: "User", resourceId: id, action: "provision" }]);
    return { db: store.db, id };
  }

  it("a renewed claim is not taken over; an expired one is, and the old token no longer holds it", async () => {
    const { db } = await oneJob();
    const [unit] = await claimUnits(db, "t", 10, "worker-a:1", 300);
    expect(unit).toBeDefined();
    // Renewed past its first lease: another worker finds nothing to claim.
    await extendClaims(db, "worker-a:1", 60_000);
    await new Promise((r) => setTimeout(r, 400));
    expect(await claimUnits(db, "t", 10, "worker-b:1", 300)).toHaveLength(0);
    // Not renewed: taken over once the lease runs out.
    await extendClaims(db, "worker-a:1", 1);
    const taken = await eventually(async () => (await claimUnits(db, "t", 10, "worker-b:2", 60_000))[0]);
    const ids = taken.jobs.map((j) => j.id);
    expect(await stillClaimed(db, "worker-a:1", ids)).toEqual(new Set());
    expect(await stillClaimed(db, "worker-b:2", ids)).toEqual(new Set(ids));
  });

  it("a stale worker's outcome is not recorded; the current claim's is", async () => {
    const { db, id } = await oneJob();
    const [stale] = await claimUnits(db, "t", 10, "worker-a:1", 1);
    await new Promise((r) => setTimeout(r, 20));
    const [current] = await claimUnits(db, "t", 10, "worker-b:1", 60_000);
    const t = { name: "t", target: {} } as unknown as ConfiguredTarget;
    const facts = { resourceType: "User" as const, resourceId: id };
    const failed = {
      status: "failed" as const,
      code: vendorCode("LATE"),
      message: "the stale worker's answer",
    };
    const plan = { kind: "skip" as const, outcome: failed };
    const late = await recordOutcomes(
      db,
      t,
      [{ unit: stale!, facts, plan, outcome: failed }],
      "worker-a:1",
      DEFAULT_BACKOFF,
    );
    expect(late).toHaveLength(0);
    expect((await listJobs(db, { resourceId: id }))[0]).toMatchObject({ state: "running" });
    const done = { status: "done" as const };
    const recorded = await recordOutcomes(
      db,
      t,
      [{ unit: current!, facts, plan: { kind: "skip", outcome: done }, outcome: done }],
      "worker-b:1",
      DEFAULT_BACKOFF,
    );
    expect(recorded).toHaveLength(1);
    expect((await listJobs(db, { resourceId: id }))[0]).toMatchObject({ state: "done" });
  });

  it("jobs queued behind a claimed resource can join its claim; none is left for another worker", async () => {
    const { db, id } = await oneJob();
    const [unit] = await claimUnits(db, "t", 10, "worker-a:1", 60_000);
    // Queued after the claim (a member's link re-queues its groups), then taken into it.
    const late = { target: "t", resourceType: "User" as const, resourceId: id, action: "provision" as const };
    await enqueueJobs(db, [late, late]);
    const joined = await claimFollowers(db, "t", [id], "worker-a:1", 60_000);
    expect(joined).toHaveLength(2);
    const ids = [...unit!.jobs, ...joined].map((j) => j.id);
    expect(await stillClaimed(db, "worker-a:1", ids)).toEqual(new Set(ids));
    // Another worker finds nothing to claim for this resource.
    expect(await claimUnits(db, "t", 10, "worker-b:1", 60_000)).toHaveLength(0);
    expect((await listJobs(db, { resourceId: id, state: "pending" })).length).toBe(0);
  });
});
