// The audit under the page's filter as a download: CSV (a header, RFC 4180 quoting, formula-leading cells defused)
// or NDJSON (one JSON object a line, so a reader can stream it too and a cut download is valid up to its last line).
// Rows are read in keyset batches and written as they come, waiting for the socket to drain: an export of 100,000
// rows holds one batch at a time.
import type { Request, Response, Router } from "express";
import { type AuditRow, auditBatches } from "../../store/index.ts";
import { auditFilter } from "./audit-filter.ts";
import type { ConsoleDeps } from "./context.ts";

export const EXPORT_BATCH = 1000;

export const CSV_COLUMNS = [
  "id",
  "at",
  "actor",
  "actor_subject",
  "source",
  "action",
  "resource_type",
  "resource_id",
  "user_name",
  "display_name",
  "deleted",
  "target",
  "outcome",
  "request_id",
  "detail",
] as const;

/** Keys never exported from an event's detail, whatever wrote them (the audit should hold none: defence in depth). */
const SECRET_KEY = /pass(word)?|secret|token|credential|private.?key|authorization|cookie/i;

export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? "[redacted]" : redact(v)]),
    );
  return value;
}

/** One CSV cell: quoted when it holds a comma, quote, CR or LF; a leading =, +, -, @, tab or CR is prefixed by '. */
export function csvCell(value: unknown): string {
  let s =
    value === null || value === undefined
      ? ""
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function record(r: AuditRow) {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    actor_subject: r.actorSubject,
    source: r.source,
    action: r.action,
    resource_type: r.resourceType,
    resource_id: r.resourceId,
    user_name: r.userName,
    display_name: r.displayName,
    deleted: r.resourceId ? r.deleted : null,
    target: r.target,
    outcome: r.outcome,
    request_id: r.requestId,
    detail: redact(r.changes.length ? { ...(r.detail as object | null), changes: r.changes } : r.detail),
  };
}

export const csvLine = (r: AuditRow) => {
  const rec = record(r);
  return `${CSV_COLUMNS.map((c) => csvCell(rec[c])).join(",")}\r\n`;
};
export const ndjsonLine = (r: AuditRow) => `${JSON.stringify(record(r))}\n`;

/** Writes `text`, waiting for the socket to take it when its buffer is full. */
function write(res: Response, text: string): Promise<void> {
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      res.off("drain", done);
      res.off("close", closed);
      err ? reject(err) : resolve();
    };
    const closed = () => done(new Error("the client closed the export"));
    res.once("drain", done);
    res.once("close", closed);
  });
}

export function exportRoutes(router: Router, deps: ConsoleDeps, batch = EXPORT_BATCH) {
  const route = (format: "csv" | "ndjson") => async (req: Request, res: Response) => {
    const { query } = await auditFilter(deps, req);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    res
      .status(200)
      .type(format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8")
      .setHeader("Cache-Control", "no-store")
      .setHeader("Content-Disposition", `attachment; filename="audit-${stamp}.${format}"`);
    try {
      if (format === "csv") await write(res, `${CSV_COLUMNS.join(",")}\r\n`);
      for await (const rows of auditBatches(deps.sync.db, query, batch))
        await write(res, rows.map(format === "csv" ? csvLine : ndjsonLine).join(""));
      res.end();
    } catch {
      // Headers are sent: a failure mid-way can only cut the download short, which the reader sees as truncated.
      res.destroy();
    }
  };
  router.get("/audit/export.csv", route("csv"));
  router.get("/audit/export.ndjson", route("ndjson"));
}
