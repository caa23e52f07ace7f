/**
 * Tableau's error vocabulary. A code is HTTP status × 1000 + sub-code and travels as a string.
 * Codes come from the REST reference's per-method error tables.
 */
export class TableauApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly summary: string;
  readonly detail: string;
  /** Extra response headers (Retry-After on 429). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    summary: string,
    detail: string,
    headers: Record<string, string> = {},
  ) {
    super(`${code} ${summary}: ${detail}`);
    this.status = status;
    this.code = code;
    this.summary = summary;
    this.detail = detail;
    this.headers = headers;
  }
}

const e = (status: number, code: string, summary: string) => (detail: string) =>
  new TableauApiError(status, code, summary, detail);

export const badRequest = e(400, "400000", "Bad Request");
export const invalidAuthSetting = e(400, "400003", "Bad Request");
export const invalidPageNumber = e(400, "400006", "Invalid page number");
export const invalidPageSize = e(400, "400007", "Invalid page size");
export const invalidSiteRole = e(400, "400013", "Invalid site role");
export const noCredentials = () =>
  new TableauApiError(401, "401000", "Unauthorized Access", "No authentication credentials were provided");
export const signInError = e(401, "401001", "Signin Error");
export const invalidCredentials = () =>
  new TableauApiError(
    401,
    "401002",
    "Unauthorized Access",
    "Invalid authentication credentials were provided.",
  );
export const forbidden = e(403, "403000", "Forbidden");
export const pageSizeLimitExceeded = () =>
  new TableauApiError(
    403,
    "403014",
    "Page size limit exceeded",
    "The specified page size is larger than the maximum page size",
  );
export const siteNotFound = (id: string) =>
  new TableauApiError(404, "404000", "Resource Not Found", `Site '${id}' could not be found.`);
export const userNotFound = (id: string) =>
  new TableauApiError(404, "404002", "Resource Not Found", `User '${id}' could not be found.`);
export const groupNotFound = (id: string) =>
  new TableauApiError(404, "404012", "Resource Not Found", `Group '${id}' could not be found.`);
export const resourceNotFound = e(404, "404001", "Resource Not Found");
export const methodNotAllowed = e(405, "405000", "Invalid request method");
export const userOwnsContent = e(409, "409003", "User asset conflict");
export const groupNameConflict = e(409, "409009", "Conflict");
export const alreadyMember = e(409, "409011", "Conflict");
export const licensingConflict = e(409, "409014", "Licensing conflict");
export const userNameConflict = e(409, "409017", "Conflict");
export const tooManyRequests = (retryAfterS: number) =>
  new TableauApiError(
    429,
    "429000",
    "Too Many Requests",
    `Too many requests. Please retry after ${retryAfterS} seconds.`,
    { "Retry-After": String(retryAfterS) },
  );
export const internalError = () =>
  new TableauApiError(
    500,
    "500000",
    "Internal Server Error",
    "An unexpected error occurred (injected fault).",
  );

/** A feature the API version in the path does not have yet. */
export function versionTooLow(feature: string, needed: string, used: string): TableauApiError {
  return badRequest(`${feature} requires REST API version ${needed} or later; the request used ${used}.`);
}
