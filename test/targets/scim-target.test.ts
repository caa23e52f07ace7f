// The scim target against a small in-test SCIM peer: what it sends for each capability the peer advertises.

import { afterEach, describe, expect, it } from "vitest";
import { retryPolicy } from "../../src/sync/retry.ts";
import {
  createScimTarget,
  ScimTargetConfig,
  type ScimTargetConfigInput,
} from "../../src/targets/scim/index.ts";
import type { DesiredUser, Operation } from "../../src/targets/target.ts";
import { type PeerOptions, type ScimPeer, startScimPeer } from "./scim-peer-fixture.ts";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
let peer: ScimPeer;
afterEach(async () => peer?.close());

async function setUp(opts: PeerOptions, config: Partial<ScimTargetConfigInput> = {}) {
  peer = await startScimPeer(opts);
  const auth =
    opts.auth === "oauth"
      ? { clientCredentials: { tokenUrl: peer.tokenUrl, clientId: "bridge", clientSecret: "s3cret" } }
      : { bearer: { token: peer.token } };
  return createScimTarget(
    ScimTargetConfig.parse({ name: "peer", kind: "scim", url: peer.url, auth, ...config }),
    { retry: retryPolicy },
  );
}

const desired = (userName: string, data: Record<string, unknown> = {}, active = true): DesiredUser => ({
  scimId: `scim-${userName}`,
  data: { userName, name: { givenName: "Test", familyName: userName }, ...data },
  active,
  groups: [],
});
const upsert = (user: DesiredUser, targetId?: string): Operation => ({
  kind: "user.upsert",
  key: user.scimId,
  user,
  ...(targetId ? { targetId } : {}),
});
const writes = () => peer.calls.filter((c) => c.method !== "GET");

