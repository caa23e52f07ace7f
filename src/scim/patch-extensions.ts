// PATCH operations on a whole extension object (RFC 7644 §3.5.2): `"path": "<extension URN>"`, or a no-path value
// with the URN as a key. scimmy cannot apply these (it throws JavaScript errors on its frozen instances), so they are
// applied here on the stored body: add merges, replace replaces, remove clears. The result is validated as strictly
// as a POST by the caller. Read-only extensions (the provisioning status) are refused with `mutability`.
import { BridgeError } from "../errors.ts";
import type { PatchOperation } from "./dialects.ts";

export interface ExtensionInfo {
  id: string;
  /** True when no attribute of the extension may be written (the provisioning status). */
  readOnly: boolean;
}

export interface SplitOps {
  /** An operation for scimmy / the simple path, or one aimed at a whole extension object. */
  steps: (
    | { kind: "other"; op: PatchOperation }
    | { kind: "extension"; op: PatchOperation; urn: string; index: number }
  )[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

const readOnlyError = (path: string, op: string, index: number) =>
  new BridgeError(
    "SCIM_MUTABILITY",
    `Attribute '${path}' is read-only (set by the bridge); '${op}' op of operation ${index + 1} in PatchOp request body cannot change it`,
  );

/**
 * Splits the operations into steps, in order: whole-extension operations apart from the rest. A no-path value's
 * URN keys become their own steps. Throws `mutability` for any operation aimed at a read-only extension.
 */
export function splitExtensionOps(ops: PatchOperation[], extensions: ExtensionInfo[]): SplitOps {
  const byLower = new Map(extensions.map((e) => [e.id.toLowerCase(), e]));
  const readOnlyPrefix = (path: string) =>
    extensions.find((e) => e.readOnly && path.toLowerCase().startsWith(`${e.id.toLowerCase()}:`));
  const steps: SplitOps["steps"] = [];
  ops.forEach((o, i) => {
    if (o.path) {
      const ext = byLower.get(o.path.toLowerCase());
      if (ext?.readOnly || readOnlyPrefix(o.path)) throw readOnlyError(o.path, o.op, i);
      steps.push(ext ? { kind: "extension", op: o, urn: ext.id, index: i } : { kind: "other", op: o });
      return;
    }
    if (!isObject(o.value)) {
      steps.push({ kind: "other", op: o });
      return;
    }
    const rest: Record<string, unknown> = {};
    const own: SplitOps["steps"] = [];
    for (const [key, v] of Object.entries(o.value)) {
      const ext = byLower.get(key.toLowerCase());
      if (ext?.readOnly) throw readOnlyError(key, o.op, i);
      if (ext)
        own.push({ kind: "extension", op: { op: o.op, path: ext.id, value: v }, urn: ext.id, index: i });
      else rest[key] = v;
    }
    if (Object.keys(rest).length) steps.push({ kind: "other", op: { ...o, value: rest } });
    steps.push(...own);
  });
  return { steps };
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `add` of a complex value: singular sub-attributes are set, multi-valued ones gain the new elements. */
function merge(current: Record<string, unknown>, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...current };
  for (const [key, v] of Object.entries(value)) {
    const existingKey = Object.keys(out).find((k) => k.toLowerCase() === key.toLowerCase()) ?? key;
    const existing = out[existingKey];
    if (Array.isArray(existing) && Array.isArray(v)) {
      out[existingKey] = [...existing, ...v.filter((x) => !existing.some((e) => sameValue(e, x)))];
    } else if (isObject(existing) && isObject(v)) out[existingKey] = { ...existing, ...v };
    else out[existingKey] = v;
  }
  return out;
}

/** Applies one whole-extension operation to a stored body; keeps `schemas` listing the extensions that hold data. */
export function applyExtensionOp(
  data: Record<string, unknown>,
  urn: string,
  o: PatchOperation,
  index: number,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...data };
  const current = isObject(data[urn]) ? (data[urn] as Record<string, unknown>) : {};
  let ext: Record<string, unknown>;
  if (o.op === "remove") ext = {};
  else {
    if (!isObject(o.value)) {
      throw new BridgeError(
        "SCIM_INVALID_VALUE",
        `'${o.op}' op of operation ${index + 1}: the value for '${urn}' must be an object of its attributes`,
      );
    }
    ext = o.op === "add" ? merge(current, o.value) : { ...o.value };
  }
  const schemas = ((data.schemas as string[] | undefined) ?? []).filter((s) => s !== urn);
  if (Object.keys(ext).length) {
    next[urn] = ext;
    next.schemas = [...schemas, urn];
  } else {
    delete next[urn];
    next.schemas = schemas;
  }
  return next;
}
