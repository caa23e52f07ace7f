// A JavaScript engine message from a delivery ("Cannot read properties of undefined") is a bug of ours or a
// library's, not the target's answer: the SCIM status and the admin API show a plain sentence instead.
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { claimUnits, enqueueJobs, linksFor } from "../../src/store/index.ts";
import type { ConfiguredTarget } from "../../src/sync/configured-target.ts";
import { recordOutcomes } from "../../src/sync/record.ts";
import { DEFAULT_BACKOFF } from "../../src/sync/retry.ts";
import { vendorCode } from "../../src/targets/codes.ts";
import { openTestDb, type TestDb } from "../support/store.ts";

describe("delivery error messages", () => {
  let store: TestDb | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it.each([
    ["Cannot read properties of undefined (reading 'Id')", false],
    ["Duplicate Username.", true],
  ])("%s is shown as given: %s", async (message, shown) => {
    store = await openTestDb();
    const id = randomUUID();
    await enqueueJobs(store.db, [{ target: "t", resourceType: "User", resourceId: id, action: "provision" }]);
    const [unit] = await claimUnits(store.db, "t", 10, "w:1", 60_000);
    const t = { name: "t", target: {} } as unknown as ConfiguredTarget;
    const failed = { status: "failed" as const, code: vendorCode("X"), message };
    await recordOutcomes(
      store.db,
      t,
      [
        {
          unit: unit!,
          facts: { resourceType: "User", resourceId: id },
          plan: { kind: "skip", outcome: failed },
          outcome: failed,
        },
      ],
      "w:1",
      DEFAULT_BACKOFF,
    );
    const [link] = await linksFor(store.db, [id], "t");
    if (shown) expect(link?.errorMessage).toBe(message);
    else expect(link?.errorMessage).toMatch(/^the bridge failed unexpectedly while delivering/);
  });
});
