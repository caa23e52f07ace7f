// Held deprovisions, jobs and the audit say whose access they are about: userName and displayName beside the id,
// also for a deleted user (and after every target confirmed its deprovision), in the admin API, the console and the
// CLI; the console's Find finds deleted users with their state in each target.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { ADMIN, ADMIN_TOKEN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { WITH_TEST_KIND } from "../support/process.ts";
import { BACKENDS } from "../support/store.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const BIN = join(import.meta.dirname, "../../bin/scim-bridge");

describe.each(BACKENDS)("who a held deprovision, a job or an audit event is about, on %s", (backend) => {
  let target: RunningTestTarget;
  let t: TestBridge;
  let cookie: string;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({
      backend,
      targets: [{ name: "acct", kind: "test", url: target.url }],
      config: { sync: { breaker: { windowMinutes: 60, maxDeprovisions: 1, maxPercent: 0 } } },
    });
    for (const [name, displayName] of [
      ["ada", "Ada Lovelace"],
      ["bob", "Bob Byte"],
      ["cy", "Cy Young"],
    ])
      ids[name!] = (
        await t.request
          .post("/scim/v2/Users")
          .set(AUTH)
          .send(user(`${name}@example.com`, { displayName, externalId: `ext-${name}` }))
      ).body.id;
    await eventually(() => target.accounts.size === 3);
    // Ada's deprovision goes through; Bob's and Cy's pass the breaker's limit of 1 and are held.
    for (const name of ["ada", "bob", "cy"])
      await t.request.delete(`/scim/v2/Users/${ids[name]}`).set(AUTH).expect(204);
    await eventually(() => [...target.accounts.values()].filter((a) => !a.active).length === 1);
    const signedIn = await t.request.post("/console/sign-in").type("form").send({ token: ADMIN_TOKEN });
    cookie = String(signedIn.headers["set-cookie"]?.[0]).split(";")[0]!;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.close();
  });
  const page = async (path: string) => {
    const res = await t.request.get(path).set("Cookie", cookie);
    expect(res.status, path).toBe(200);
    return res.text;
  };

  it("the admin API names the user of each held deprovision, job and audit event", async () => {
    const held = (await t.request.get("/admin/held?target=acct").set(ADMIN)).body.held;
    expect(held.map((j: { userName: string }) => j.userName).sort()).toEqual([
      "bob@example.com",
      "cy@example.com",
    ]);
    expect(held).toContainEqual(
      expect.objectContaining({
        resourceId: ids.bob,
        userName: "bob@example.com",
        displayName: "Bob Byte",
        deleted: true,
      }),
    );
    const jobs = (await t.request.get(`/admin/jobs?resourceId=${ids.cy}`).set(ADMIN)).body.jobs;
    expect(jobs.length).toBeGreaterThan(0);
    for (const j of jobs)
      expect(j).toMatchObject({ userName: "cy@example.com", displayName: "Cy Young", deleted: true });
    // Ada is deprovisioned everywhere (her tombstone is gone): her history still says who she was.
    const events = (await t.request.get(`/admin/audit?resourceId=${ids.ada}`).set(ADMIN)).body.events;
    expect(events.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(["scim.user.create", "scim.user.delete", "target.deliver"]),
    );
    for (const e of events)
      expect(e).toMatchObject({ userName: "ada@example.com", displayName: "Ada Lovelace", deleted: true });
    // A live user is named too, and is not deleted.
    const created = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user("dee@example.com", { displayName: "Dee" }));
    const live = (await t.request.get(`/admin/audit?resourceId=${created.body.id}`).set(ADMIN)).body.events;
    expect(live[0]).toMatchObject({ userName: "dee@example.com", displayName: "Dee", deleted: false });
  });

  it("the console shows who beside the id in held rows and the audit, and a deleted user's page", async () => {
    const work = await page("/console/work");
    for (const name of ["bob", "cy"]) {
      expect(work).toContain(`${name}@example.com`);
      expect(work).toContain(ids[name]);
    }
    expect(work).toContain("Bob Byte");
    const audit = await page(`/console/audit?resource=${ids.bob}`);
    expect(audit).toContain("bob@example.com");
    expect(audit).toContain("Bob Byte");
    const gone = await page(`/console/users/${ids.ada}`);
    expect(gone).toContain("ada@example.com");
    expect(gone).toContain("Ada Lovelace");
    expect(gone).toContain("data-deleted");
    expect(gone).toContain('data-state="deprovisioned"');
    expect(gone).toContain("scim.user.delete");
    expect(await page(`/console/users/${ids.bob}`)).toContain('data-state="held"');
  });

  it("console Find finds deleted users, by name, externalId or id, with their state in each target", async () => {
    const found = await page("/console/find?q=bo");
    expect(found).toContain(`data-deleted="${ids.bob}"`);
    expect(found).toContain("Bob Byte");
    expect(found).toMatch(/acct: <span class="badge state-held" data-state="held">/);
    const ada = await page("/console/find?q=ext-ada");
    expect(ada).toContain(`data-deleted="${ids.ada}"`);
    expect(ada).toMatch(/acct: <span class="badge state-deprovisioned" data-state="deprovisioned">/);
    expect(await page(`/console/find?q=${ids.cy}&type=User`)).toContain(`data-deleted="${ids.cy}"`);
    // LIKE's wildcards are plain characters here.
    expect(await page("/console/find?q=%25")).toContain("Nothing matches");
  });

  it("the CLI lists held deprovisions with userName and displayName", async () => {
    const port = new URL(t.url).port;
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(
        BIN,
        ["held", "--target", "acct"],
        {
          env: {
            ...process.env,
            ...WITH_TEST_KIND,
            DATABASE_URL: "",
            HOST: "127.0.0.1",
            PORT: port,
            ADMIN_TOKEN,
            LOG_LEVEL: "warn",
            BRIDGE_CONFIG: "",
          },
          timeout: 60_000,
        },
        (err, out) => (err ? reject(err) : resolve({ stdout: out })),
      ),
    );
    expect(stdout).toMatch(/bob@example\.com\s+Bob Byte\s+yes/);
    expect(stdout).toContain(ids.cy);
  });
});
