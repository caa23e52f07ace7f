import type { ApiRequest, ApiResponse, DataApiContext, Route } from "./data-api.ts";
import { SalesforceApiError } from "./errors.ts";

// POST /composite: up to 25 subrequests in one API call, `@{ref.field}` references, optional all-or-none.

const MAX_SUBREQUESTS = 25;
/** Of those, at most 5 may be queries or sObject Collections (the exact error text is not verified). */
const MAX_HEAVY = 5;
const HEAVY = /^\/services\/data\/v[\d.]+\/(query|queryAll|composite\/sobjects)(\/|\?|$)/;

interface SubRequest {
  method?: string;
  url?: string;
  referenceId?: string;
  body?: unknown;
}

const HALTED = [
  {
    errorCode: "PROCESSING_HALTED",
    message: "The transaction was rolled back since another operation in the same transaction failed.",
  },
];

type Router = (ctx: DataApiContext, req: ApiRequest) => Route;

function resolveRefs(value: unknown, results: Map<string, unknown>): unknown {
  if (typeof value === "string") {
    return value.replace(/@\{([\w]+)\.([\w.]+)\}/g, (whole, ref: string, path: string) => {
      let v: unknown = results.get(ref);
      for (const key of path.split("."))
        v = v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
      return v === undefined ? whole : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, results));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, results)]));
  }
  return value;
}

export function composite(ctx: DataApiContext, req: ApiRequest, route: Router): ApiResponse {
  if (req.method !== "POST")
    throw new SalesforceApiError(
      405,
      "METHOD_NOT_ALLOWED",
      `HTTP Method '${req.method}' not allowed. Allowed are POST`,
    );
  const body = req.body as { allOrNone?: unknown; compositeRequest?: unknown } | null;
  const subs = Array.isArray(body?.compositeRequest) ? (body.compositeRequest as SubRequest[]) : undefined;
  if (!subs) throw new SalesforceApiError(400, "JSON_PARSER_ERROR", "compositeRequest is required");
  if (subs.length > MAX_SUBREQUESTS) {
    throw new SalesforceApiError(
      400,
      "INVALID_INPUT",
      `Number of subrequests exceeds the limit of ${MAX_SUBREQUESTS}`,
    );
  }
  const heavy = subs.filter((sub) => HEAVY.test(String(sub.url ?? ""))).length;
  if (heavy > MAX_HEAVY) {
    throw new SalesforceApiError(
      400,
      "INVALID_INPUT",
      `A composite request can have up to ${MAX_HEAVY} query or sObject Collections subrequests; this one has ${heavy}`,
    );
  }
  const allOrNone = body?.allOrNone === true;
  const results = new Map<string, unknown>();
  const { result: responses, undo } = ctx.org.journaled(() => {
    const out: {
      body: unknown;
      httpHeaders: Record<string, string>;
      httpStatusCode: number;
      referenceId: string;
    }[] = [];
    let failed = false;
    for (const sub of subs) {
      const referenceId = sub.referenceId ?? "";
      if (failed && allOrNone) {
        out.push({
          body: [
            {
              errorCode: "PROCESSING_HALTED",
              message:
                "The transaction was rolled back since another operation in the same transaction failed.",
            },
          ],
          httpHeaders: {},
          httpStatusCode: 400,
          referenceId,
        });
        continue;
      }
      const url = new URL(String(resolveRefs(sub.url ?? "", results)), "http://composite");
      const m = /^\/services\/data\/v(\d{2,3}\.\d)\/(.*)$/.exec(url.pathname);
      let res: ApiResponse;
      try {
        if (!m) throw new SalesforceApiError(400, "INVALID_INPUT", `Invalid URL: ${sub.url ?? ""}`);
        res = route(ctx, {
          method: (sub.method ?? "GET").toUpperCase(),
          segments: (m[2] ?? "").split("/").filter(Boolean).map(decodeURIComponent),
          query: url.searchParams,
          headers: req.headers,
          body: resolveRefs(sub.body, results),
          version: m[1] ?? req.version,
        }).run();
      } catch (e) {
        if (!(e instanceof SalesforceApiError)) throw e;
        res = { status: e.status, body: e.errors };
      }
      if (res.status >= 400) failed = true;
      if (referenceId) results.set(referenceId, res.body);
      out.push({ body: res.body ?? null, httpHeaders: {}, httpStatusCode: res.status, referenceId });
    }
    return { out, failed };
  });
  if (!allOrNone || !responses.failed) return { status: 200, body: { compositeResponse: responses.out } };
  undo();
  // Salesforce reports the rolled-back successes as halted too, keeping only the real errors.
  const compositeResponse = responses.out.map((r) =>
    r.httpStatusCode < 400 ? { ...r, body: HALTED, httpStatusCode: 400 } : r,
  );
  return { status: 200, body: { compositeResponse } };
}
