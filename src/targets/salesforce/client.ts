// The REST calls the target makes, over one jsforce connection: explicit timeouts, a cap on calls in
// flight, sObject Collections in chunks of 200, SOQL with paging, and the org's API budget.

import { HttpApi } from "jsforce/lib/http-api.js";
import type { HttpResponse, Schema } from "jsforce/lib/types/index.js";
import type { RetryPolicy } from "../kind.ts";
import { Limiter } from "../shared/limiter.ts";
import { createSession, type SalesforceSession } from "./auth.ts";
import type { SalesforceTargetConfig } from "./config.ts";
import { BudgetExhaustedError } from "./errors.ts";

/** sObject Collections take at most 200 records per call. */
export const COLLECTION_LIMIT = 200;

export interface SaveResult {
  id?: string | null;
  success: boolean;
  errors: { statusCode: string; message: string; fields?: string[] }[];
  /** Set when the whole call failed rather than this record. */
  thrown?: unknown;
}

export interface QueryPage<T> {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: T[];
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** A SOQL string literal: Salesforce escapes backslash and quote with a backslash. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Room for the IN list in a query URL: Salesforce refuses URIs plus headers over 16,384 bytes. */
const MAX_IN_LIST_URL_BYTES = 10_000;

/** IN lists of SOQL literals, split so that each stays well inside the URL limit once URL-encoded. */
export function soqlInLists(values: Iterable<string>, maxBytes = MAX_IN_LIST_URL_BYTES): string[] {
  const lists: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const value of new Set(values)) {
    const literal = soqlString(value);
    const bytes = encodeURIComponent(`${literal}, `).length;
    if (current.length > 0 && size + bytes > maxBytes) {
      lists.push(`(${current.join(", ")})`);
      current = [];
      size = 0;
    }
    current.push(literal);
    size += bytes;
  }
  if (current.length > 0) lists.push(`(${current.join(", ")})`);
  return lists;
}

