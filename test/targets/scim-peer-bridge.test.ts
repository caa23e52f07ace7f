// The SCIM target end to end against a second scim-bridge running as its own process with its own store:
// users, groups and memberships, deactivation, reconcile and import, all through the peer's SCIM API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFrom } from "../../src/sync/import/index.ts";
import { reconcile } from "../../src/sync/reconcile/index.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type BridgeProcess, schemaUrl, spawnBridge } from "../support/process.ts";
import { openTestDb, type TestDb } from "../support/store.ts";
import { byStatus, depsOf } from "../sync/reconcile-fixtures.ts";

const PEER_TOKEN = "peer-bridge-token-0123456789";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

describe("a scim target provisioning into another scim-bridge", () => {
  let peerStore: TestDb | undefined;
  let peer: BridgeProcess;
  let t: TestBridge;

  beforeAll(async () => {
    // The peer's store: its own PostgreSQL schema when PostgreSQL is there, else its own PGlite directory.
    if (process.env.DATABASE_URL) peerStore = await openTestDb("postgres");
    peer = await spawnBridge({
      databaseUrl: peerStore ? schemaUrl(process.env.DATABASE_URL!, peerStore.schema!) : "",
      token: PEER_TOKEN,
      config: {},
    });
    t = await startTestBridge({
      targets: [
        { name: "peer", kind: "scim", url: `${peer.url}/scim/v2`, auth: { bearer: { token: PEER_TOKEN } } },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    peer?.child.kill("SIGTERM");
    await peer?.exited;
    await peerStore?.close();
  });

  const onPeer = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${peer.url}/scim/v2${path}`, {
      method,
      headers: { Authorization: `Bearer ${PEER_TOKEN}`, "Content-Type": "application/scim+json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const peerUser = async (userName: string) => {
    const r = await onPeer("GET", `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    return r.body.Resources[0] as Record<string, unknown> | undefined;
  };
  const peerGroup = async (displayName: string) => {
    const r = await onPeer("GET", `/Groups?filter=${encodeURIComponent(`displayName eq "${displayName}"`)}`);
    return r.body.Resources[0] as { id: string; members?: { value: string }[] } | undefined;
  };
  const ids: Record<string, string> = {};

  it("creates users with their core and enterprise attributes, then follows changes and removals", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(
        user("ada@example.com", {
          schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
          name: { givenName: "Ada", familyName: "Lovelace" },
          title: "Analyst",
          [ENTERPRISE]: { department: "Engines", employeeNumber: "1815" },
        }),
      );
    expect(res.status).toBe(201);
    ids.ada = res.body.id;
    const created = await eventually(() => peerUser("ada@example.com"));
    expect(created).toMatchObject({
      userName: "ada@example.com",
      active: true,
      title: "Analyst",
      name: { givenName: "Ada", familyName: "Lovelace" },
      emails: [{ value: "ada@example.com", type: "work", primary: true }],
      [ENTERPRISE]: { department: "Engines", employeeNumber: "1815" },
    });
    expect(created.id).not.toBe(ids.ada);

    await t.request
      .patch(`/scim/v2/Users/${ids.ada}`)
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [
          { op: "replace", path: "title", value: "Engineer" },
          { op: "remove", path: `${ENTERPRISE}:department` },
        ],
      })
      .expect(200);
    const changed = await eventually(async () => {
      const u = await peerUser("ada@example.com");
      return u?.title === "Engineer" ? u : undefined;
    });
    expect(changed.id).toBe(created.id);
    expect(changed[ENTERPRISE]).toEqual({ employeeNumber: "1815" });
  });

  it("links a user the peer already has instead of creating a second one", async () => {
    const made = await onPeer("POST", "/Users", user("bea@example.com", { title: "Set by hand" }));
    expect(made.status).toBe(201);
    const res = await t.request.post("/scim/v2/Users").set(AUTH).send(user("BEA@example.com"));
    ids.bea = res.body.id;
    await eventually(async () => (await peerUser("bea@example.com"))?.title === undefined);
    const all = await onPeer("GET", `/Users?filter=${encodeURIComponent('userName eq "bea@example.com"')}`);
    expect(all.body.totalResults).toBe(1);
    expect(all.body.Resources[0].id).toBe(made.body.id);
  });

  it("creates groups with the peer's ids of their members and follows membership changes", async () => {
    const created = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        displayName: "Engineers",
        members: [{ value: ids.ada }, { value: ids.bea }],
      });
    expect(created.status).toBe(201);
    ids.engineers = created.body.id;
    const ada = (await peerUser("ada@example.com"))!;
    const bea = (await peerUser("bea@example.com"))!;
    const group = await eventually(async () => {
      const g = await peerGroup("Engineers");
      return g?.members?.length === 2 ? g : undefined;
    });
    expect(group.members!.map((m) => m.value).sort()).toEqual([ada.id, bea.id].sort());

    await t.request
      .patch(`/scim/v2/Groups/${ids.engineers}`)
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "remove", path: `members[value eq "${ids.bea}"]` }],
      })
      .expect(204);
    const after = await eventually(async () => {
      const g = await peerGroup("Engineers");
      return g?.members?.length === 1 ? g : undefined;
    });
    expect(after.members![0]!.value).toBe(ada.id);
    expect(after.id).toBe(group.id);
  });

  it("deactivates on the peer a user deactivated here, and keeps a deleted user there inactive", async () => {
    await t.request
      .patch(`/scim/v2/Users/${ids.bea}`)
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: "active", value: false }],
      })
      .expect(200);
    await eventually(async () => (await peerUser("bea@example.com"))?.active === false);

    const cy = await t.request.post("/scim/v2/Users").set(AUTH).send(user("cy@example.com"));
    await eventually(async () => (await peerUser("cy@example.com"))?.active === true);
    await t.request.delete(`/scim/v2/Users/${cy.body.id}`).set(AUTH).expect(204);
    await eventually(async () => (await peerUser("cy@example.com"))?.active === false);
  });

  it("reconciles: reports and repairs drift made on the peer, and lists the peer's own users as unmanaged", async () => {
    const ada = (await peerUser("ada@example.com"))!;
    await onPeer("PATCH", `/Users/${ada.id}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "title", value: "Changed on the peer" }],
    });
    await onPeer("POST", "/Users", user("stranger@example.com"));

    const dry = await reconcile(depsOf(t), { target: "peer" });
    expect(byStatus(dry)).toEqual({ drifted: ["ada@example.com"], unmanaged: ["stranger@example.com"] });
    expect(dry.items.find((i) => i.key === "ada@example.com")?.fields).toEqual(["title"]);
    expect(dry.groups["in-sync"]).toBe(1);

    const applied = await reconcile(depsOf(t), { target: "peer", apply: true });
    expect(applied.enqueued.provision).toBe(1);
    await eventually(async () => (await peerUser("ada@example.com"))?.title === "Engineer");
    const again = await reconcile(depsOf(t), { target: "peer" });
    expect(byStatus(again)).toEqual({ unmanaged: ["stranger@example.com"] });
  });

  it("imports the peer's own users and groups into the store, linked to their accounts", async () => {
    const stranger = (await peerUser("stranger@example.com"))!;
    await onPeer("POST", "/Groups", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "Visitors",
      members: [{ value: stranger.id }],
    });
    const report = await importFrom(depsOf(t), { from: "peer", apply: true });
    expect(report.users).toMatchObject({ created: 1, failed: 0 });
    expect(report.groups).toMatchObject({ created: 1, failed: 0 });

    const found = await t.request
      .get("/scim/v2/Users")
      .query({ filter: 'userName eq "stranger@example.com"' })
      .set(AUTH);
    expect(found.body.Resources[0]).toMatchObject({
      userName: "stranger@example.com",
      name: { givenName: "Test", familyName: "stranger" },
      emails: [{ value: "stranger@example.com" }],
    });
    const visitors = await t.request
      .get("/scim/v2/Groups")
      .query({ filter: 'displayName eq "Visitors"' })
      .set(AUTH);
    expect(visitors.body.Resources[0].members).toEqual([
      expect.objectContaining({ value: found.body.Resources[0].id }),
    ]);
    // Linked, not copied back: the peer still has one stranger and reconcile has nothing left to do.
    const after = await reconcile(depsOf(t), { target: "peer" });
    expect(after.items).toEqual([]);
    expect(
      (await onPeer("GET", `/Users?filter=${encodeURIComponent('userName eq "stranger@example.com"')}`)).body
        .totalResults,
    ).toBe(1);
  });
});
