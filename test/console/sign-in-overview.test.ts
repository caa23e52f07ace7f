// The console in a real browser: signing in (a wrong token and the SCIM token refused) and the overview of a
// demo bridge (both emulated targets healthy), with no Content-Security-Policy violation on the way.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type DemoEmulators, startDemoEmulators } from "../../src/cli/demo.ts";
import { linksFor } from "../../src/store/index.ts";
import { postUsers } from "../support/app.ts";
import { ADMIN_TOKEN, AUTH, eventually, startTestBridge, type TestBridge, TOKEN } from "../support/bridge.ts";
import { describeInBrowser, openBrowser, signIn, type TestBrowser } from "../support/browser.ts";

describeInBrowser("console: sign-in and overview", () => {
  let demo: DemoEmulators;
  let t: TestBridge;
  let b: TestBrowser;
  const cspErrors: string[] = [];
  beforeAll(async () => {
    demo = await startDemoEmulators([]);
    t = await startTestBridge({ targets: demo.targetConfigs });
    // A few deliveries, so the overview's last-hour chart has something to show.
    const ids = await postUsers(t.request, AUTH, ["ada", "grace", "alan"]);
    await eventually(
      async () => (await linksFor(t.store.db, ids)).filter((l) => l.state === "synced").length === 6,
    );
    b = await openBrowser();
    b.page.on("console", (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text());
    });
  });
  afterAll(async () => {
    await b?.close();
    await t?.stop();
    await demo?.close();
  });

  it("refuses a wrong token and the SCIM token, and says which token opens it", async () => {
    const { page } = b;
    await page.goto(`${t.url}/console`);
    expect(page.url()).toContain("/console/sign-in");
    await page.getByLabel("Admin token").fill("not-a-token-at-all-0000");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not an admin token");
    await page.getByLabel("Admin token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("That is a SCIM token");
    await b.screenshot("sign-in-refused");
    expect(page.url()).toContain("/console/sign-in");
  });

  it("signs in with the admin token and shows both demo targets healthy", async () => {
    const { page } = b;
    await signIn(page, t.url, ADMIN_TOKEN);
    await expect.poll(() => page.locator("[data-health=tableau]").textContent()).toBe("healthy");
    await expect.poll(() => page.locator("[data-health=salesforce]").textContent()).toBe("healthy");
    await expect
      .poll(() => page.locator("svg.chart").first().getAttribute("aria-label"))
      .toBe("Deliveries in the last 60 minutes: 6 synced, 0 retried, 0 failed");
    await b.screenshot("overview");
    expect(cspErrors).toEqual([]);
  });

  it("works with the keyboard alone: sign in with Enter, skip link, navigation in order", async () => {
    const k = await openBrowser();
    try {
      const { page } = k;
      await page.goto(`${t.url}/console`);
      // The token field has focus on arrival (autofocus lands after load on a busy machine, so wait for it,
      // not only for the page); Enter submits.
      const focusedId = () => page.evaluate(() => document.activeElement?.id);
      await expect.poll(focusedId).toBe("token");
      await page.keyboard.type(ADMIN_TOKEN);
      await page.keyboard.press("Enter");
      await page.waitForURL(`${t.url}/console`);
      const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());
      await page.keyboard.press("Tab");
      expect(await focused()).toBe("Skip to content");
      await page.keyboard.press("Tab");
      expect(await focused()).toBe("Overview");
      await page.keyboard.press("Tab");
      expect(await focused()).toBe("Find");
      await page.keyboard.press("Enter");
      await page.waitForURL(`${t.url}/console/find`);
      // The search field has focus; typing and Enter searches.
      await expect.poll(focusedId).toBe("f-q");
      await page.keyboard.type("nobody");
      await page.keyboard.press("Enter");
      await expect.poll(() => page.locator(".empty").textContent()).toContain('Nothing matches "nobody"');
    } finally {
      await k.close();
    }
  });

  it("is readable at phone width: nothing wider than the screen", async () => {
    const phone = await openBrowser({ width: 390, height: 844 });
    try {
      await signIn(phone.page, t.url, ADMIN_TOKEN);
      await expect.poll(() => phone.page.locator("[data-health=salesforce]").textContent()).toBe("healthy");
      const overflow = await phone.page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await phone.screenshot("overview-phone");
    } finally {
      await phone.close();
    }
  });

  it("signs out: the console asks for the token again", async () => {
    const { page } = b;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/console\/sign-in/);
    await page.goto(`${t.url}/console`);
    expect(page.url()).toContain("/console/sign-in");
  });
});
