// What the peer says it can do: /ServiceProviderConfig (PATCH, Bulk, filter) and /Schemas (which attributes
// and extensions its User knows). Read once and kept; a peer without discovery gets the RFC's minimum.
import type { ScimClient } from "./client.ts";
import { classifyPeerAnswer, PeerRefused } from "./outcome.ts";

export const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

export interface PeerCapabilities {
  patch: boolean;
  /** Absent when the peer has no Bulk endpoint. */
  bulk?: { maxOperations: number; maxPayloadSize: number };
  filter: boolean;
  /**
   * The writable attributes of the peer's User, lower-cased name → the peer's spelling, by schema URN
   * (core and each extension). Undefined when the peer publishes no /Schemas: then nothing is filtered.
   */
  userSchemas?: Map<string, Map<string, string>>;
}

const num = (v: unknown, fallback: number) => (typeof v === "number" && v > 0 ? v : fallback);

/** Pure: capabilities from the two discovery answers (either may be missing). */
export function capabilitiesFrom(spc: unknown, schemas: unknown): PeerCapabilities {
  const c = (spc ?? {}) as Record<
    string,
    { supported?: unknown; maxOperations?: unknown; maxPayloadSize?: unknown }
  >;
  const caps: PeerCapabilities = {
    patch: c.patch?.supported === true,
    // A peer that publishes no configuration still has to answer `userName eq` (RFC 7644 §3.4.2.2 is MUST for GET).
    filter: c.filter?.supported !== false,
  };
  if (c.bulk?.supported === true) {
    caps.bulk = {
      maxOperations: num(c.bulk.maxOperations, 100),
      maxPayloadSize: num(c.bulk.maxPayloadSize, 1_048_576),
    };
  }
  const list = Array.isArray(schemas)
    ? schemas
    : Array.isArray((schemas as { Resources?: unknown })?.Resources)
      ? (schemas as { Resources: unknown[] }).Resources
      : undefined;
  if (list?.some((s) => (s as { id?: unknown }).id === CORE_USER)) {
    caps.userSchemas = new Map();
    for (const s of list as { id?: unknown; attributes?: unknown }[]) {
      if (typeof s.id !== "string" || !Array.isArray(s.attributes)) continue;
      if (s.id === CORE_GROUP || (!s.id.includes(":User") && s.id !== CORE_USER)) continue;
      const attrs = new Map<string, string>();
      for (const a of s.attributes as { name?: unknown; mutability?: unknown }[]) {
        if (typeof a.name !== "string" || a.mutability === "readOnly") continue;
        attrs.set(a.name.toLowerCase(), a.name);
      }
      caps.userSchemas.set(s.id, attrs);
    }
  }
  return caps;
}

/** Reads the peer's discovery endpoints. A 404 means "not published"; any other failure is thrown. */
export async function discover(client: ScimClient): Promise<PeerCapabilities> {
  const read = async (path: string) => {
    const res = await client.request("GET", path);
    if (res.status >= 200 && res.status < 300) return res.body;
    if (res.status === 404 || res.status === 501) return undefined;
    throw new PeerRefused(
      classifyPeerAnswer(client.retry, res.status, res.body, res.headers.get("retry-after"), res.text),
    );
  };
  const [spc, schemas] = await Promise.all([read("/ServiceProviderConfig"), read("/Schemas")]);
  return capabilitiesFrom(spc, schemas);
}
