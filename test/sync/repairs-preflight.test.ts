// Every way work reaches a target passes the target's pre-flight: a user Salesforce's pre-flight refuses (no email,
// a userName that is not an email) fails with the pre-flight's reason, naming the field to fix, whether the work came
// from a SCIM write, "Provision now", a retry (console or admin API), reconcile apply or import apply. Salesforce is
// not called for it, and the user keeps one failure there however many repairs were tried.
import { beforeAll, describe, expect, it } from "vitest";
import { linksFor, listJobs } from "../../src/store/index.ts";
import { ADMIN, ADMIN_TOKEN, AUTH, eventually } from "../support/bridge.ts";
import { bothEmulators, bridgeOnEmulators } from "../support/emulators.ts";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";

describe("repairs obey the pre-flight", () => {
  const emulators = bothEmulators();
  const t = bridgeOnEmulators(emulators);
  let cookie: string;
  let csrf: string;
  beforeAll(async () => {
    const signedIn = await t.request.post("/console/sign-in").type("form").send({ token: ADMIN_TOKEN });
    cookie = String(signedIn.headers["set-cookie"]?.[0]).split(";")[0]!;
    const page = await t.request.get("/console").set("Cookie", cookie);
    csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  });

  /** Calls that change something in the Salesforce org (sign-ins and reads aside). */
  const salesforceWrites = () =>
    Object.entries(emulators.salesforce.stats.byRoute)
      .filter(([route]) => !route.startsWith("GET ") && !route.includes("oauth2"))
      .reduce((n, [, count]) => n + count, 0);

  /** A user stored and sent to Tableau, which Salesforce's pre-flight refuses; returns its id and the reason. */
  async function refusedUser(userName: string) {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({ schemas: [CORE], userName, name: { givenName: "Ada", familyName: userName } });
    expect(res.status).toBe(201);
    const status = (res.body[PROV].targets as { target: string; state: string; errorMessage: string }[]).find(
      (s) => s.target === "salesforce",
    )!;
    expect(status.state).toBe("failed");
    expect(status.errorMessage).toMatch(/Salesforce field \w+/);
    return { id: res.body.id as string, reason: status.errorMessage };
  }

  const consolePost = (path: string, form: Record<string, string> = {}) =>
    t.request
      .post(path)
      .set("Cookie", cookie)
      .type("form")
      .send({ _csrf: csrf, ...form })
      .expect(303);

  const jobsIn = (id: string) => listJobs(t.store.db, { resourceId: id, target: "salesforce" });
  /** Resolves once Salesforce has no open work for the user (its delivery was attempted). */
  const settled = (id: string) =>
    eventually(async () => (await jobsIn(id)).every((j) => j.state === "dead" || j.state === "done"));

  /** After a repair: the failure recorded is the pre-flight's, Salesforce got no call, and there is one failure. */
  async function expectPreflightFailure(id: string, reason: string, counted = true) {
    await settled(id);
    const [link] = await linksFor(t.store.db, [id], "salesforce");
    expect(link).toMatchObject({ state: "failed", errorMessage: reason });
    if (counted) expect(salesforceWrites(), JSON.stringify(emulators.salesforce.stats.byRoute)).toBe(0);
    const dead = (await jobsIn(id)).filter((j) => j.state === "dead");
    expect(dead).toHaveLength(1);
    expect(dead[0]!.lastErrorMessage).toBe(reason);
    // Audited as a write's refusal is: the pre-flight's, naming the fields.
    const events = (await t.request.get(`/admin/audit?resourceId=${id}`).set(ADMIN)).body.events as {
      action: string;
      target: string | null;
    }[];
    expect(events.find((e) => e.target === "salesforce" && e.action.startsWith("target."))).toMatchObject({
      action: "target.preflight",
      outcome: "failed",
      detail: { detail: expect.stringContaining(reason), fields: expect.any(Array) },
    });
  }

  it("Provision now (console)", async () => {
    const { id, reason } = await refusedUser("ProvisionNow1");
    emulators.salesforce.stats.reset();
    await consolePost(`/console/users/${id}/provision`, { target: "salesforce" });
    await expectPreflightFailure(id, reason);
  });

  it("Retry of the failed job (admin API)", async () => {
    const { id, reason } = await refusedUser("AdminRetry1");
    const [dead] = await jobsIn(id);
    emulators.salesforce.stats.reset();
    await t.request.post(`/admin/jobs/${dead!.id}/retry`).set(ADMIN).expect(200);
    await expectPreflightFailure(id, reason);
  });

  it("Retry of the failed job (console)", async () => {
    const { id, reason } = await refusedUser("ConsoleRetry1");
    const [dead] = await jobsIn(id);
    emulators.salesforce.stats.reset();
    await consolePost("/console/work/retry", { job: String(dead!.id) });
    await expectPreflightFailure(id, reason);
  });

  it("Retry now on the user's page (console)", async () => {
    const { id, reason } = await refusedUser("RetryNow1");
    emulators.salesforce.stats.reset();
    await consolePost(`/console/users/${id}/retry`);
    await expectPreflightFailure(id, reason);
  });

  it("reconcile apply", async () => {
    const { id, reason } = await refusedUser("Reconcile1");
    emulators.salesforce.stats.reset();
    const report = await t.request
      .post("/admin/reconcile")
      .set(ADMIN)
      .send({ target: "salesforce", apply: true })
      .expect(200);
    expect(report.body.items).toContainEqual(expect.objectContaining({ scimId: id, status: "missing" }));
    await expectPreflightFailure(id, reason);
  });

  it("import apply", async () => {
    // An account in Tableau the store does not have: imported, then sent to Salesforce, which can't take it.
    const site = emulators.tableau.server.site("");
    const account = site.addUser({ name: "Imported1", siteRole: "Viewer", fullName: "Imp Orted" });
    emulators.salesforce.stats.reset();
    const first = await t.request.post("/admin/import").set(ADMIN).send({ from: "tableau", apply: true });
    const item = (first.body.items as { key: string; result: string; scimId: string }[]).find(
      (i) => i.key === "Imported1",
    );
    expect(item, JSON.stringify(first.body.items)).toMatchObject({ result: "created" });
    const id = item!.scimId;
    const [link] = await linksFor(t.store.db, [id], "salesforce");
    expect(link).toMatchObject({
      state: "failed",
      errorMessage: expect.stringMatching(/Salesforce field \w+/),
    });
    const reason = link!.errorMessage!;
    // The import also brought Tableau's groups, which Salesforce does get: the user's own calls are counted below.
    await expectPreflightFailure(id, reason, false);
    await eventually(async () =>
      (await listJobs(t.store.db, { target: "salesforce" })).every(
        (j) => !["pending", "running"].includes(j.state),
      ),
    );
    expect(emulators.salesforce.org.users().some((u) => String(u.Username).startsWith("Imported1"))).toBe(
      false,
    );
    // Applied again after a change in Tableau: still the pre-flight's failure, still one, and no call.
    emulators.salesforce.stats.reset();
    site.updateUser(account.id, { fullName: "Imp Orted Again" });
    await t.request.post("/admin/import").set(ADMIN).send({ from: "tableau", apply: true }).expect(200);
    await expectPreflightFailure(id, reason);
  });
});
