// The writes behind /Users, /Groups and /Bulk: validation (strict, after the IdP dialects are normalised), PATCH
// (membership ops as row changes, simple ops directly, the rest through scimmy) and the directory calls.
import type { Directory, Queued, ResourceView, UpdateRequest, WriteContext } from "../directory/index.ts";
import { BridgeError } from "../errors.ts";
import { FILTER_LIMITS, FilterError, formatPatchPath, parsePatchPath } from "../store/filter/index.ts";
import type { Member, ResourceType } from "../store/index.ts";
import { normalisePatchOperations, normaliseResourceBody, type PatchOperation } from "./dialects.ts";
import { applyPatch } from "./patch.ts";
import { toMembers, validateGroup, validateUser } from "./resource-codec.ts";
import { CORE_GROUP, CORE_USER, PATCH_OP, userExtensionIds } from "./schemas.ts";

export interface ValidatedResource {
  data: Record<string, unknown>;
  password?: string;
  members?: Member[];
}

/** A POST or PUT body (also in /Bulk), validated; its readOnly attributes are ignored (RFC 7644 §3.3, §3.5.1). */
export function validateResource(type: ResourceType, body: unknown): ValidatedResource {
  const normalised = normaliseResourceBody(body);
  if (type === "User") return { ...validateUser(normalised) };
  const g = validateGroup(normalised);
  return { data: g.data, ...(g.members ? { members: g.members } : {}) };
}

export async function createResource(
  directory: Directory,
  type: ResourceType,
  body: unknown,
  ctx: WriteContext,
): Promise<{ view: ResourceView; queued: Queued; v: ValidatedResource }> {
  const v = validateResource(type, body);
  return { ...(await directory.create(type, v.data, ctx, v)), v };
}

export async function replaceResource(
  directory: Directory,
  type: ResourceType,
  id: string,
  body: unknown,
  ctx: WriteContext,
  include?: UpdateRequest["include"],
): Promise<{ view: ResourceView; queued: Queued }> {
  const v = validateResource(type, body);
  return directory.update(type, id, { ...v, ...(include ? { include } : {}) }, ctx);
}

export async function patchResource(
  directory: Directory,
  type: ResourceType,
  id: string,
  body: unknown,
  ctx: WriteContext,
  include?: UpdateRequest["include"],
): Promise<{ view: ResourceView; queued: Queued }> {
  const ops = parsePatch(body, [CORE_USER, CORE_GROUP, ...userExtensionIds()]);
  const { memberDelta, rest } =
    type === "Group" ? splitMemberOps(ops) : { memberDelta: undefined, rest: ops };
  return directory.update(
    type,
    id,
    {
      ...(rest.length
        ? { mutate: (current: Record<string, unknown>) => applyPatch(type, current, rest) }
        : {}),
      ...(memberDelta?.add.length ? { addMembers: memberDelta.add } : {}),
      ...(memberDelta?.remove ? { removeMembers: memberDelta.remove } : {}),
      ...(include ? { include } : {}),
    },
    ctx,
  );
}

/** Operations in one PATCH body: far above what an IdP sends (a few), low enough to bound the work of one request. */
export const PATCH_MAX_OPERATIONS = 1_000;

