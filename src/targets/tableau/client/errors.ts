import { redirectAdvice } from "../../shared/http.ts";
/** A failed Tableau call with Tableau's own error code (a string: HTTP status × 1000 + sub-code). */
export class TableauError extends Error {
  /** HTTP status; 0 when no response arrived (timeout, connection refused). */
  readonly status: number;
  readonly code: string;
  readonly summary: string;
  readonly detail: string;
  readonly headers: Headers;
  /**
   * "signin": the sign-in itself failed (a refusal there means wrong credentials, not a bad request);
   * "session-lost": the session ended again right after a fresh sign-in (another process on the same PAT).
   */
  phase: "signin" | "session-lost" | undefined;

  constructor(status: number, code: string, summary: string, detail: string, headers = new Headers()) {
    super(`${code} ${summary}${detail ? `: ${detail}` : ""}`);
    this.name = "TableauError";
    this.status = status;
    this.code = code;
    this.summary = summary;
    this.detail = detail;
    this.headers = headers;
  }
}

/** Codes meaning "it is already there", which idempotent operations treat as success. */
export const USER_EXISTS = new Set(["409017", "409000"]);
export const GROUP_EXISTS = "409009";
export const ALREADY_MEMBER = "409011";
/** Removing a user who owns content: Tableau leaves them Unlicensed and answers 409 (code not verified). */
export const USER_OWNS_CONTENT = "409003";

export function isNotFound(e: unknown): e is TableauError {
  return e instanceof TableauError && e.status === 404;
}

export function hasCode(e: unknown, ...codes: string[]): e is TableauError {
  return e instanceof TableauError && codes.includes(e.code);
}

/** Tableau's error body: JSON `{"error":{"code","summary","detail"}}`, or anything else on proxies. */
export function errorFromResponse(status: number, text: string, headers: Headers): TableauError {
  // A redirect (never followed) is answered with what to configure, not with whatever its body says.
  const redirect = redirectAdvice(status, headers, "Tableau", "serverUrl");
  if (redirect) return new TableauError(status, String(status * 1000), `HTTP ${status}`, redirect, headers);
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; summary?: unknown; detail?: unknown } };
    if (body.error) {
      return new TableauError(
        status,
        String(body.error.code ?? status * 1000),
        String(body.error.summary ?? ""),
        String(body.error.detail ?? ""),
        headers,
      );
    }
  } catch {
    // Not JSON: a gateway or load balancer answered; keep a short excerpt.
  }
  const xmlCode = /<error code="(\d+)"/.exec(text)?.[1];
  return new TableauError(
    status,
    xmlCode ?? String(status * 1000),
    `HTTP ${status}`,
    text.slice(0, 200),
    headers,
  );
}
