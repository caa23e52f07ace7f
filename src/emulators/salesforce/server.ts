import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { grantToken, OAuthError, SessionStore } from "./auth.ts";
import { type ApiResponse, newDataApiContext, routeDataApi } from "./data-api.ts";
import { type RestError, SalesforceApiError, SESSION_INVALID } from "./errors.ts";
import {
  SALESFORCE_EMULATOR_DEFAULTS,
  type SalesforceEmulatorOptions,
  type SalesforceFaults,
} from "./options.ts";
import { type OrgSnapshot, SalesforceOrg } from "./org.ts";

export interface SalesforceApiStats {
  /** Data API requests counted against the daily allocation (OAuth calls are not counted, as in Salesforce). */
  apiCalls: number;
  /** Every request by "METHOD /route" with ids as placeholders, e.g. "POST /composite/sobjects", "POST /oauth2/token". */
  byRoute: Record<string, number>;
  reset(): void;
}

export interface RunningSalesforceEmulator {
  /** Login URL and instance URL, e.g. http://127.0.0.1:40123. */
  url: string;
  org: SalesforceOrg;
  stats: SalesforceApiStats;
  options: SalesforceEmulatorOptions;
  setFaults(faults: Partial<SalesforceFaults>): void;
  /** Ends every current access token (refresh tokens stay valid): the next call gets 401 INVALID_SESSION_ID. */
  revokeSessions(): void;
  /** A refresh token for a user, as an authorization-code login would have produced. */
  mintRefreshToken(username?: string): string;
  /** The org as JSON, for `restore` on a later start. */
  snapshot(): OrgSnapshot;
  close(): Promise<void>;
}

