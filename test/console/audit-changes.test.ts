// The console says what changed, in Chromium: the audit lists a PATCH of title as "title: A → B" and its Salesforce
// delivery as "Title: A → B" (a password only as "(changed)"), an operator's retry-all in words rather than JSON,
// a group's member changes and a manager by name (not by id), and a reconcile dry run shows a drifted field's
// value in the target beside the store's.
import { expect, it } from "vitest";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually } from "../support/bridge.ts";
import { describeInBrowser, signedInBrowser } from "../support/browser.ts";
import { bothEmulators, bridgeOnEmulators } from "../support/emulators.ts";

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

describeInBrowser("console: what changed", () => {
  const emulators = bothEmulators();
  const t = bridgeOnEmulators(emulators);
  const b = signedInBrowser(t);
  let id: string;

  it("lists a PATCH of title as title: A → B, and the Salesforce delivery's Title as sent", async () => {
    const created = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({ ...user("grace@example.com"), title: "A", password: "Pa55-secret!" })
      .expect(201);
    id = created.body.id;
    const delivered = async (n: number) =>
      (await t.request.get(`/admin/audit?resourceId=${id}`).set(ADMIN)).body.events.filter(
        (e: { action: string; target: string; outcome: string }) =>
          e.action === "target.deliver" && e.target === "salesforce" && e.outcome === "synced",
      ).length === n;
    await eventually(() => delivered(1));
    await t.request
      .patch(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "B" }] })
      .expect(200);
    await eventually(() => delivered(2));
    const { page } = b;
    await page.goto(`${t.url}/console/audit?resource=grace%40example.com`);
    const rows = page.getByRole("table", { name: "Audit events" }).getByRole("row");
    const update = rows.filter({ hasText: "scim.user.update" });
    expect(await update.locator('[data-change="title"]').textContent()).toBe("title: A → B");
    const delivery = rows.filter({ hasText: "target.deliver" }).filter({ hasText: "salesforce" }).first();
    expect(await delivery.locator('[data-change="Title"]').textContent()).toBe("Title: A → B");
    const create = rows.filter({ hasText: "scim.user.create" });
    expect(await create.locator('[data-change="password"]').textContent()).toBe("password: (changed)");
    const text = String(await page.locator("main").textContent());
    expect(text).not.toContain("Pa55-secret!");
    expect(text).not.toContain('{"');
    await b.screenshot("audit-changes");
    // A person's history on their page reads the same.
    await page.goto(`${t.url}/console/users/${id}`);
    expect(await page.locator('[data-change="title"]').first().textContent()).toBe("title: A → B");
  });

  it("says what an operator's retry-all did in words, not JSON", async () => {
    await t.request.post("/admin/jobs/retry").set(ADMIN).send({ target: "salesforce" }).expect(200);
    const { page } = b;
    await page.goto(`${t.url}/console/audit?action=operator.retry-all`);
    const row = page.getByRole("table", { name: "Audit events" }).getByRole("row").nth(1);
    expect(await row.textContent()).toContain("Retried all 0 matching failures in salesforce");
  });

  it("names a group's members in its changes (a user, a nested group, a deleted user) and a user's manager, each linked to its page", async () => {
    const post = async (path: string, body: object) =>
      (await t.request.post(`/scim/v2/${path}`).set(AUTH).send(body).expect(201)).body.id as string;
    const ada = await post("Users", user("ada@example.com"));
    const gone = await post("Users", user("gone@example.com"));
    const nested = await post("Groups", { schemas: [GROUP], displayName: "Nested Team" });
    const team = await post("Groups", { schemas: [GROUP], displayName: "Member Names" });
    await t.request
      .patch(`/scim/v2/Groups/${team}`)
      .set(AUTH)
      .send({
        schemas: [PATCH],
        Operations: [
          { op: "add", path: "members", value: [{ value: ada }, { value: nested }, { value: gone }] },
        ],
      })
      .expect(204);
    await t.request.delete(`/scim/v2/Users/${gone}`).set(AUTH).expect(204);
    const { page } = b;
    for (const at of [`/console/audit?resource=${team}`, `/console/groups/${team}`]) {
      await page.goto(`${t.url}${at}`);
      const change = page.locator('[data-change="members"]').first();
      expect(await change.textContent()).toBe(
        "members: added ada@example.com, Nested Team, gone@example.com deleted",
      );
      expect(await change.locator(`[data-member="${ada}"]`).getAttribute("href")).toBe(
        `/console/users/${ada}`,
      );
      expect(await change.locator(`[data-member="${nested}"]`).getAttribute("href")).toBe(
        `/console/groups/${nested}`,
      );
      expect(String(await change.textContent())).not.toMatch(/[0-9a-f]{8}…/);
    }
    // A manager too: by name, linked to the manager's page.
    await t.request
      .patch(`/scim/v2/Users/${ada}`)
      .set(AUTH)
      .send({
        schemas: [PATCH],
        Operations: [{ op: "replace", path: `${ENTERPRISE}:manager`, value: { value: id } }],
      })
      .expect(200);
    await page.goto(`${t.url}/console/users/${ada}`);
    const manager = page.locator(`[data-change="${ENTERPRISE}:manager.value"]`).first();
    expect(await manager.textContent()).toBe(`${ENTERPRISE}:manager.value: (none) → grace@example.com`);
    expect(await manager.locator(`[data-member="${id}"]`).getAttribute("href")).toBe(`/console/users/${id}`);
  });

  it("shows a drifted field's value in the target beside the store's", async () => {
    const site = emulators.tableau.server.site("");
    site.updateUser(site.userByNameCi("grace@example.com")!.id, { fullName: "Someone Else" });
    const { page } = b;
    await page.goto(`${t.url}/console/runs`);
    await page.getByLabel("What").selectOption("reconcile");
    await page.getByLabel("Target").selectOption("tableau");
    await page.getByRole("button", { name: "Dry run" }).click();
    const row = page.locator('tr[data-item="grace@example.com"]');
    await expect.poll(() => row.locator("[data-fields]").textContent(), { timeout: 15_000 }).toBe("fullName");
    expect(await row.locator("[data-target-values]").textContent()).toBe("fullName: Someone Else");
    expect(await row.locator("[data-store-values]").textContent()).toMatch(/^fullName: (?!Someone Else).+/);
  });
});
