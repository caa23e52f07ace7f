// A user's change is read and written without a lock (two round trips), and starts over when another write got
// there first. Many PATCHes of one user at once must each be applied exactly once: none lost, each audited, each
// with its delivery, and the target gets the user once, with all of them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { BACKENDS } from "../support/store.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const PATCHES = 20;
const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";

/** A bridge with one test target (answers not waiting for delivery), started before and stopped after the suite. */
function bridgeWithTarget(backend: (typeof BACKENDS)[number]) {
  const running = {} as { target: RunningTestTarget; t: TestBridge };
  beforeAll(async () => {
    running.target = await startTestTarget();
    running.t = await startTestBridge({
      backend,
      targets: [{ name: "accounts", kind: "test", url: running.target.url }],
      config: { sync: { waitForDeliveryMs: 0 } },
    });
  });
  afterAll(async () => {
    await running.t.stop();
    await running.target.close();
  });
  return running;
}

describe.each(BACKENDS)("concurrent writes of one user on %s", (backend) => {
  const running = bridgeWithTarget(backend);
  let t: TestBridge;
  let target: RunningTestTarget;
  beforeAll(() => {
    ({ t, target } = running);
  });

  const createUser = async (userName: string) => {
    const created = await t.request.post("/scim/v2/Users").set(AUTH).send(user(userName)).expect(201);
    return { id: created.body.id as string, etag: created.headers.etag as string };
  };

  it("applies every PATCH once: no change lost, one version and one audit row each", async () => {
    const { id } = await createUser("many@example.com");
    const answers = await Promise.all(
      Array.from({ length: PATCHES }, (_, i) =>
        t.request
          .patch(`/scim/v2/Users/${id}`)
          .set(AUTH)
          .send({
            schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            Operations: [
              { op: "add", path: "emails", value: [{ value: `e${i}@example.com`, type: "other" }] },
            ],
          }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(PATCHES).fill(200));

    const now = (await t.request.get(`/scim/v2/Users/${id}`).set(AUTH).expect(200)).body;
    const emails = (now.emails as { value: string }[]).map((e) => e.value);
    for (let i = 0; i < PATCHES; i++) expect(emails).toContain(`e${i}@example.com`);
    expect(now.meta.version).toBe(`W/"${1 + PATCHES}"`);
    // Each answer is the user as that PATCH left it: a version of its own.
    const versions = new Set(answers.map((a) => a.body.meta.version));
    expect(versions.size).toBe(PATCHES);

    const events = (await t.request.get(`/admin/audit?resourceId=${id}&limit=1000`).set(ADMIN).expect(200))
      .body.events as { action: string }[];
    expect(events.filter((e) => e.action === "scim.user.update")).toHaveLength(PATCHES);

    // The target gets the user once, synced after the last of its deliveries.
    await eventually(async () => {
      const links = (await t.request.get(`/admin/resources/${id}/status`).set(ADMIN)).body.links as {
        state: string;
      }[];
      return (links.length === 1 && links[0]!.state === "synced") || undefined;
    });
    const accounts = [...target.accounts.values()].filter((a) => a.key === "many@example.com");
    expect(accounts).toHaveLength(1);
    // Delivered while the PATCHes were being written (a change may join a delivery still pending, never one
    // already claimed): the account has every one of them.
    const delivered = (accounts[0]!.fields.emails as { value: string }[]).map((e) => e.value);
    for (let i = 0; i < PATCHES; i++) expect(delivered).toContain(`e${i}@example.com`);
  });

  it("answers a change with the user's groups and its status: pending where it was queued, the account kept", async () => {
    const { id } = await createUser("answer@example.com");
    await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        displayName: "Answerers",
        members: [{ value: id }],
      })
      .expect(201);
    const synced = await eventually(async () => {
      const got = (await t.request.get(`/scim/v2/Users/${id}`).set(AUTH)).body;
      const s = got[PROV]?.targets?.[0];
      return s?.state === "synced" ? s : undefined;
    });
    expect(synced.targetId).toBeTruthy();

    const patched = await t.request
      .patch(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: "title", value: "Answered" }],
      })
      .expect(200);
    expect(patched.body.title).toBe("Answered");
    expect(patched.body.groups).toEqual([expect.objectContaining({ display: "Answerers" })]);
    expect(patched.body[PROV].targets).toEqual([
      expect.objectContaining({ target: "accounts", state: "pending", targetId: synced.targetId }),
    ]);

    const replaced = await t.request
      .put(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({ ...user("answer@example.com"), title: "Replaced" })
      .expect(200);
    expect(replaced.body.title).toBe("Replaced");
    expect(replaced.body.groups).toHaveLength(1);
    expect(replaced.body[PROV].targets).toEqual([
      expect.objectContaining({ target: "accounts", state: "pending", targetId: synced.targetId }),
    ]);
    // Asked without them, the answer carries neither.
    const bare = await t.request
      .patch(`/scim/v2/Users/${id}?excludedAttributes=groups,${PROV}`)
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: "title", value: "Bare" }],
      })
      .expect(200);
    expect(bare.body.groups).toBeUndefined();
    expect(bare.body[PROV]).toBeUndefined();
    await eventually(async () => {
      const got = (await t.request.get(`/scim/v2/Users/${id}`).set(AUTH)).body;
      return got[PROV]?.targets?.[0]?.state === "synced" || undefined;
    });
  });

  it("answers 412 to a PATCH whose If-Match a concurrent write has made stale, and applies nothing of it", async () => {
    const { id, etag } = await createUser("etag@example.com");
    const patch = (title: string) =>
      t.request
        .patch(`/scim/v2/Users/${id}`)
        .set(AUTH)
        .set("If-Match", etag)
        .send({
          schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
          Operations: [{ op: "replace", path: "title", value: title }],
        });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => patch(`T${i}`)));
    const ok = answers.filter((a) => a.status === 200);
    expect(ok).toHaveLength(1);
    expect(answers.filter((a) => a.status === 412)).toHaveLength(7);
    const now = (await t.request.get(`/scim/v2/Users/${id}`).set(AUTH).expect(200)).body;
    expect(now.title).toBe(ok[0]!.body.title);
    expect(now.meta.version).toBe('W/"2"');
  });
});

