// The one registry of error codes. Callers branch on `code`, never on message text; the HTTP layer turns each
// into a SCIM error body with the status and scimType listed here.

export const ERRORS = {
  // Client errors on the SCIM surface
  SCIM_INVALID_SYNTAX: { status: 400, scimType: "invalidSyntax" },
  SCIM_INVALID_VALUE: { status: 400, scimType: "invalidValue" },
  SCIM_INVALID_FILTER: { status: 400, scimType: "invalidFilter" },
  SCIM_INVALID_PATH: { status: 400, scimType: "invalidPath" },
  /** RFC 9865: a cursor this server did not give for this query. */
  SCIM_INVALID_CURSOR: { status: 400, scimType: "invalidCursor" },
  SCIM_NO_TARGET: { status: 400, scimType: "noTarget" },
  SCIM_MUTABILITY: { status: 400, scimType: "mutability" },
  SCIM_TOO_MANY: { status: 400, scimType: "tooMany" },
  SCIM_INVALID_VERSION: { status: 400, scimType: "invalidVers" },
  SCIM_UNAUTHORIZED: { status: 401, scimType: undefined },
  SCIM_FORBIDDEN: { status: 403, scimType: undefined },
  SCIM_NOT_FOUND: { status: 404, scimType: undefined },
  SCIM_METHOD_NOT_ALLOWED: { status: 405, scimType: undefined },
  SCIM_NOT_ACCEPTABLE: { status: 406, scimType: undefined },
  SCIM_UNIQUENESS: { status: 409, scimType: "uniqueness" },
  SCIM_PRECONDITION_FAILED: { status: 412, scimType: undefined },
  SCIM_PAYLOAD_TOO_LARGE: { status: 413, scimType: undefined },
  SCIM_HEADERS_TOO_LARGE: { status: 431, scimType: undefined },
  SCIM_EXPECTATION_FAILED: { status: 417, scimType: undefined },
  SCIM_REQUEST_TIMEOUT: { status: 408, scimType: undefined },
  SCIM_UNSUPPORTED_MEDIA_TYPE: { status: 415, scimType: undefined },
  SCIM_RATE_LIMITED: { status: 429, scimType: undefined },
  SCIM_NOT_IMPLEMENTED: { status: 501, scimType: undefined },
  // A write a target would certainly reject: refused before anything is stored.
  MAPPING_REQUIRED_FIELD: { status: 400, scimType: "invalidValue" },
  MAPPING_INVALID_FIELD: { status: 400, scimType: "invalidValue" },
  // Our own failures
  STORE_UNAVAILABLE: { status: 503, scimType: undefined },
  /** PostgreSQL cancelled a statement that ran past statement_timeout. */
  STORE_TIMEOUT: { status: 503, scimType: undefined },
  /** A JWT issuer's keys could not be fetched (its discovery or JWKS endpoint is down): retry later. */
  AUTH_KEYS_UNAVAILABLE: { status: 503, scimType: undefined },
  INTERNAL: { status: 500, scimType: undefined },
} as const satisfies Record<string, { status: number; scimType: string | undefined }>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * Codes the bridge gives a delivery outcome (job `lastErrorCode`, link `errorCode`) when the target's own code does
 * not apply; a target's own code (`DUPLICATE_USERNAME`, `409017`) is always kept as it is (a VendorCode), and each
 * target kind lists the codes it invents in its own codes.ts (see targets/codes.ts). Each says what it means.
 */
