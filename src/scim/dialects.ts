// Identity providers' deviations from RFC 7644, normalised before scimmy validates anything.
// Sources: ../shared/reference/idp-dialects.md.

const BOOLEAN_ATTRS = new Set(["active", "primary"]);

/** Entra sends "True"/"False" for booleans, in PATCH values and sometimes in bodies. */
function toBoolean(v: unknown): unknown {
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  return v;
}

function fixBooleans(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => fixBooleans(v, key));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fixBooleans(v, k);
    return out;
  }
  return key && BOOLEAN_ATTRS.has(key) ? toBoolean(value) : value;
}

const MANAGER = /(^|:)manager$/i;

/** Entra sends the enterprise manager as a bare id string instead of {value}. */
function fixManager(body: Record<string, unknown>) {
  for (const [k, ext] of Object.entries(body)) {
    if (
      k.startsWith("urn:") &&
      ext &&
      typeof ext === "object" &&
      typeof (ext as { manager?: unknown }).manager === "string"
    ) {
      (ext as { manager: unknown }).manager = { value: (ext as { manager: string }).manager };
    }
  }
}

export function normaliseResourceBody(body: unknown): unknown {
  if (!body || typeof body !== "object" || Array.isArray(body)) return body;
  const out = fixBooleans(body) as Record<string, unknown>;
  fixManager(out);
  return out;
}

export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

/** Normalises one PATCH operation: lower-case op, string booleans, manager strings. */
export function normalisePatchOperation(o: PatchOperation): PatchOperation {
  const op = typeof o.op === "string" ? o.op.toLowerCase() : o.op;
  const path = typeof o.path === "string" ? o.path.trim() : o.path;
  let value = o.value;
  const leaf = path?.split(/[.:]/).pop() ?? "";
  if (path && BOOLEAN_ATTRS.has(leaf)) value = toBoolean(value);
  else value = fixBooleans(value);
  if (path && MANAGER.test(path) && typeof value === "string") value = value === "" ? null : { value };
  const out: PatchOperation = { op, ...(path ? { path } : {}) };
  if (o.value !== undefined) out.value = value;
  return out;
}
