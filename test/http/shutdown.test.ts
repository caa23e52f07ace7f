// Graceful shutdown: a request in flight when the bridge is told to stop still gets its answer.
import { describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { AUTH, startTestBridge } from "../support/bridge.ts";
import { startTestTarget } from "../support/test-target.ts";

describe("graceful shutdown", () => {
  it("finishes in-flight requests and deliveries, then refuses new connections", async () => {
    // A slow target keeps the create request open while it waits for its first delivery attempt.
    const target = await startTestTarget({ faults: { latencyMs: 400 } });
    const t = await startTestBridge({
      targets: [{ name: "slow", kind: "test", url: target.url }],
      config: { sync: { waitForDeliveryMs: 5_000 } },
    });
    try {
      const inFlight = fetch(`${t.url}/scim/v2/Users`, {
        method: "POST",
        headers: { ...AUTH, "Content-Type": "application/scim+json" },
        body: JSON.stringify(user("inflight@example.com")),
      });
      // Stop once the write is stored (its delivery is then under way).
      for (;;) {
        const { rows } = await t.store.db.query("SELECT 1 FROM outbox LIMIT 1");
        if (rows.length) break;
        await new Promise((r) => setImmediate(r));
      }
      const stopped = t.bridge.stop();
      const res = await inFlight;
      expect(res.status).toBe(201);
      await stopped;
      expect([...target.accounts.values()].map((a) => a.key)).toEqual(["inflight@example.com"]);
      await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
    } finally {
      await t.stop();
      await target.close();
    }
  });
});