export const DELIVERY_ERRORS = {
  TARGET_NETWORK_ERROR: "no answer: the connection was refused or reset, or the name did not resolve",
  TARGET_TIMEOUT: "no answer within the target's timeoutMs",
  TARGET_UNAVAILABLE: "the target or a gateway in front of it answered 5xx or 408 without a code of its own",
  TARGET_RATE_LIMITED: "the target answered 429; retried after its Retry-After",
  TARGET_CREDENTIALS_REJECTED:
    "the target refused the bridge's credentials (the vendor's code is in the message); work waits, the target shows unhealthy",
  TARGET_SIGNIN_REFUSED:
    "the target refused a sign-in with credentials that worked lately; retried with the usual backoff, and parked as TARGET_CREDENTIALS_REJECTED only when refusals go on",
  TARGET_SESSION_LOST:
    "the target ended a session right after a fresh sign-in (another process signing in with the same credentials)",
  TARGET_ERROR:
    "the target's client failed in an unexpected way; retried, and dead after the attempts run out",
  TARGET_NO_RESULT: "the target's answer had no result for this record",
  NOT_APPLIED: "the batch ended before this operation was reached",
  WAITING_FOR_MEMBERS: "a group waits for its members' own provisioning in this target",
  CLAIM_LOST:
    "another worker took this job over (this one outlived its lease); it delivers the current state",
  MAPPING_ERROR: "the mapping could not be evaluated for this user",
  // Pre-flight (shared by the kinds' mappings), named after the Salesforce code each foresees.
  REQUIRED_FIELD_MISSING: "pre-flight: a field the target requires is empty after mapping",
  STRING_TOO_LONG: "pre-flight: a mapped value is longer than the target's field allows",
  INVALID_EMAIL_ADDRESS: "pre-flight: a mapped email field is not an email address",
} as const;

export type DeliveryCode = keyof typeof DELIVERY_ERRORS;

export class BridgeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly scimType: string | undefined;
  /** Extra response headers, e.g. Retry-After on 429. */
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, detail: string, headers: Record<string, string> = {}) {
    super(detail);
    this.name = "BridgeError";
    this.code = code;
    this.status = ERRORS[code].status;
    this.scimType = ERRORS[code].scimType;
    this.headers = headers;
  }
}

export const isBridgeError = (e: unknown): e is BridgeError => e instanceof BridgeError;

/**
 * What the JavaScript engine says when code (ours or a library's) misbehaves: "Cannot read properties of undefined",
 * "object is not extensible". Such a message describes a bug, not the request, so it is never a client's answer.
 */
const ENGINE_MESSAGE =
  /\bCannot (?:add|read|set|convert|destructure|assign|define|delete|create|access) |\bis not (?:a function|iterable|extensible|a constructor|defined)\b|\b(?:undefined|null) (?:or null )?to object\b|\bof (?:undefined|null)\b/i;
export const isEngineMessage = (message: string) => ENGINE_MESSAGE.test(message);

/**
 * Client input as shown in an error detail: JSON-quoted (so control characters are escaped) and cut to a short
 * excerpt, so a detail never echoes a long value (or a password) back.
 */
/** Longest `detail` a SCIM error body carries: longer ones are cut (src/scim/errors.ts). */
export const MAX_DETAIL_LENGTH = 500;

export function excerpt(value: unknown, max = 40): string {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * An error as it may be logged: database errors carry the failed statement's parameters (PGlite) and messages or
 * details that quote values (`Key (lower(user_name))=(alice) already exists`), which are user attributes. Only
 * the class, SQLSTATE and the message with quoted parts blanked are kept; stack frames stay for our own bugs.
 */
export function loggableError(err: unknown): Record<string, unknown> {
  const e = (err ?? {}) as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown };
  const redact = (text: string) =>
    text.replace(/"[^"]*"|'[^']*'|\(([^()]*)\)=\([^)]*\)/g, (m) =>
      m.startsWith("(") ? "(…)=(…)" : `${m[0]}…${m[0]}`,
    );
  const message = typeof e.message === "string" ? redact(e.message) : undefined;
  const frames =
    typeof e.stack === "string"
      ? e.stack
          .split("\n")
          .filter((line) => /^\s+at /.test(line))
          .join("\n")
      : undefined;
  return {
    type: typeof e.name === "string" ? e.name : typeof err,
    ...(typeof e.code === "string" ? { code: e.code } : {}),
    ...(message ? { message } : {}),
    ...(frames ? { stack: frames } : {}),
  };
}
