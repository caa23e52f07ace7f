// Assembles the Express app: security headers, request ids and logs, metrics, health, and the SCIM API.
import { randomUUID } from "node:crypto";
import express, { type Express, type Request, type RequestHandler, type Response } from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";
import type { Logger } from "pino";
import type { Directory } from "../directory/index.ts";
import { BridgeError } from "../errors.ts";
import { declareBridgeSchemas } from "../schemas.ts";
import { discoveryRouter } from "../scim/discovery.ts";
import { type ScimRouteOptions, scimResourceRoutes } from "../scim/routes.ts";
import { pingStore, writeAudit } from "../store/index.ts";
import { AuthFailureLimiter, type NamedToken } from "./auth.ts";
import { chain } from "./chain.ts";
import { edgeValidation } from "./edge.ts";
import { clientError, notFoundHandler, scimErrorHandler } from "./errors.ts";
import { createHttpMetrics, type HttpMetrics } from "./metrics.ts";
import { authFailureCounter, CredentialSet, ScimAuth } from "./scim-auth/index.ts";
import { scimAuthentication, scimBulkPermissions, scimPermissions } from "./scim-auth/middleware.ts";
import { tokenEndpoint } from "./scim-auth/token-endpoint.ts";

export interface AppOptions {
  directory: Directory;
  logger: Logger;
  /** Bearer tokens with write permission (SCIM_BEARER_TOKEN(S)); ignored when `scimAuth` is given. */
  tokens: () => NamedToken[];
  /** Every SCIM credential (auth.scim and the bearer tokens); serves /oauth/token when one is clientCredentials. */
  scimAuth?: ScimAuth;
  bodyLimit: string;
  rateLimitPerMinute: number;
  /** Failed authentications per client address and minute, shared with the admin API (default 30). */
  authLimiter?: AuthFailureLimiter;
  filterMaxResults: number;
  publicUrl?: string;
  trustProxy?: boolean;
  metrics?: HttpMetrics;
  afterWrite?: ScimRouteOptions["afterWrite"];
  /** The most a write may wait for `afterWrite` when the client sends `Prefer: wait=N`. */
  maxWaitMs?: number;
  statusEnabled?: boolean;
  /** Counts the SCIM requests in flight, so that background work can give way to them. */
  foreground?: { enter(): () => void };
  /** Extra routers mounted before the 404 handler (e.g. the admin API). */
  mount?: (app: Express) => void;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * helmet's headers, worked out once: they depend on nothing in the request (no nonce), so its dozen middlewares
 * need not run for each one (about 1% of a GET by id's CPU, profiled). Fails at startup if helmet ever needs the
 * request or answers later.
 */
function fixedHeaders(options: Parameters<typeof helmet>[0]): RequestHandler {
  const set: [string, string][] = [];
  const removed: string[] = [];
  let done = false;
  const capture = {
    setHeader: (name: string, value: unknown) => set.push([name, String(value)]),
    removeHeader: (name: string) => removed.push(name),
  };
  helmet(options)({} as Request, capture as unknown as Response, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  if (!done) throw new Error("helmet did not answer synchronously: its headers cannot be fixed once");
  return (_req, res, next) => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}

export function createApp(opts: AppOptions): Express {
  // A no-op when the bridge already declared them; tests and benches build the app without a bridge.
  declareBridgeSchemas();
  const app = express();
  app.disable("x-powered-by");
  // Express's own body-hash ETag would disagree with meta.version; we set ETags ourselves.
  app.set("etag", false);
  app.set("trust proxy", opts.trustProxy ?? false);
  const metrics = opts.metrics ?? createHttpMetrics();
  const scimAuth =
    opts.scimAuth ?? new ScimAuth({ credentials: new CredentialSet([], opts.tokens()), configs: [] });
  const authLimiter = opts.authLimiter ?? new AuthFailureLimiter(30);
  const authFailures = authFailureCounter(metrics.registry);

  // Request id and one access-log line per request (method, path, status, time; never headers or bodies, which
  // carry tokens and passwords). Written by hand rather than with pino-http: this runs on every request and
  // pino-http costs ~8% of a small request even with logging off.
  const access = opts.logger.isLevelEnabled("info");
  const requestLog: RequestHandler = (req, res, next) => {
    const given = req.headers["x-request-id"];
    const id = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader("X-Request-Id", id);
    res.locals.requestId = id;
    res.locals.logger = opts.logger;
    if (access && !QUIET_PATHS.has(req.path)) {
      const start = process.hrtime.bigint();
      res.once("finish", () => {
        const responseTime = Math.round(Number(process.hrtime.bigint() - start) / 1e5) / 10;
        const entry = {
          req: { id, method: req.method, url: req.originalUrl.split("?")[0] },
          res: { statusCode: res.statusCode },
          responseTime,
        };
        if (res.statusCode >= 500) opts.logger.error(entry, "request failed");
        else opts.logger.info(entry, "request completed");
      });
    }
    next();
  };
  // The console's pages load script and style from 'self' only: no inline code, no eval, no CDN.
  // upgrade-insecure-requests is off because the bridge is often reached over plain HTTP on an internal host.
  const securityHeaders = fixedHeaders({
    contentSecurityPolicy: {
      directives: {
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "upgrade-insecure-requests": null,
      },
    },
  });
  app.use(chain([requestLog, securityHeaders, metrics.middleware]));

  // The SCIM API, first: the requests IdPs send all day. The door every SCIM request passes, in order, then
  // /Users and /Groups, as one layer (./chain.ts): no router of their own to walk.
  const foreground = opts.foreground;
  const baseUrl = (req: Request) =>
    opts.publicUrl
      ? `${opts.publicUrl.replace(/\/$/, "")}/scim/v2`
      : `${req.protocol}://${req.get("host")}/scim/v2`;
  const { resources, others } = scimResourceRoutes({
    directory: opts.directory,
    clientError,
    maxResults: opts.filterMaxResults,
    baseUrl,
    ...(opts.afterWrite ? { afterWrite: opts.afterWrite } : {}),
    ...(opts.maxWaitMs !== undefined ? { maxWaitMs: opts.maxWaitMs } : {}),
    ...(opts.statusEnabled !== undefined ? { statusEnabled: opts.statusEnabled } : {}),
  });
  app.use(
    "/scim/v2",
    chain([
      scimAuthentication({ auth: scimAuth, limiter: authLimiter, failures: authFailures }),
      scimPermissions(authFailures),
      // Counted after authentication: a stranger's requests must not slow deliveries down.
      ...(foreground
        ? [
            ((_req, res, next) => {
              res.once("close", foreground.enter());
              next();
            }) satisfies RequestHandler,
          ]
        : []),
      rateLimit({
        windowMs: 60_000,
        limit: opts.rateLimitPerMinute,
        standardHeaders: "draft-7",
        legacyHeaders: false,
        keyGenerator: (_req, res) => String(res.locals.actor),
        handler: (req, _res, next) => {
          const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
          const seconds = Math.max(
            1,
            Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000),
          );
          next(
            new BridgeError(
              "SCIM_RATE_LIMITED",
              `Too many requests for this token (limit ${opts.rateLimitPerMinute} per minute); retry after ${seconds} s`,
              { "Retry-After": String(seconds) },
            ),
          );
        },
      }),
      express.json({
        limit: opts.bodyLimit,
        type: ["application/json", "application/scim+json", "application/*+json"],
      }),
      scimBulkPermissions(authFailures),
      edgeValidation({
        repeatable: ["attributes", "excludedAttributes"],
        stringsCheckedLater: (req) => req.method === "POST" && /^\/Bulk\/?$/i.test(req.path),
      }),
      resources,
    ]),
    others,
    discoveryRouter({
      directory: opts.directory,
      baseUrl,
      filterMaxResults: opts.filterMaxResults,
      authenticationSchemes: scimAuth.authenticationSchemes(),
    }),
    notFoundHandler,
  );

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    try {
      await pingStore(opts.directory.db);
      res.json({ status: "ready", store: opts.directory.db.kind });
    } catch {
      res.status(503).json({ status: "unavailable", store: opts.directory.db.kind });
    }
  });
  app.get("/metrics", async (_req, res) => {
    res.setHeader("Content-Type", metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });

  if (scimAuth.tokenKeys)
    app.use(
      "/oauth/token",
      tokenEndpoint({
        auth: scimAuth,
        limiter: authLimiter,
        failures: authFailures,
        audit: (record) => writeAudit(opts.directory.db, [record]),
      }),
    );

  opts.mount?.(app);
  app.use(notFoundHandler);
  app.use(scimErrorHandler);
  return app;
}
