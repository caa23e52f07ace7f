// The IdP comes first: while SCIM requests are being answered, deliveries give way (one batch per target per
// `sync.yieldMs`), they go out in the first quiet moment, and a client that asks to wait is served at once.
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  batchesInFlight,
  nextBusyTurns,
  turnInterval,
  untilMoreInFlight,
} from "../../src/sync/foreground.ts";
import { ForegroundLoad, machineCpu } from "../../src/sync/index.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge, TOKEN } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";

describe("ForegroundLoad", () => {
  it("never holds deliveries back while the event loop has time to spare, however many requests are in flight", () => {
    const f = new ForegroundLoad({ saturation: () => false });
    f.enter();
    f.enter();
    expect(f.busy).toBe(false);
  });

  it("measures the event loop: a loop kept busy for a while is saturated", async () => {
    const f = new ForegroundLoad({ machineBusy: () => 0 });
    f.enter();
    await new Promise((r) => setTimeout(r, 300));
    expect(f.busy).toBe(false); // an idle loop: the requests in flight are just waiting
    const until = performance.now() + 300;
    while (performance.now() < until) {} // a synchronous burst, as a flood of requests makes
    expect(f.busy).toBe(true);
  });

  it("counts a loop working for requests on a machine with every processor busy (its database) as saturated", async () => {
    let machine = 0.5;
    // Two thirds busy: below the event loop's own threshold, waiting on the database the rest of the time.
    const f = new ForegroundLoad({ loopBusy: () => 0.67, machineBusy: () => machine });
    f.enter();
    await new Promise((r) => setTimeout(r, 300));
    expect(f.busy).toBe(false); // the machine has processors to spare
    machine = 0.97; // e.g. PostgreSQL on the same two cores, answering the IdP's writes
    await new Promise((r) => setTimeout(r, 300));
    expect(f.busy).toBe(true);
  });

  it("does not hold deliveries back for a machine busy with something else while the loop idles", async () => {
    const f = new ForegroundLoad({ loopBusy: () => 0.1, machineBusy: () => 0.97 });
    f.enter();
    await new Promise((r) => setTimeout(r, 300));
    expect(f.busy).toBe(false);
  });

  it("reads the machine's processor time: a share between 0 and 1", () => {
    const meter = machineCpu();
    const until = performance.now() + 50;
    while (performance.now() < until) {}
    const share = meter();
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThanOrEqual(1);
  });

  it("is quiet at once with nothing in flight, and after the last request leaves", async () => {
    const f = new ForegroundLoad({ saturation: () => true });
    expect(await f.whenQuiet(10_000)).toBe(true);
    const leave = f.enter();
    const quiet = f.whenQuiet(10_000);
    leave();
    leave(); // a second call is harmless: the count does not go below zero
    expect(await quiet).toBe(true);
    expect(f.busy).toBe(false);
  });

  it("counts the gap between one request and the next as busy: a busy IdP's connections are never idle long", async () => {
    const f = new ForegroundLoad({ saturation: () => true });
    f.enter()();
    expect(f.busy).toBe(true);
    const quiet = f.whenQuiet(10_000);
    f.enter()(); // the next request comes and goes before the moment is over
    expect(await quiet).toBe(true);
    expect(f.busy).toBe(false);
  });

  it("gives up at the deadline or when interrupted, while a request stays in flight", async () => {
    const f = new ForegroundLoad({ saturation: () => true });
    const leave = f.enter();
    expect(await f.whenQuiet(20)).toBe(false);
    const urgent = new AbortController();
    const waiting = f.whenQuiet(10_000, urgent.signal);
    urgent.abort();
    expect(await waiting).toBe(false);
    expect(f.busy).toBe(true);
    leave();
  });
});

