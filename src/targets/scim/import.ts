// A peer's SCIM User as a User of this bridge, for import: the core and enterprise attributes as the peer
// has them; its server-set parts (id, meta, groups) and extensions this bridge does not share are left out.
import type { TargetAccount } from "../target.ts";
import { CORE_USER, ENTERPRISE_USER } from "./discovery.ts";
import { CORE_ATTRIBUTES } from "./mapping.ts";

export function scimUserFromPeer(a: TargetAccount): Record<string, unknown> {
  const out: Record<string, unknown> = { schemas: [CORE_USER] };
  const byLower = new Map(Object.entries(a.fields).map(([k, v]) => [k.toLowerCase(), v]));
  for (const name of CORE_ATTRIBUTES) {
    const v = byLower.get(name.toLowerCase());
    if (v !== undefined && v !== null) out[name] = v;
  }
  out.userName = a.key;
  out.active = a.active;
  // The manager is the peer's id of another peer user, which means nothing in this store.
  const { manager: _manager, ...ent } = (a.fields[ENTERPRISE_USER] ?? {}) as Record<string, unknown>;
  if (Object.keys(ent).length) {
    out[ENTERPRISE_USER] = ent;
    out.schemas = [CORE_USER, ENTERPRISE_USER];
  }
  return out;
}
