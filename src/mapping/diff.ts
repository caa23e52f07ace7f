// Which mapped fields differ from what a target holds, for updates and reconcile drift.
import type { MappedFields } from "./evaluate.ts";
import { isEmpty } from "./expr.ts";

/** What a kind says about its fields; the engine knows no vendor's field names. */
export interface FieldSemantics {
  /** Compared without regard to case (the target stores or matches them so), so case alone is not a change. */
  caseInsensitive?: ReadonlySet<string>;
  /**
   * A null here means "the mapping found nothing", not "clear it": these cannot be blanked on the target
   * (required, or auto-generated), so there is nothing to update.
   */
  notClearable?: ReadonlySet<string>;
}

const NONE: FieldSemantics = {};

function normalise(field: string, v: unknown, semantics: FieldSemantics): unknown {
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
    return semantics.caseInsensitive?.has(field) ? text.toLowerCase() : text;
  }
  // Numbers and booleans may come back as strings from XML or form-encoded APIs.
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * Names of the desired fields whose value the target does not have, in the desired order. Only keys
 * present in `desired` are compared (everything else on the target is not ours); null/""/[] are
 * alike; lists compare as case-insensitive sets.
 */
export function diffFields(
  desired: MappedFields,
  actual: Record<string, unknown>,
  semantics: FieldSemantics = NONE,
): string[] {
  const changed: string[] = [];
  for (const [field, want] of Object.entries(desired)) {
    if (want === undefined) continue;
    if (isEmpty(want) && semantics.notClearable?.has(field)) continue;
    if (normalise(field, want, semantics) !== normalise(field, actual[field], semantics)) changed.push(field);
  }
  return changed;
}
