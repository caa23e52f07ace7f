// The admin API (/admin, its own token): targets and their health, the queue, jobs, held deprovisions, audit.
import express, { Router } from "express";
import type { Directory } from "../directory/index.ts";
import { BridgeError, excerpt } from "../errors.ts";
import { integerInput } from "../input.ts";
import {
  isResourceId,
  type JobState,
  linksFor,
  listAudit,
  listJobs,
  queueDepth,
  releaseHeld,
  reviveJob,
} from "../store/index.ts";
import { importFrom } from "../sync/import/index.ts";
import type { ConfiguredTarget } from "../sync/index.ts";
import { openJobsSince, outboxMark, reconcile, type SyncDeps } from "../sync/reconcile/index.ts";
import { type AuthFailureLimiter, bearerAuth, type NamedToken } from "./auth.ts";
import { edgeValidation } from "./edge.ts";
import { type TargetHealth, targetHealth } from "./target-health.ts";

export interface AdminOptions {
  directory: Directory;
  targets: ConfiguredTarget[];
  tokens: () => NamedToken[];
  /** Failed authentications per client address, shared with the SCIM API. */
  authLimiter?: AuthFailureLimiter;
  /** Wakes the dispatcher after a retry or release. */
  kick: (target?: string) => void;
  /** Target health checks, shared with the console (one cache). */
  health?: TargetHealth;
  /** Extra admin routes (reconcile, import) mounted by later modules. */
  extend?: (router: Router) => void;
}

const STATES: JobState[] = ["pending", "running", "done", "dead", "held"];

/** A resource id from a query or path parameter: a UUID, or a 400 that says so (never a database error). */
function resourceIdOf(value: unknown, name: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  const id = String(value);
  if (!isResourceId(id))
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `${name} must be a SCIM resource id (a UUID), got ${excerpt(id)}`,
    );
  return id;
}

export function adminRouter(opts: AdminOptions): Router {
  const router = Router();
  const db = opts.directory.db;
  router.use(bearerAuth(opts.tokens, "the admin API", opts.authLimiter));
  router.use(express.json({ limit: "100kb" }));
  router.use(edgeValidation());

  const health = opts.health ?? targetHealth(db);
  const checkTarget = (t: ConfiguredTarget, fresh: boolean) => health.check(t, fresh);

  router.get("/targets", async (req, res) => {
    const depth = await queueDepth(db);
    const fresh = req.query.check === "true";
    res.json({
      targets: await Promise.all(
        opts.targets.map(async (t) => {
          const checks = await checkTarget(t, fresh);
          return {
            name: t.name,
            kind: t.target.kind,
            scope: t.scope ?? null,
            healthy: checks.every((c) => c.ok),
            checks,
            queue: Object.fromEntries(
              depth.filter((d) => d.target === t.name).map((d) => [d.state, d.count]),
            ),
          };
        }),
      ),
    });
  });

  router.get("/queue", async (_req, res) => {
    res.json({ queue: await queueDepth(db) });
  });

  router.get("/jobs", async (req, res) => {
    const state = req.query.state ? String(req.query.state) : undefined;
    if (state && !STATES.includes(state as JobState)) {
      throw new BridgeError("SCIM_INVALID_VALUE", `state must be one of ${STATES.join(", ")}`);
    }
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    const jobs = await listJobs(db, {
      ...(req.query.target ? { target: String(req.query.target) } : {}),
      ...(state ? { state: state as JobState } : {}),
      ...(req.query.resourceId ? { resourceId: resourceIdOf(req.query.resourceId, "resourceId")! } : {}),
      limit,
    });
    res.json({ jobs: jobs.map(({ secret, ...j }) => ({ ...j, hasPassword: !!secret })) });
  });

  router.post("/jobs/:id/retry", async (req, res) => {
    const id = /^\d{1,15}$/.test(req.params.id) ? Number(req.params.id) : undefined;
    if (id === undefined || !(await reviveJob(db, id))) {
      throw new BridgeError(
        "SCIM_NOT_FOUND",
        `No dead job ${excerpt(req.params.id)}; only dead jobs can be retried`,
      );
    }
    opts.kick();
    res.json({ retried: id });
  });

  router.get("/held", async (req, res) => {
    const jobs = await listJobs(db, {
      state: "held",
      ...(req.query.target ? { target: String(req.query.target) } : {}),
      limit: 1000,
    });
    res.json({ held: jobs.map(({ secret: _s, ...j }) => j) });
  });

  router.post("/targets/:name/release", async (req, res) => {
    const name = String(req.params.name);
    if (!opts.targets.some((t) => t.name === name))
      throw new BridgeError("SCIM_NOT_FOUND", `No target named ${name}`);
    const ids = Array.isArray(req.body?.ids) ? (req.body.ids as unknown[]).map(Number) : undefined;
    if (ids?.some((id) => !Number.isSafeInteger(id))) {
      throw new BridgeError(
        "SCIM_INVALID_VALUE",
        "ids must be a list of job ids (integers) from GET /admin/held",
      );
    }
    const released = await releaseHeld(db, name, ids);
    opts.kick(name);
    res.json({ target: name, released });
  });

  router.get("/resources/:id/status", async (req, res) => {
    res.json({ links: await linksFor(db, [resourceIdOf(req.params.id, "id")!]) });
  });

  router.get("/audit", async (req, res) => {
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    const resourceId = resourceIdOf(req.query.resourceId, "resourceId");
    res.json({ events: await listAudit(db, { ...(resourceId ? { resourceId } : {}), limit }) });
  });

  opts.extend?.(router);
  return router;
}

/**
 * Reconcile and import on the admin API, mounted through `extend`: POST /reconcile {target, apply},
 * POST /import {from, apply, includeInactive}, and GET /deliveries?since=&target= for what they queued.
 * Each answer carries `mark`, the first outbox job id the call could have queued, for /deliveries.
 */
export function reconcileAdminRoutes(router: Router, deps: SyncDeps & { deprovisionUnmanaged?: boolean }) {
  const flag = (v: unknown) => v === true || v === "true";
  const name = (v: unknown, field: string) => {
    if (typeof v !== "string" || !v)
      throw new BridgeError("SCIM_INVALID_VALUE", `${field} (a target name) is required`);
    return v;
  };
  router.post("/reconcile", async (req, res) => {
    const target = name(req.body?.target, "target");
    const mark = await outboxMark(deps.db);
    const report = await reconcile(deps, {
      target,
      apply: flag(req.body?.apply),
      deprovisionUnmanaged: !!deps.deprovisionUnmanaged,
    });
    res.json({ ...report, mark });
  });
  router.post("/import", async (req, res) => {
    const from = name(req.body?.from, "from");
    const mark = await outboxMark(deps.db);
    const report = await importFrom(deps, {
      from,
      apply: flag(req.body?.apply),
      includeInactive: flag(req.body?.includeInactive),
    });
    deps.kick?.();
    res.json({ ...report, mark });
  });
  router.get("/deliveries", async (req, res) => {
    const since = integerInput(
      "since (an outbox job id: the mark of a reconcile or import)",
      req.query.since,
      {
        min: 0,
      },
    );
    if (since === undefined)
      throw new BridgeError(
        "SCIM_INVALID_VALUE",
        "since must be an outbox job id (the mark of a reconcile or import)",
      );
    const targets = req.query.target ? String(req.query.target).split(",") : undefined;
    res.json(await openJobsSince(deps.db, since, targets));
  });
}
