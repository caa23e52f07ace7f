/** The HTTP front: version parsing, faults, rate limit, auth, content negotiation, per-route counts. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { grantsScope, type SessionStore } from "./auth.ts";
import {
  badRequest,
  internalError,
  invalidCredentials,
  methodNotAllowed,
  resourceNotFound,
  siteNotFound,
  TableauApiError,
  tooManyRequests,
  versionTooLow,
} from "./errors.ts";
import { isMultipart } from "./multipart.ts";
import type { TableauEmulatorOptions } from "./options.ts";
import { type CompiledRoute, compile, type Reply, type RequestContext } from "./router.ts";
import { authRoutes } from "./routes-auth.ts";
import { groupRoutes } from "./routes-groups.ts";
import { jobRoutes } from "./routes-jobs.ts";
import { userRoutes } from "./routes-users.ts";
import type { TableauServerState } from "./state.ts";
import { type JsonObject, parseXml, tsResponseXml } from "./xml.ts";

const ROUTES: CompiledRoute[] = compile([...authRoutes, ...jobRoutes, ...userRoutes, ...groupRoutes]);
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface CallStats {
  apiCalls: number;
  byRoute: Record<string, number>;
  reset(): void;
}

export function newCallStats(): CallStats {
  const stats: CallStats = {
    apiCalls: 0,
    byRoute: {},
    reset() {
      stats.apiCalls = 0;
      for (const k of Object.keys(stats.byRoute)) delete stats.byRoute[k];
    },
  };
  return stats;
}

/** Fixed one-minute windows; Retry-After says when the current one ends. */
class MinuteRateLimiter {
  private windowStart = 0;
  private count = 0;
  check(limit: number, now: number): void {
    if (limit <= 0) return;
    const start = Math.floor(now / 60_000) * 60_000;
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.count = 0;
    }
    this.count++;
    if (this.count > limit) throw tooManyRequests(Math.max(1, Math.ceil((start + 60_000 - now) / 1000)));
  }
}

export interface TableauHttpDeps {
  opts: TableauEmulatorOptions;
  state: TableauServerState;
  sessions: SessionStore;
  stats: CallStats;
}