const JSON_TYPE = "application/json;charset=UTF-8";
const DATA_PATH = /^\/services\/data\/v(\d{2,3}\.\d)(?:\/(.*))?$/;
const MAX_BODY_BYTES = 50 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES)
        reject(new SalesforceApiError(413, "REQUEST_TOO_LARGE", "Request body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startSalesforceEmulator(
  overrides: Partial<SalesforceEmulatorOptions> = {},
): Promise<RunningSalesforceEmulator> {
  const opts: SalesforceEmulatorOptions = { ...SALESFORCE_EMULATOR_DEFAULTS, ...overrides };
  const org = new SalesforceOrg({
    username: opts.username,
    reservedUsernames: opts.reservedUsernames,
    licenses: opts.licenses,
    userDeleteError: opts.userDeleteError,
    emailChangeNeedsConfirmation: opts.emailChangeNeedsConfirmation,
    now: opts.now,
    ...(opts.restore ? { restore: opts.restore } : {}),
  });
  const sessions = new SessionStore(org.orgId, opts.now, opts.sessionTtlS);
  const stats: SalesforceApiStats = {
    apiCalls: 0,
    byRoute: {},
    reset() {
      stats.apiCalls = 0;
      stats.byRoute = {};
    },
  };
  const count = (key: string) => {
    stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
  };
  const dataApi = newDataApiContext(org, opts, () => stats.apiCalls);
  const timers = new Set<NodeJS.Timeout>();
  let baseUrl = "";

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.statusCode = status;
    res.setHeader("Content-Type", JSON_TYPE);
    res.setHeader("Sforce-Limit-Info", `api-usage=${stats.apiCalls}/${opts.apiBudget}`);
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const sendErrors = (res: ServerResponse, status: number, errors: RestError[]) => send(res, status, errors);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", baseUrl);
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    if (opts.latencyMs > 0) await wait(opts.latencyMs);

    if (url.pathname === "/services/oauth2/token" || url.pathname === "/services/oauth2/revoke") {
      const isToken = url.pathname.endsWith("/token");
      count(`${method} /oauth2/${isToken ? "token" : "revoke"}`);
      if (method !== "POST")
        return send(res, 405, { error: "invalid_request", error_description: "must use HTTP POST" });
      const params = new URLSearchParams(raw);
      for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
      try {
        if (isToken) return send(res, 200, grantToken({ opts, org, sessions, baseUrl }, params));
        if (!sessions.revoke(params.get("token") ?? ""))
          throw new OAuthError("unsupported_token_type", "this token type is not supported");
        return send(res, 200);
      } catch (e) {
        if (e instanceof OAuthError)
          return send(res, e.status, { error: e.error, error_description: e.message });
        throw e;
      }
    }

    if (url.pathname === "/services/data" || url.pathname === "/services/data/") {
      return send(
        res,
        200,
        ["50.0", "55.0", "58.0", "60.0", "62.0", "64.0"].map((v) => ({
          label: `API v${v}`,
          url: `/services/data/v${v}`,
          version: v,
        })),
      );
    }

    const idMatch = /^\/id\/(00D\w{15})\/(005\w{15})$/.exec(url.pathname);
    const data = DATA_PATH.exec(url.pathname);
    if (!data && !idMatch) {
      count(`${method} /unknown`);
      return sendErrors(res, 404, [
        { errorCode: "NOT_FOUND", message: "The requested resource does not exist" },
      ]);
    }

    const auth = req.headers.authorization ?? "";
    const token = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(auth)?.[1] ?? "";
    const sessionUser = sessions.use(token);
    if (!sessionUser) return sendErrors(res, 401, SESSION_INVALID);

    if (idMatch) {
      count("GET /id");
      const user = org.get("User", idMatch[2] ?? "");
      if (!user) return sendErrors(res, 404, [{ errorCode: "NOT_FOUND", message: "Bad_Id" }]);
      return send(res, 200, {
        id: `${baseUrl}${url.pathname}`,
        user_id: user.Id,
        organization_id: org.orgId,
        username: user.Username,
        display_name: user.Name,
        email: user.Email,
        active: user.IsActive,
        user_type: "STANDARD",
      });
    }

    if (stats.apiCalls >= opts.apiBudget)
      return sendErrors(res, 403, [
        { errorCode: "REQUEST_LIMIT_EXCEEDED", message: "TotalRequests Limit exceeded." },
      ]);
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      body = Symbol.for("invalid-json");
    }
    const route = routeDataApi(dataApi, {
      method,
      segments: (data?.[2] ?? "").split("/").filter(Boolean).map(decodeURIComponent),
      query: url.searchParams,
      headers: req.headers,
      body,
      version: data?.[1] ?? "",
    });
    stats.apiCalls++;
    count(route.key);

    const dice = opts.random();
    if (dice < opts.timeoutRate) return; // hang: the client times out, or close() drops the socket
    if (dice < opts.timeoutRate + opts.errorRate) {
      return opts.random() < 0.5
        ? sendErrors(res, 500, [
            {
              errorCode: "UNKNOWN_EXCEPTION",
              message:
                "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)",
            },
          ])
        : sendErrors(res, 503, [
            {
              errorCode: "SERVER_UNAVAILABLE",
              message: "Server temporarily unavailable, please try again later",
            },
          ]);
    }
    if (typeof body === "symbol") {
      return sendErrors(res, 400, [
        { errorCode: "JSON_PARSER_ERROR", message: "Unexpected character: was expecting a JSON value" },
      ]);
    }
    let result: ApiResponse;
    try {
      result = route.run();
    } catch (e) {
      if (e instanceof SalesforceApiError) return sendErrors(res, e.status, e.errors);
      throw e;
    }
    send(res, result.status, result.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof SalesforceApiError) return sendErrors(res, e.status, e.errors);
      sendErrors(res, 500, [
        { errorCode: "UNKNOWN_EXCEPTION", message: e instanceof Error ? e.message : String(e) },
      ]);
    });
  });
  server.keepAliveTimeout = 5000;
  // Whoever keeps the org (the demo's data directory) hears of every answered write.
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (opts.onChange && req.method !== "GET" && req.method !== "HEAD") res.once("finish", opts.onChange);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    org,
    stats,
    options: opts,
    setFaults(faults) {
      Object.assign(opts, faults);
      if (faults.sessionTtlS !== undefined) sessions.ttlS = faults.sessionTtlS;
    },
    revokeSessions: () => sessions.revokeAllAccessTokens(),
    snapshot: () => org.snapshot(),
    mintRefreshToken(username = opts.username) {
      const id = org.table("User").lookup("Username", username)?.[0];
      if (!id) throw new Error(`No user ${username}`);
      return sessions.mintRefreshToken(id);
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        // Also drops requests hung by the timeout fault.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
