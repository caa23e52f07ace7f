// The audit, or the delivery log, under the page's filter as a download: CSV (a header, RFC 4180 quoting, formula-leading cells defused)
// or NDJSON (one JSON object a line, so a reader can stream it too and a cut download is valid up to its last line).
// Rows are read in keyset batches and written as they come, waiting for the socket to drain: an export of 100,000
// rows holds one batch at a time.
import type { Request, Response, Router } from "express";
import { type AuditRow, auditBatches } from "../../store/index.ts";
import { type AuditFilterInput, auditFilter, deliveriesFilter } from "./audit-filter.ts";
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
  "change",
  "detail",
] as const;

/** The delivery log's columns: the audit's and who requested each delivery. */
export const DELIVERY_COLUMNS = [...CSV_COLUMNS.slice(0, -1), "requested_by", "detail"] as const;

type Column = (typeof DELIVERY_COLUMNS)[number];

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
    change: r.change,
    requested_by: r.requestedBy,
    detail: redact(r.changes.length ? { ...(r.detail as object | null), changes: r.changes } : r.detail),
  };
}

const csvLine = (columns: readonly Column[]) => (r: AuditRow) => {
  const rec = record(r);
  return `${columns.map((c) => csvCell(rec[c])).join(",")}\r\n`;
};
const ndjsonLine = (columns: readonly Column[]) => (r: AuditRow) => {
  const rec = record(r);
  return `${JSON.stringify(Object.fromEntries(columns.map((c) => [c, rec[c]])))}\n`;
};

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

interface ExportKind {
  /** The page's path under /console, and the file name's start. */
  name: "audit" | "deliveries";
  filter: (deps: ConsoleDeps, req: Request) => Promise<AuditFilterInput>;
  columns: readonly Column[];
}

const KINDS: ExportKind[] = [
  { name: "audit", filter: auditFilter, columns: CSV_COLUMNS },
  { name: "deliveries", filter: deliveriesFilter, columns: DELIVERY_COLUMNS },
];

export function exportRoutes(router: Router, deps: ConsoleDeps, batch = EXPORT_BATCH) {
  const route = (kind: ExportKind, format: "csv" | "ndjson") => async (req: Request, res: Response) => {
    const { query } = await kind.filter(deps, req);
    const line = (format === "csv" ? csvLine : ndjsonLine)(kind.columns);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    res
      .status(200)
      .type(format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8")
      .setHeader("Cache-Control", "no-store")
      .setHeader("Content-Disposition", `attachment; filename="${kind.name}-${stamp}.${format}"`);
    try {
      if (format === "csv") await write(res, `${kind.columns.join(",")}\r\n`);
      for await (const rows of auditBatches(deps.sync.db, query, batch))
        await write(res, rows.map(line).join(""));
      res.end();
    } catch {
      // Headers are sent: a failure mid-way can only cut the download short, which the reader sees as truncated.
      res.destroy();
    }
  };
  for (const kind of KINDS) {
    router.get(`/${kind.name}/export.csv`, route(kind, "csv"));
    router.get(`/${kind.name}/export.ndjson`, route(kind, "ndjson"));
  }
}
