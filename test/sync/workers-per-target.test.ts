// How many batches a target runs at once: the configuration's number when it gives one, otherwise the target's
// own (a Tableau batch spends most of its time waiting on a CSV job, holding no request slot), otherwise 2.
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterEach, expect, it } from "vitest";
import { bridgeSchemaSet } from "../../src/schemas.ts";
import { enqueueJobs } from "../../src/store/index.ts";
import type { ConfiguredTarget } from "../../src/sync/configured-target.ts";
import { Dispatcher } from "../../src/sync/dispatcher.ts";
import type { Operation, Outcome, Target } from "../../src/targets/target.ts";
import { eventually } from "../support/bridge.ts";
import { openTestDb, type TestDb } from "../support/store.ts";

let store: TestDb | undefined;
let dispatcher: Dispatcher | undefined;
afterEach(async () => {
  await dispatcher?.stop();
  await store?.close();
});

/** A target whose batches stay in flight until released; it counts how many are in flight at once. */
function heldTarget(workers?: number) {
  let inFlight = 0;
  let most = 0;
  let release: () => void = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  const target: Target = {
    name: "held",
    kind: "test",
    batchSize: 1,
    ...(workers ? { workers } : {}),
    async apply(ops: Operation[]): Promise<Outcome[]> {
      most = Math.max(most, ++inFlight);
      await released;
      inFlight--;
      return ops.map(() => ({ status: "done", targetId: randomUUID() }));
    },
    check: async () => [],
    async *listUsers() {},
  };
  return { target, most: () => most, release };
}

async function run(held: ReturnType<typeof heldTarget>, workersPerTarget?: number) {
  store = await openTestDb();
  const ids = Array.from({ length: 6 }, () => randomUUID());
  for (const [i, id] of ids.entries())
    await store.db.query("INSERT INTO users (id, user_name, data) VALUES ($1, $2, $3)", [
      id,
      `u${i}@example.com`,
      { userName: `u${i}@example.com`, active: true },
    ]);
  await enqueueJobs(
    store.db,
    ids.map((resourceId) => ({ target: "held", resourceType: "User", resourceId, action: "provision" })),
  );
  dispatcher = new Dispatcher({
    db: store.db,
    targets: [{ name: "held", target: held.target } as ConfiguredTarget],
    userSchema: bridgeSchemaSet().User,
    logger: pino({ level: "silent" }),
    yieldMs: 0,
    ...(workersPerTarget ? { workersPerTarget } : {}),
  });
  dispatcher.start();
}

it("runs as many batches at once as the target asks for when the configuration does not say", async () => {
  const held = heldTarget(3);
  await run(held);
  await eventually(() => held.most() === 3 || undefined, 10_000);
  held.release();
});

it("runs the configured number whatever the target asks for", async () => {
  const held = heldTarget(3);
  await run(held, 1);
  await eventually(() => held.most() === 1 || undefined, 10_000);
  // Every other job is still queued behind the one batch in flight.
  const { rows } = await store!.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox WHERE state = 'running'",
  );
  expect(rows[0]?.n).toBe(1);
  held.release();
});
