// A target that does not handle groups (a SCIM peer with `policies.groups: false`) never gets a group operation,
// not even from group work queued before its groups were turned off: the job is done without a call.
import { afterAll, beforeAll, expect, it } from "vitest";
import { enqueueJobs, listJobs } from "../../src/store/index.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type ScimPeer, startScimPeer } from "../targets/scim-peer-fixture.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

let peer: ScimPeer;
let t: TestBridge;
beforeAll(async () => {
  peer = await startScimPeer({ patch: true });
  t = await startTestBridge({
    targets: [
      {
        name: "peer",
        kind: "scim",
        url: peer.url,
        auth: { bearer: { token: peer.token } },
        policies: { groups: false },
      },
    ],
  });
});
afterAll(async () => {
  await t?.stop();
  await peer?.close();
});

it("finishes a group job left from before groups were turned off without calling the peer", async () => {
  const res = await t.request
    .post("/scim/v2/Groups")
    .set(AUTH)
    .send({ schemas: [GROUP], displayName: "Ops" });
  expect(res.status).toBe(201);
  const groupId = res.body.id as string;
  // As if queued while the target still handled groups.
  await enqueueJobs(t.store.db, [
    { target: "peer", resourceType: "Group", resourceId: groupId, action: "provision" },
  ]);
  t.bridge.dispatcher.kick("peer");
  await eventually(async () =>
    (await listJobs(t.store.db, { resourceId: groupId })).every((j) => j.state === "done"),
  );
  expect(peer.calls.filter((c) => c.path.includes("/Groups"))).toEqual([]);
  expect(peer.groups.size).toBe(0);
});
