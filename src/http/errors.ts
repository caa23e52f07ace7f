// Every failure a client sees is a SCIM error body (RFC 7644 §3.12) with application/scim+json: never HTML, never
// a stack trace. Unknown failures are logged with the request id and answered with a generic 500.
import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "pino";
import { BridgeError, isEngineMessage } from "../errors.ts";
import { ERROR_SCHEMA } from "../scim/schemas.ts";

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

export function scimErrorBody(status: number, detail: string, scimType?: string) {
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/** Body-parser and other well-known library errors, by their `type`. */
function fromLibraryError(e: {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
}): BridgeError | undefined {
  switch (e.type) {
    case "entity.too.large":
      return new BridgeError(
        "SCIM_PAYLOAD_TOO_LARGE",
        `The request body is larger than the limit of ${e.limit} bytes`,
      );
    case "entity.parse.failed":
      return new BridgeError("SCIM_INVALID_SYNTAX", `The request body is not valid JSON: ${e.message}`);
    case "encoding.unsupported":
    case "charset.unsupported":
      return new BridgeError("SCIM_UNSUPPORTED_MEDIA_TYPE", e.message ?? "Unsupported body encoding");
    case "request.aborted":
      return new BridgeError("SCIM_INVALID_SYNTAX", "The request was aborted by the client");
  }
  return undefined;
}

/** Errors thrown by modules that carry their own SCIM status/scimType (e.g. the filter compiler). */
function fromTypedError(e: unknown): BridgeError | undefined {
  const x = e as { status?: unknown; scimType?: unknown; message?: string; name?: string };
  if (
    typeof x?.status === "number" &&
    x.status >= 400 &&
    x.status < 500 &&
    typeof x.scimType === "string" &&
    !isEngineMessage(x.message ?? "")
  ) {
    const code = x.scimType === "invalidFilter" ? "SCIM_INVALID_FILTER" : "SCIM_INVALID_VALUE";
    return new BridgeError(code, x.message ?? "Invalid request");
  }
  return undefined;
}

export function toBridgeError(e: unknown): BridgeError {
  if (e instanceof BridgeError) return e;
  return (
    fromLibraryError(e as never) ??
    fromTypedError(e) ??
    new BridgeError(
      "INTERNAL",
      "The server could not complete the request; the error is logged with this request's id",
    )
  );
}

export const scimErrorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const e = toBridgeError(err);
  if (e.code === "INTERNAL") {
    (res.locals.logger as Logger | undefined)?.error(
      { err, req: { id: res.locals.requestId, method: req.method, url: req.originalUrl.split("?")[0] } },
      "unhandled error",
    );
  }
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  if (e.status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="scim-bridge"');
  res.status(e.status).setHeader("Content-Type", SCIM_CONTENT_TYPE);
  res.end(JSON.stringify(scimErrorBody(e.status, e.message, e.scimType)));
};

export const notFoundHandler: RequestHandler = (req) => {
  throw new BridgeError("SCIM_NOT_FOUND", `No endpoint at ${req.method} ${req.originalUrl.split("?")[0]}`);
};
