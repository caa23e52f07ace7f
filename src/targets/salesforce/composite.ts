// Several reads or writes in one API call through POST /composite: up to 25 subrequests, of which at most
// 5 may be queries or sObject Collections. Each subrequest succeeds or fails on its own (allOrNone=false).
import { COLLECTION_LIMIT, chunk, type QueryPage, type SaveResult, soqlInLists } from "./client.ts";
import type { SalesforceContext } from "./context.ts";

/** Queries and collections one /composite request may carry. */
export const COMPOSITE_HEAVY_LIMIT = 5;

interface SubRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Under /services/data/vXX.X. */
  path: string;
  body?: unknown;
}

interface SubResponse {
  body: unknown;
  httpStatusCode: number;
  referenceId: string;
}

/** A subrequest Salesforce refused as a whole: shaped like jsforce's HttpApiError for the classifiers. */
export class SubrequestError extends Error {
  readonly errorCode: string;
  /** The HTTP status, which the classifier reads first: a 5xx is transient whatever its body says. */
  readonly status: number;
  constructor(status: number, body: unknown) {
    const first = Array.isArray(body) ? (body[0] as { errorCode?: string; message?: string }) : undefined;
    super(first?.message ?? `composite subrequest failed with HTTP ${status}`);
    this.name = first?.errorCode ?? `ERROR_HTTP_${status}`;
    this.errorCode = first?.errorCode ?? `ERROR_HTTP_${status}`;
    this.status = status;
  }
}

/** A subrequest that did not succeed: Salesforce's refusal, or the whole call's failure (5xx, timeout). */
class Refused {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/**
 * Sends `subs` in as few /composite calls as the limits allow (in parallel); one answer per subrequest.
 * A single subrequest goes as a plain call (same cost, simpler answer).
 */
async function send(ctx: SalesforceContext, subs: SubRequest[]): Promise<unknown[]> {
  const base = `/services/data/v${ctx.config.apiVersion}`;
  const parts = chunk(subs, COMPOSITE_HEAVY_LIMIT);
  const answers = await Promise.all(
    parts.map(async (part) => {
      try {
        return await sendPart(part);
      } catch (e) {
        return part.map(() => new Refused(e));
      }
    }),
  );
  return answers.flat();

  async function sendPart(part: SubRequest[]): Promise<unknown[]> {
    if (part.length === 1) {
      const only = part[0] as SubRequest;
      return [await ctx.client.request<unknown>(only.method, only.path, only.body)];
    }
    const res = await ctx.client.request<{ compositeResponse: SubResponse[] }>("POST", "/composite", {
      allOrNone: false,
      compositeRequest: part.map((s, i) => ({
        method: s.method,
        url: `${base}${s.path}`,
        referenceId: `r${i}`,
        ...(s.body === undefined ? {} : { body: s.body }),
      })),
    });
    const byRef = new Map(res.compositeResponse.map((r) => [r.referenceId, r]));
    return part.map((_, i) => {
      const r = byRef.get(`r${i}`);
      if (!r) return new Refused(new SubrequestError(0, [{ message: "no answer for this subrequest" }]));
      return r.httpStatusCode >= 400 ? new Refused(new SubrequestError(r.httpStatusCode, r.body)) : r.body;
    });
  }
}

export interface InQuery {
  /** SOQL with an `{IN}` placeholder for the list of values. */
  soql: string;
  values: string[];
}

/**
 * Runs several IN queries (e.g. one per correlation key) in one /composite call per five queries, and
 * returns the records of each. Values are split into URL-sized lists as for a plain query; a result
 * larger than one page (2,000 records) is read on with queryMore.
 */
export async function queryInMany<T>(ctx: SalesforceContext, queries: InQuery[]): Promise<T[][]> {
  const subs: { query: number; sub: SubRequest }[] = [];
  queries.forEach((q, query) => {
    if (q.values.length === 0) return;
    for (const list of soqlInLists(q.values)) {
      const soql = q.soql.replace("{IN}", list);
      subs.push({ query, sub: { method: "GET", path: `/query?q=${encodeURIComponent(soql)}` } });
    }
  });
  const answers = await send(
    ctx,
    subs.map((s) => s.sub),
  );
  const out: T[][] = queries.map(() => []);
  await Promise.all(
    answers.map(async (answer, i) => {
      if (answer instanceof Refused) throw answer.error;
      let page = answer as QueryPage<T>;
      const records = out[subs[i]?.query ?? 0] as T[];
      records.push(...page.records);
      while (!page.done && page.nextRecordsUrl) {
        page = await ctx.client.request<QueryPage<T>>("GET", page.nextRecordsUrl);
        records.push(...page.records);
      }
    }),
  );
  return out;
}

export type CollectionWrite =
  | { op: "create"; type: string; records: Record<string, unknown>[] }
  | { op: "update"; type: string; records: ({ Id: string } & Record<string, unknown>)[] }
  | { op: "delete"; ids: string[] };

/**
 * Inserts, updates or deletes records (allOrNone=false) with up to five collections of 200 per /composite
 * call, so 1,000 group members are one API call. One SaveResult per record, in order; a refused
 * collection fails each of its records with that error.
 */
export async function writeCollections(
  ctx: SalesforceContext,
  writes: CollectionWrite[],
): Promise<SaveResult[][]> {
  const subs: { write: number; size: number; sub: SubRequest }[] = [];
  writes.forEach((w, write) => {
    if (w.op === "create") {
      for (const part of chunk(w.records, COLLECTION_LIMIT)) {
        subs.push({
          write,
          size: part.length,
          sub: {
            method: "POST",
            path: "/composite/sobjects",
            body: { allOrNone: false, records: part.map((r) => ({ attributes: { type: w.type }, ...r })) },
          },
        });
      }
    } else if (w.op === "update") {
      for (const part of chunk(w.records, COLLECTION_LIMIT)) {
        subs.push({
          write,
          size: part.length,
          sub: {
            method: "PATCH",
            path: "/composite/sobjects",
            body: {
              allOrNone: false,
              records: part.map(({ Id, ...fields }) => ({ attributes: { type: w.type }, id: Id, ...fields })),
            },
          },
        });
      }
    } else {
      for (const part of chunk(w.ids, COLLECTION_LIMIT)) {
        subs.push({
          write,
          size: part.length,
          sub: {
            method: "DELETE",
            path: `/composite/sobjects?ids=${part.map(encodeURIComponent).join(",")}&allOrNone=false`,
          },
        });
      }
    }
  });
  const out: SaveResult[][] = writes.map(() => []);
  if (subs.length === 0) return out;
  const answers = await send(
    ctx,
    subs.map((s) => s.sub),
  );
  answers.forEach((answer, i) => {
    const s = subs[i] as (typeof subs)[number];
    const results = out[s.write] as SaveResult[];
    if (Array.isArray(answer)) results.push(...(answer as SaveResult[]));
    else {
      const failed: SaveResult = {
        success: false,
        errors: [],
        thrown: answer instanceof Refused ? answer.error : answer,
      };
      for (let n = 0; n < s.size; n++) results.push(failed);
    }
  });
  return out;
}
