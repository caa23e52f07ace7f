// In Chromium with JavaScript off, as an admin would read it: a user's provisioning log shows the IdP's request (its
// credential and request id), the change stored, and per target the pre-flight, the match, the action, the result and,
// for a target that refused, its code and what to do; "Provision now" answers with the steps of its one attempt.
import { expect, it } from "vitest";
import { linksFor } from "../../src/store/index.ts";
import { user } from "../support/app.ts";
import { eventually } from "../support/bridge.ts";
import { describeInBrowser, signedInBrowser } from "../support/browser.ts";
import { bothEmulators, bridgeOnEmulators } from "../support/emulators.ts";

const OKTA_TOKEN = "okta-provisioning-token-0123456789";

describeInBrowser("console: a person's provisioning log", () => {
  const emulators = bothEmulators();
  const t = bridgeOnEmulators(emulators, {
    config: {
      sync: { maxAttempts: 1 },
      auth: { scim: [{ name: "okta-prod", kind: "bearer", token: OKTA_TOKEN }] },
    },
  });
  const b = signedInBrowser(t, { javaScript: false });

  const create = async (userName: string, requestId: string) => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set({ Authorization: `Bearer ${OKTA_TOKEN}`, "X-Request-Id": requestId })
      .send(user(userName));
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    await eventually(async () => {
      const links = await linksFor(t.store.db, [id]);
      return links.length === 2 && links.every((l) => l.state !== "pending");
    });
    return id;
  };
  const step = (scope: string, name: string) =>
    b.page.locator(`${scope} [data-step="${name}"]`).first().textContent();

  it("shows the IdP's request and each target's steps, from the user's page, without JavaScript", async () => {
    const { page } = b;
    const id = await create("ada@example.com", "idp-request-ada-1");
    await page.goto(`${t.url}/console/users/${id}`);
    await page.getByRole("link", { name: "Provisioning log" }).first().click();
    await page.waitForURL(`${t.url}/console/users/${id}/log`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toContain("ada@example.com");

    const req = '[data-request="idp-request-ada-1"]';
    const request = await step(req, "request");
    expect(request).toContain("scim.user.create");
    expect(request).toContain("okta-prod");
    expect(request).toContain("idp-request-ada-1");
    expect(await step(req, "stored")).toContain("create");
    const links = await linksFor(t.store.db, [id]);
    for (const target of ["tableau", "salesforce"]) {
      const scope = `${req} [data-target="${target}"]`;
      expect(await step(scope, "preflight")).toContain("passed");
      const match = await step(scope, "match");
      expect(match).toContain("no account found; created account");
      expect(match).toContain(links.find((l) => l.target === target)!.targetId!);
      expect(await step(scope, "action")).toContain("create");
      expect(await step(scope, "result")).toContain("synced");
      expect(await page.locator(`${scope} [data-step="what-to-do"]`).count()).toBe(0);
    }
    await b.screenshot("person-log");
  });

  it("keeps a deleted person's log, with each target's deactivation by the linked account", async () => {
    const { page } = b;
    const id = await create("dee@example.com", "idp-request-dee-1");
    const del = await t.request
      .delete(`/scim/v2/Users/${id}`)
      .set({ Authorization: `Bearer ${OKTA_TOKEN}`, "X-Request-Id": "idp-request-dee-2" });
    expect(del.status).toBe(204);
    await eventually(async () => {
      const links = await linksFor(t.store.db, [id]);
      return links.length === 2 && links.every((l) => l.state === "synced" && l.deprovisioned);
    });
    await page.goto(`${t.url}/console/users/${id}/log`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toMatch(/dee@example\.com\s+deleted/);
    const req = '[data-request="idp-request-dee-2"]';
    expect(await step(req, "request")).toContain("scim.user.delete");
    for (const target of ["tableau", "salesforce"]) {
      const scope = `${req} [data-target="${target}"]`;
      expect(await step(scope, "preflight")).toContain("not judged");
      expect(await step(scope, "match")).toContain("linked account");
      expect(await step(scope, "action")).toContain("deactivate");
    }
  });

  it("shows a refusing target's code, message and what to do", async () => {
    const { page } = b;
    emulators.tableau.setFaults({ errorRate: 1 });
    let id: string;
    try {
      id = await create("eve@example.com", "idp-request-eve-1");
    } finally {
      emulators.tableau.setFaults({ errorRate: 0 });
    }
    await page.goto(`${t.url}/console/users/${id}/log`);
    const scope = '[data-request="idp-request-eve-1"] [data-target="tableau"]';
    const link = (await linksFor(t.store.db, [id], "tableau"))[0]!;
    expect(link.state).toBe("failed");
    expect(await page.locator(`${scope} [data-error-code]`).first().textContent()).toBe(link.errorCode);
    expect(await step(scope, "result")).toContain("failed");
    expect(await step(scope, "what-to-do")).toMatch(/Retry now/);
    expect(await step('[data-request="idp-request-eve-1"] [data-target="salesforce"]', "result")).toContain(
      "synced",
    );
  });

  it("answers Provision now with the steps of its one attempt", async () => {
    const { page } = b;
    const id = await create("grace@example.com", "idp-request-grace-1");
    await page.goto(`${t.url}/console/users/${id}`);
    await page.getByRole("button", { name: "Provision now into tableau" }).click();
    await page.waitForURL(/\/log\?request=/);
    const sections = page.locator("[data-request]");
    expect(await sections.count()).toBe(1);
    expect(await step("[data-request]", "request")).toContain("operator.provision");
    const scope = '[data-request] [data-target="tableau"]';
    const link = (await linksFor(t.store.db, [id], "tableau"))[0]!;
    const match = await step(scope, "match");
    expect(match).toContain("linked account");
    expect(match).toContain(link.targetId!);
    expect(await step(scope, "result")).toContain("synced");
    expect(await page.locator('[data-target="salesforce"]').count()).toBe(0);
    // The flash says how it went, and the whole log is a link away.
    expect(await page.getByRole("status").textContent()).toContain(
      "Provisioned grace@example.com into tableau",
    );
    await page.getByRole("link", { name: "The whole log" }).click();
    expect(await page.locator("[data-request]").count()).toBe(2);
  });
});
