import { SalesforceApiError } from "./errors.ts";
import { createIdFactory } from "./ids.ts";
import type { QueryResult } from "./soql-exec.ts";

const MAX_OPEN_CURSORS = 1000;

/** Server-side query cursors behind nextRecordsUrl (`/query/01g…-2000`), dropped once read to the end. */
export class QueryCursors {
  private readonly open = new Map<string, Record<string, unknown>[]>();
  private readonly newId = createIdFactory("QL");

  /** First page of a result; registers a cursor when more remain. */
  firstPage(result: QueryResult, batchSize: number, version: string): Record<string, unknown> {
    const { records, totalSize } = result;
    if (records.length <= batchSize) return { totalSize, done: true, records };
    const cursorId = this.newId("01g");
    this.open.set(cursorId, records);
    if (this.open.size > MAX_OPEN_CURSORS) {
      const oldest = this.open.keys().next().value;
      if (oldest !== undefined) this.open.delete(oldest);
    }
    return this.page(cursorId, records, 0, batchSize, version);
  }

  /** The page a locator such as `01gRO0000000001AAA-2000` points at. */
  nextPage(locator: string, batchSize: number, version: string): Record<string, unknown> {
    const m = /^(01g[A-Za-z0-9]{15})-(\d+)$/.exec(locator);
    const records = m?.[1] ? this.open.get(m[1]) : undefined;
    const start = Number(m?.[2]);
    if (!m?.[1] || !records || start > records.length) {
      throw new SalesforceApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
    }
    return this.page(m[1], records, start, batchSize, version);
  }

  private page(
    cursorId: string,
    records: Record<string, unknown>[],
    start: number,
    batchSize: number,
    version: string,
  ): Record<string, unknown> {
    const end = Math.min(start + batchSize, records.length);
    const done = end >= records.length;
    if (done) this.open.delete(cursorId);
    return {
      totalSize: records.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${cursorId}-${end}` }),
      records: records.slice(start, end),
    };
  }
}

/** Sforce-Query-Options: batchSize=N is a hint between 200 and 2000. */
export function batchSizeFrom(header: string | string[] | undefined, fallback: number): number {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /batchSize\s*=\s*(\d+)/i.exec(value ?? "");
  if (!m) return fallback;
  return Math.min(2000, Math.max(200, Number(m[1])));
}