export function chunk<T>(items: readonly T[], size = COLLECTION_LIMIT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

type Connection = SalesforceSession["conn"];

/**
 * jsforce's HTTP layer, with what the transport said kept on the error: the status (a 503 whose HTML or gateway
 * JSON body has no Salesforce errorCode is still a 503) and Retry-After.
 */
class TransportAwareApi extends HttpApi<Schema> {
  override async getError(response: HttpResponse, body?: unknown): Promise<Error> {
    const err = await super.getError(response, body);
    const retryAfter = response.headers["retry-after"];
    return Object.assign(err, { status: response.statusCode, ...(retryAfter ? { retryAfter } : {}) });
  }
}

/** A path under the data API root (`/sobjects/...`), under the instance (`/services/...`), or absolute. */
function absoluteUrl(conn: Connection, version: string, path: string): string {
  if (/^https?:\/\//.test(path)) return path;
  const base = conn.instanceUrl.replace(/\/$/, "");
  return path.startsWith("/services/") ? `${base}${path}` : `${base}/services/data/v${version}${path}`;
}

export interface ApiUsage {
  used: number;
  limit: number;
}

export class SalesforceClient {
  readonly session: SalesforceSession;
  private readonly config: SalesforceTargetConfig;
  private readonly limiter: Limiter;
  private readonly now: () => number;
  /** While set, no call is made before this time: the API allocation ran out. */
  private parkedUntil = 0;
  private lastUsage: ApiUsage | undefined;
  /** Data API calls made through this client. */
  calls = 0;

  constructor(config: SalesforceTargetConfig, retry: RetryPolicy, now: () => number = Date.now) {
    this.config = config;
    this.now = now;
    this.limiter = new Limiter(config.concurrency);
    this.session = createSession(config, retry);
  }

  get usage(): ApiUsage | undefined {
    return this.lastUsage;
  }

  /** When parked work may run again, or undefined when the budget is fine. */
  parkedUntilTime(): number | undefined {
    return this.parkedUntil > this.now() ? this.parkedUntil : undefined;
  }

  park(): number {
    this.parkedUntil = Math.max(this.parkedUntil, this.now() + this.config.budget.parkMs);
    return this.parkedUntil;
  }

  private guardBudget(): void {
    const until = this.parkedUntilTime();
    if (until !== undefined) {
      const usage = this.lastUsage ? ` (${this.lastUsage.used}/${this.lastUsage.limit} used)` : "";
      throw new BudgetExhaustedError(
        until,
        `The org's daily API allocation is nearly used up${usage}; work is parked until ${new Date(until).toISOString()}`,
      );
    }
  }

  /** One REST call under the data API root (`/sobjects/...`, `/query?...`), or an absolute `/services/...` path. */
  async request<T>(
    method: Method,
    path: string,
    body?: unknown,
    options: { budgeted?: boolean } = {},
  ): Promise<T> {
    if (options.budgeted !== false) this.guardBudget();
    await this.session.ensureLoggedIn();
    return this.limiter.run(async () => {
      const conn = this.session.conn;
      // No retries inside jsforce (it retries GETs after 250–500 ms whatever Retry-After says): a failed call
      // goes back to the dispatcher, which honours Retry-After and backs off.
      const api = new TransportAwareApi(conn, { timeout: this.config.timeoutMs, retry: { maxRetries: 0 } });
      api.on("response", (response: HttpResponse) =>
        this.noteLimitInfo(response.headers["sforce-limit-info"]),
      );
      try {
        this.calls++;
        return await api.request<T>({
          method,
          url: absoluteUrl(conn, this.config.apiVersion, path),
          headers: body === undefined ? {} : { "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (e) {
        // jsforce replaces a failed re-login with a bare Error; the re-login's own error says what happened.
        if (
          e instanceof Error &&
          e.message.startsWith("Unable to refresh session") &&
          this.session.lastRefreshError
        )
          throw this.session.lastRefreshError;
        if ((e as { errorCode?: string }).errorCode === "REQUEST_LIMIT_EXCEEDED") this.park();
        throw e;
      }
    });
  }

  private noteLimitInfo(header: string | undefined): void {
    const m = header ? /api-usage=(\d+)\/(\d+)/.exec(header) : null;
    if (m) this.noteUsage({ used: Number(m[1]), limit: Number(m[2]) });
  }

  private noteUsage(usage: ApiUsage | undefined): void {
    if (!usage || usage.limit <= 0) return;
    this.lastUsage = usage;
    if (usage.used / usage.limit >= this.config.budget.maxUsage) this.park();
  }

  /** The first page of a SOQL query (Salesforce returns up to 2,000 records per page). */
  queryPage<T>(soql: string): Promise<QueryPage<T>> {
    return this.request<QueryPage<T>>("GET", `/query?q=${encodeURIComponent(soql)}`);
  }

  /** Every page of a query, as it arrives (queryMore through nextRecordsUrl). */
  async *queryPages<T>(soql: string): AsyncGenerator<T[]> {
    let page = await this.queryPage<T>(soql);
    yield page.records;
    while (!page.done && page.nextRecordsUrl) {
      page = await this.request<QueryPage<T>>("GET", page.nextRecordsUrl);
      yield page.records;
    }
  }

  async queryAll<T>(soql: string): Promise<T[]> {
    const out: T[] = [];
    for await (const records of this.queryPages<T>(soql)) out.push(...records);
    return out;
  }

  /**
   * Records whose `field` is one of `values`: `soql` has a `{IN}` placeholder for the list, and one
   * query runs per URL-sized slice of the values (in parallel).
   */
  async queryIn<T>(soql: string, values: Iterable<string>): Promise<T[]> {
    const lists = soqlInLists(values);
    const pages = await Promise.all(lists.map((list) => this.queryAll<T>(soql.replace("{IN}", list))));
    return pages.flat();
  }

  /** Inserts records of one type with allOrNone=false: one result per record, in order. */
  createMany(type: string, records: Record<string, unknown>[]): Promise<SaveResult[]> {
    return this.perChunk(records, (part) =>
      this.request<SaveResult[]>("POST", "/composite/sobjects", {
        allOrNone: false,
        records: part.map((r) => ({ attributes: { type }, ...r })),
      }),
    );
  }

  /** Updates records (each with its Id) of one type with allOrNone=false. */
  updateMany(type: string, records: ({ Id: string } & Record<string, unknown>)[]): Promise<SaveResult[]> {
    return this.perChunk(records, (part) =>
      this.request<SaveResult[]>("PATCH", "/composite/sobjects", {
        allOrNone: false,
        records: part.map(({ Id, ...fields }) => ({ attributes: { type }, id: Id, ...fields })),
      }),
    );
  }

  deleteMany(ids: string[]): Promise<SaveResult[]> {
    return this.perChunk(ids, (part) =>
      this.request<SaveResult[]>(
        "DELETE",
        `/composite/sobjects?ids=${part.map(encodeURIComponent).join(",")}&allOrNone=false`,
      ),
    );
  }

  /**
   * Runs one call per chunk of 200 (in parallel, within the concurrency cap). A call that fails as a
   * whole (5xx, timeout, budget) fails each of its records with that error, so other chunks still count.
   */
  private async perChunk<T>(
    items: readonly T[],
    call: (part: T[]) => Promise<SaveResult[]>,
  ): Promise<SaveResult[]> {
    const parts = chunk(items);
    const settled = await Promise.allSettled(parts.map((part) => call(part)));
    return settled.flatMap((s, i) => {
      if (s.status === "fulfilled") return s.value;
      const failed: SaveResult = { success: false, errors: [], thrown: s.reason };
      return (parts[i] ?? []).map(() => failed);
    });
  }
}
