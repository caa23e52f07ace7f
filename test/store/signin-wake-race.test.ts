// A batch whose sign-in was refused decides from the target's sign-in history whether to park its work for
// minutes. Another process's successful sign-in wakes parked work at once. If that success lands between the
// batch's read of the history and its commit, its wake ran before the park was visible and missed it: the work
// stayed parked for 5 minutes on credentials that worked (seen as a chaos run's 300 s stall). The history is read
// FOR SHARE, so the success waits for the batch's commit and its wake then sees the parked jobs.
// PostgreSQL only: PGlite's one connection runs the success after the batch's transaction anyway.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueJobs, recordSignIn, retryJobs, signInHistory } from "../../src/store/index.ts";
import { SIGNIN_WAITING_CODES } from "../../src/sync/retry.ts";
import { eventually } from "../support/bridge.ts";
import { openTestDb, type TestDb } from "../support/store.ts";

describe.runIf(process.env.DATABASE_URL)("postgres", () => {
  let store: TestDb;
  beforeAll(async () => {
    store = await openTestDb("postgres");
  });
  afterAll(async () => store?.close());

  it.each([
    ["after a refusal recorded", "site", true],
    ["with no sign-in recorded yet (the refusal's own write failed)", "fresh-site", false],
  ])(
    "a success recorded while a batch parks its work still wakes that work, %s",
    async (_, target, refusal) => {
      const id = randomUUID();
      await enqueueJobs(store.db, [{ target, resourceType: "User", resourceId: id, action: "provision" }]);
      const [job] = (
        await store.db.query<{ id: string }>("SELECT id FROM outbox WHERE resource_id = $1", [id])
      ).rows;
      // The credentials never worked so far: a refusal parks.
      if (refusal) await recordSignIn(store.db, target, "refused", SIGNIN_WAITING_CODES);

      let woke: number | undefined;
      let success: Promise<number> | undefined;
      await store.db.transaction(async (tx) => {
        const history = await signInHistory(tx, target);
        expect(history.sinceOkMs).toBeUndefined();
        // Another process signs in fine now, before this batch has written its decision.
        success = recordSignIn(store.db, target, "ok", SIGNIN_WAITING_CODES).then((n) => (woke = n));
        // It either finished (the race lost) or waits for this transaction (the history row is held).
        await eventually(async () => {
          if (woke !== undefined) return true;
          const { rows } = await store.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return (rows[0]?.n ?? 0) > 0;
        });
        await retryJobs(tx, [Number(job!.id)], 300_000, "TARGET_CREDENTIALS_REJECTED", "refused", false);
      });
      await success;
      expect(woke).toBe(1);
      const { rows } = await store.db.query<{ due: boolean }>(
        "SELECT not_before <= now() AS due FROM outbox WHERE id = $1",
        [job!.id],
      );
      expect(rows[0]?.due).toBe(true);
    },
  );
});
