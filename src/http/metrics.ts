// Prometheus metrics: one registry per app, so tests and several apps in one process do not collide.
import type { RequestHandler } from "express";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export interface HttpMetrics {
  registry: Registry;
  middleware: RequestHandler;
}

/** The SCIM resource type of a path, so labels stay low-cardinality (never an id). */
function resourceOf(path: string): string {
  const m = /^\/scim\/v2\/([A-Za-z]+)/.exec(path);
  if (m) return m[1]!;
  if (path.startsWith("/admin")) return "admin";
  return "other";
}

export function createHttpMetrics(opts: { defaultMetrics?: boolean } = {}): HttpMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "scim_bridge_http_requests_total",
    help: "HTTP requests by method, resource type and status",
    labelNames: ["method", "resource", "status"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "scim_bridge_http_request_duration_seconds",
    help: "HTTP request latency by method, resource type and status",
    labelNames: ["method", "resource", "status"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once("finish", () => {
      const labels = {
        method: req.method,
        resource: resourceOf(req.originalUrl),
        status: String(res.statusCode),
      };
      requests.inc(labels);
      latency.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
  return { registry, middleware };
}
