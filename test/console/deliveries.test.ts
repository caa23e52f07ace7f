// In Chromium: the overview's last hour counts the people a target's deliveries created, updated, deactivated and
// failed; the delivery log filters by action, outcome, target, who requested it, person and date range, pages by
// keyset, and exports its filter; at phone width a failing user's error, what to do and Provision now are on screen
// and Open jobs does not list the failed job.
import { afterAll, beforeAll, expect, it } from "vitest";
import { linksFor } from "../../src/store/index.ts";
import { postUsers, user } from "../support/app.ts";
import { ADMIN_TOKEN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { describeInBrowser, openBrowser, signIn, type TestBrowser } from "../support/browser.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

describeInBrowser("console: deliveries and the last hour", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  let b: TestBrowser;
  const ids: Record<string, string> = {};
  const settled = (id: string, state: string) => async () =>
    (await linksFor(t.store.db, [id])).some((l) => l.state === state);

  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({
      targets: [{ name: "accounts", kind: "test", url: target.url }],
      config: { sync: { maxAttempts: 1 } },
    });
    // Known deliveries: ada, grace and alan created; grace updated; alan deactivated; eve refused (failed).
    target.rejectKeys.add("eve@example.com");
    const [ada, grace, alan, eve] = await postUsers(t.request, AUTH, ["ada", "grace", "alan", "eve"]);
    Object.assign(ids, { ada, grace, alan, eve });
    for (const id of [ada!, grace!, alan!]) await eventually(settled(id, "synced"));
    await eventually(settled(eve!, "failed"));
    await t.request
      .put(`/scim/v2/Users/${grace}`)
      .set(AUTH)
      .send(user("grace@example.com", { displayName: "Grace Hopper" }))
      .expect(200);
    await t.request
      .put(`/scim/v2/Users/${alan}`)
      .set(AUTH)
      .send(user("alan@example.com", { active: false }))
      .expect(200);
    await eventually(async () => {
      const links = await linksFor(t.store.db, [grace!, alan!]);
      return links.every((l) => l.state === "synced") && links.some((l) => l.deprovisioned);
    });
    await eventually(() => target.accounts.size >= 3 && [...target.accounts.values()].some((a) => !a.active));
    b = await openBrowser();
    await signIn(b.page, t.url, ADMIN_TOKEN);
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await t?.stop();
    await target?.close();
  });

  const rowsOf = async (query: string) => {
    await b.page.goto(`${t.url}/console/deliveries${query}`);
    return b.page.locator("tr[data-delivery]").evaluateAll((rows) =>
      rows.map((r) => {
        const text = (sel: string) => r.querySelector(sel)?.textContent?.trim() ?? "";
        return `${text("[data-who]")} ${text("[data-change]")} ${text("[data-outcome]")}`;
      }),
    );
  };

  it("the overview's last hour counts people created, updated, deactivated and failed", async () => {
    const { page } = b;
    await page.goto(`${t.url}/console`);
    const n = (k: string) => page.locator(`[data-last-hour="accounts:${k}"]`).textContent();
    expect(await n("created")).toBe("3");
    expect(await n("updated")).toBe("1");
    expect(await n("deactivated")).toBe("1");
    expect(await n("failed")).toBe("1");
    // "healthy" is the connection; the people failing are a badge of their own.
    expect(await page.locator("[data-health=accounts]").textContent()).toBe("healthy");
    expect(await page.locator("[data-people-failing=accounts]").textContent()).toBe("1 person failing");
    // A number opens those deliveries.
    await page.locator('[data-last-hour="accounts:updated"] a').click();
    await page.waitForURL(/\/console\/deliveries\?/);
    expect(
      await page.locator("tr[data-delivery] [data-who]").evaluateAll((c) => c.map((x) => x.textContent)),
    ).toEqual(["grace@example.com"]);
  });

  it("filters deliveries by action, outcome, target, person, who requested them and date range", async () => {
    expect(await rowsOf("?action=updated")).toEqual(["grace@example.com updated synced"]);
    expect(await rowsOf("?action=deactivated")).toEqual(["alan@example.com deactivated synced"]);
    expect(await rowsOf("?outcome=failed")).toEqual(["eve@example.com created failed"]);
    expect(await rowsOf("?resource=GRACE@example.com")).toEqual([
      "grace@example.com updated synced",
      "grace@example.com created synced",
    ]);
    expect((await rowsOf("?target=accounts&action=created&outcome=synced")).sort()).toEqual([
      "ada@example.com created synced",
      "alan@example.com created synced",
      "grace@example.com created synced",
    ]);
    // Deliveries are the dispatcher's; "requested by" is the SCIM credential whose writes queued them.
    expect(await rowsOf("?actor=test&action=updated")).toEqual(["grace@example.com updated synced"]);
    expect(await b.page.locator("tr[data-delivery] [data-requested-by]").first().textContent()).toBe("test");
    expect(await rowsOf("?actor=someone-else")).toEqual([]);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(await rowsOf(`?from=${tomorrow}`)).toEqual([]);
    expect((await rowsOf(`?to=${tomorrow}`)).length).toBe(6);
    // The form fills the same filter, as an admin would.
    await b.page.goto(`${t.url}/console/deliveries`);
    await b.page.getByLabel("Action").selectOption("deactivated");
    await b.page.getByRole("button", { name: "Filter" }).click();
    await b.page.waitForURL(/action=deactivated/);
    expect(await b.page.locator("tr[data-delivery]").count()).toBe(1);
    await b.screenshot("deliveries");
    // A bad value is the page's clear error, not a 500.
    const bad = await b.page.goto(`${t.url}/console/deliveries?action=removed`);
    expect(bad?.status()).toBe(400);
    expect(await b.page.getByRole("alert").textContent()).toContain(
      "action must be one of created, updated, deactivated, deleted",
    );
  });

  it("exports the current filter as CSV and NDJSON", async () => {
    const csv = await b.page.request.get(`${t.url}/console/deliveries/export.csv?action=updated`);
    expect(csv.headers()["content-disposition"]).toMatch(/^attachment; filename="deliveries-.+\.csv"$/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines).toHaveLength(2);
    const header = lines[0]!.split(",");
    const row = Object.fromEntries(header.map((h, i) => [h, lines[1]!.split(",")[i]]));
    expect(row).toMatchObject({
      user_name: "grace@example.com",
      target: "accounts",
      change: "updated",
      outcome: "synced",
      requested_by: "test",
    });
    const nd = await b.page.request.get(`${t.url}/console/deliveries/export.ndjson?outcome=failed`);
    const events = (await nd.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      user_name: "eve@example.com",
      change: "created",
      outcome: "failed",
      action: "target.deliver",
    });
  });

  it("pages through the deliveries by keyset: Older continues where the page ended", async () => {
    await postUsers(
      t.request,
      AUTH,
      Array.from({ length: 50 }, (_, i) => `bulk${i}`),
    );
    await eventually(async () => (await rowsOf("?action=created&outcome=synced")).length === 50);
    const first = await rowsOf("?action=created&outcome=synced");
    await b.page.getByRole("link", { name: "Older" }).click();
    const older = await b.page
      .locator("tr[data-delivery] [data-who]")
      .evaluateAll((c) => c.map((x) => x.textContent));
    // 53 people created: 50 on the first page, the 3 oldest (ada, grace, alan) on the next.
    expect(older.sort()).toEqual(["ada@example.com", "alan@example.com", "grace@example.com"]);
    expect(first).toHaveLength(50);
    expect(await b.page.getByRole("link", { name: "Older" }).count()).toBe(0);
  });

  it("at phone width the failing user's error, what to do and Provision now are on screen; Open jobs lists no failed job", async () => {
    const phone = await openBrowser({ width: 390, height: 844 });
    try {
      const { page } = phone;
      await signIn(page, t.url, ADMIN_TOKEN);
      await page.goto(`${t.url}/console/users/${ids.eve}`);
      const row = page.locator('tr[data-target="accounts"]');
      const inView = async (sel: ReturnType<typeof page.locator>) => {
        const box = (await sel.boundingBox())!;
        return box.x >= 0 && box.x + box.width <= 390;
      };
      expect(await row.locator("[data-error-code]").textContent()).toBeTruthy();
      expect(await inView(row.locator("[data-last-error]"))).toBe(true);
      expect(await inView(row.locator("[data-what-to-do]"))).toBe(true);
      expect(await inView(page.getByRole("button", { name: "Provision now into accounts" }))).toBe(true);
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(0);
      // Her failure is in the state above and under Failed & held, not among the open jobs.
      expect(await page.getByText("No open jobs").count()).toBe(1);
      expect(await page.getByRole("table", { name: "Open jobs" }).count()).toBe(0);
      await phone.screenshot("user-failed-phone");
    } finally {
      await phone.close();
    }
  });
});
