// The audit's and the delivery log's filters from a request's query, shared by each page and its exports, so an
// export holds exactly the rows the page lists: person (userName, displayName or id), target, actor, action, outcome
// and a date range.
import type { Request } from "express";
import { BridgeError } from "../../errors.ts";
import { type AuditQuery, DELIVERY_CHANGES, resolvePerson } from "../../store/index.ts";
import { type ConsoleDeps, param, targetParam } from "./context.ts";

export const OUTCOMES = ["accepted", "synced", "retry", "failed"];
/** The actions the bridge records, offered as suggestions (the filter takes any action name, exactly). */
export const ACTIONS = [
  ...["user", "group"].flatMap((t) => ["create", "update", "delete"].map((a) => `scim.${t}.${a}`)),
  "target.deliver",
  "target.preflight",
  "operator.retry",
  "operator.retry-all",
  "operator.retry-resource",
  "operator.release",
  "operator.provision",
  "operator.reconcile.dry-run",
  "operator.reconcile.apply",
  "operator.import.dry-run",
  "operator.import.apply",
  "oauth.token",
];
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * A time from a filter: a date (YYYY-MM-DD) or a date and time (as a datetime-local field sends it), in UTC unless
 * it names an offset. A bare date as `to` means the end of that day.
 */
export function parseTime(name: string, text: string, endOfDay: boolean): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const zoned = /(?:Z|[+-]\d{2}:\d{2})$/.test(text) && !dateOnly;
  const d = DATE.test(text)
    ? new Date(zoned ? text.replace(" ", "T") : `${text.replace(" ", "T")}${dateOnly ? "T00:00:00" : ""}Z`)
    : null;
  if (!d || Number.isNaN(d.getTime()))
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `${name} must be a date (2026-12-07) or a date and time (2026-12-07T15:30, UTC unless an offset is given), got "${text}"`,
    );
  return dateOnly && endOfDay ? new Date(d.getTime() + 86_400_000) : d;
}

export interface AuditFilterInput {
  /** The parameters as given, for the form and the links. */
  given: Record<string, string | undefined>;
  query: AuditQuery;
}

/** What the audit and the delivery log filter alike: a person, a target, an outcome and a date range. */
async function commonFilter(deps: ConsoleDeps, req: Request, outcomes: readonly string[]) {
  const resource = param(req, "resource");
  const target = targetParam(deps, req, "target");
  const outcome = param(req, "outcome");
  if (outcome && !outcomes.includes(outcome))
    throw new BridgeError("SCIM_INVALID_VALUE", `outcome must be one of ${outcomes.join(", ")}`);
  const fromText = param(req, "from");
  const toText = param(req, "to");
  const from = fromText === undefined ? undefined : parseTime("from", fromText, false);
  const to = toText === undefined ? undefined : parseTime("to", toText, true);
  if (from && to && from >= to) throw new BridgeError("SCIM_INVALID_VALUE", "from must be before to");
  if (resource && resource.length > 256)
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      "resource must be a userName, displayName or id (at most 256 characters)",
    );
  const query: AuditQuery = {
    ...(resource ? { resourceIds: await resolvePerson(deps.sync.db, resource) } : {}),
    ...(target ? { target } : {}),
    ...(outcome ? { outcome } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
  return { given: { resource, target, outcome, from: fromText, to: toText }, query };
}

export async function auditFilter(deps: ConsoleDeps, req: Request): Promise<AuditFilterInput> {
  const { given, query } = await commonFilter(deps, req, OUTCOMES);
  const actor = param(req, "actor");
  const action = param(req, "action");
  return {
    given: { ...given, actor, action },
    query: { ...query, ...(actor ? { actor } : {}), ...(action ? { action } : {}) },
  };
}

/** A delivery's outcomes: delivered, put back to retry, or failed (refused, or retries ran out). */
export const DELIVERY_OUTCOMES = ["synced", "retry", "failed"];

/**
 * The delivery log's filters: as the audit's, with `action` the kind of change (created, updated, deactivated,
 * deleted) and `actor` who requested the deliveries (deliveries themselves are all the dispatcher's).
 */
export async function deliveriesFilter(deps: ConsoleDeps, req: Request): Promise<AuditFilterInput> {
  const { given, query } = await commonFilter(deps, req, DELIVERY_OUTCOMES);
  const actor = param(req, "actor");
  const action = param(req, "action");
  if (action && !(DELIVERY_CHANGES as readonly string[]).includes(action))
    throw new BridgeError("SCIM_INVALID_VALUE", `action must be one of ${DELIVERY_CHANGES.join(", ")}`);
  return {
    given: { ...given, actor, action },
    query: {
      ...query,
      deliveries: true,
      ...(actor ? { requestedBy: actor } : {}),
      ...(action ? { change: action } : {}),
    },
  };
}
