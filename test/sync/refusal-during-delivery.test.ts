// A write refused by a target's pre-flight while an earlier delivery of the same user is running there keeps its
// `failed` status: the delivery read the user before that write, so its outcome (here: the deactivation it sent)
// does not turn the status back to `synced`. What the delivery did in the target (the account id) is still kept.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimUnits, enqueueJobs, linksFor, recordLinks } from "../../src/store/index.ts";
import type { ConfiguredTarget } from "../../src/sync/configured-target.ts";
import { recordOutcomes } from "../../src/sync/record.ts";
import { DEFAULT_BACKOFF } from "../../src/sync/retry.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

describe.each(BACKENDS)("a refusal recorded while a delivery runs (%s)", (backend) => {
  let store: TestDb;
  beforeAll(async () => {
    store = await openTestDb(backend);
  });
  afterAll(() => store?.close());
  const t = { name: "sf", target: {} } as unknown as ConfiguredTarget;

  async function deliverDone(id: string, token: string, refuseMeanwhile: boolean) {
    await enqueueJobs(store.db, [
      { target: "sf", resourceType: "User", resourceId: id, action: "provision" },
    ]);
    const [unit] = await claimUnits(store.db, "sf", 10, token, 60_000);
    if (refuseMeanwhile) {
      // What the outbox writer records for a write the pre-flight refuses (enqueue.ts recordRefusal).
      await enqueueJobs(store.db, [
        {
          target: "sf",
          resourceType: "User",
          resourceId: id,
          action: "provision",
          state: "dead",
          errorCode: "MAPPING_REQUIRED_FIELD",
          errorMessage: "Email is required",
        },
      ]);
      await recordLinks(store.db, "sf", [
        {
          resourceType: "User",
          resourceId: id,
          state: "failed",
          errorCode: "MAPPING_REQUIRED_FIELD",
          errorMessage: "Email is required",
        },
      ]);
    }
    const done = { status: "done" as const, targetId: "005X" };
    await recordOutcomes(
      store.db,
      t,
      [
        {
          unit: unit!,
          facts: { resourceType: "User", resourceId: id },
          plan: {
            kind: "apply",
            op: { kind: "user.deprovision", key: id },
            deprovisioning: true,
          },
          outcome: done,
        },
      ],
      token,
      DEFAULT_BACKOFF,
    );
    return (await linksFor(store.db, [id], "sf"))[0];
  }

  it("keeps the refusal's failed status and reason, and records the account the delivery touched", async () => {
    const link = await deliverDone(randomUUID(), "w:1", true);
    expect(link).toMatchObject({
      state: "failed",
      errorCode: "MAPPING_REQUIRED_FIELD",
      errorMessage: "Email is required",
      targetId: "005X",
    });
  });

  it("without a refusal meanwhile, the delivery's outcome is the status", async () => {
    const link = await deliverDone(randomUUID(), "w:2", false);
    expect(link).toMatchObject({ state: "synced", targetId: "005X", errorCode: null });
  });
});
