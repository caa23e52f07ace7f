// A small SCIM service provider for the scim target's unit tests: users and groups in memory, with the
// capabilities (PATCH, Bulk, /Schemas), auth (bearer or OAuth client credentials) and faults a test chooses.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface PeerOptions {
  patch?: boolean;
  bulk?: boolean;
  /** The core User attributes /Schemas declares; undefined = no /Schemas endpoint. */
  userAttributes?: string[];
  enterprise?: boolean;
  /** "bearer" checks `token`; "oauth" serves /token and accepts only tokens it issued. */
  auth?: "bearer" | "oauth";
}

export interface RecordedCall {
  method: string;
  path: string;
  body?: unknown;
}

type Resource = Record<string, unknown> & { id: string };

export interface ScimPeer {
  url: string;
  tokenUrl: string;
  token: string;
  users: Map<string, Resource>;
  groups: Map<string, Resource>;
  calls: RecordedCall[];
  /** Answers the next `count` SCIM calls (to `path` only, when given) with this status and Retry-After. */
  fail(status: number, count?: number, retryAfter?: string, path?: string): void;
  /** Runs before each write (also inside Bulk) is handled: an admin's change on the peer at that moment. */
  beforeWrite?: (method: string, path: string) => void;
  /** Makes every issued OAuth token invalid (as a revocation would). */
  revokeTokens(): void;
  tokensIssued(): number;
  close(): Promise<void>;
}

const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

