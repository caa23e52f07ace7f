// POST /Bulk (RFC 7644 §3.7), our own: bulkId references (also to a later POST), failOnErrors, maxOperations and
// maxPayloadSize (413), each operation atomic, and runs of user creates written in a few store round trips.
import { type Request, type Response, Router } from "express";
import type { Directory, Queued, ResourceType, WriteContext } from "../directory/index.ts";
import { BridgeError, excerpt } from "../errors.ts";
import { jsonProblem } from "../input.ts";
import { nameKey } from "../store/index.ts";
import { scimErrorBody, toBridgeError } from "./errors.ts";
import { versionTag } from "./resource-codec.ts";
import { BULK_REQUEST, BULK_RESPONSE } from "./schemas.ts";
import { createResource, patchResource, replaceResource, validateResource } from "./writes.ts";

export interface BulkOptions {
  directory: Directory;
  maxOperations: number;
  maxPayloadSize: number;
  baseUrl: (req: Request) => string;
  /** Returns whether it waited for delivery (the status changed since the write). */
  afterWrite?: (ctx: WriteContext, queued: Queued, resourceId: string) => Promise<boolean>;
  writeContext: (req: Request, res: Response) => WriteContext;
  /**
   * The error a client gets for an operation's failure; an unexpected one is logged with the request id (the HTTP
   * layer's `clientError`). Without it, the error is only converted.
   */
  clientError?: (err: unknown, req: Request, res: Response, context?: object) => BridgeError;
}

interface BulkOp {
  method: string;
  bulkId?: string;
  version?: string;
  path: string;
  data?: unknown;
}

interface BulkResult {
  method: string;
  bulkId?: string;
  location?: string;
  version?: string;
  status: string;
  response?: unknown;
}

const TYPES: Record<string, ResourceType> = { users: "User", groups: "Group" };
const PATH = /^\/(Users|Groups)(?:\/([^/?#]+))?$/i;
/** `bulkId:<id>` as a whole string; the id is what follows the prefix. */
const refOf = (v: string) => (v.startsWith("bulkId:") && v.length > 7 ? v.slice(7) : undefined);

/** Every `bulkId:<id>` string in the path and data of an operation. */
function references(op: BulkOp): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === "string") {
      const ref = refOf(v);
      if (ref !== undefined) out.add(ref);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(op.path.split("/").pop());
  walk(op.data);
  return [...out];
}

/** `/Users/bulkId:x` with x created: the last segment replaced by the new id (no regex over client text). */
function resolvePathRef(path: string, ids: Map<string, string>): string {
  const slash = path.lastIndexOf("/");
  const last = path.slice(slash + 1);
  if (!last.startsWith("bulkId:")) return path;
  const id = ids.get(last.slice("bulkId:".length));
  return id ? `${path.slice(0, slash + 1)}${id}` : path;
}

function resolve<T>(v: T, ids: Map<string, string>): T {
  if (typeof v === "string") {
    const ref = refOf(v);
    return (ref !== undefined && ids.has(ref) ? ids.get(ref) : v) as T;
  }
  if (Array.isArray(v)) return v.map((x) => resolve(x, ids)) as T;
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, ids)])) as T;
  }
  return v;
}

/** The edge checked the body's nesting and keys; its strings are checked per operation, so one bad one fails alone. */
function storable(data: unknown) {
  const problem = jsonProblem(data);
  if (problem) throw problem;
}

/** An operation's failure as its result. */
type Fail = (op: BulkOp, e: unknown, location?: string) => BulkResult;

function failure(op: BulkOp, err: BridgeError, location?: string): BulkResult {
  return {
    method: op.method,
    ...(op.bulkId ? { bulkId: op.bulkId } : {}),
    ...(location ? { location } : {}),
    status: String(err.status),
    response: scimErrorBody(err.status, err.message, err.scimType),
  };
}

function parseRequest(body: unknown, maxOperations: number): { ops: BulkOp[]; failOnErrors: number } {
  const b = body as { schemas?: unknown; Operations?: unknown; failOnErrors?: unknown };
  if (!b || typeof b !== "object" || !Array.isArray(b.schemas) || !b.schemas.includes(BULK_REQUEST)) {
    throw new BridgeError("SCIM_INVALID_SYNTAX", `A bulk request must have "schemas": ["${BULK_REQUEST}"]`);
  }
  if (!Array.isArray(b.Operations) || !b.Operations.length) {
    throw new BridgeError("SCIM_INVALID_SYNTAX", 'A bulk request must have a non-empty "Operations" array');
  }
  if (b.Operations.length > maxOperations) {
    throw new BridgeError(
      "SCIM_PAYLOAD_TOO_LARGE",
      `The bulk request has ${b.Operations.length} operations; maxOperations is ${maxOperations}`,
    );
  }
  const f = b.failOnErrors;
  if (f !== undefined && (!Number.isInteger(f) || (f as number) < 1)) {
    throw new BridgeError("SCIM_INVALID_VALUE", "failOnErrors must be an integer of at least 1");
  }
  const ops = b.Operations.map((o) => {
    const x = (o ?? {}) as Record<string, unknown>;
    return {
      method: typeof x.method === "string" ? x.method.toUpperCase() : String(x.method),
      ...(typeof x.bulkId === "string" ? { bulkId: x.bulkId } : {}),
      ...(typeof x.version === "string" ? { version: x.version } : {}),
      path: typeof x.path === "string" ? x.path : "",
      ...(x.data !== undefined ? { data: x.data } : {}),
    };
  });
  return { ops, failOnErrors: (f as number | undefined) ?? Number.POSITIVE_INFINITY };
}

