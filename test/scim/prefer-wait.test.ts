// The SCIM answer never waits for a target by default; a client that wants the delivery outcome in the answer asks
// with `Prefer: wait=N` (RFC 7240), bounded by SYNC_WAIT_MAX_MS, and is told so with `Preference-Applied`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/index.ts";
import { parsePrefer, preferredWait } from "../../src/scim/prefer.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe("Prefer header parsing", () => {
  it.each([
    ["wait=5", 10_000, { ms: 5000, applied: "wait=5" }],
    ["respond-async, wait=100", 10_000, { ms: 10_000, applied: "wait=10" }],
    ['WAIT="3"', 10_000, { ms: 3000, applied: "wait=3" }],
    ["wait=3; foo=bar", 10_000, { ms: 3000, applied: "wait=3" }],
    ["wait=2, wait=9", 10_000, { ms: 2000, applied: "wait=2" }],
    ["wait=5", 2_500, { ms: 2000, applied: "wait=2" }],
    ["wait=-1", 10_000, undefined],
    ["wait=soon", 10_000, undefined],
    ["return=minimal", 10_000, undefined],
    [undefined, 10_000, undefined],
  ] as const)("%s (max %i ms) → %o", (header, max, expected) => {
    expect(preferredWait(header, max)).toEqual(expected);
  });
  it("reads several Prefer headers", () => {
    expect(parsePrefer(["respond-async", "wait=4"]).get("wait")).toBe("4");
  });
  it("defaults: no wait unless asked, asking is bounded by 10 s", () => {
    const { sync } = ConfigSchema.parse({});
    expect(sync.waitForDeliveryMs).toBe(0);
    expect(sync.maxWaitMs).toBe(10_000);
  });
});

describe("Prefer: wait on writes", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    target = await startTestTarget();
    target.setFaults({ latencyMs: 300 });
    t = await startTestBridge({
      targets: [{ name: "slow", kind: "test", url: target.url }],
      config: { sync: { waitForDeliveryMs: 0, maxWaitMs: 5_000, pollMs: 50 } },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await target?.close();
  });
  const stateOf = (body: Record<string, { targets: { state: string }[] }>) => body[PROV]?.targets[0]?.state;

  it("answers at once without Prefer: the status is pending and delivery follows", async () => {
    const res = await t.request.post("/scim/v2/Users").set(AUTH).send(user("nowait@example.com"));
    expect(res.status).toBe(201);
    expect(res.headers["preference-applied"]).toBeUndefined();
    expect(stateOf(res.body)).toBe("pending");
    await eventually(async () => {
      const read = await t.request.get(`/scim/v2/Users/${res.body.id}`).set(AUTH);
      return stateOf(read.body) === "synced";
    });
  });

  it("waits for the first delivery attempt with Prefer: wait=N and says so", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .set("Prefer", "wait=30")
      .send(user("waits@example.com"));
    expect(res.status).toBe(201);
    expect(res.headers["preference-applied"]).toBe("wait=5");
    expect(stateOf(res.body)).toBe("synced");
    const patched = await t.request
      .patch(`/scim/v2/Users/${res.body.id}`)
      .set(AUTH)
      .set("Prefer", "wait=3")
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "Waited" }] });
    expect(patched.headers["preference-applied"]).toBe("wait=3");
    expect(stateOf(patched.body)).toBe("synced");
    expect([...target.accounts.values()].find((a) => a.key === "waits@example.com")?.fields).toMatchObject({
      title: "Waited",
    });
  });
});