export async function startScimPeer(opts: PeerOptions = {}): Promise<ScimPeer> {
  const users = new Map<string, Resource>();
  const groups = new Map<string, Resource>();
  const calls: RecordedCall[] = [];
  const issued = new Set<string>();
  let tokensIssued = 0;
  const faults: { status: number; retryAfter?: string; path?: string }[] = [];
  const token = "peer-token-0123456789";

  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      ...(body === undefined ? {} : { "Content-Type": "application/scim+json" }),
      ...headers,
    });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const error = (status: number, detail: string, scimType?: string) => ({
    schemas: [ERROR],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  });

  function store(type: string) {
    return type.toLowerCase() === "users" ? users : groups;
  }

  function patch(r: Resource, ops: { op: string; path?: string; value?: unknown }[]) {
    for (const o of ops) {
      const op = o.op.toLowerCase();
      const m = o.path?.match(/^members\[value eq "(.+)"\]$/);
      if (op === "remove" && m)
        r.members = ((r.members as { value: string }[]) ?? []).filter((x) => x.value !== m[1]);
      else if (op === "add" && o.path === "members")
        r.members = [...((r.members as unknown[]) ?? []), ...(o.value as unknown[])];
      else if (op === "remove" && o.path) {
        const at = o.path.lastIndexOf(":");
        if (o.path.startsWith("urn:"))
          delete (r[o.path.slice(0, at)] as Record<string, unknown>)?.[o.path.slice(at + 1)];
        else delete r[o.path];
      } else if (op === "replace" && o.path) {
        const at = o.path.lastIndexOf(":");
        if (o.path.startsWith("urn:")) {
          const urn = o.path.slice(0, at);
          r[urn] = { ...(r[urn] as object), [o.path.slice(at + 1)]: o.value };
        } else r[o.path] = o.value;
      } else if (op === "replace") Object.assign(r, o.value);
    }
  }

  /** One SCIM write or read; returns [status, body, location]. */
  function handle(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
  ): [number, unknown, string?] {
    if (method !== "GET") peer.beforeWrite?.(method, path);
    const url = new URL(path, "http://x");
    const [type, id] = url.pathname.split("/").filter(Boolean);
    if (type !== "Users" && type !== "Groups") return [404, error(404, "no such endpoint")];
    const map = store(type);
    if (method === "GET" && !id) {
      const filter = url.searchParams.get("filter");
      const m = filter?.match(/^(\w+) eq "(.*)"$/);
      let all = [...map.values()];
      if (m) all = all.filter((r) => String(r[m[1]!] ?? "").toLowerCase() === m[2]!.toLowerCase());
      const start = Number(url.searchParams.get("startIndex") ?? 1);
      const count = Number(url.searchParams.get("count") ?? 100);
      const page = all.slice(start - 1, start - 1 + count);
      return [
        200,
        {
          schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
          totalResults: all.length,
          Resources: page,
        },
      ];
    }
    if (method === "POST" && !id) {
      const key = type === "Users" ? "userName" : "displayName";
      const taken = [...map.values()].some(
        (r) => String(r[key]).toLowerCase() === String(body?.[key]).toLowerCase(),
      );
      if (taken) return [409, error(409, `${key} is taken`, "uniqueness")];
      const r = { ...body, id: randomUUID() } as Resource;
      map.set(r.id, r);
      return [201, r, `/${type}/${r.id}`];
    }
    const r = id ? map.get(id) : undefined;
    if (!r) return [404, error(404, `${type}/${id} not found`)];
    if (method === "GET") return [200, r];
    if (method === "PUT") {
      const next = { ...body, id: r.id } as Resource;
      map.set(r.id, next);
      return [200, next];
    }
    if (method === "PATCH") {
      if (!opts.patch) return [501, error(501, "PATCH is not supported")];
      patch(r, (body?.Operations ?? []) as { op: string; path?: string; value?: unknown }[]);
      return [200, r];
    }
    if (method === "DELETE") {
      map.delete(r.id);
      return [204, undefined];
    }
    return [405, error(405, "method not allowed")];
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    for await (const c of req) raw += c;
    const path = req.url ?? "/";
    if (path === "/token") {
      tokensIssued++;
      const given = Buffer.from(
        String(req.headers.authorization).replace(/^Basic /, ""),
        "base64",
      ).toString();
      if (given !== "bridge:s3cret") return send(res, 401, { error: "invalid_client" });
      const t = randomUUID();
      issued.add(t);
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(JSON.stringify({ access_token: t, token_type: "Bearer", expires_in: 3600 }));
    }
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    const scimPath = path.replace(/^\/scim\/v2/, "");
    calls.push({ method: req.method ?? "GET", path: scimPath, ...(body ? { body } : {}) });
    const bearer = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (opts.auth === "oauth" ? !issued.has(bearer) : bearer !== token)
      return send(res, 401, error(401, "bad token"));
    const at = faults.findIndex((f) => !f.path || f.path === scimPath);
    const fault = at < 0 ? undefined : faults.splice(at, 1)[0];
    if (fault)
      return send(
        res,
        fault.status,
        error(fault.status, "injected"),
        fault.retryAfter ? { "Retry-After": fault.retryAfter } : {},
      );
    if (scimPath === "/ServiceProviderConfig") {
      return send(res, 200, {
        patch: { supported: !!opts.patch },
        bulk: { supported: !!opts.bulk, maxOperations: 2, maxPayloadSize: 100_000 },
        filter: { supported: true, maxResults: 100 },
      });
    }
    if (scimPath === "/Schemas") {
      if (!opts.userAttributes) return send(res, 404, error(404, "no schemas"));
      const attrs = (names: string[]) => names.map((name) => ({ name, mutability: "readWrite" }));
      const list = [
        {
          id: "urn:ietf:params:scim:schemas:core:2.0:User",
          attributes: [...attrs(opts.userAttributes), { name: "groups", mutability: "readOnly" }],
        },
        ...(opts.enterprise
          ? [
              {
                id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                attributes: attrs(["department", "manager"]),
              },
            ]
          : []),
      ];
      return send(res, 200, { totalResults: list.length, Resources: list });
    }
    if (scimPath === "/Bulk" && req.method === "POST") {
      if (!opts.bulk) return send(res, 404, error(404, "no bulk"));
      const ops = (body?.Operations ?? []) as {
        method: string;
        bulkId?: string;
        path: string;
        data?: Record<string, unknown>;
      }[];
      const Operations = ops.map((o) => {
        const [status, response, location] = handle(o.method, o.path, o.data);
        return {
          method: o.method,
          ...(o.bulkId ? { bulkId: o.bulkId } : {}),
          ...(location ? { location: `http://peer${location}` } : {}),
          status: String(status),
          ...(status >= 400 ? { response } : {}),
        };
      });
      return send(res, 200, { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"], Operations });
    }
    const [status, out, location] = handle(req.method ?? "GET", scimPath, body);
    send(res, status, out, location ? { Location: location } : {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const peer: ScimPeer = {
    url: `${base}/scim/v2`,
    tokenUrl: `${base}/token`,
    token,
    users,
    groups,
    calls,
    fail: (status, count = 1, retryAfter, path) => {
      for (let i = 0; i < count; i++)
        faults.push({ status, ...(retryAfter ? { retryAfter } : {}), ...(path ? { path } : {}) });
    },
    revokeTokens: () => issued.clear(),
    tokensIssued: () => tokensIssued,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return peer;
}
