import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSyncScheduler } from "../../src/sync/reconcile/index.ts";
import { eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";
import { depsOf } from "./reconcile-fixtures.ts";

describe("scheduled import and reconcile", () => {
  let source: RunningTestTarget;
  let other: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    source = await startTestTarget();
    other = await startTestTarget();
    t = await startTestBridge({
      targets: [
        { name: "source", kind: "test", url: source.url },
        { name: "other", kind: "test", url: other.url },
      ],
    });
  });
  afterAll(async () => {
    await t.stop();
    await source.close();
    await other.close();
  });

  it("picks up accounts added to the source on the next run and repairs drift in the other target", async () => {
    const scheduler = startSyncScheduler(
      depsOf(t),
      {
        import: { from: "source", intervalMinutes: 0.002 },
        reconcile: { intervalMinutes: 0.002, targets: ["other"], apply: true, deprovisionUnmanaged: false },
      },
      pino({ level: "silent" }),
    );
    try {
      await fetch(`${source.url}/accounts`, {
        method: "POST",
        body: JSON.stringify({
          key: "kim@example.com",
          fields: { userName: "kim@example.com" },
          active: true,
        }),
      });
      const inOther = () => [...other.accounts.values()].find((a) => a.key === "kim@example.com");
      const account = await eventually(inOther);
      account.active = false;
      await eventually(() => inOther()?.active === true);
      expect([...other.accounts.values()].filter((a) => a.key === "kim@example.com")).toHaveLength(1);
    } finally {
      await scheduler.stop();
    }
  });
});
