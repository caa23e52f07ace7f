// Runs against a real Salesforce org (a sandbox!) when SALESFORCE_LOGIN_URL and credentials are set.
// It creates users named scim-bridge-test-<time>@<your domain> and leaves them deactivated.

import { describe, expect, it } from "vitest";
import { retryPolicy } from "../../src/sync/retry.ts";
import { createSalesforceTarget, salesforceConfigFromEnv } from "../../src/targets/salesforce/index.ts";
import { doneId, scimUser, upsert } from "./salesforce-fixtures.ts";

const config =
  process.env.SALESFORCE_LOGIN_URL || process.env.SALESFORCE_INSTANCE_URL
    ? salesforceConfigFromEnv()
    : undefined;
const domain = process.env.SALESFORCE_TEST_USER_DOMAIN ?? "example.com";
const profile = process.env.SALESFORCE_TEST_PROFILE ?? "Standard User";

if (!config) {
  console.info(
    "Salesforce sandbox suite skipped: set SALESFORCE_LOGIN_URL (https://test.salesforce.com), SALESFORCE_CLIENT_ID and " +
      "credentials (SALESFORCE_CLIENT_SECRET + SALESFORCE_USERNAME/SALESFORCE_PASSWORD/SALESFORCE_SECURITY_TOKEN, or " +
      "SALESFORCE_JWT_KEY_FILE + SALESFORCE_USERNAME) to run it; optional SALESFORCE_TEST_USER_DOMAIN, SALESFORCE_TEST_PROFILE.",
  );
}

describe.skipIf(!config)("Salesforce target against a real sandbox", () => {
  const target = config
    ? createSalesforceTarget(
        {
          ...config,
          mapping: { fields: { ProfileId: { const: profile } }, groupRules: [] },
        },
        { retry: retryPolicy },
      )
    : undefined;

  it("passes check()", async () => {
    const results = (await target?.check()) ?? [];
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it("creates, updates, deactivates and reactivates a user, linking it again by correlation", {
    timeout: 60_000,
  }, async () => {
    if (!target) return;
    const scim = scimUser(`scim-bridge-test-${Date.now()}@${domain}`, { title: "Test" });
    const id = doneId((await target.apply([upsert(scim)]))[0]);
    expect(
      (await target.apply([upsert({ ...scim, data: { ...scim.data, title: "Test 2" } }, id)]))[0],
    ).toMatchObject({ status: "done", targetId: id });
    expect((await target.apply([upsert(scim)]))[0]).toMatchObject({ status: "done", targetId: id });
    expect((await target.apply([{ kind: "user.deprovision", key: id, targetId: id }]))[0]?.status).toBe(
      "done",
    );
  });
});
