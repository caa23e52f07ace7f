// A person's provisioning log, as Entra's: the audit rows of one user or group, grouped by the request they came
// from (the IdP's SCIM write with its credential and request id, or an operator's action), each followed by what
// every target did with it: pre-flight, match, action, result, and what to do. Read by the console and the admin API.
import { type AuditRow, type Queryable, queryAudit } from "../store/index.ts";
import type { DeliverySteps } from "../sync/record-decision.ts";
import { whatToDo } from "./console/advice.ts";

/** One target's attempt at a request's change (a `target.deliver` or `target.preflight` row). */
export interface LogAttempt {
  auditId: number;
  at: Date;
  /** synced, retry (tried again later) or failed. */
  outcome: string;
  operation: string | null;
  /** passed, skipped (a deactivation is never judged), failed (refused: the target was not called) or null (none). */
  preflight: string | null;
  /** The attributes a failed pre-flight names. */
  fields: string[];
  match: { by: string; targetId: string | null } | null;
  action: string | null;
  code: string | null;
  message: string | null;
  /** The one-line detail as the audit shows it. */
  detail: string;
  /** What an admin can do about a failure or a retry; null when it went through. */
  whatToDo: string | null;
}

/** The request an event came from: a SCIM write (actor = the credential's name) or an operator's action. */
export interface LogOrigin {
  auditId: number;
  at: Date;
  action: string;
  actor: string | null;
  source: string | null;
  outcome: string;
  detail: unknown;
}

export interface LogRequest {
  /** Null for an event without a request (a row written before request ids, a background run). */
  requestId: string | null;
  /** The newest event's time: requests are listed newest first. */
  at: Date;
  origins: LogOrigin[];
  targets: { target: string; attempts: LogAttempt[] }[];
}

export interface PersonLog {
  requests: LogRequest[];
  /** The audit id to pass as `before` for the next (older) page; null on the last page. */
  older: number | null;
}

/** Rows per page: a person with thousands of events is read a page at a time (keyset on (at, id)). */
export const LOG_PAGE = 100;

const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);

/** "CODE: message" as the audit's one-line detail gives a failure. */
function splitDetail(detail: string): { code: string | null; message: string | null } {
  const m = /^([A-Za-z0-9_.-]+): ([\s\S]*)$/.exec(detail);
  return m ? { code: m[1]!, message: m[2]! } : { code: null, message: null };
}

function attemptOf(r: AuditRow): LogAttempt {
  const d = (r.detail ?? {}) as DeliverySteps & { detail?: unknown; fields?: unknown };
  const detail = text(d.detail) ?? "";
  const failedAnswer = r.outcome !== "synced" ? splitDetail(detail) : { code: null, message: null };
  const code = text(d.code) ?? failedAnswer.code;
  const state = r.outcome === "retry" ? "pending" : r.outcome;
  return {
    auditId: r.id,
    at: r.at,
    outcome: r.outcome,
    operation: text(d.operation),
    preflight: r.action === "target.preflight" ? r.outcome : (text(d.preflight) ?? null),
    fields: Array.isArray(d.fields) ? d.fields.map(String) : [],
    match: d.match ? { by: String(d.match.by), targetId: text(d.match.targetId) } : null,
    action: text(d.action),
    code,
    message: text(d.message) ?? failedAnswer.message,
    detail,
    whatToDo: r.outcome === "synced" ? null : whatToDo({ state, errorCode: code }),
  };
}

/** Groups audit rows (newest first) by request: requests newest first, the steps within each oldest first. */
export function timeline(rows: readonly AuditRow[]): LogRequest[] {
  const byRequest = new Map<string, LogRequest>();
  const out: LogRequest[] = [];
  for (const r of rows) {
    const key = r.requestId ?? `row ${r.id}`;
    let req = byRequest.get(key);
    if (!req) {
      req = { requestId: r.requestId, at: r.at, origins: [], targets: [] };
      byRequest.set(key, req);
      out.push(req);
    }
    if (r.action.startsWith("target.") && r.target) {
      let t = req.targets.find((x) => x.target === r.target);
      if (!t) {
        t = { target: r.target, attempts: [] };
        req.targets.push(t);
      }
      t.attempts.unshift(attemptOf(r));
    } else
      req.origins.unshift({
        auditId: r.id,
        at: r.at,
        action: r.action,
        actor: r.actor,
        source: r.source,
        outcome: r.outcome,
        detail: r.detail,
      });
  }
  for (const req of out) req.targets.sort((a, b) => a.target.localeCompare(b.target));
  return out;
}

/**
 * A page of the person's log: up to LOG_PAGE events older than audit id `before`, or only those of one request (the
 * page "provision now" answers with). A request whose events straddle two pages shows on both.
 */
export async function readPersonLog(
  q: Queryable,
  id: string,
  opts: { before?: number | undefined; requestId?: string | undefined } = {},
): Promise<PersonLog> {
  const rows = await queryAudit(
    q,
    { resourceIds: [id], ...(opts.requestId ? { requestId: opts.requestId } : {}) },
    { before: opts.before, limit: LOG_PAGE + 1 },
  );
  const page = rows.slice(0, LOG_PAGE);
  return { requests: timeline(page), older: rows.length > LOG_PAGE ? page.at(-1)!.id : null };
}
