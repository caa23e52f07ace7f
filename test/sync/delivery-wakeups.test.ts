// Work put back to wait is picked up when it is due, not at the next poll: a group whose members are still being
// provisioned is delivered as soon as they are, even when idle workers poll only once a minute.
import { afterAll, beforeAll, expect, it } from "vitest";
import { postUsers } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

let target: RunningTestTarget;
let t: TestBridge;
beforeAll(async () => {
  // Slow enough that the group is looked at while its members' creates are still on the way.
  target = await startTestTarget({ faults: { latencyMs: 100 } });
  t = await startTestBridge({
    targets: [{ name: "plain", kind: "test", url: target.url }],
    config: { sync: { pollMs: 60_000, waitForDeliveryMs: 0, yieldMs: 0 } },
  });
});
afterAll(async () => {
  await t?.stop();
  await target?.close();
});

it("delivers a group that waited for its members once they are provisioned, without waiting for a poll", async () => {
  const ids = await postUsers(t.request, AUTH, ["ada", "grace"]);
  await t.request
    .post("/scim/v2/Groups")
    .set(AUTH)
    .send({ schemas: [GROUP], displayName: "Engineers", members: ids.map((value) => ({ value })) })
    .expect(201);
  const group = await eventually(
    () =>
      [...target.accounts.values()].find(
        (a) => a.kind === "group" && a.key === "Engineers" && a.members.length === 2,
      ),
    10_000,
  );
  expect(group.members).toHaveLength(2);
});

it("tells a listener about each recorded batch, so a caller can see the queue drain without polling it", async () => {
  const heard: string[] = [];
  const stop = t.bridge.dispatcher.onBatch((target) => heard.push(target));
  await postUsers(t.request, AUTH, ["alan"]);
  await eventually(() => heard.length > 0 || undefined, 10_000);
  expect(heard[0]).toBe("plain");
  stop();
  const before = heard.length;
  const next = new Promise<void>((r) => t.bridge.dispatcher.onBatch(() => r()));
  await postUsers(t.request, AUTH, ["barbara"]);
  await next;
  expect(heard.length).toBe(before);
});
