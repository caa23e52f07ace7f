// The admin API (/admin, its own tokens, each with a role): targets and their health, the queue, jobs, held
// deprovisions, audit. Its POSTs are thin doors over the operator actions (src/sync/actions), which check the
// role and write the audit row.
import express, { Router } from "express";
import type { Counter } from "prom-client";
import type { Directory } from "../directory/index.ts";
import { BridgeError, excerpt } from "../errors.ts";
import { integerInput } from "../input.ts";
import {
  isResourceId,
  type JobState,
  linksFor,
  listJobs,
  queryAudit,
  queueDepth,
  type ResourceType,
} from "../store/index.ts";
import {
  type ActionDeps,
  nameOf,
  provisionNow,
  releaseHeld,
  retryAll,
  retryJob,
  retryResource,
  startImport,
  startReconcile,
} from "../sync/actions/index.ts";
import type { ConfiguredTarget } from "../sync/index.ts";
import { openJobsSince } from "../sync/reconcile/index.ts";
import type { AuthFailureLimiter, NamedToken } from "./auth.ts";
import { edgeValidation } from "./edge.ts";
import { type AdminCredential, adminAuth, adminCredentials, operatorOf } from "./operator-auth.ts";
import { readPersonLog } from "./person-log.ts";
import { type TargetHealth, targetHealth } from "./target-health.ts";

export interface AdminOptions {
  directory: Directory;
  targets: ConfiguredTarget[];
  /** The admin credentials (named tokens with roles, break-glass); or `tokens`, each of the role admin. */
  credentials?: () => AdminCredential[];
  tokens?: () => NamedToken[];
  /** Failed authentications per client address, shared with the SCIM API. */
  authLimiter?: AuthFailureLimiter;
  /** Counts failed authentications (door "admin"). */
  authFailures?: Counter<"door" | "reason">;
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

function resourceTypeOf(v: unknown): ResourceType {
  if (v === undefined || v === "User") return "User";
  if (v === "Group") return "Group";
  throw new BridgeError("SCIM_INVALID_VALUE", 'type must be "User" (the default) or "Group"');
}

export function adminRouter(opts: AdminOptions): Router {
  const router = Router();
  const db = opts.directory.db;
  const tokens = opts.tokens;
  router.use(
    adminAuth({
      credentials: opts.credentials ?? (() => adminCredentials([], tokens?.() ?? [])),
      limiter: opts.authLimiter,
      failures: opts.authFailures,
    }),
  );
  const jobs = { db, targets: opts.targets, kick: opts.kick };
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
    if (id === undefined)
      throw new BridgeError("SCIM_NOT_FOUND", `No job ${excerpt(req.params.id)}; job ids are integers`);
    const done = await retryJob(jobs, operatorOf(res), id);
    if (!done.value) throw new BridgeError("SCIM_NOT_FOUND", done.message ?? `No dead job ${id}`);
    res.json({ retried: id });
  });

  router.post("/jobs/retry", async (req, res) => {
    const text = (v: unknown, field: string) => {
      if (v === undefined || v === null || v === "") return undefined;
      if (typeof v !== "string") throw new BridgeError("SCIM_INVALID_VALUE", `${field} must be text`);
      return v;
    };
    const target = text(req.body?.target, "target");
    const code = text(req.body?.code, "code");
    const done = await retryAll(jobs, operatorOf(res), {
      ...(target ? { target } : {}),
      ...(code ? { code } : {}),
    });
    res.json({ retried: done.value });
  });

  router.post("/resources/:id/retry", async (req, res) => {
    const id = resourceIdOf(req.params.id, "id")!;
    const type = resourceTypeOf(req.body?.type);
    const done = await retryResource(jobs, operatorOf(res), type, id);
    res.json({ resourceId: id, targets: done.value });
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
    const ids = Array.isArray(req.body?.ids) ? (req.body.ids as unknown[]).map(Number) : undefined;
    if (ids?.some((id) => !Number.isSafeInteger(id))) {
      throw new BridgeError(
        "SCIM_INVALID_VALUE",
        "ids must be a list of job ids (integers) from GET /admin/held",
      );
    }
    const released = (await releaseHeld(jobs, operatorOf(res), name, ids)).value;
    res.json({ target: name, released });
  });

  router.get("/resources/:id/status", async (req, res) => {
    res.json({ links: await linksFor(db, [resourceIdOf(req.params.id, "id")!]) });
  });

  router.get("/resources/:id/log", async (req, res) => {
    const before = integerInput("before (the older of the page before)", req.query.before, { min: 1 });
    const request =
      typeof req.query.request === "string" && req.query.request ? req.query.request : undefined;
    res.json(await readPersonLog(db, resourceIdOf(req.params.id, "id")!, { before, requestId: request }));
  });

  router.get("/audit", async (req, res) => {
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    const resourceId = resourceIdOf(req.query.resourceId, "resourceId");
    res.json({ events: await queryAudit(db, resourceId ? { resourceIds: [resourceId] } : {}, { limit }) });
  });

  opts.extend?.(router);
  return router;
}

/**
 * Reconcile, import and provision now on the admin API, mounted through `extend` (they need the sync
 * dependencies): POST /reconcile {target, apply}, POST /import {from, apply, includeInactive},
 * POST /resources/:id/provision {target, type}, and GET /deliveries?since=&target= for what they queued.
 * Each answer carries `mark`, the first outbox job id the call could have queued, for /deliveries.
 */
export function reconcileAdminRoutes(router: Router, deps: ActionDeps) {
  const flag = (v: unknown) => v === true || v === "true";
  const name = (v: unknown, field: string) => {
    if (typeof v !== "string" || !v)
      throw new BridgeError("SCIM_INVALID_VALUE", `${field} (a target name) is required`);
    return v;
  };
  router.post("/reconcile", async (req, res) => {
    const run = await startReconcile(deps, operatorOf(res), {
      target: name(req.body?.target, "target"),
      apply: flag(req.body?.apply),
    });
    res.json({ ...(await run.finished), mark: run.mark });
  });
  router.post("/import", async (req, res) => {
    const run = await startImport(deps, operatorOf(res), {
      from: name(req.body?.from, "from"),
      apply: flag(req.body?.apply),
      includeInactive: flag(req.body?.includeInactive),
    });
    res.json({ ...(await run.finished), mark: run.mark });
  });
  router.post("/resources/:id/provision", async (req, res) => {
    const id = resourceIdOf(req.params.id, "id")!;
    const done = await provisionNow(
      deps,
      operatorOf(res),
      resourceTypeOf(req.body?.type),
      id,
      name(req.body?.target, "target"),
    );
    if (!done.value.queued) throw new BridgeError("SCIM_INVALID_VALUE", done.message ?? "Nothing was sent");
    res.json({ resourceId: id, name: nameOf(done.value.view), target: req.body.target, queued: true });
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
