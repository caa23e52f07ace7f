// A fault-injecting HTTP proxy between the bridge and an emulator: gateway errors with HTML or JSON bodies, 429
// with Retry-After, connection resets before the upstream saw the request and after it answered (the answer is
// lost, the change is applied), slow answers. Faults are injected once on a matching request (deterministic
// tests) or at random on a share of requests (chaos). The upstream's own URL in answers (Salesforce's
// instance_url, nextRecordsUrl) is rewritten to the proxy's, so every later call goes through it too.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  /** The connection is reset before the request reaches the upstream. */
  | "reset-before"
  /** The upstream applies the request; its answer is lost (connection reset). */
  | "reset-after"
  /** The upstream applies the request; a gateway then answers 502 with an HTML page. */
  | "502-after"
  | "502-html"
  | "503-json"
  | "500-json"
  | "429"
  | "429-date"
  | "slow"
  /** A Tableau session ended (401002), as when another process signs in with the same PAT. */
  | "401-tableau"
  /** Tableau refuses a sign-in (401001), as an overloaded identity service or a proxy may do once. */
  | "401-tableau-signin"
  /** Salesforce's token endpoint refuses a login (400 invalid_grant). */
  | "400-salesforce-token"
  /** A Salesforce session ended (401 INVALID_SESSION_ID): jsforce logs in again. */
  | "401-salesforce-session";

export const RANDOM_FAULTS: Fault[] = [
  "reset-before",
  "reset-after",
  "502-after",
  "502-html",
  "503-json",
  "500-json",
  "429",
  "429-date",
  "slow",
];

export interface Match {
  method?: string;
  path: RegExp;
}

export interface FaultProxy {
  url: string;
  /**
   * Injects `fault` into the next `times` requests matching `match`, after letting `after` of them through;
   * `untouched`: those are spared random faults too.
   */
  once(match: Match, fault: Fault, times?: number, after?: number, opts?: { untouched?: boolean }): void;
  /** Injects one of `faults` into a share (`rate`, 0..1) of the requests matching `match` (default: all). */
  random(rate: number, faults?: Fault[], match?: Match): void;
  /** Stops injecting faults. */
  off(): void;
  /** Faults injected so far, by kind. */
  readonly injected: Record<string, number>;
  readonly requests: number;
  close(): Promise<void>;
}

const HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-encoding",
  "host",
]);

function matches(m: Match | undefined, req: IncomingMessage): boolean {
  if (!m) return true;
  if (m.method && m.method !== req.method) return false;
  return m.path.test(req.url ?? "/");
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(upstream: string, opts: { slowMs?: number } = {}): Promise<FaultProxy> {
  const target = upstream.replace(/\/$/, "");
  let self = "";
  const scripted: { match: Match; fault: Fault; left: number; skip: number; untouched: boolean }[] = [];
  let chaos: { rate: number; faults: Fault[]; match?: Match } | undefined;
  const injected: Record<string, number> = {};
  let requests = 0;

  function pick(req: IncomingMessage): Fault | undefined {
    const s = scripted.find((x) => x.left > 0 && matches(x.match, req));
    if (s && s.skip > 0) {
      s.skip--;
      // Untouched when asked, random faults included: "the first two sign-ins work" must mean they reached the
      // upstream and came back, or a refusal scripted for the third would meet credentials that never worked.
      if (s.untouched) return undefined;
    } else if (s) {
      s.left--;
      return s.fault;
    }
    if (chaos && matches(chaos.match, req) && Math.random() < chaos.rate)
      return chaos.faults[Math.floor(Math.random() * chaos.faults.length)];
    return undefined;
  }

  async function forward(req: IncomingMessage, body: Buffer) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP.has(k) && typeof v === "string") headers[k] = v;
    const res = await fetch(`${target}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers,
      ...(body.length ? { body: new Uint8Array(body) } : {}),
      redirect: "manual",
    });
    const text = (await res.text()).split(target).join(self);
    return { status: res.status, headers: res.headers, text };
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    requests++;
    const body = await readBody(req);
    const fault = pick(req);
    if (fault) injected[fault] = (injected[fault] ?? 0) + 1;
    switch (fault) {
      case "reset-before":
        req.socket.destroy();
        return;
      case "502-html":
        res
          .writeHead(502, { "content-type": "text/html" })
          .end("<html><body><h1>502 Bad Gateway</h1></body></html>");
        return;
      case "503-json":
        res.writeHead(503, { "content-type": "application/json" }).end('{"message":"Service Unavailable"}');
        return;
      case "500-json":
        res.writeHead(500, { "content-type": "application/json" }).end('{"error":"internal gateway error"}');
        return;
      case "429":
        res.writeHead(429, { "retry-after": "1", "content-type": "text/plain" }).end("Too Many Requests");
        return;
      case "429-date":
        res
          .writeHead(429, {
            "retry-after": new Date(Date.now() + 1000).toUTCString(),
            "content-type": "text/plain",
          })
          .end("Too Many Requests");
        return;
      case "401-tableau":
        res
          .writeHead(401, { "content-type": "application/json" })
          .end(
            '{"error":{"code":"401002","summary":"Unauthorized Access","detail":"Invalid authentication credentials were provided."}}',
          );
        return;
      case "401-tableau-signin":
        res
          .writeHead(401, { "content-type": "application/json" })
          .end(
            '{"error":{"code":"401001","summary":"Signin Error","detail":"Error signing in to Tableau Server"}}',
          );
        return;
      case "400-salesforce-token":
        res
          .writeHead(400, { "content-type": "application/json" })
          .end('{"error":"invalid_grant","error_description":"authentication failure"}');
        return;
      case "401-salesforce-session":
        res
          .writeHead(401, { "content-type": "application/json" })
          .end('[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]');
        return;
      case "slow":
        await new Promise((r) => setTimeout(r, opts.slowMs ?? 300));
        break;
    }
    const answer = await forward(req, body);
    if (fault === "reset-after") {
      req.socket.destroy();
      return;
    }
    if (fault === "502-after") {
      res.writeHead(502, { "content-type": "text/html" }).end("<html><body>502 Bad Gateway</body></html>");
      return;
    }
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (!HOP.has(k)) out[k] = v;
    });
    res.writeHead(answer.status, out).end(answer.text);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent)
        res.writeHead(502, { "content-type": "text/plain" }).end("proxy: upstream unreachable");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: self,
    once(match, fault, times = 1, after = 0, opts = {}) {
      scripted.push({ match, fault, left: times, skip: after, untouched: !!opts.untouched });
    },
    random(rate, faults = RANDOM_FAULTS, match) {
      chaos = { rate, faults, ...(match ? { match } : {}) };
    },
    off() {
      chaos = undefined;
      scripted.length = 0;
    },
    injected,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
