// Which mapped fields differ from what a target holds, for updates and reconcile drift.
import type { MappedFields } from "./evaluate.ts";
import { isEmpty } from "./expr.ts";

// The targets compare these without regard to case (Salesforce stores Username/Email lower-cased;
// Tableau user names and emails are matched case-insensitively), so case alone is not a change.
const CASE_INSENSITIVE = new Set(["Username", "Email", "name", "email"]);

// A null here means "the mapping found nothing", not "clear it": these cannot be blanked on the target
// (required, or auto-generated like CommunityNickname), so there is nothing to update.
const NOT_CLEARABLE = new Set([
  "Username",
  "LastName",
  "Email",
  "Alias",
  "TimeZoneSidKey",
  "LocaleSidKey",
  "EmailEncodingKey",
  "LanguageLocaleKey",
  "ProfileId",
  "ProfileName",
  "CommunityNickname",
  "IsActive",
  "name",
  "siteRole",
  "authSetting",
]);

function normalise(field: string, v: unknown): unknown {
  if (isEmpty(v)) return null;
  if (Array.isArray(v)) {
    return JSON.stringify(
      v
        .map((x) => String(x).toLowerCase())
        .filter((x, i, all) => all.indexOf(x) === i)
        .sort(),
    );
  }
  if (typeof v === "string") {
    const text = v.trim();
    return CASE_INSENSITIVE.has(field) ? text.toLowerCase() : text;
  }
  // Numbers and booleans may come back as strings from XML or form-encoded APIs.
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * Names of the desired fields whose value the target does not have, in the desired order. Only keys
 * present in `desired` are compared (everything else on the target is not ours); null/""/[] are
 * alike; lists compare as case-insensitive sets.
 */
export function diffFields(desired: MappedFields, actual: Record<string, unknown>): string[] {
  const changed: string[] = [];
  for (const [field, want] of Object.entries(desired)) {
    if (want === undefined) continue;
    if (isEmpty(want) && NOT_CLEARABLE.has(field)) continue;
    if (normalise(field, want) !== normalise(field, actual[field])) changed.push(field);
  }
  return changed;
}
