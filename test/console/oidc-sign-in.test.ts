// Operators sign in as themselves: the console in Chromium signs in through a real OpenID provider on 127.0.0.1
// (authorization code + PKCE, groups in the ID token). A viewer sees everything and no action button, and a POST
// forged with their session is refused (403, naming the role needed); an operator gets the operator's buttons but
// not the admin's release; someone in no mapped group is refused. Sign-in, sign-out and refusals are audited under
// the person's email and IdP subject.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { linksFor, queryAudit } from "../../src/store/index.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { describeInBrowser, openBrowser, type TestBrowser } from "../support/browser.ts";
import { type RunningOidcProvider, startOidcProvider } from "../support/oidc-provider.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

describeInBrowser("console: operators sign in through the IdP (OpenID Connect)", () => {
  let idp: RunningOidcProvider;
  let target: RunningTestTarget;
  let t: TestBridge;
  let b: TestBrowser;
  let userId: string;

  beforeAll(async () => {
    idp = await startOidcProvider({
      vera: { email: "vera@example.com", groups: ["bridge-viewers", "staff"] },
      otto: { email: "otto@example.com", groups: ["staff", "bridge-operators"] },
      nobody: { email: "nobody@example.com", groups: ["staff"] },
    });
    target = await startTestTarget();
    t = await startTestBridge({
      targets: [{ name: "accounts", kind: "test", url: target.url }],
      config: {
        // Held deprovisions to see (and not be allowed to release as an operator).
        sync: { breaker: { maxDeprovisions: 1, maxPercent: 0 } },
        auth: {
          console: {
            oidc: {
              issuer: idp.issuer,
              clientId: idp.clientId,
              clientSecret: idp.clientSecret,
              roleClaim: "groups",
              roles: { viewer: ["bridge-viewers"], operator: ["bridge-operators"], admin: ["bridge-admins"] },
              label: "Test IdP",
            },
          },
        },
      },
    });
    idp.serve(`${t.url}/console/oidc/callback`);
    const ids: string[] = [];
    for (const name of ["ada", "bob", "cy"]) {
      const res = await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send(user(`${name}@example.com`));
      ids.push(res.body.id);
    }
    userId = ids[0]!;
    await eventually(async () => (await linksFor(t.store.db, ids)).every((l) => l.state === "synced"));
    for (const id of ids.slice(1)) await t.request.delete(`/scim/v2/Users/${id}`).set(AUTH).expect(204);
    await eventually(
      async () =>
        (await t.request.get("/admin/held").set({ Authorization: "Bearer bridge-admin-token-0123456789" }))
          .body.held?.length,
    );
    b = await openBrowser();
    b.page.on("dialog", (d) => void d.accept());
  });
  afterAll(async () => {
    await b?.close();
    await t?.stop();
    await target?.close();
    await idp?.close();
  });

  /** Signs in at the IdP's development login form (any password), consenting on first use. */
  async function signInAs(page: Page, login: string) {
    await page.goto(`${t.url}/console/work`);
    await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    const consent = page.getByRole("button", { name: "Continue" });
    await page.waitForURL((u) => u.href.startsWith(t.url) || u.pathname.includes("/interaction/"));
    if (!page.url().startsWith(t.url)) await consent.click();
  }

  const auditOf = async (actor: string) =>
    (await queryAudit(t.store.db, { actor }, { limit: 100 })).map((e) => [e.action, e.outcome]);

  async function signOut(page: Page) {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${t.url}/console/sign-in`);
    // Signing out of the console leaves the IdP's own session; the next person signs in afresh.
    await b.context.clearCookies();
  }

  it("signs a viewer in: everything shown, no action button, a forged POST refused with 403", async () => {
    const { page } = b;
    await signInAs(page, "vera");
    await page.waitForURL(`${t.url}/console/work`);
    await expect.poll(() => page.locator("header").textContent()).toContain("vera@example.com (viewer)");
    // The held deprovisions are shown, without the means to release them.
    await expect
      .poll(() => page.getByRole("table", { name: "Held deprovisions for accounts" }).count())
      .toBe(1);
    expect(await page.getByRole("button", { name: /Release/ }).count()).toBe(0);
    expect(await page.getByText("Releasing held deprovisions needs the role admin.").count()).toBe(1);
    await page.goto(`${t.url}/console/users/${userId}`);
    expect(await page.getByRole("button", { name: "Retry now" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /Provision now/ }).count()).toBe(0);
    await page.goto(`${t.url}/console/runs`);
    expect(await page.getByRole("button", { name: "Dry run" }).count()).toBe(0);
    await b.screenshot("console-viewer");

    // The server refuses anyway: a POST sent with the viewer's session and CSRF token.
    const forged = await page.evaluate(async (id) => {
      const csrf = (document.querySelector('input[name="_csrf"]') as HTMLInputElement).value;
      const res = await fetch(`/console/users/${id}/provision`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrf, target: "accounts" }),
      });
      return { status: res.status, text: await res.text() };
    }, userId);
    expect(forged.status).toBe(403);
    expect(forged.text).toContain("needs the role operator");

    await signOut(page);
    const rows = await queryAudit(t.store.db, { actor: "vera@example.com" }, { limit: 100 });
    expect(rows.map((e) => [e.action, e.outcome])).toEqual([
      ["console.sign-out", "ok"],
      ["operator.provision", "refused"],
      ["console.sign-in", "ok"],
    ]);
    expect(rows.every((e) => e.actorSubject === "vera" && e.source)).toBe(true);
  });

  it("signs an operator in: retry and provision shown and working, release neither shown nor allowed", async () => {
    const { page } = b;
    await signInAs(page, "otto");
    await page.waitForURL(`${t.url}/console/work`);
    expect(await page.getByRole("button", { name: /Release/ }).count()).toBe(0);
    await page.goto(`${t.url}/console/users/${userId}`);
    expect(await page.getByRole("button", { name: "Retry now" }).count()).toBe(1);
    await page.getByRole("button", { name: "Provision now into accounts" }).click();
    await expect.poll(() => page.locator(".flash").textContent()).toContain("Provisioned ada@example.com");
    await page.goto(`${t.url}/console/runs`);
    expect(await page.getByRole("button", { name: "Dry run" }).count()).toBe(1);

    const forged = await page.evaluate(async () => {
      const csrf = (document.querySelector('input[name="_csrf"]') as HTMLInputElement).value;
      const res = await fetch("/console/work/release", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrf, target: "accounts", scope: "all" }),
      });
      return { status: res.status, text: await res.text() };
    });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain("needs the role admin");
    await signOut(page);
    expect(await auditOf("otto@example.com")).toEqual([
      ["console.sign-out", "ok"],
      ["operator.release", "refused"],
      ["operator.provision", "ok"],
      ["console.sign-in", "ok"],
    ]);
  });

  it("refuses someone in no mapped group, saying why, and audits the refusal", async () => {
    const { page } = b;
    await signInAs(page, "nobody");
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("gives a role in this console");
    await page.goto(`${t.url}/console`);
    await page.waitForURL(/\/console\/sign-in/);
    expect(await auditOf("nobody@example.com")).toEqual([["console.sign-in", "refused"]]);
    const metrics = await t.request.get("/metrics");
    expect(metrics.text).toMatch(/scim_bridge_auth_failures_total\{door="console",reason="no-role"\} 1/);
  });
});