describe("turns while the IdP stays busy", () => {
  it("grow with each turn taken while it stays busy, survive a short pause, and start over after a long one", () => {
    expect(nextBusyTurns(2, { held: true, busyLately: true })).toBe(3);
    // A pause shorter than yieldMs (the IdP moving from its creates to its updates) is not the burst's end.
    expect(nextBusyTurns(3, { held: false, busyLately: true })).toBe(3);
    expect(nextBusyTurns(3, { held: false, busyLately: false })).toBe(0);
  });

  it("after a burst, let one batch per target go until yieldMs, then twice as many every yieldMs / 2", () => {
    // yieldMs 1000: 0.4 s after the burst 1, at 1 s 2, at 1.5 s 4, at 2 s 8, at 2.5 s 16; never busy: no limit.
    expect([0, 400, 999, 1000, 1499, 1500, 2000, 2500].map((quiet) => batchesInFlight(quiet, 1000))).toEqual([
      1, 1, 1, 2, 2, 4, 8, 16,
    ]);
    expect(batchesInFlight(Number.POSITIVE_INFINITY, 1000)).toBeGreaterThan(64);
    // The dispatcher looks again when the number grows.
    expect([0, 400, 1000, 1200, 1499].map((quiet) => untilMoreInFlight(quiet, 1000))).toEqual([
      1000, 600, 500, 300, 1,
    ]);
  });

  it("come twice as late each time, up to 8 × yieldMs, and at yieldMs again after a pause", () => {
    expect([0, 1, 2, 3, 4, 20].map((streak) => turnInterval(1000, streak))).toEqual([
      1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });
});

describe("deliveries give way to SCIM requests", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({
      targets: [{ name: "plain", kind: "test", url: target.url }],
      // Nobody waits unless they ask, and a busy IdP holds deliveries back for a minute at most. The event loop
      // counts as saturated, as under an IdP's burst (a test's few requests leave it mostly idle).
      config: { sync: { waitForDeliveryMs: 0, yieldMs: 60_000 } },
      foreground: new ForegroundLoad({ saturation: () => true }),
    });
  });
  afterAll(async () => {
    await t?.stop();
    await target?.close();
  });

  /** A SCIM request the bridge has started answering and that stays open until `finish` (its body trickles in). */
  const slowRequest = () => slowRequestTo(t);
  function slowRequestTo(bridge: TestBridge) {
    const req = httpRequest(`${bridge.url}/scim/v2/Users`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        "Content-Type": "application/scim+json",
        "Content-Length": "2",
      },
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
    });
    req.write("{");
    return {
      finish() {
        req.end("}");
        return answered;
      },
    };
  }

  const accountFor = (userName: string) => [...target.accounts.values()].find((a) => a.key === userName);

  it("holds a delivery back while the IdP is being answered, sends it in the first quiet moment", async () => {
    // The first turn of the minute goes to a write made before the IdP got busy.
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("first@example.com")).expect(201);
    await eventually(() => accountFor("first@example.com"));

    const slow = slowRequest();
    await eventually(() => t.bridge.foreground.busy);
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("later@example.com")).expect(201);
    // The delivery is due (the write kicked the dispatcher) but must wait while a request is in flight: give it
    // the time it takes when nothing holds it back (tens of ms) many times over, then look.
    await new Promise((r) => setTimeout(r, 600));
    expect(accountFor("later@example.com")).toBeUndefined();

    expect(await slow.finish()).toBe(400); // `{}` is not a user: the IdP gets its answer
    await eventually(() => accountFor("later@example.com"), 5_000);
  });

  it("serves a client that asks to wait at once, even while the IdP is busy", async () => {
    const slow = slowRequest();
    await eventually(() => t.bridge.foreground.busy);
    // Had it waited for the target's next turn (a minute away), the answer would say "pending" after 10 s.
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .set("Prefer", "wait=10")
      .send(user("waiting@example.com"))
      .expect(201);
    expect(res.body[PROV].targets).toEqual([expect.objectContaining({ target: "plain", state: "synced" })]);
    expect(accountFor("waiting@example.com")).toBeDefined();
    await slow.finish();
  });

  it("spaces the batches further apart while the burst goes on", async () => {
    const target2 = await startTestTarget();
    const b = await startTestBridge({
      targets: [{ name: "spaced", kind: "test", url: target2.url }],
      config: { sync: { waitForDeliveryMs: 0, yieldMs: 150 } },
      foreground: new ForegroundLoad({ saturation: () => true }),
    });
    const batches = async () =>
      Number(
        /scim_bridge_delivery_batch_seconds_count\{target="spaced"\} (\d+)/.exec(
          (await b.request.get("/metrics")).text,
        )?.[1] ?? 0,
      );
    try {
      const open = slowRequestTo(b);
      await eventually(() => b.bridge.foreground.busy);
      const before = await batches();
      // A burst of writes for 2.4 s, each of which kicks the dispatcher: at one turn per 150 ms that would be
      // 16 batches; with each turn twice as late as the last (150, 300, 600, 1200 ms) it is 5 or fewer.
      const until = Date.now() + 2_400;
      for (let i = 0; Date.now() < until; i++)
        await b.request
          .post("/scim/v2/Users")
          .set(AUTH)
          .send(user(`burst${i}@example.com`))
          .expect(201);
      const during = (await batches()) - before;
      expect(during).toBeGreaterThanOrEqual(2); // deliveries slow down, they never stop
      expect(during).toBeLessThanOrEqual(7);
      await open.finish();
    } finally {
      await b.stop();
      await target2.close();
    }
  });

  it("sends one batch per target at a time while the IdP was busy a moment ago", async () => {
    // A gap in an IdP's push (between its creates and its updates, say) must not set every worker going at once:
    // their batches would run on into the next burst.
    const target3 = await startTestTarget({ faults: { latencyMs: 100 } });
    const b = await startTestBridge({
      targets: [{ name: "one-at-a-time", kind: "test", url: target3.url, batchSize: 1 }],
      config: { sync: { waitForDeliveryMs: 0, yieldMs: 60_000, workersPerTarget: 4, pollMs: 50 } },
      foreground: new ForegroundLoad({ saturation: () => true }),
    });
    try {
      // The writes themselves are SCIM requests: the IdP is busy while they are answered, and was a moment ago.
      for (let i = 0; i < 4; i++)
        await b.request
          .post("/scim/v2/Users")
          .set(AUTH)
          .send(user(`gap${i}@example.com`))
          .expect(201);
      await eventually(() => target3.accounts.size === 4, 10_000);
      expect(target3.maxInFlight).toBe(1);
    } finally {
      await b.stop();
      await target3.close();
    }
  });
});
