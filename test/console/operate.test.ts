// The console in a real browser against both emulators: a SCIM user shows up synced; a failing target shows the
// failure with its code and "retry" delivers once the fault is gone; a mass deprovision is held and released; a
// reconcile dry run after drift made behind the bridge's back names the drifted field and apply repairs it.
import { beforeAll, expect, it } from "vitest";
import { linksFor, listJobs } from "../../src/store/index.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually } from "../support/bridge.ts";
import { describeInBrowser, signedInBrowser } from "../support/browser.ts";
import { bothEmulators, bridgeOnEmulators } from "../support/emulators.ts";

describeInBrowser("console: operating the bridge", () => {
  const emulators = bothEmulators();
  const t = bridgeOnEmulators(emulators, {
    config: { sync: { maxAttempts: 2, breaker: { maxDeprovisions: 2, maxPercent: 0 } } },
  });
  const b = signedInBrowser(t);
  beforeAll(() => {
    b.page.on("dialog", (d) => void d.accept());
  });

  const createUser = async (name: string) => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user(`${name}@example.com`));
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const stateIn = (target: string) => b.page.locator(`tr[data-target=${target}] [data-state]`).textContent();

  it("finds a user created over SCIM and shows it synced in both targets", async () => {
    const { page } = b;
    await createUser("ada");
    await page.getByRole("link", { name: "Find" }).click();
    await page.getByLabel("userName, displayName, externalId or id").fill("ad");
    await page.getByRole("button", { name: "Find" }).click();
    await page.getByRole("link", { name: "ada@example.com" }).click();
    await expect.poll(() => stateIn("tableau")).toBe("synced");
    await expect.poll(() => stateIn("salesforce")).toBe("synced");
    await b.screenshot("user-synced");
    // Times show in the admin's zone (the browser runs in Europe/Paris), the exact UTC time on hover.
    const when = page.locator("tr[data-target=tableau] time");
    const iso = String(await when.getAttribute("datetime"));
    expect(await when.getAttribute("title")).toBe(`${iso.replace("T", " ").replace(/\.\d+Z$/, "")} UTC`);
    const local = new Intl.DateTimeFormat("en-GB", {
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "short",
      timeZone: "Europe/Paris",
    });
    expect(await when.textContent()).toBe(local.format(new Date(iso)));
    // The zone is named in the text, not only on hover ("CET" or "CEST" in Europe/Paris), on one line.
    expect(await when.textContent()).toMatch(/CES?T$/);
    expect(await when.evaluate((e) => getComputedStyle(e).whiteSpace)).toBe("nowrap");
  });

  it("updates a user's page without a reload as its delivery completes", async () => {
    const { page } = b;
    // A slow Tableau keeps the delivery open while the page is shown.
    emulators.tableau.setFaults({ latencyMs: 2500 });
    const id = await createUser("slow");
    try {
      await page.goto(`${t.url}/console/users/${id}`);
      expect(await stateIn("tableau")).toBe("pending");
      await page.evaluate(() => {
        (window as unknown as { marker: number }).marker = 1;
      });
      await expect.poll(() => stateIn("tableau"), { timeout: 20_000 }).toBe("synced");
      // Still the same document: the live region was refreshed, not the page.
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    } finally {
      emulators.tableau.setFaults({ latencyMs: 0 });
    }
  });

  it("shows a failing target's error code, and Retry delivers once the fault is off", async () => {
    const { page } = b;
    emulators.tableau.setFaults({ errorRate: 1 });
    const id = await createUser("bob");
    const [dead] = await eventually(async () => {
      const jobs = await listJobs(t.store.db, { resourceId: id, target: "tableau", state: "dead" });
      return jobs.length ? jobs : undefined;
    });
    await page.getByRole("link", { name: "Failed & held" }).click();
    await page.getByLabel("Target").selectOption("tableau");
    await page.getByRole("button", { name: "Filter" }).click();
    const row = page.locator(`tr[data-job="${dead!.id}"]`);
    await expect.poll(() => row.locator("[data-error-code]").textContent()).toBe(dead!.lastErrorCode);
    await b.screenshot("failed-with-code");

    emulators.tableau.setFaults({ errorRate: 0 });
    await row.getByRole("button", { name: `Retry job ${dead!.id}` }).click();
    await expect
      .poll(() => page.getByRole("status").first().textContent())
      .toContain(`Job ${dead!.id} is queued again`);
    await eventually(async () => (await linksFor(t.store.db, [id], "tableau"))[0]?.state === "synced");
    await page.goto(`${t.url}/console/users/${id}`);
    await expect.poll(() => stateIn("tableau")).toBe("synced");
  });

  it("holds a mass deprovision and releases it from the console", async () => {
    const { page } = b;
    const ids: string[] = [];
    for (const n of ["c1", "c2", "c3", "c4"]) ids.push(await createUser(n));
    await eventually(async () => (await linksFor(t.store.db, ids)).every((l) => l.state === "synced"));
    for (const id of ids) expect((await t.request.delete(`/scim/v2/Users/${id}`).set(AUTH)).status).toBe(204);
    const held = await listJobs(t.store.db, { state: "held", target: "tableau" });
    expect(held).toHaveLength(2);

    await page.goto(`${t.url}/console/work`);
    const tableauHeld = page.getByRole("table", { name: "Held deprovisions for tableau" });
    await expect.poll(() => tableauHeld.locator("input[name=ids]").count()).toBe(2);
    await b.screenshot("held-deprovisions");
    await tableauHeld.getByLabel("Select all held deprovisions for tableau").check();
    await page
      .getByRole("region", { name: /tableau: 2 held/ })
      .getByRole("button", { name: "Release selected" })
      .click();
    await expect
      .poll(() => page.getByRole("status").first().textContent())
      .toContain("Released 2 held deprovisions for tableau");
    await page.getByRole("button", { name: "Release all for salesforce" }).click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("for salesforce");

    const site = emulators.tableau.server.site("");
    await eventually(() =>
      ["c1", "c2", "c3", "c4"].every((n) => site.userByNameCi(`${n}@example.com`)?.siteRole === "Unlicensed"),
    );
    expect(await listJobs(t.store.db, { state: "held" })).toEqual([]);
  });

  it("shows drift made behind the bridge's back in a reconcile dry run, and Apply repairs it", async () => {
    const { page } = b;
    const site = emulators.tableau.server.site("");
    site.updateUser(site.userByNameCi("ada@example.com")!.id, { fullName: "Someone Else" });

    await page.getByRole("link", { name: "Reconcile & import" }).click();
    await page.getByLabel("What").selectOption("reconcile");
    await page.getByLabel("Target").selectOption("tableau");
    // A slow target makes the run long enough to watch: the page shows its progress, then the plan.
    emulators.tableau.setFaults({ latencyMs: 1500 });
    await page.getByRole("button", { name: "Dry run" }).click();
    await expect.poll(() => page.getByRole("progressbar", { name: "Run in progress" }).count()).toBe(1);
    expect(await page.getByRole("status").first().textContent()).toMatch(/Reading .*read so far/);
    emulators.tableau.setFaults({ latencyMs: 0 });
    const row = page.locator('tr[data-item="ada@example.com"]');
    await expect.poll(() => row.locator("[data-fields]").textContent(), { timeout: 15_000 }).toBe("fullName");
    expect(await page.locator('[data-count="users:drifted"]').textContent()).toBe("1");
    await b.screenshot("reconcile-plan");
    expect(site.userByNameCi("ada@example.com")!.fullName).toBe("Someone Else");

    await page.getByRole("button", { name: "Apply" }).click();
    await expect
      .poll(() => page.locator("[data-live-done]").filter({ hasText: "Done." }).count(), { timeout: 15_000 })
      .toBe(1);
    expect(site.userByNameCi("ada@example.com")!.fullName).not.toBe("Someone Else");
  });
});
