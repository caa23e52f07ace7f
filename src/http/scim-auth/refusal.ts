// A refused authentication: its status, a low-cardinality reason (the metrics label) and a detail for the client that
// names what was wrong without echoing the credential. Counted and logged in one place (`recordFailure`).
import type { Request } from "express";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";

export interface AuthRefusal {
  status: 401 | 403 | 503;
  reason: string;
  detail: string;
}

export const refusal = (status: AuthRefusal["status"], reason: string, detail: string): AuthRefusal => ({
  status,
  reason,
  detail,
});

export const isRefusal = (e: unknown): e is AuthRefusal =>
  !!e && typeof e === "object" && "reason" in e && "status" in e && "detail" in e;

const METRIC = "scim_bridge_auth_failures_total";

export type AuthFailures = Counter<"door" | "reason">;

/** The failures counter on this registry (one per registry, whichever door asks first). */
export function authFailureCounter(registry: Registry): AuthFailures {
  return (
    (registry.getSingleMetric(METRIC) as AuthFailures | undefined) ??
    new Counter({
      name: METRIC,
      help: "Refused authentications by door (scim, token, admin, console) and reason; never the secret",
      labelNames: ["door", "reason"],
      registers: [registry],
    })
  );
}

/** Counts and logs a refusal: door, reason, credential name if known and the client address; never the secret. */
export function recordFailure(
  failures: AuthFailures,
  logger: Logger | undefined,
  req: Request,
  door: "scim" | "token",
  r: AuthRefusal,
  credential?: string,
) {
  failures.inc({ door, reason: r.reason });
  logger?.warn(
    {
      door,
      reason: r.reason,
      ...(credential ? { credential } : {}),
      address: req.ip,
      req: { id: req.res?.locals.requestId, method: req.method, url: req.originalUrl.split("?")[0] },
    },
    "authentication refused",
  );
}
