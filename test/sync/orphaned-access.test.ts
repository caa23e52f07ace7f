// Failure 1 of issue #10: a create reaches the target but its answer is lost, and the user is deleted in SCIM
// before the retry. The account must still end up deactivated: the deprovision finds it by its correlation key
// from the tombstone. The fault proxy sits between the bridge and each emulator; the checks read the emulators.
import type jsforce from "jsforce";
import { beforeAll, describe, expect, it } from "vitest";
import { salesforceEmulatorTargetConfig } from "../../src/emulators/salesforce/index.ts";
import { tableauEmulatorTargetConfig } from "../../src/emulators/tableau/index.ts";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually, startTestBridge } from "../support/bridge.ts";
import { bothEmulators } from "../support/emulators.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { fileFixture } from "../support/fixture.ts";
import { salesforceConnection } from "../support/salesforce.ts";
import { BACKENDS } from "../support/store.ts";
import { tableauCheckSite } from "../support/tableau.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

describe.each(BACKENDS)("no orphaned access when a create's answer is lost (%s)", (backend) => {
  const emulators = bothEmulators();
  const proxy = (what: string, upstream: () => string): FaultProxy =>
    fileFixture(
      what,
      () => startFaultProxy(upstream()),
      (p) => p.close(),
    );
  const tproxy = proxy("the Tableau fault proxy", () => emulators.tableau.url);
  const sproxy = proxy("the Salesforce fault proxy", () => emulators.salesforce.url);
  // Not bridgeOnEmulators: the bridge reaches each emulator through its fault proxy.
  const t = fileFixture(
    "the bridge",
    () =>
      startTestBridge({
        backend,
        // The retry comes after the delete, as it did in the field.
        config: { sync: { pollMs: 50, backoffBaseMs: 1500, backoffMaxMs: 3000, waitForDeliveryMs: 3000 } },
        targets: [tableauEmulatorTargetConfig(tproxy.url), salesforceEmulatorTargetConfig(sproxy.url)],
      }),
    (b) => b.stop(),
  );
  let conn: jsforce.Connection;
  const site = () => tableauCheckSite(emulators.tableau);

  beforeAll(async () => {
    conn = await salesforceConnection(emulators.salesforce.url);
  });

  const settled = (id: string) =>
    eventually(async () => {
      const jobs = (await t.request.get(`/admin/jobs?resourceId=${id}`).set(ADMIN)).body.jobs as {
        state: string;
      }[];
      return jobs.length > 0 && jobs.every((j) => j.state === "done");
    }, 20_000);

  it("deactivates the account in both targets after the user is deleted", async () => {
    // Tableau: the add is applied but its answer lost, and the client's own quick retries get no answer either.
    tproxy.once({ method: "POST", path: /\/sites\/[^/]+\/users$/ }, "reset-after");
    tproxy.once({ method: "POST", path: /\/sites\/[^/]+\/users$/ }, "reset-before", 2);
    // Salesforce: the insert (the second /composite call, after the correlation queries) is applied, then a
    // gateway answers 502.
    sproxy.once({ method: "POST", path: /\/composite(\/sobjects)?$/ }, "502-after", 1, 1);
    const name = "lost-answer@example.com";
    const created = await t.request.post("/scim/v2/Users").set(AUTH).send(user(name)).expect(201);
    await t.request.delete(`/scim/v2/Users/${created.body.id}`).set(AUTH).expect(204);
    await settled(created.body.id);
    // The faults did hit the creates (the answers were lost), not some other call.
    expect(tproxy.injected["reset-after"]).toBe(1);
    expect(sproxy.injected["502-after"]).toBe(1);

    const sfUsers = (
      await conn.query<{ IsActive: boolean }>(`SELECT Id, IsActive FROM User WHERE Username = '${name}'`)
    ).records;
    expect(sfUsers).toHaveLength(1);
    expect(sfUsers[0]?.IsActive).toBe(false);
    const check = site();
    const accounts: { key: string; fields: Record<string, unknown> }[] = [];
    for await (const page of check.listUsers()) accounts.push(...page);
    await check.close?.();
    const account = accounts.filter((a) => a.key === name);
    expect(account).toHaveLength(1);
    expect(account[0]?.fields.siteRole).toBe("Unlicensed");
  });

  it("deletes a group whose create answer was lost", async () => {
    tproxy.once({ method: "POST", path: /\/sites\/[^/]+\/groups$/ }, "reset-after");
    tproxy.once({ method: "POST", path: /\/sites\/[^/]+\/groups$/ }, "reset-before", 2);
    const g = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Lost Answer Group" })
      .expect(201);
    await t.request.delete(`/scim/v2/Groups/${g.body.id}`).set(AUTH).expect(204);
    await settled(g.body.id);
    const check = site();
    const names: string[] = [];
    for await (const page of check.listGroups!()) names.push(...page.map((x) => x.displayName));
    await check.close?.();
    expect(names).not.toContain("Lost Answer Group");
  });
});
