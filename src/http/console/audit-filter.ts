// The audit's filters from a request's query, shared by the page and its exports, so an export holds exactly the
// rows the page lists: person (userName, displayName or id), target, actor, action, outcome and a date range.
import type { Request } from "express";
import { BridgeError } from "../../errors.ts";
import { type AuditQuery, resolvePerson } from "../../store/index.ts";
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

export async function auditFilter(deps: ConsoleDeps, req: Request): Promise<AuditFilterInput> {
  const resource = param(req, "resource");
  const target = targetParam(deps, req, "target");
  const actor = param(req, "actor");
  const action = param(req, "action");
  const outcome = param(req, "outcome");
  if (outcome && !OUTCOMES.includes(outcome))
    throw new BridgeError("SCIM_INVALID_VALUE", `outcome must be one of ${OUTCOMES.join(", ")}`);
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
    ...(actor ? { actor } : {}),
    ...(action ? { action } : {}),
    ...(outcome ? { outcome } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
  return { given: { resource, target, actor, action, outcome, from: fromText, to: toText }, query };
}
