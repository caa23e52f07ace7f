// Delivery metrics: queue depth per target and state (read from the outbox at scrape time), job outcomes, and
// the latency from a write being accepted to it being synced in a target.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { type Db, queueDepth } from "../store/index.ts";

interface DeliveredLike {
  unit: { jobs: { created: Date }[] };
  plan: { kind: string };
  outcome: { status: string };
}

export interface SyncMetrics {
  batch(target: string, delivered: DeliveredLike[], ms: number): void;
}

export function createSyncMetrics(registry: Registry, db: Db): SyncMetrics {
  new Gauge({
    name: "scim_bridge_outbox_jobs",
    help: "Outbox jobs not yet done, by target and state",
    labelNames: ["target", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const d of await queueDepth(db)) this.set({ target: d.target, state: d.state }, d.count);
      } catch {
        // The store being down shows in /readyz; a scrape must still succeed.
      }
    },
  });
  const outcomes = new Counter({
    name: "scim_bridge_deliveries_total",
    help: "Delivery attempts by target and outcome (done, retry, failed)",
    labelNames: ["target", "outcome"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "scim_bridge_delivery_latency_seconds",
    help: "Time from a SCIM write being accepted to it being synced in a target",
    labelNames: ["target"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: "scim_bridge_delivery_batch_seconds",
    help: "Time to deliver one batch to a target",
    labelNames: ["target"],
    registers: [registry],
  });
  return {
    batch(target, planned, ms) {
      batchSeconds.observe({ target }, ms / 1000);
      const now = Date.now();
      for (const p of planned) {
        if (p.plan.kind !== "apply") continue;
        outcomes.inc({ target, outcome: p.outcome.status });
        if (p.outcome.status === "done")
          latency.observe({ target }, (now - p.unit.jobs[0]!.created.getTime()) / 1000);
      }
    },
  };
}