// A PATCH looks for a pending delivery to join only where its read showed one (status pending or held); where it
// showed none it queues its own at once. Both halves of that choice, through HTTP, with a delivery kept in flight.
describe.each(BACKENDS)("a PATCH joins a pending delivery on %s", (backend) => {
  const running = bridgeWithTarget(backend);
  let t: TestBridge;
  let target: RunningTestTarget;
  beforeAll(() => {
    ({ t, target } = running);
  });

  const jobs = async (id: string) =>
    (
      await t.store.db.query<{ state: string }>(
        "SELECT state FROM outbox WHERE resource_id = $1 AND state <> 'done' ORDER BY id",
        [id],
      )
    ).rows.map((r) => r.state);
  const patch = (id: string, title: string) =>
    t.request
      .patch(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: "title", value: title }],
      })
      .expect(200);

  it("joins the job queued behind a delivery in flight, and queues one of its own once the user is synced", async () => {
    target.setFaults({ latencyMs: 1500 });
    const id = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("joins@example.com")).expect(201))
      .body.id as string;
    await eventually(async () => (await jobs(id)).join() === "running");
    await patch(id, "A"); // the delivery in flight cannot read it: a job of its own
    await patch(id, "B"); // joins A's
    await patch(id, "C");
    expect(await jobs(id)).toEqual(["running", "pending"]);
    target.setFaults({ latencyMs: 0 });
    await eventually(async () => {
      const now = (await t.request.get(`/scim/v2/Users/${id}`).set(AUTH).expect(200)).body;
      return now[PROV].targets[0].state === "synced";
    });
    expect(target.accounts.size).toBe(1);
    expect([...target.accounts.values()][0]?.fields.title).toBe("C");
    await patch(id, "D");
    expect(await jobs(id)).toEqual(["pending"]);
    await eventually(() => [...target.accounts.values()][0]?.fields.title === "D");
  });
});