export function bulkRouter(opts: BulkOptions): Router {
  const router = Router();
  router.post("/Bulk", async (req, res) => {
    const length = Number(req.get("content-length") ?? JSON.stringify(req.body ?? null).length);
    if (length > opts.maxPayloadSize) {
      throw new BridgeError(
        "SCIM_PAYLOAD_TOO_LARGE",
        `The bulk request is ${length} bytes; maxPayloadSize is ${opts.maxPayloadSize}`,
      );
    }
    const { ops, failOnErrors } = parseRequest(req.body, opts.maxOperations);
    const base = opts.baseUrl(req);
    const shared = opts.writeContext(req, res);
    // What every operation queued, to wait for (Prefer: wait=N) once they are all written.
    const queued = new Map<string, Set<string>>();
    const fail: Fail = (op, e, location) =>
      failure(
        op,
        opts.clientError
          ? opts.clientError(e, req, res, {
              operation: { method: op.method, path: op.path, bulkId: op.bulkId },
            })
          : toBridgeError(e),
        location,
      );
    const results = await runBulk(opts.directory, ops, failOnErrors, base, shared, queued, fail);
    if (opts.afterWrite) {
      await Promise.all([...queued.keys()].map((id) => opts.afterWrite!(shared, queued, id)));
    }
    res.status(200).setHeader("Content-Type", "application/scim+json; charset=utf-8");
    res.end(JSON.stringify({ schemas: [BULK_RESPONSE], Operations: results.filter(Boolean) }));
  });
  return router;
}

async function runBulk(
  directory: Directory,
  ops: BulkOp[],
  failOnErrors: number,
  base: string,
  shared: WriteContext,
  queued: Map<string, Set<string>>,
  fail: Fail,
): Promise<(BulkResult | undefined)[]> {
  const results: (BulkResult | undefined)[] = new Array(ops.length);
  const created = new Map<string, string>();
  const failedIds = new Set<string>();
  const definedBy = new Map(ops.flatMap((o, i) => (o.method === "POST" && o.bulkId ? [[o.bulkId, i]] : [])));
  let errors = 0;
  const record = (i: number, r: BulkResult) => {
    results[i] = r;
    if (Number(r.status) >= 400) {
      errors++;
      if (ops[i]!.bulkId) failedIds.add(ops[i]!.bulkId!);
    }
  };
  const ctxFor = (op: BulkOp): WriteContext => ({
    ...shared,
    ...(op.version ? { ifMatch: op.version } : {}),
  });

  let pending = ops.map((_, i) => i);
  while (pending.length && errors < failOnErrors) {
    const next: number[] = [];
    let progressed = false;
    for (let k = 0; k < pending.length && errors < failOnErrors; k++) {
      const i = pending[k]!;
      const op = ops[i]!;
      const refs = references(op);
      const failedRef = refs.find((r) => failedIds.has(r) || !definedBy.has(r));
      if (failedRef !== undefined) {
        record(i, conflict(op, `bulkId:${failedRef} does not name a POST of this request that succeeded`));
        progressed = true;
        continue;
      }
      if (refs.some((r) => !created.has(r))) {
        next.push(i);
        continue;
      }
      progressed = true;
      // A run of user creates without references is written together.
      const run = [i];
      while (
        isPlainUserCreate(op) &&
        k + 1 < pending.length &&
        isPlainUserCreate(ops[pending[k + 1]!]!) &&
        !references(ops[pending[k + 1]!]!).length
      ) {
        run.push(pending[++k]!);
      }
      if (run.length > 1) {
        await createUsers(
          directory,
          run,
          ops,
          ctxFor,
          base,
          created,
          queued,
          record,
          () => errors < failOnErrors,
          fail,
        );
      } else {
        const path = resolvePathRef(op.path, created);
        record(
          i,
          await runOne(directory, { ...resolve(op, created), path }, ctxFor(op), base, created, queued, fail),
        );
      }
    }
    if (!progressed) {
      for (const i of next)
        record(i, conflict(ops[i]!, "The bulkId references of this operation are circular"));
      break;
    }
    pending = next;
  }
  return results;
}

const conflict = (op: BulkOp, detail: string): BulkResult => ({
  method: op.method,
  ...(op.bulkId ? { bulkId: op.bulkId } : {}),
  status: "409",
  response: scimErrorBody(409, detail),
});