export function createTableauHttpServer(deps: TableauHttpDeps): { server: Server; dropHeld(): void } {
  const limiter = new MinuteRateLimiter();
  const held = new Set<{ timer: NodeJS.Timeout; socket: Socket }>();

  const server = createServer((req, res) => {
    readBody(req)
      .then((raw) => handle(req, res, raw))
      .catch((err: unknown) => send(req, res, toApiError(err)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const { opts } = deps;
    const url = new URL(req.url ?? "/", "http://emulator");
    const m = /^\/api\/([^/]+)(\/.*)$/.exec(url.pathname);
    const rest = m?.[2] ?? "";
    const candidates = ROUTES.filter((r) => r.regex.test(rest));
    const route = candidates.find((r) => r.method === req.method);
    deps.stats.apiCalls++;
    const key = route ? `${route.method} ${route.path}` : "unmatched";
    deps.stats.byRoute[key] = (deps.stats.byRoute[key] ?? 0) + 1;

    if (opts.latencyMs > 0) await new Promise((r) => setTimeout(r, opts.latencyMs));
    if (opts.timeoutRate > 0 && Math.random() < opts.timeoutRate) {
      // Never answer; drop the connection later so the client's own timeout fires first.
      const entry = {
        socket: req.socket,
        timer: setTimeout(() => {
          held.delete(entry);
          req.socket.destroy();
        }, opts.timeoutHangMs),
      };
      held.add(entry);
      return;
    }
    limiter.check(opts.rateLimitPerMin, opts.now());
    if (opts.errorRate > 0 && Math.random() < opts.errorRate) throw internalError();

    if (!m) throw resourceNotFound(`No resource at ${url.pathname}.`);
    const versionText = m[1] ?? "";
    const version = parseVersion(versionText, opts.apiVersion);
    if (!route) {
      if (candidates.length > 0) throw methodNotAllowed(`Request type ${req.method} is not allowed here.`);
      throw resourceNotFound(`No resource at ${url.pathname}.`);
    }
    const match = route.regex.exec(rest);
    const params: Record<string, string> = {};
    route.names.forEach((n, i) => {
      params[n] = decodeURIComponent(match?.[i + 1] ?? "");
    });
    const ctx: RequestContext = {
      params,
      query: url.searchParams,
      version,
      versionText,
      body: isMultipart(req.headers["content-type"]) ? {} : parseBody(raw, req.headers["content-type"]),
      raw,
      contentType: req.headers["content-type"],
      state: deps.state,
      sessions: deps.sessions,
      opts,
    };
    if (route.auth) authorise(ctx, route, headerValue(req.headers["x-tableau-auth"]));
    if (route.minVersion !== undefined && version < route.minVersion)
      throw versionTooLow(`${route.method} ${route.path}`, `3.${route.minVersion}`, versionText);
    send(req, res, await route.handler(ctx));
  }

  function authorise(ctx: RequestContext, route: CompiledRoute, token: string | undefined): void {
    const session = deps.sessions.resolve(token);
    ctx.session = session;
    const siteId = ctx.params.siteId;
    if (siteId !== undefined) {
      // A session belongs to one site; a token presented for another site's LUID is not valid there.
      if (!deps.state.sites.has(siteId)) throw siteNotFound(siteId);
      if (siteId !== session.site.id) throw invalidCredentials();
    }
    ctx.site = session.site;
    if (route.scopes && !grantsScope(session.scopes, route.scopes)) {
      // Tableau answers a missing connected-app scope with a plain 401002; the header helps debugging.
      const e = invalidCredentials();
      throw new TableauApiError(e.status, e.code, e.summary, e.detail, {
        "X-Emulator-Missing-Scope": route.scopes.join(" | "),
      });
    }
  }

  function send(req: IncomingMessage, res: ServerResponse, reply: Reply | TableauApiError): void {
    if (res.headersSent || res.destroyed) return;
    const json = (req.headers.accept ?? "").includes("application/json");
    let status: number;
    let body: JsonObject | undefined;
    if (reply instanceof TableauApiError) {
      status = reply.status;
      body = { error: { code: reply.code, summary: reply.summary, detail: reply.detail } };
      for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
    } else {
      status = reply.status;
      body = reply.body;
    }
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = json ? JSON.stringify(body) : tsResponseXml(body);
    res.writeHead(status, {
      "Content-Type": json ? "application/json;charset=UTF-8" : "application/xml;charset=UTF-8",
      "Content-Length": Buffer.byteLength(text),
    });
    res.end(text);
  }

  return {
    server,
    dropHeld() {
      for (const h of held) {
        clearTimeout(h.timer);
        h.socket.destroy();
      }
      held.clear();
    },
  };
}

function parseVersion(text: string, newest: string): number {
  const m = /^3\.(\d+)$/.exec(text);
  const newestMinor = Number(/^3\.(\d+)$/.exec(newest)?.[1] ?? "99");
  if (!m) throw badRequest(`'${text}' is not a REST API version (expected 3.x).`);
  const minor = Number(m[1]);
  if (minor > newestMinor)
    throw badRequest(`REST API version ${text} is not supported; the newest is ${newest}.`);
  return minor;
}

function parseBody(raw: string, contentType: string | undefined): JsonObject {
  const text = raw.trim();
  if (text === "") return {};
  const isJson =
    (contentType ?? "").includes("json") || (!(contentType ?? "").includes("xml") && text[0] === "{");
  try {
    if (isJson) {
      const v: unknown = JSON.parse(text);
      if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
      return v as JsonObject;
    }
    const { root, body } = parseXml(text);
    if (root !== "tsRequest") throw new Error(`root element is <${root}>, not <tsRequest>`);
    return body;
  } catch (err) {
    throw badRequest(`The request body is malformed: ${(err as Error).message}.`);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(badRequest("The request body is too large."));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function toApiError(err: unknown): TableauApiError {
  if (err instanceof TableauApiError) return err;
  return new TableauApiError(500, "500000", "Internal Server Error", (err as Error)?.message ?? String(err));
}