describe("scim target", () => {
  it("sends creates in Bulk requests cut at the peer's maxOperations and links each created user", async () => {
    const target = await setUp({ patch: true, bulk: true });
    const out = await target.apply(["a", "b", "c"].map((n) => upsert(desired(`${n}@example.com`))));
    expect(out.map((o) => o.status)).toEqual(["done", "done", "done"]);
    expect(writes().map((c) => `${c.method} ${c.path}`)).toEqual(["POST /Bulk", "POST /Bulk"]);
    const ids = [...peer.users.values()].map((u) => u.id).sort();
    expect(out.map((o) => (o.status === "done" ? o.targetId : "")).sort()).toEqual(ids);
  });

  it("updates with PATCH of only what differs, and removes what the store no longer has", async () => {
    const target = await setUp({ patch: true });
    const [made] = await target.apply([
      upsert(desired("ann@example.com", { title: "Analyst", nickName: "A" })),
    ]);
    const id = made?.status === "done" ? made.targetId! : "";
    peer.calls.length = 0;
    await target.apply([upsert(desired("ann@example.com", { title: "Engineer" }), id)]);
    expect(writes()).toEqual([
      {
        method: "PATCH",
        path: `/Users/${id}`,
        body: {
          schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
          Operations: [
            { op: "remove", path: "nickName" },
            { op: "replace", path: "title", value: "Engineer" },
          ],
        },
      },
    ]);
    peer.calls.length = 0;
    const [again] = await target.apply([upsert(desired("ann@example.com", { title: "Engineer" }), id)]);
    expect(again).toMatchObject({ status: "done", targetId: id });
    expect(writes()).toEqual([]);
  });

  it.each([true, false])(
    "deactivates even when the same write carries a change the peer refuses (PATCH: %s)",
    async (patch) => {
      const target = await setUp({ patch });
      const made = await target.apply([upsert(desired("cy@example.com")), upsert(desired("di@example.com"))]);
      const id = made[0]?.status === "done" ? made[0].targetId! : "";
      // The userName is taken on the peer (409), but deactivating needs no more than the account.
      const [off] = await target.apply([upsert(desired("di@example.com", {}, false), id)]);
      expect(off).toMatchObject({ status: "done" });
      expect(peer.users.get(id)).toMatchObject({ userName: "cy@example.com", active: false });
    },
  );

  it("replaces with PUT when the peer has no PATCH, keeping the attributes only the peer holds", async () => {
    const target = await setUp({ patch: false });
    const [made] = await target.apply([upsert(desired("bo@example.com"))]);
    const id = made?.status === "done" ? made.targetId! : "";
    peer.users.get(id)!["urn:example:peer:User"] = { seat: "A4" };
    await target.apply([upsert(desired("bo@example.com", { title: "Lead" }), id)]);
    expect(writes().at(-1)?.method).toBe("PUT");
    expect(peer.users.get(id)).toMatchObject({ title: "Lead", "urn:example:peer:User": { seat: "A4" } });

    const [off] = await target.apply([{ kind: "user.deprovision", key: "x", targetId: id }]);
    expect(off).toMatchObject({ status: "done" });
    expect(peer.users.get(id)).toMatchObject({ active: false, title: "Lead" });
  });

  it("sends only the attributes the peer's /Schemas declares", async () => {
    const target = await setUp({
      patch: true,
      userAttributes: ["userName", "name", "active"],
      enterprise: false,
    });
    await target.apply([
      upsert(desired("cy@example.com", { title: "Dropped", [ENTERPRISE]: { department: "X" } })),
    ]);
    const post = writes().find((c) => c.method === "POST");
    expect(post?.body).toEqual({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "cy@example.com",
      name: { givenName: "Test", familyName: "cy@example.com" },
      active: true,
    });
  });

  it("applies the mapping's fields over the passed-through attributes", async () => {
    const target = await setUp(
      { patch: true },
      {
        mapping: {
          fields: {
            displayName: { concat: ["name.givenName", { const: " " }, "name.familyName"] },
            title: null,
          },
        },
      },
    );
    await target.apply([upsert(desired("di@example.com", { title: "Not sent" }))]);
    const [u] = [...peer.users.values()];
    expect(u).toMatchObject({ displayName: "Test di@example.com" });
    expect(u?.title).toBeUndefined();
  });

  it("creates again a linked user deleted on the peer, and links a user it finds by userName", async () => {
    const target = await setUp({ patch: true });
    const [gone] = await target.apply([upsert(desired("ed@example.com"), "no-longer-there")]);
    expect(gone).toMatchObject({ status: "done" });
    const id = gone?.status === "done" ? gone.targetId : undefined;
    expect(peer.users.has(id!)).toBe(true);
    const [linked] = await target.apply([upsert(desired("ED@example.com"))]);
    expect(linked).toMatchObject({ status: "done", targetId: id });
    expect(peer.users.size).toBe(1);
  });

  it.each<PeerOptions>([{ patch: true }, { patch: false }, { patch: true, bulk: true }])(
    "creates again a linked user deleted on the peer between the read and the update (%o)",
    async (opts) => {
      const target = await setUp(opts);
      const [made] = await target.apply([upsert(desired("eli@example.com", { title: "Analyst" }))]);
      const id = made?.status === "done" ? made.targetId! : "";
      peer.beforeWrite = (_method, path) => {
        if (path === `/Users/${id}`) peer.users.delete(id);
      };
      const [out] = await target.apply([upsert(desired("eli@example.com", { title: "Engineer" }), id)]);
      expect(out).toMatchObject({ status: "done", targetId: expect.not.stringMatching(id) });
      const [again] = [...peer.users.values()];
      expect(peer.users.size).toBe(1);
      expect(again).toMatchObject({ id: (out as { targetId: string }).targetId, title: "Engineer" });
    },
  );

  it("waits as long as Retry-After says on 429, for one call and for a whole Bulk request", async () => {
    const target = await setUp({ patch: true, bulk: true });
    await target.check();
    peer.fail(429, 1, "7");
    const [one] = await target.apply([upsert(desired("fa@example.com"))]);
    expect(one).toMatchObject({ status: "retry", delayMs: 7000 });
    // The lookups pass; the Bulk request itself is refused, so every write in it waits.
    peer.fail(503, 1, "3", "/Bulk");
    const both = await target.apply([upsert(desired("ga@example.com")), upsert(desired("ha@example.com"))]);
    expect(both).toEqual([
      expect.objectContaining({ status: "retry", delayMs: 3000 }),
      expect.objectContaining({ status: "retry", delayMs: 3000 }),
    ]);
    expect(peer.users.size).toBe(0);
  });

  it("gets an OAuth token once, and a new one when the peer no longer takes it", async () => {
    const target = await setUp({ patch: true, auth: "oauth" });
    await target.apply(["a", "b"].map((n) => upsert(desired(`${n}@example.com`))));
    expect(peer.tokensIssued()).toBe(1);
    peer.revokeTokens();
    const [out] = await target.apply([upsert(desired("c@example.com"))]);
    expect(out).toMatchObject({ status: "done" });
    expect(peer.tokensIssued()).toBe(2);
  });

  it("parks an operation as a credentials failure when the OAuth client is refused", async () => {
    peer = await startScimPeer({ auth: "oauth" });
    const target = createScimTarget(
      ScimTargetConfig.parse({
        name: "peer",
        kind: "scim",
        url: peer.url,
        auth: { clientCredentials: { tokenUrl: peer.tokenUrl, clientId: "bridge", clientSecret: "wrong" } },
      }),
      { retry: retryPolicy },
    );
    const [out] = await target.apply([upsert(desired("x@example.com"))]);
    expect(out).toMatchObject({
      status: "retry",
      code: "TARGET_CREDENTIALS_REJECTED",
      blocked: "credentials",
      message: expect.stringContaining("OAUTH_TOKEN_REFUSED"),
    });
    const checks = await target.check();
    expect(checks[0]).toMatchObject({ ok: false });
    expect(checks[0]?.fix).toMatch(/client id, secret/);
  });

  it("deletes on deprovision when the policy says so, and takes an account already gone as done", async () => {
    const target = await setUp({ patch: true }, { policies: { deprovision: "delete" } });
    const [made] = await target.apply([upsert(desired("ivy@example.com"))]);
    const id = made?.status === "done" ? made.targetId! : "";
    const out = await target.apply([
      { kind: "user.deprovision", key: "a", targetId: id },
      { kind: "user.deprovision", key: "b", targetId: "never-existed" },
    ]);
    expect(out.map((o) => o.status)).toEqual(["done", "done"]);
    expect(peer.users.size).toBe(0);
  });

  it("provisions groups with member PATCH add and remove of the difference", async () => {
    const target = await setUp({ patch: true });
    const made = await target.apply(["j", "k", "l"].map((n) => upsert(desired(`${n}@example.com`))));
    const [j, k, l] = made.map((o) => (o.status === "done" ? o.targetId! : ""));
    const group = (members: string[], targetId?: string): Operation => ({
      kind: "group.upsert",
      key: "g",
      group: { scimId: "g", displayName: "Team", memberTargetIds: members },
      ...(targetId ? { targetId } : {}),
    });
    const [g] = await target.apply([group([j!, k!])]);
    const gid = g?.status === "done" ? g.targetId! : "";
    peer.calls.length = 0;
    await target.apply([group([k!, l!], gid)]);
    expect(writes()[0]?.body).toMatchObject({
      Operations: [
        { op: "add", path: "members", value: [{ value: l }] },
        { op: "remove", path: `members[value eq "${j}"]` },
      ],
    });
    expect((peer.groups.get(gid)!.members as { value: string }[]).map((m) => m.value).sort()).toEqual(
      [k, l].sort(),
    );
    const [deleted] = await target.apply([{ kind: "group.delete", key: "g", targetId: gid }]);
    expect(deleted).toMatchObject({ status: "done" });
    expect(peer.groups.size).toBe(0);
  });

  it.each<PeerOptions>([{ patch: true }, { patch: false }, { patch: true, bulk: true }])(
    "creates again, with its members, a linked group the peer lost before the read or before the update (%o)",
    async (opts) => {
      const target = await setUp(opts);
      const made = await target.apply(["m", "n", "o"].map((n) => upsert(desired(`${n}@example.com`))));
      const [m, n, o] = made.map((x) => (x.status === "done" ? x.targetId! : ""));
      const team = (members: string[], targetId: string): Operation => ({
        kind: "group.upsert",
        key: "g",
        group: { scimId: "g", displayName: "Team", memberTargetIds: members },
        targetId,
      });
      const created = async (members: string[]) => {
        const [g] = await target.apply([{ ...team(members, ""), targetId: undefined } as Operation]);
        return g?.status === "done" ? g.targetId! : "";
      };
      const membersOf = (id: string) =>
        ((peer.groups.get(id)?.members ?? []) as { value: string }[]).map((x) => x.value).sort();

      // Deleted by an admin while the bridge was away: the read finds nothing.
      const lost = await created([m!, n!]);
      peer.groups.delete(lost);
      const [before] = await target.apply([team([n!, o!], lost)]);
      expect(before).toMatchObject({ status: "done", targetId: expect.not.stringMatching(lost) });
      const first = (before as { targetId: string }).targetId;
      expect(membersOf(first)).toEqual([n, o].sort());

      // Deleted between the read and the update: the PATCH (or PUT) is answered 404.
      peer.beforeWrite = (_method, path) => {
        if (path === `/Groups/${first}`) peer.groups.delete(first);
      };
      const [during] = await target.apply([team([m!, o!], first)]);
      expect(during).toMatchObject({ status: "done", targetId: expect.not.stringMatching(first) });
      const second = (during as { targetId: string }).targetId;
      expect(peer.groups.size).toBe(1);
      expect(peer.groups.get(second)).toMatchObject({ displayName: "Team" });
      expect(membersOf(second)).toEqual([m, o].sort());
    },
  );

  it("reports what the peer supports to the doctor, and a refused token with its fix", async () => {
    const target = await setUp({ patch: true, bulk: true, userAttributes: ["userName"], enterprise: true });
    const checks = await target.check();
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks[0]?.detail).toMatch(/PATCH, Bulk \(2 operations\), 2 User schema/);
    const wrong = createScimTarget(
      ScimTargetConfig.parse({ name: "p", kind: "scim", url: peer.url, auth: { bearer: { token: "nope" } } }),
      { retry: retryPolicy },
    );
    const [bad] = await wrong.check();
    expect(bad).toMatchObject({ ok: false });
    expect(bad?.fix).toMatch(/bearer token/);
  });

  it("lists users and groups page by page for reconcile and import", async () => {
    const target = await setUp({ patch: true });
    await target.apply(Array.from({ length: 130 }, (_, i) => upsert(desired(`u${i}@example.com`))));
    const pages: number[] = [];
    for await (const page of target.listUsers()) pages.push(page.length);
    expect(pages).toEqual([100, 30]);
  });
});
