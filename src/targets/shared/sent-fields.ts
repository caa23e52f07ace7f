// What a delivery sent, field by field, for its audit row: each vendor field with the value the target held before
// (an update) and the value sent. A field named like a secret is recorded only as sent.
import type { DriftedField, SentField } from "../target.ts";

/** The longest value kept, in characters. */
const VALUE_CHARS = 200;
const SECRET = /password|secret|token/i;

export function value(v: unknown): string | number | boolean | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "number" || typeof v === "boolean") return v;
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}

/** A drifted field with the account's value and the store's (reconcile shows them side by side). */
export function driftedField(field: string, target: unknown, store: unknown): DriftedField {
  if (SECRET.test(field)) return { field };
  const t = value(target);
  const s = value(store);
  return { field, ...(t !== undefined ? { target: t } : {}), ...(s !== undefined ? { store: s } : {}) };
}

/**
 * The fields of `sent` (a record written to the target), with what `before` (the target's record) held; a field
 * sent as it already was (a flag an update always sends) is left out.
 */
export function sentFields(sent: Record<string, unknown>, before?: Record<string, unknown>): SentField[] {
  return Object.entries(sent).flatMap(([path, v]): SentField[] => {
    if (SECRET.test(path)) return [{ path, hidden: true }];
    const old = before ? value(before[path]) : undefined;
    const now = value(v);
    if (old !== undefined && old === now) return [];
    return [{ path, ...(old !== undefined ? { old } : {}), ...(now !== undefined ? { new: now } : {}) }];
  });
}
