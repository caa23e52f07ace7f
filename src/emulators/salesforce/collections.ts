import { type RestError, ROLLED_BACK, SalesforceApiError, toCollectionErrors } from "./errors.ts";
import { normalizeId } from "./ids.ts";
import type { SalesforceOrg } from "./org.ts";
import { projectRecord } from "./records.ts";
import { objectDef, objectForId } from "./schema.ts";

// sObject Collections: per-record results with `statusCode` errors, ≤ 200 records, optional all-or-none.

const MAX_RECORDS = 200;
const MAX_RETRIEVE_IDS = 2000;

interface SaveResult {
  id?: string | null;
  success: boolean;
  errors: { statusCode: string; message: string; fields: string[] }[];
}

type RecordInput = Record<string, unknown>;

function restErrorsOf(e: unknown): RestError[] {
  if (e instanceof SalesforceApiError) return e.errors;
  throw e;
}

function tooMany(count: number, max = MAX_RECORDS): void {
  if (count > max) {
    throw new SalesforceApiError(
      400,
      "EXCEEDED_ID_LIMIT",
      `record limit reached. cannot submit more than ${max} records into this call`,
    );
  }
}

function parseBody(body: unknown): { allOrNone: boolean; records: RecordInput[] } {
  const b = body as { allOrNone?: unknown; records?: unknown } | null;
  if (!b || !Array.isArray(b.records))
    throw new SalesforceApiError(400, "JSON_PARSER_ERROR", "Expected a records array in the request body");
  return { allOrNone: b.allOrNone === true, records: b.records as RecordInput[] };
}

/** Applies each record; with allOrNone, any failure undoes every change and marks the rest rolled back. */
function applyAll(
  org: SalesforceOrg,
  allOrNone: boolean,
  count: number,
  apply: (i: number) => SaveResult,
  creates = false,
): SaveResult[] {
  const { result, undo } = org.journaled(() => {
    const results: SaveResult[] = [];
    for (let i = 0; i < count; i++) results.push(apply(i));
    return results;
  });
  if (!allOrNone || result.every((r) => r.success)) return result;
  undo();
  // A rolled-back insert never got an id; updates and deletes keep theirs.
  return result.map((r) =>
    r.success
      ? { ...(creates ? {} : { id: r.id }), success: false, errors: toCollectionErrors([ROLLED_BACK]) }
      : r,
  );
}

function typeOf(record: RecordInput): string {
  const attrs = record.attributes as { type?: unknown } | undefined;
  const type = typeof attrs?.type === "string" ? attrs.type : undefined;
  if (!type || !objectDef(type))
    throw new SalesforceApiError(400, "INVALID_TYPE", `sObject type '${type ?? ""}' is not supported.`);
  return type;
}

export function createMany(org: SalesforceOrg, body: unknown): SaveResult[] {
  const { allOrNone, records } = parseBody(body);
  tooMany(records.length);
  const types = records.map(typeOf);
  return applyAll(
    org,
    allOrNone,
    records.length,
    (i) => {
      const record = records[i] ?? {};
      if ("Id" in record || "id" in record) {
        return {
          success: false,
          errors: toCollectionErrors([
            { errorCode: "INVALID_FIELD", message: "cannot specify Id in an insert call", fields: ["Id"] },
          ]),
        };
      }
      try {
        const created = org.create(types[i] ?? "", record);
        return { id: String(created.Id), success: true, errors: [] };
      } catch (e) {
        return { success: false, errors: toCollectionErrors(restErrorsOf(e)) };
      }
    },
    true,
  );
}

export function updateMany(org: SalesforceOrg, body: unknown): SaveResult[] {
  const { allOrNone, records } = parseBody(body);
  tooMany(records.length);
  const types = records.map(typeOf);
  return applyAll(org, allOrNone, records.length, (i) => {
    const { id, Id, ...fields } = records[i] ?? {};
    const recordId = String(id ?? Id ?? "");
    try {
      if (!recordId)
        throw new SalesforceApiError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"]);
      org.update(types[i] ?? "", recordId, fields);
      return { id: normalizeId(recordId) ?? recordId, success: true, errors: [] };
    } catch (e) {
      const errors = restErrorsOf(e).map((x) =>
        x.errorCode === "NOT_FOUND"
          ? { ...x, errorCode: "INVALID_CROSS_REFERENCE_KEY", message: "invalid cross reference id" }
          : x,
      );
      return { id: recordId, success: false, errors: toCollectionErrors(errors) };
    }
  });
}

export function deleteMany(org: SalesforceOrg, query: URLSearchParams): SaveResult[] {
  const ids = (query.get("ids") ?? "").split(",").filter(Boolean);
  tooMany(ids.length);
  const allOrNone = query.get("allOrNone") === "true";
  return applyAll(org, allOrNone, ids.length, (i) => {
    const raw = ids[i] ?? "";
    const id = normalizeId(raw);
    const def = id ? objectForId(id) : undefined;
    try {
      if (!id || !def) throw new SalesforceApiError(400, "MALFORMED_ID", `malformed id ${raw}`);
      org.delete(def.name, id);
      return { id, success: true, errors: [] };
    } catch (e) {
      const errors = restErrorsOf(e).map((x) =>
        x.errorCode === "NOT_FOUND"
          ? { ...x, errorCode: "INVALID_CROSS_REFERENCE_KEY", message: "invalid cross reference id" }
          : x,
      );
      return { id: id ?? raw, success: false, errors: toCollectionErrors(errors) };
    }
  });
}

/** POST /composite/sobjects/{Type} `{ids, fields}` (or GET with ?ids=&fields=): records in order, null when missing. */
export function retrieveMany(
  org: SalesforceOrg,
  type: string,
  ids: string[],
  fields: string[],
  version: string,
): (Record<string, unknown> | null)[] {
  tooMany(ids.length, MAX_RETRIEVE_IDS);
  if (fields.length === 0)
    throw new SalesforceApiError(400, "MISSING_ARGUMENT", "fields parameter is required");
  return ids.map((id) => {
    const record = org.get(type, id);
    return record ? projectRecord(org.table(type).def, record, fields, version) : null;
  });
}
