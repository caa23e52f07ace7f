// The "created empty" mark a group's link keeps after the bridge created it while its members were provisioned
// is trusted only until some attempt to send its members is recorded: whatever that attempt's outcome (a lost
// answer may hide members that were added), the next delivery reads the group's members again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimUnits, enqueueJobs, linksFor, recordLinks } from "../../src/store/index.ts";
import type { ConfiguredTarget } from "../../src/sync/configured-target.ts";
import { gatherFacts } from "../../src/sync/facts.ts";
import { CREATED_EMPTY_AT, planUnit } from "../../src/sync/plan.ts";
import { recordOutcomes } from "../../src/sync/record.ts";
import { DEFAULT_BACKOFF } from "../../src/sync/retry.ts";
import { vendorCode } from "../../src/targets/codes.ts";
import type { Outcome } from "../../src/targets/target.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

const GROUP_ID = "5b7e0c1a-3f52-4c1e-9a7d-1d2e3f4a5b6c";
const target = {
  name: "site",
  target: {
    name: "site",
    kind: "test",
    batchSize: 10,
    createsGroupsApart: true,
    listGroups: async function* () {},
  },
} as unknown as ConfiguredTarget;
const silent = { warn() {}, info() {}, error() {}, debug() {} } as never;

describe.each(BACKENDS)("%s", (backend) => {
  let store: TestDb;
  beforeAll(async () => {
    store = await openTestDb(backend);
    await store.db.query("INSERT INTO groups (id, display_name, data) VALUES ($1, 'Sales', $2)", [
      GROUP_ID,
      { displayName: "Sales" },
    ]);
  });
  afterAll(async () => store?.close());

  it.each<[string, Outcome]>([
    ["a retried attempt", { status: "retry", code: "TARGET_NETWORK_ERROR", message: "socket hang up" }],
    ["a failed attempt", { status: "failed", code: vendorCode("400000"), message: "bad request" }],
    ["a done attempt", { status: "done", targetId: "g1" }],
  ])("%s clears the mark", async (_why, outcome) => {
    await recordLinks(store.db, "site", [
      {
        resourceType: "Group",
        resourceId: GROUP_ID,
        state: "pending",
        targetId: "g1",
        sent: { [CREATED_EMPTY_AT]: 1 },
      },
    ]);
    await enqueueJobs(store.db, [
      { target: "site", resourceType: "Group", resourceId: GROUP_ID, action: "provision" },
    ]);
    const units = await claimUnits(store.db, "site", 10, `tok-${outcome.status}`, 30_000);
    const [facts] = await gatherFacts(
      store.db,
      target,
      undefined as never,
      units,
      `tok-${outcome.status}`,
      undefined,
      silent,
    );
    const plan = planUnit(facts!, { createsGroupsApart: true });
    expect(plan).toMatchObject({ kind: "apply", op: { group: { knownEmpty: true } } });
    await recordOutcomes(
      store.db,
      target,
      [{ unit: units[0]!, facts: facts!, plan, outcome }],
      `tok-${outcome.status}`,
      DEFAULT_BACKOFF,
    );
    const [link] = await linksFor(store.db, [GROUP_ID], "site");
    expect(link?.sent ?? {}).not.toHaveProperty(CREATED_EMPTY_AT);
    await store.db.query("UPDATE outbox SET state = 'done' WHERE resource_id = $1", [GROUP_ID]);
  });
});
