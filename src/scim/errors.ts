// Any failure as a SCIM error (RFC 7644 §3.12): a BridgeError with status and scimType, rendered as an error body.
// Used by the HTTP error handler and by /Bulk, where each operation's failure is that operation's response.
import { BridgeError, isEngineMessage, MAX_DETAIL_LENGTH } from "../errors.ts";
import { isStoreUnavailable } from "../store/index.ts";
import { ERROR_SCHEMA } from "./schemas.ts";

/** Longest detail sent: a message that quotes client input (a library's, say) is cut rather than echoed whole. */
const MAX_DETAIL = MAX_DETAIL_LENGTH;

export function scimErrorBody(status: number, detail: string, scimType?: string) {
  const shown = detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}…` : detail;
  return {
    schemas: [ERROR_SCHEMA],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail: shown,
  };
}

/** Where in the body JSON.parse stopped, from its message, without the excerpt of the body it also quotes. */
function parsePosition(message: string | undefined): string {
  const m = /position (\d+)/.exec(message ?? "");
  return m ? ` (at character ${Number(m[1]) + 1})` : "";
}

/** Body-parser, router and other well-known library errors, by their `type` or their 4xx status. */
function fromLibraryError(e: {
  type?: string;
  expose?: boolean;
  status?: number;
  statusCode?: number;
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
      // The parser's message quotes part of the body, which may be a password: only the position is kept.
      return new BridgeError(
        "SCIM_INVALID_SYNTAX",
        `The request body is not valid JSON${parsePosition(e.message)}`,
      );
    case "encoding.unsupported":
    case "charset.unsupported":
      return new BridgeError("SCIM_UNSUPPORTED_MEDIA_TYPE", e.message ?? "Unsupported body encoding");
    case "request.aborted":
      return new BridgeError("SCIM_INVALID_SYNTAX", "The request was aborted by the client");
  }
  const status = e.status ?? e.statusCode;
  if (e instanceof URIError && status === 400) {
    return new BridgeError("SCIM_INVALID_SYNTAX", "The URL path is not validly percent-encoded");
  }
  if (e.expose !== true || typeof status !== "number" || status < 400 || status >= 500) return undefined;
  // Any other library 4xx (a body that says gzip but is not, a bad length): the client's mistake, never a 500.
  if (status === 413) return new BridgeError("SCIM_PAYLOAD_TOO_LARGE", "The request body is too large");
  if (status === 415)
    return new BridgeError("SCIM_UNSUPPORTED_MEDIA_TYPE", "Unsupported request body encoding");
  return new BridgeError(
    "SCIM_INVALID_SYNTAX",
    "The request body could not be read (check Content-Encoding and Content-Length)",
  );
}

/** Database failures that are not a bug: a statement cancelled by statement_timeout, a lost connection. */
function fromStoreError(e: { code?: unknown }): BridgeError | undefined {
  if (e?.code === "57014") {
    return new BridgeError(
      "STORE_TIMEOUT",
      "The database query took longer than the statement timeout and was cancelled; retry, or narrow the request",
      { "Retry-After": "1" },
    );
  }
  if (isStoreUnavailable(e)) {
    return new BridgeError("STORE_UNAVAILABLE", "The database is not reachable; retry later", {
      "Retry-After": "5",
    });
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
    const code =
      x.scimType === "invalidFilter"
        ? "SCIM_INVALID_FILTER"
        : x.scimType === "invalidPath"
          ? "SCIM_INVALID_PATH"
          : "SCIM_INVALID_VALUE";
    return new BridgeError(code, x.message ?? "Invalid request");
  }
  return undefined;
}

export function toBridgeError(e: unknown): BridgeError {
  if (e instanceof BridgeError) return e;
  return (
    fromTypedError(e) ??
    fromLibraryError(e as never) ??
    fromStoreError(e as never) ??
    new BridgeError("INTERNAL", "The server could not complete the request; the error is logged")
  );
}