export function parsePatch(body: unknown, declaredUrns: string[]): PatchOperation[] {
  const b = body as { schemas?: unknown; Operations?: unknown };
  if (!b || typeof b !== "object" || !Array.isArray(b.schemas) || !b.schemas.includes(PATCH_OP)) {
    throw new BridgeError("SCIM_INVALID_SYNTAX", `A PATCH body must have "schemas": ["${PATCH_OP}"]`);
  }
  if (!Array.isArray(b.Operations) || !b.Operations.length) {
    throw new BridgeError("SCIM_INVALID_SYNTAX", 'A PATCH body must have a non-empty "Operations" array');
  }
  if (b.Operations.length > PATCH_MAX_OPERATIONS) {
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `A PATCH body has ${b.Operations.length} operations; the limit is ${PATCH_MAX_OPERATIONS} (send several requests)`,
    );
  }
  return b.Operations.flatMap((o, i) => {
    const op = (o as PatchOperation)?.op;
    if (typeof op !== "string" || !/^(add|remove|replace)$/i.test(op)) {
      throw new BridgeError(
        "SCIM_INVALID_SYNTAX",
        `Operation ${i + 1}: "op" must be "add", "remove" or "replace", got ${JSON.stringify(op ?? null)}`,
      );
    }
    return normalisePatchOperations(o as PatchOperation, declaredUrns).map((n) => checkOperation(n, i));
  });
}

/**
 * RFC 7644 §3.5.2: add and replace carry a value (without one, scimmy would delete the attribute). A path is
 * parsed by the filter parser (linear time, bounded) and handed on in canonical form, so scimmy's backtracking
 * path expressions only ever see a well-formed path.
 */
function checkOperation(o: PatchOperation, i: number): PatchOperation {
  if (o.op !== "remove" && o.value === undefined) {
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `Operation ${i + 1}: '${o.op}' needs a "value" (to clear an attribute, use 'remove')`,
    );
  }
  if (o.path === undefined) return o;
  try {
    const path = formatPatchPath(parsePatchPath(o.path));
    // The canonical form may add parentheses; it is what scimmy will split, so it is what must fit too.
    if (path.length > FILTER_LIMITS.maxPathLength) {
      throw new FilterError(
        `The path is longer than ${FILTER_LIMITS.maxPathLength} characters once normalised`,
      );
    }
    return { ...o, path };
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    throw new BridgeError("SCIM_INVALID_PATH", `Operation ${i + 1}: invalid "path": ${e.message}`);
  }
}

const MEMBER_FILTER = /^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i;

/**
 * Separates membership operations (applied as row inserts/deletes) from the rest (applied by scimmy), in the
 * three shapes IdPs send: RFC filter removal (Okta), a value list without a filter (Entra), and add/replace.
 */
function splitMemberOps(ops: PatchOperation[]) {
  const add = new Map<string, Member>();
  let remove: Set<string> | "all" | undefined;
  const rest: PatchOperation[] = [];
  const doRemove = (ids: string[]) => {
    for (const id of ids) add.delete(id);
    if (remove === "all") return;
    remove ??= new Set();
    for (const id of ids) remove.add(id);
  };
  const doAdd = (members: Member[]) => {
    for (const m of members) add.set(m.value, m);
  };
  for (const o of ops) {
    const path = o.path?.toLowerCase();
    const filtered = o.path?.match(MEMBER_FILTER);
    if (path === "members") {
      const values = o.value === undefined || o.value === null ? [] : toMembers(asArray(o.value));
      if (o.op === "add") doAdd(values);
      else if (o.op === "replace") {
        add.clear();
        remove = "all";
        doAdd(values);
      } else if (values.length) doRemove(values.map((m) => m.value));
      else {
        add.clear();
        remove = "all";
      }
    } else if (filtered && o.op === "remove") {
      doRemove(toMembers([filtered[1]!]).map((m) => m.value));
    } else if (!o.path && o.value && typeof o.value === "object" && Object.hasOwn(o.value, "members")) {
      const { members, ...others } = o.value as { members?: unknown };
      const values = toMembers(asArray(members ?? []));
      if (o.op === "replace") {
        add.clear();
        remove = "all";
      }
      doAdd(values);
      if (Object.keys(others).length) rest.push({ ...o, value: others });
    } else rest.push(o);
  }
  const touched = add.size > 0 || remove !== undefined;
  return {
    memberDelta: touched
      ? { add: [...add.values()], remove: remove === "all" ? ("all" as const) : remove && [...remove] }
      : undefined,
    rest,
  };
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
