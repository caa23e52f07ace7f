// In Chromium: a person a target keeps refusing shows once in "Failed & held" with the latest error and attempt
// count; the admin acknowledges it with a note (no JavaScript needed: the note and button belong to their own form),
// it leaves the list and the audit says who acknowledged it and why.
import { afterAll, beforeAll, expect, it } from "vitest";
import { listJobs, queryAudit } from "../../src/store/index.ts";
import { user } from "../support/app.ts";
import { ADMIN_TOKEN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { describeInBrowser, openBrowser, signIn, type TestBrowser } from "../support/browser.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const OPERATOR_TOKEN = "operator-token-0123456789abcdef";

describeInBrowser("console: acknowledging a failure", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  let b: TestBrowser;
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({
      targets: [{ name: "accounts", kind: "test", url: target.url }],
      config: {
        sync: { maxAttempts: 1 },
        auth: { admin: { tokens: [{ name: "ops", token: OPERATOR_TOKEN, role: "operator" }] } },
      },
    });
    b = await openBrowser();
    await signIn(b.page, t.url, ADMIN_TOKEN);
  });
  afterAll(async () => {
    await b?.close();
    await t?.stop();
    await target?.close();
  });

  it("acknowledges a failure with a note: it leaves the list and is audited", async () => {
    target.rejectKeys.add("eve@example.com");
    const res = await t.request.post("/scim/v2/Users").set(AUTH).send(user("eve@example.com"));
    const id = res.body.id as string;
    const [dead] = await eventually(async () => {
      const jobs = await listJobs(t.store.db, { state: "dead", resourceId: id });
      return jobs.length ? jobs : undefined;
    });
    const { page } = b;
    await page.goto(`${t.url}/console/work`);
    const row = page.locator(`tr[data-job="${dead!.id}"]`);
    await expect.poll(() => row.locator("[data-who]").textContent()).toBe("eve@example.com");
    expect(await row.locator("[data-attempts]").textContent()).toBe("1");
    await expect
      .poll(() => page.getByRole("button", { name: /^Retry all/ }).textContent())
      .toContain("(1 person)");

    await page
      .getByLabel("Note for eve@example.com")
      .fill("Eve is a contractor; accounts refuses her on purpose");
    await page.getByRole("button", { name: "Acknowledge the failure of eve@example.com" }).click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("Failure acknowledged");
    expect(await page.locator(`tr[data-job="${dead!.id}"]`).count()).toBe(0);
    expect(await page.getByText("No failed jobs.").count()).toBe(1);

    const [event] = await queryAudit(t.store.db, { resourceIds: [id] }, { limit: 1 });
    expect(event).toMatchObject({
      action: "operator.acknowledge",
      target: "accounts",
      detail: { job: dead!.id, note: "Eve is a contractor; accounts refuses her on purpose" },
    });
  });

  it("is an admin's: an operator sees no Acknowledge button and is refused with 403", async () => {
    target.rejectKeys.add("fay@example.com");
    const id = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("fay@example.com"))).body
      .id as string;
    const [dead] = await eventually(async () => {
      const jobs = await listJobs(t.store.db, { state: "dead", resourceId: id });
      return jobs.length ? jobs : undefined;
    });
    const signedIn = await t.request.post("/console/sign-in").type("form").send({ token: OPERATOR_TOKEN });
    const cookie = String(signedIn.headers["set-cookie"]?.[0]).split(";")[0]!;
    const page = await t.request.get("/console/work").set("Cookie", cookie);
    expect(page.text).toContain(`data-job="${dead!.id}"`);
    expect(page.text).toContain("Retry job");
    expect(page.text).not.toContain("Acknowledge");
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const refused = await t.request
      .post("/console/work/acknowledge")
      .set("Cookie", cookie)
      .type("form")
      .send({ _csrf: csrf, job: String(dead!.id), note: "not mine to leave" });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("acknowledge needs the role admin");
    expect((await t.request.get("/console/work").set("Cookie", cookie)).text).toContain(
      `data-job="${dead!.id}"`,
    );
  });
});