function addQueued(into: Map<string, Set<string>>, queued: Queued) {
  for (const [id, targets] of queued) {
    const seen = into.get(id);
    if (seen) for (const t of targets) seen.add(t);
    else into.set(id, new Set(targets));
  }
}

const isPlainUserCreate = (op: BulkOp) => op.method === "POST" && /^\/Users$/i.test(op.path);

const success = (
  op: BulkOp,
  base: string,
  type: ResourceType,
  id: string,
  version: number,
  status: number,
) => ({
  method: op.method,
  ...(op.bulkId ? { bulkId: op.bulkId } : {}),
  location: `${base}/${type === "User" ? "Users" : "Groups"}/${id}`,
  version: versionTag(version),
  status: String(status),
});

async function runOne(
  directory: Directory,
  op: BulkOp,
  ctx: WriteContext,
  base: string,
  created: Map<string, string>,
  queued: Map<string, Set<string>>,
  fail: Fail,
): Promise<BulkResult> {
  const m = op.path.match(PATH);
  const type = m ? TYPES[m[1]!.toLowerCase()] : undefined;
  const id = m?.[2];
  const location = type && id ? `${base}/${type === "User" ? "Users" : "Groups"}/${id}` : undefined;
  try {
    storable(op.data);
    if (!type || (op.method === "POST") !== (id === undefined)) {
      throw new BridgeError(
        "SCIM_INVALID_PATH",
        `Invalid path "${op.path}" for ${op.method} in a bulk request`,
      );
    }
    switch (op.method) {
      case "POST": {
        if (!op.bulkId) throw new BridgeError("SCIM_INVALID_SYNTAX", "A bulk POST operation needs a bulkId");
        const { view, queued: mine } = await createResource(directory, type, op.data, ctx);
        addQueued(queued, mine);
        created.set(op.bulkId, view.resource.id);
        return success(op, base, type, view.resource.id, view.resource.version, 201);
      }
      case "PUT": {
        const { view, queued: mine } = await replaceResource(directory, type, id!, op.data, ctx);
        addQueued(queued, mine);
        return success(op, base, type, id!, view.resource.version, 200);
      }
      case "PATCH": {
        const { view, queued: mine } = await patchResource(directory, type, id!, op.data, ctx);
        addQueued(queued, mine);
        return success(op, base, type, id!, view.resource.version, 200);
      }
      case "DELETE":
        addQueued(queued, (await directory.delete(type, id!, ctx)).queued);
        return { method: op.method, ...(location ? { location } : {}), status: "204" };
      default:
        throw new BridgeError("SCIM_INVALID_SYNTAX", `Invalid method "${op.method}" in a bulk operation`);
    }
  } catch (e) {
    return fail(op, e, location);
  }
}

/**
 * Validates each create on its own (a failure is that operation's result), refuses userNames that are taken or
 * repeated in the run, writes the rest in one transaction, and falls back to one transaction each if that fails.
 */
async function createUsers(
  directory: Directory,
  run: number[],
  ops: BulkOp[],
  ctxFor: (op: BulkOp) => WriteContext,
  base: string,
  created: Map<string, string>,
  queued: Map<string, Set<string>>,
  record: (i: number, r: BulkResult) => void,
  goOn: () => boolean,
  fail: Fail,
) {
  const valid: { i: number; data: Record<string, unknown>; password?: string }[] = [];
  const names = run.map((i) => {
    const n = (ops[i]!.data as { userName?: unknown } | undefined)?.userName;
    return typeof n === "string" ? n : "";
  });
  // Names that cannot be stored are taken by nobody; they fail their own operation's validation below.
  const taken = await directory.takenNames("User", names);
  for (const i of run) {
    if (!goOn()) break;
    const op = ops[i]!;
    try {
      if (!op.bulkId) throw new BridgeError("SCIM_INVALID_SYNTAX", "A bulk POST operation needs a bulkId");
      storable(op.data);
      const v = validateResource("User", op.data);
      const name = nameKey(String(v.data.userName));
      if (taken.has(name)) {
        throw new BridgeError(
          "SCIM_UNIQUENESS",
          `userName ${excerpt(v.data.userName, 80)} is already taken by another User`,
        );
      }
      taken.add(name);
      valid.push({ i, data: v.data, ...(v.password ? { password: v.password } : {}) });
    } catch (e) {
      record(i, fail(op, e));
    }
  }
  try {
    const { resources: rows, queued: mine } = await directory.createMany(
      "User",
      valid.map((x) => ({
        data: x.data,
        ...(x.password ? { password: x.password } : {}),
        ctx: ctxFor(ops[x.i]!),
      })),
    );
    addQueued(queued, mine);
    rows.forEach((r, k) => {
      const op = ops[valid[k]!.i]!;
      created.set(op.bulkId!, r.id);
      record(valid[k]!.i, success(op, base, "User", r.id, r.version, 201));
    });
  } catch {
    for (const x of valid) {
      if (!goOn()) break;
      record(x.i, await runOne(directory, ops[x.i]!, ctxFor(ops[x.i]!), base, created, queued, fail));
    }
  }
}
