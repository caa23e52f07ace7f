// The console in a real browser: signing in (a wrong token and the SCIM token refused) and the overview of a
// demo bridge (both emulated targets healthy), with no Content-Security-Policy violation on the way.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type DemoEmulators, startDemoEmulators } from "../../src/cli/demo.ts";
import { ADMIN_TOKEN, startTestBridge, type TestBridge, TOKEN } from "../support/bridge.ts";
import { describeInBrowser, openBrowser, signIn, type TestBrowser } from "../support/browser.ts";

describeInBrowser("console: sign-in and overview", () => {
  let demo: DemoEmulators;
  let t: TestBridge;
  let b: TestBrowser;
  const cspErrors: string[] = [];
  beforeAll(async () => {
    demo = await startDemoEmulators([]);
    t = await startTestBridge({ targets: demo.targetConfigs });
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
    await expect.poll(() => page.getByRole("heading", { name: "Deliveries per minute" }).count()).toBe(1);
    await b.screenshot("overview");
    expect(cspErrors).toEqual([]);
  });

  it("signs out: the console asks for the token again", async () => {
    const { page } = b;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/console\/sign-in/);
    await page.goto(`${t.url}/console`);
    expect(page.url()).toContain("/console/sign-in");
  });
});
