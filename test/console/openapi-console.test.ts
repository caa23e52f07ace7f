// Drives every console endpoint of a whole bridge over plain HTTP, signed in, and checks each answer against
// openapi/scim-bridge.yaml; the actions' effects (retry, release, provision, apply) are checked on the store too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linksFor, listJobs, queryAudit } from "../../src/store/index.ts";
import { user } from "../support/app.ts";
import { ADMIN_TOKEN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import {
  checkedResponses,
  expectResponseMatchesSpec as conforms,
  openApiDocument,
} from "../support/openapi.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

describe("the console conforms to openapi/scim-bridge.yaml", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  let cookie: string;
  let csrf: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({
      targets: [{ name: "accounts", kind: "test", url: target.url }],
      config: { sync: { maxAttempts: 1, breaker: { maxDeprovisions: 1, maxPercent: 0 } } },
    });
    for (const name of ["ada", "bob", "cy"]) {
      const res = await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send(user(`${name}@example.com`));
      ids[name] = res.body.id;
    }
    const group = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Sales" });
    ids.sales = group.body.id;
    await eventually(async () =>
      (await linksFor(t.store.db, [ids.ada!, ids.bob!, ids.cy!])).every((l) => l.state === "synced"),
    );
  });
  afterAll(async () => {
    await t.stop();
    await target.close();
  });

  const get = async (template: string, path: string, status = 200) => {
    const res = await t.request.get(path).set("Cookie", cookie);
    expect(res.status, `${path}: ${res.text.slice(0, 300)}`).toBe(status);
    conforms("get", template, res);
    return res;
  };
  const post = async (template: string, path: string, form: Record<string, string | string[]> = {}) => {
    const res = await t.request
      .post(path)
      .set("Cookie", cookie)
      .type("form")
      .send({ _csrf: csrf, ...form });
    expect(res.status, `${path}: ${res.text.slice(0, 300)}`).toBe(303);
    conforms("post", template, res);
    return res;
  };
  const notice = async () =>
    /<p class="flash" role="status">([^<]*)<\/p>/.exec(
      (await t.request.get("/console").set("Cookie", cookie)).text,
    )?.[1];

  it("signs in, shows the overview and its live fragment", async () => {
    conforms("get", "/console/sign-in", await t.request.get("/console/sign-in"));
    conforms("get", "/console", await t.request.get("/console"));
    const refused = await t.request
      .post("/console/sign-in")
      .type("form")
      .send({ token: "nope-nope-nope-nope" });
    conforms("post", "/console/sign-in", refused);
    const res = await t.request.post("/console/sign-in").type("form").send({ token: ADMIN_TOKEN });
    conforms("post", "/console/sign-in", res);
    cookie = String(res.headers["set-cookie"]?.[0]).split(";")[0]!;
    const page = await get("/console", "/console?check=now");
    csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    expect(page.text).toContain('data-health="accounts"');
    const live = await get("/console/live/overview", "/console/live/overview");
    expect(live.text).toContain('data-queue="accounts:dead"');
    // People apart from the connection: three users synced, each a managed account, no one failing.
    const people = (k: string) => new RegExp(`data-people="accounts:${k}">(\\d+)<`).exec(live.text)?.[1];
    expect([
      people("managed"),
      people("synced"),
      people("pending"),
      people("failed"),
      people("held"),
    ]).toEqual(["3", "3", "0", "0", "0"]);
    expect(live.text).toMatch(/data-people-failing="accounts">no one failing</);
  });

  it("finds users and groups, shows their pages, retries and provisions on demand", async () => {
    const found = await get("/console/find", "/console/find?q=ad");
    expect(found.text).toContain("ada@example.com");
    expect(found.text).not.toContain("bob@example.com");
    expect((await get("/console/find", "/console/find?q=Sal&type=Group")).text).toContain("Sales");
    expect((await get("/console/find", "/console/find?q=nobody")).text).toContain("Nothing matches");
    await get("/console/find", "/console/find?type=Robot", 400);
    const page = await get("/console/users/{id}", `/console/users/${ids.ada}`);
    expect(page.text).toContain('data-state="synced"');
    expect(page.text).toContain("scim.user.create");
    await get("/console/users/{id}", "/console/users/not-a-uuid", 404);
    await get("/console/live/users/{id}", `/console/live/users/${ids.ada}`);
    await get("/console/groups/{id}", `/console/groups/${ids.sales}`);
    await get("/console/live/groups/{id}", `/console/live/groups/${ids.sales}`);
    const log = await get("/console/users/{id}/log", `/console/users/${ids.ada}/log`);
    expect(log.text).toContain('data-step="request"');
    await get("/console/users/{id}/log", `/console/users/${ids.ada}/log?before=x`, 400);
    await get("/console/users/{id}/log", "/console/users/not-a-uuid/log", 404);
    await get("/console/groups/{id}/log", `/console/groups/${ids.sales}/log`);

    await post("/console/users/{id}/retry", `/console/users/${ids.ada}/retry`);
    expect(await notice()).toContain("Nothing to retry");
    target.accounts.clear();
    await post("/console/users/{id}/provision", `/console/users/${ids.ada}/provision`, {
      target: "accounts",
    });
    expect(await notice()).toMatch(/Provisioned ada@example.com into accounts: synced/);
    expect(target.accounts.size).toBe(1);
    await post("/console/groups/{id}/retry", `/console/groups/${ids.sales}/retry`);
    expect(await notice()).toContain("Nothing to retry");
    await post("/console/groups/{id}/provision", `/console/groups/${ids.sales}/provision`, {
      target: "accounts",
    });
    expect(await notice()).toMatch(/Provisioned Sales into accounts: synced/);
    expect([...target.accounts.values()].filter((a) => a.kind === "group").map((a) => a.key)).toEqual([
      "Sales",
    ]);
  });

  it("retries failed jobs one at a time or all matching, and releases held deprovisions", async () => {
    const refused: string[] = [];
    for (const n of ["dead1", "dead2"]) {
      target.rejectKeys.add(`${n}@example.com`);
      refused.push(
        (
          await t.request
            .post("/scim/v2/Users")
            .set(AUTH)
            .send(user(`${n}@example.com`))
        ).body.id,
      );
    }
    const dead = await eventually(async () => {
      const jobs = (await listJobs(t.store.db, { state: "dead" })).filter((j) =>
        refused.includes(j.resourceId),
      );
      return jobs.length === 2 ? jobs : undefined;
    });
    target.rejectKeys.clear();
    const page = await get("/console/work", `/console/work?target=accounts&code=${dead[0]!.lastErrorCode}`);
    expect(page.text).toContain(`data-job="${dead[0]!.id}"`);
    await get("/console/live/work", "/console/live/work");
    await post("/console/work/retry", "/console/work/retry", { job: String(dead[0]!.id) });
    expect(await notice()).toContain(`Job ${dead[0]!.id} is queued again`);
    const matching = (await listJobs(t.store.db, { state: "dead", target: "accounts" })).length;
    await post("/console/work/retry-all", "/console/work/retry-all", { target: "accounts", code: "" });
    expect(await notice()).toMatch(new RegExp(`^${matching} failed jobs? (is|are) queued again`));
    await eventually(async () => (await linksFor(t.store.db, refused)).every((l) => l.state === "synced"));

    for (const n of ["bob", "cy"]) await t.request.delete(`/scim/v2/Users/${ids[n]}`).set(AUTH);
    const held = await listJobs(t.store.db, { state: "held" });
    expect(held).toHaveLength(1);
    await post("/console/work/release", "/console/work/release", { target: "accounts", scope: "selected" });
    expect(await notice()).toContain("Select the held deprovisions");
    await post("/console/work/release", "/console/work/release", {
      target: "accounts",
      scope: "selected",
      ids: [String(held[0]!.id)],
    });
    expect(await notice()).toContain("Released 1 held deprovision for accounts");
    expect(await listJobs(t.store.db, { state: "held" })).toEqual([]);
  });

  it("lists failures per person with attempts and since when, and acknowledges one with an audited note", async () => {
    target.rejectKeys.add("dee@example.com");
    const dee = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("dee@example.com"))).body
      .id as string;
    const [dead] = await eventually(async () => {
      const jobs = await listJobs(t.store.db, { state: "dead", resourceId: dee });
      return jobs.length ? jobs : undefined;
    });
    const page = await get("/console/work", "/console/work");
    const row = new RegExp(`<tr data-job="${dead!.id}">[\\s\\S]*?</tr>`).exec(page.text)?.[0] ?? "";
    expect(row).toContain(">dee@example.com</a>");
    expect(row).toMatch(/data-attempts>1</);
    expect(row).toContain(`form="ack-${dead!.id}"`);
    const failing = await listJobs(t.store.db, { state: "dead" });
    const people = new Set(failing.map((j) => j.resourceId)).size;
    expect(page.text).toContain(`Retry all ${failing.length} matching (${people} people)`);

    const failingBefore = /data-people-failing="accounts"[^>]*>(\d+) (?:person|people) failing/.exec(
      (await get("/console/live/overview", "/console/live/overview")).text,
    )?.[1];
    expect(Number(failingBefore)).toBeGreaterThanOrEqual(1);

    const noNote = await t.request
      .post("/console/work/acknowledge")
      .set("Cookie", cookie)
      .type("form")
      .send({ _csrf: csrf, job: String(dead!.id), note: " " });
    expect(noNote.status).toBe(400);
    expect(noNote.text).toContain("note is required");
    conforms("post", "/console/work/acknowledge", noNote);

    await post("/console/work/acknowledge", "/console/work/acknowledge", {
      job: String(dead!.id),
      note: "Dee left; the target keeps refusing",
    });
    expect(await notice()).toContain("Failure acknowledged");
    const after = await get("/console/work", "/console/work");
    expect(after.text).not.toContain(`data-job="${dead!.id}"`);
    expect(after.text).toContain(`(${people - 1} people)`);
    const overview = (await get("/console/live/overview", "/console/live/overview")).text;
    const failingAfter = /data-people-failing="accounts"[^>]*>(\d+) (?:person|people) failing/.exec(
      overview,
    )?.[1];
    expect(Number(failingAfter ?? 0)).toBe(Number(failingBefore) - 1);
    const [event] = await queryAudit(t.store.db, { resourceIds: [dee] }, { limit: 1 });
    expect(event).toMatchObject({
      action: "operator.acknowledge",
      target: "accounts",
      actor: expect.any(String),
      detail: { job: dead!.id, note: "Dee left; the target keeps refusing" },
    });
    // Acknowledged once: a second time finds nothing to acknowledge, and retry all leaves it alone.
    await post("/console/work/acknowledge", "/console/work/acknowledge", {
      job: String(dead!.id),
      note: "again",
    });
    expect(await notice()).toContain("no longer failed");
    await post("/console/work/retry-all", "/console/work/retry-all", { target: "", code: "" });
    expect(await notice()).toMatch(new RegExp(`^${failing.length - 1} failed jobs? (is|are) queued again`));
    expect((await listJobs(t.store.db, { state: "dead", resourceId: dee })).map((j) => j.id)).toEqual([
      dead!.id,
    ]);

    // Failing again (a retry of that person that fails) brings the person back to the list.
    await post("/console/users/{id}/retry", `/console/users/${dee}/retry`);
    const [again] = await eventually(async () => {
      const jobs = await listJobs(t.store.db, { state: "dead", resourceId: dee });
      return jobs.length && jobs[0]!.attempts > 0 ? jobs : undefined;
    });
    expect((await get("/console/work", "/console/work")).text).toContain(`data-job="${again!.id}"`);
    target.rejectKeys.clear();
  });

  it("runs a reconcile dry run, then applies it", async () => {
    // Drift: ada's account disappeared from the target behind the bridge's back.
    const ada = [...target.accounts.values()].find((a) => a.key === "ada@example.com")!;
    target.accounts.delete(ada.id);
    await get("/console/runs", "/console/runs");
    const started = await post("/console/runs", "/console/runs", { kind: "reconcile", target: "accounts" });
    const runPath = String(started.headers.location);
    const id = runPath.split("/").at(-1)!;
    await eventually(async () =>
      (await t.request.get(runPath).set("Cookie", cookie)).text.includes("data-live-done"),
    );
    await get("/console/runs/{id}", runPath);
    await get("/console/live/runs/{id}", `/console/live/runs/${id}`);
    expect((await t.request.get(runPath).set("Cookie", cookie)).text).toContain("ada@example.com");
    expect([...target.accounts.values()].some((a) => a.key === "ada@example.com")).toBe(false);
    await post("/console/runs/{id}/apply", `/console/runs/${id}/apply`);
    await eventually(() =>
      [...target.accounts.values()].some((a) => a.key === "ada@example.com" && a.active),
    );
    await get("/console/runs/{id}", "/console/runs/00000000-0000-4000-8000-000000000000", 404);
  });

  it("has no IdP sign-in pages when OpenID Connect is not configured", async () => {
    await get("/console/oidc/start", "/console/oidc/start", 404);
    await get("/console/oidc/callback", "/console/oidc/callback?code=x&state=y", 404);
  });

  it("pages and filters the audit log, and answers bad filters with a page that says what to fix", async () => {
    const all = await get("/console/audit", "/console/audit");
    expect(all.text).toContain("operator.release");
    const mine = await get("/console/audit", "/console/audit?actor=admin");
    expect(mine.text).toContain("operator.retry");
    expect(mine.text).not.toContain("<td>scim.user.create</td>");
    const failed = await get(
      "/console/audit",
      `/console/audit?outcome=failed&target=accounts&resource=${ids.bob}`,
    );
    expect(failed.text).toContain("failed");
    expect((await get("/console/audit", "/console/audit?outcome=maybe", 400)).text).toContain(
      "outcome must be one of",
    );
    expect((await get("/console/audit", "/console/audit?target=nowhere", 400)).text).toContain(
      "no target named &quot;nowhere&quot;",
    );
    expect((await get("/console/audit", "/console/audit?before=1")).text).toContain("No older events");
    const byName = await get(
      "/console/audit",
      "/console/audit?resource=bob%40example.com&from=2000-01-01&to=2999-12-31",
    );
    expect(byName.text).toContain(ids.bob);
  });

  it("lists deliveries under a filter, and answers a bad filter with a page that says what to fix", async () => {
    const created = await get(
      "/console/deliveries",
      `/console/deliveries?action=created&resource=${ids.bob}`,
    );
    expect(created.text).toContain(ids.bob);
    expect((await get("/console/deliveries", "/console/deliveries?action=renamed", 400)).text).toContain(
      "action must be one of created, updated, deactivated, deleted",
    );
    expect((await get("/console/deliveries", "/console/deliveries?before=1")).text).toContain(
      "No older deliveries",
    );
  });

  // The audit's and the delivery log's downloads, each under a filter its page offers, and a filter each refuses.
  const EXPORTS = [
    {
      log: "audit",
      filter: "resource=bob%40example.com&action=scim.user.create",
      bad: "from=someday",
      refusal: "from must be a date",
    },
    {
      log: "deliveries",
      filter: "resource=bob%40example.com&outcome=synced",
      bad: "outcome=accepted",
      refusal: "outcome must be one of synced, retry, failed",
    },
  ].flatMap((e) => ["csv", "ndjson"].map((format) => [e.log, format, e] as const));

  it.each(EXPORTS)(
    "exports the %s as %s under a filter, and answers a bad filter with a page that says what to fix",
    async (log, format, { filter, bad, refusal }) => {
      const template = `/console/${log}/export.${format}`;
      // Read as text whatever the type (supertest leaves an NDJSON body unparsed).
      const file = await t.request
        .get(`${template}?${filter}`)
        .set("Cookie", cookie)
        .buffer(true)
        .parse((res, done) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
          });
          res.on("end", () => done(null, text));
        });
      expect(file.status).toBe(200);
      conforms("get", template, {
        status: file.status,
        headers: file.headers,
        body: file.body,
        text: String(file.body),
      });
      expect(String(file.body)).toContain(ids.bob);
      expect(file.headers["content-disposition"]).toContain("attachment");
      expect((await get(template, `${template}?${bad}`, 400)).text).toContain(refusal);
    },
  );

  it("signs out", async () => {
    await post("/console/sign-out", "/console/sign-out");
    expect((await t.request.get("/console").set("Cookie", cookie)).status).toBe(303);
  });

  it("checked every console operation the spec describes", () => {
    const unchecked: string[] = [];
    for (const [path, item] of Object.entries(openApiDocument().paths)) {
      if (!path.startsWith("/console")) continue;
      for (const method of Object.keys(item as object))
        if (![...checkedResponses].some((c) => c.startsWith(`${method.toUpperCase()} ${path} `)))
          unchecked.push(`${method.toUpperCase()} ${path}`);
    }
    expect(unchecked).toEqual([]);
  });
});
