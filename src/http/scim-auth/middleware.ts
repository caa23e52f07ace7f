// The SCIM door as Express middleware: authentication (401, or 403 outside the allow-list) before anything else under
// /scim/v2, and permissions (403) once the caller is known. Refusals are SCIM error bodies; nothing is stored.
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import { BridgeError } from "../../errors.ts";
import type { AuthFailureLimiter } from "../auth.ts";
import type { ScimCredential } from "./credentials.ts";
import type { ScimAuth } from "./index.ts";
import { permits, permitsBulk } from "./permissions.ts";
import { type AuthFailures, type AuthRefusal, recordFailure } from "./refusal.ts";

const CODE = { 401: "SCIM_UNAUTHORIZED", 403: "SCIM_FORBIDDEN", 503: "AUTH_KEYS_UNAVAILABLE" } as const;

const asError = (r: AuthRefusal, extra?: Record<string, string>) =>
  new BridgeError(CODE[r.status], r.detail, extra);

export function scimAuthentication(opts: {
  auth: ScimAuth;
  limiter: AuthFailureLimiter;
  failures: AuthFailures;
}): RequestHandler {
  return (req, res, next) => {
    opts.auth.authenticate(req.get("authorization"), req.ip).then((a) => {
      if ("credential" in a && !("refused" in a)) {
        res.locals.actor = a.credential.name;
        res.locals.credential = a.credential;
        return next();
      }
      const { refused } = a;
      recordFailure(
        opts.failures,
        res.locals.logger as Logger | undefined,
        req,
        "scim",
        refused,
        a.credential,
      );
      // Guessing is slowed per address; a caller holding a valid credential (refused for its address) is not counted.
      if (refused.status === 401) {
        const wait = opts.limiter.fail(req.ip ?? req.socket.remoteAddress ?? "unknown");
        if (wait !== undefined)
          return next(
            new BridgeError(
              "SCIM_RATE_LIMITED",
              `Too many failed authentications from this address (limit ${opts.limiter.perMinute} per minute); retry after ${wait} s`,
              { "Retry-After": String(wait) },
            ),
          );
      }
      next(
        asError(
          refused,
          refused.status === 503
            ? { "Retry-After": "60" }
            : refused.status === 401
              ? { "WWW-Authenticate": opts.auth.challenge() }
              : undefined,
        ),
      );
    }, next);
  };
}

/** Method and path permissions (before the body is read). */
export function scimPermissions(failures: AuthFailures): RequestHandler {
  return (req, res, next) => {
    const c = res.locals.credential as ScimCredential | undefined;
    const r = c ? permits(c, req.method, req.path) : undefined;
    if (!r) return next();
    recordFailure(failures, res.locals.logger as Logger | undefined, req, "scim", r, c!.name);
    next(asError(r));
  };
}

/** A type-limited credential's POST /Bulk: every operation's path (after the body is parsed). */
export function scimBulkPermissions(failures: AuthFailures): RequestHandler {
  return (req, res, next) => {
    const c = res.locals.credential as ScimCredential | undefined;
    const r =
      c && req.method === "POST" && /^\/Bulk\/?$/i.test(req.path) ? permitsBulk(c, req.body) : undefined;
    if (!r) return next();
    recordFailure(failures, res.locals.logger as Logger | undefined, req, "scim", r, c!.name);
    next(asError(r));
  };
}
