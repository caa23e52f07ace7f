// Which of a user's attributes a mapping reads. An IdP's write changes one or two attributes; when none of them is
// read by a target's mapping (nor by what the target reads beside it), every field the target is sent is known to
// be as it was without evaluating the mapping twice, which the unseen-change check would otherwise do for every
// target on every write. Attributes are the user's top-level keys: core attribute names, and extension schema URNs
// (an extension object is read as a whole), compared ignoring case as SCIM names are.
import { isDeepStrictEqual } from "node:util";
import { exprSources } from "./expr.ts";
import { parseScimPath } from "./path.ts";
import type { MappingSpec } from "./spec.ts";

/** The top-level attributes a SCIM path starts from, lower-cased: its schema URN, else its first attribute. */
function attributeOf(path: string): string {
  const parsed = parseScimPath(path);
  return (parsed.urn ?? parsed.segments[0]?.name ?? "").toLowerCase();
}

/** The top-level attributes (lower-cased) the field expressions of `spec` read. Group rules read groups only. */
export function attributesRead(spec: MappingSpec): Set<string> {
  return new Set(Object.values(spec.fields).flatMap((expr) => exprSources(expr).map(attributeOf)));
}

/**
 * The top-level attributes (lower-cased) whose values differ between two SCIM bodies: present in one only, or
 * spelled otherwise ("title" become "Title", which a reader of the exact name sees as gone), included.
 */
export function changedAttributes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Set<string> {
  const changed = new Set<string>();
  for (const [k, v] of Object.entries(before))
    if (!Object.hasOwn(after, k) || !isDeepStrictEqual(v, after[k])) changed.add(k.toLowerCase());
  for (const k of Object.keys(after)) if (!Object.hasOwn(before, k)) changed.add(k.toLowerCase());
  return changed;
}
