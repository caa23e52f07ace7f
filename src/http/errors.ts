// Every failure a client sees is a SCIM error body (RFC 7644 §3.12) with application/scim+json: never HTML, never
// a stack trace. Unknown failures are logged with the request id and answered with a generic 500.
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import { BridgeError, loggableError } from "../errors.ts";
import { scimErrorBody, toBridgeError } from "../scim/errors.ts";

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

/** What a 401 answers when its door names no schemes of its own (the SCIM door names the configured ones). */
export const BEARER_CHALLENGE = 'Bearer realm="scim-bridge"';

/**
 * The error a client gets for `err`. An unexpected one (a bug, the store unreachable) is logged with the request id
 * (and `context`, e.g. which Bulk operation), and its detail names the request id so the log entry can be found.
 */
export function clientError(err: unknown, req: Request, res: Response, context?: object): BridgeError {
  const e = toBridgeError(err);
  const requestId = res.locals.requestId as string | undefined;
  if (e.code === "INTERNAL" || e.code === "STORE_TIMEOUT" || e.code === "STORE_UNAVAILABLE") {
    const entry = {
      err: loggableError(err),
      req: { id: requestId, method: req.method, url: req.originalUrl.split("?")[0] },
      ...context,
    };
    const logger = res.locals.logger as Logger | undefined;
    if (e.code === "INTERNAL") logger?.error(entry, "unhandled error");
    else logger?.warn(entry, "store error");
  }
  return e.status >= 500 && requestId
    ? new BridgeError(e.code, `${e.message} (request id ${requestId})`, e.headers)
    : e;
}

export const scimErrorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const e = clientError(err, req, res);
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  if (e.status === 401 && !res.hasHeader("WWW-Authenticate"))
    res.setHeader("WWW-Authenticate", BEARER_CHALLENGE);
  res.status(e.status).setHeader("Content-Type", SCIM_CONTENT_TYPE);
  res.end(JSON.stringify(scimErrorBody(e.status, e.message, e.scimType)));
};

export const notFoundHandler: RequestHandler = (req) => {
  throw new BridgeError("SCIM_NOT_FOUND", `No endpoint at ${req.method} ${req.originalUrl.split("?")[0]}`);
};
