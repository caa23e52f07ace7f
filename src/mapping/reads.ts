// Which of a user's attributes a mapping reads, so that a write can be known to leave a target's mapped fields as
// they were without evaluating the whole mapping before and after it (the unseen-change check does this for every
// target on every IdP write). An IdP's write changes an attribute or two: only the fields reading them are evaluated.
// Attributes are the user's top-level keys: core attribute names, and extension schema URNs (an extension object is
// read as a whole), lower-cased.
import { isDeepStrictEqual } from "node:util";
import { type Expr, evaluateExpr, exprSources } from "./expr.ts";
import { parseScimPath } from "./path.ts";
import type { MappingSpec } from "./spec.ts";

/** The top-level attributes a SCIM path starts from, lower-cased: its schema URN, else its first attribute. */
function attributeOf(path: string): string {
  const parsed = parseScimPath(path);
  return (parsed.urn ?? parsed.segments[0]?.name ?? "").toLowerCase();
}

/** Each field's expression with the top-level attributes it reads. */
const fieldReads = new WeakMap<MappingSpec, { expr: Expr; reads: string[] }[]>();

function readsOf(spec: MappingSpec) {
  let fields = fieldReads.get(spec);
  if (!fields) {
    fields = Object.values(spec.fields).map((expr) => ({
      expr,
      reads: exprSources(expr).map(attributeOf),
    }));
    fieldReads.set(spec, fields);
  }
  return fields;
}

/**
 * Whether the change of a user's body from `before` to `after` leaves every field of `spec` as it was, and changes
 * none of `alsoRead` (lower-cased: what the target reads of the user beside the fields, e.g. its extension).
 * Only the fields that read a changed attribute are evaluated. Group rules read the user's groups, not its body.
 */
export function mappingUntouched(
  spec: MappingSpec,
  alsoRead: ReadonlySet<string>,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): boolean {
  const changed = changedAttributes(before, after);
  for (const a of changed) if (alsoRead.has(a)) return false;
  for (const { expr, reads } of readsOf(spec)) {
    if (!reads.some((a) => changed.has(a))) continue;
    if (!isDeepStrictEqual(evaluateExpr(expr, before), evaluateExpr(expr, after))) return false;
  }
  return true;
}

/**
 * The top-level attributes (lower-cased) whose values differ between two SCIM bodies: present in one only, or
 * spelled otherwise ("title" become "Title", which a reader of the exact name sees as gone), included. Values are
 * compared as their JSON text, key order included: a body spelling one name two ways ("familyname" and
 * "FAMILYNAME") is read by the first in order, so a reordering is a change, and a top-level name spelled two ways
 * counts as changed.
 */
function changedAttributes(before: Record<string, unknown>, after: Record<string, unknown>): Set<string> {
  const changed = new Set<string>();
  for (const [k, v] of Object.entries(before))
    if (!Object.hasOwn(after, k) || !sameJson(v, after[k])) changed.add(k.toLowerCase());
  for (const k of Object.keys(after)) if (!Object.hasOwn(before, k)) changed.add(k.toLowerCase());
  // An attribute spelled two ways is read by the first spelling in order, which the values alone do not show.
  for (const body of [before, after]) {
    const seen = new Set<string>();
    for (const k of Object.keys(body)) {
      const name = k.toLowerCase();
      if (seen.has(name)) changed.add(name);
      seen.add(name);
    }
  }
  return changed;
}

const sameJson = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);
