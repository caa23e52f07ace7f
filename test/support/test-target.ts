// A deliberately plain accounts API used to prove the delivery engine (crashes, retries, order, two processes)
// without a vendor's quirks. It enforces nothing: a duplicate POST creates a duplicate account, so any
// double delivery by the bridge is visible.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface TestAccount {
  id: string;
  key: string;
  fields: Record<string, unknown>;
  active: boolean;
  kind: "user" | "group";
  members: string[];
}

export interface TestTargetFaults {
  /** Share of mutating calls answered 503 (retryable). */
  errorRate: number;
  latencyMs: number;
  /** The next this many mutating calls are answered 429 with `retryAfter` (it counts down). */
  rateLimitNext: number;
  /** The Retry-After (seconds) sent with those 429s. */
  retryAfter: string;
}

export interface TestTargetLogEntry {
  seq: number;
  method: string;
  accountId?: string;
  key?: string;
  active?: boolean;
  /** The account's fields after this change (a copy). */
  fields?: Record<string, unknown>;
}

export interface RunningTestTarget {
  url: string;
  accounts: Map<string, TestAccount>;
  /** Every successful mutation, in the order the server applied it. */
  log: TestTargetLogEntry[];
  setFaults(f: Partial<TestTargetFaults>): void;
  /** Keys whose create/update is refused with 422 (a permanent failure). */
  rejectKeys: Set<string>;
  /** The most requests it has been answering at once. */
  readonly maxInFlight: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body?: unknown) {
  res.writeHead(status, body === undefined ? {} : { "Content-Type": "application/json" });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

export async function startTestTarget(
  opts: { port?: number; faults?: Partial<TestTargetFaults> } = {},
): Promise<RunningTestTarget> {
  const faults: TestTargetFaults = {
    errorRate: 0,
    latencyMs: 0,
    rateLimitNext: 0,
    retryAfter: "0",
    ...opts.faults,
  };
  const accounts = new Map<string, TestAccount>();
  const log: TestTargetLogEntry[] = [];
  const rejectKeys = new Set<string>();
  let seq = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer(async (req, res) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    res.once("close", () => inFlight--);
    try {
      if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
      const url = new URL(req.url ?? "/", "http://x");
      const parts = url.pathname.split("/").filter(Boolean); // accounts[/id]
      if (parts[0] !== "accounts") return send(res, 404, { error: "not found" });
      const mutating = req.method !== "GET";
      if (mutating && faults.errorRate && Math.random() < faults.errorRate) {
        return send(res, 503, { error: "injected fault" });
      }
      if (mutating && faults.rateLimitNext > 0) {
        faults.rateLimitNext--;
        res.setHeader("Retry-After", faults.retryAfter);
        return send(res, 429, { error: "rate limited" });
      }
      const id = parts[1];
      if (req.method === "GET" && !id) {
        const key = url.searchParams.get("key");
        const kind = url.searchParams.get("kind");
        const found = [...accounts.values()].filter(
          (a) =>
            (key === null || a.key.toLowerCase() === key.toLowerCase()) && (kind === null || a.kind === kind),
        );
        return send(res, 200, { accounts: found });
      }
      if (req.method === "GET" && id) {
        const a = accounts.get(id);
        return a ? send(res, 200, a) : send(res, 404, { error: "no such account" });
      }
      if (req.method === "POST" && !id) {
        const body = await readJson(req);
        const key = String(body.key ?? "");
        if (!key) return send(res, 400, { error: "key is required" });
        if (rejectKeys.has(key))
          return send(res, 422, { error: "REJECTED", message: `account ${key} is refused by policy` });
        const a: TestAccount = {
          id: randomUUID(),
          key,
          fields: (body.fields as Record<string, unknown>) ?? {},
          active: body.active !== false,
          kind: body.kind === "group" ? "group" : "user",
          members: Array.isArray(body.members) ? body.members.map(String) : [],
        };
        accounts.set(a.id, a);
        log.push({
          seq: ++seq,
          method: "POST",
          accountId: a.id,
          key,
          active: a.active,
          fields: { ...a.fields },
        });
        return send(res, 201, a);
      }
      const a = id ? accounts.get(id) : undefined;
      if (!a) return send(res, 404, { error: "no such account" });
      if (req.method === "PATCH") {
        const body = await readJson(req);
        if (rejectKeys.has(a.key))
          return send(res, 422, { error: "REJECTED", message: `account ${a.key} is refused by policy` });
        if (body.fields) a.fields = body.fields as Record<string, unknown>;
        if (typeof body.active === "boolean") a.active = body.active;
        if (Array.isArray(body.members)) a.members = body.members.map(String);
        if (typeof body.key === "string") a.key = body.key;
        log.push({
          seq: ++seq,
          method: "PATCH",
          accountId: a.id,
          key: a.key,
          active: a.active,
          fields: { ...a.fields },
        });
        return send(res, 200, a);
      }
      if (req.method === "DELETE") {
        accounts.delete(a.id);
        log.push({ seq: ++seq, method: "DELETE", accountId: a.id, key: a.key });
        return send(res, 204);
      }
      send(res, 405, { error: "method not allowed" });
    } catch (e) {
      send(res, 500, { error: (e as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    accounts,
    log,
    rejectKeys,
    get maxInFlight() {
      return maxInFlight;
    },
    setFaults: (f) => Object.assign(faults, f),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
