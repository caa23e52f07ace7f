// Finding the Salesforce user of each plan: by its linked Id, else by the correlation keys, all the queries of a
// batch in one /composite call.

import type { Outcome } from "../target.ts";
import { type InQuery, queryInMany } from "./composite.ts";
import type { CorrelationKey } from "./config.ts";
import type { SalesforceContext } from "./context.ts";
import type { UserPlan } from "./users.ts";

/** Always read, so correlation, reactivation and listing can use them. */
export const BASE_FIELDS = ["Id", "IsActive", "Username", "Email", "FederationIdentifier", "ProfileId"];

export type SalesforceUserRecord = { Id: string; IsActive: boolean } & Record<string, unknown>;

function selectList(plans: UserPlan[]): string {
  const fields = new Set(BASE_FIELDS);
  for (const plan of plans) for (const key of Object.keys(plan.fields)) fields.add(key);
  return [...fields].join(", ");
}

const lower = (v: unknown) => (typeof v === "string" ? v.trim().toLowerCase() : undefined);

/** Each plan's account as linkExisting found it, and how (`by`): "link" (its linked Id) or the correlation key. */
export type Found = Map<UserPlan, SalesforceUserRecord> & { by?: Map<UserPlan, string> };

/**
 * Finds the Salesforce user of each plan: by its linked Id, else by each correlation key in order. All
 * the queries go in one /composite call (Id, FederationIdentifier, Username, Email); only plans whose
 * linked Id no longer exists need a second round. A key matching several users is ambiguous.
 */
export async function linkExisting(
  ctx: SalesforceContext,
  plans: UserPlan[],
  outcomes: Outcome[],
  /** The fields to read: the mapped ones, to compare them; a deprovision needs only the keys. */
  select = selectList(plans),
): Promise<Found> {
  const keys = ctx.config.correlation as CorrelationKey[];
  const by = new Map<UserPlan, string>();
  const linked: Found = Object.assign(new Map<UserPlan, SalesforceUserRecord>(), { by });
  const claimed = new Set<string>();
  const claim = (plan: UserPlan, record: SalesforceUserRecord, key: string) => {
    linked.set(plan, record);
    by.set(plan, key);
    claimed.add(record.Id);
  };
  const keyQueries = (unlinked: UserPlan[]): InQuery[] =>
    keys.map((key) => ({
      soql: `SELECT ${select} FROM User WHERE ${key} IN {IN}`,
      values: unlinked.flatMap((p) => (lower(p.fields[key]) ? [String(p.fields[key]).trim()] : [])),
    }));
  const correlate = (unlinked: UserPlan[], rowsPerKey: SalesforceUserRecord[][]) => {
    let pending = unlinked;
    keys.forEach((key, k) => {
      const byValue = new Map<string, SalesforceUserRecord[]>();
      for (const row of rowsPerKey[k] ?? []) {
        const v = lower(row[key]);
        if (v) byValue.set(v, [...(byValue.get(v) ?? []), row]);
      }
      for (const plan of pending) {
        const v = lower(plan.fields[key]);
        if (!v) continue;
        const matches = (byValue.get(v) ?? []).filter((r) => !claimed.has(r.Id));
        if (matches.length === 1) claim(plan, matches[0] as SalesforceUserRecord, key);
        else if (matches.length > 1) {
          outcomes[plan.index] = {
            status: "failed",
            code: "AMBIGUOUS_MATCH",
            message: `${matches.length} Salesforce users have ${key} "${String(plan.fields[key])}" (${matches.map((m) => m.Id).join(", ")}); link one by hand or correlate on another key`,
          };
        }
      }
      pending = pending.filter((p) => !linked.has(p) && outcomes[p.index] === undefined);
    });
  };

  const withId = plans.filter((p) => p.op.targetId);
  const withoutId = plans.filter((p) => !p.op.targetId);
  const [byIdRows = [], ...rowsPerKey] = await queryInMany<SalesforceUserRecord>(ctx, [
    {
      soql: `SELECT ${select} FROM User WHERE Id IN {IN}`,
      values: withId.map((p) => p.op.targetId as string),
    },
    ...keyQueries(withoutId),
  ]);
  const byId = new Map(byIdRows.map((r) => [r.Id.slice(0, 15), r]));
  for (const plan of withId) {
    const row = byId.get((plan.op.targetId as string).slice(0, 15));
    if (row) claim(plan, row, "link");
  }
  correlate(withoutId, rowsPerKey);
  // A linked account that is gone (deleted in a sandbox refresh…) is looked for again by its keys.
  const lost = withId.filter((p) => !linked.has(p));
  if (lost.length > 0) correlate(lost, await queryInMany<SalesforceUserRecord>(ctx, keyQueries(lost)));
  return linked;
}
