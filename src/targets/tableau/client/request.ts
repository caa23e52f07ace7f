// JSON calls to the Tableau REST API: timeouts, a cap on requests in flight, the shared session with
// one re-sign-in on 401, short retries in place (the retry policy's wrapper), and paging.
import type { Logger } from "pino";
import type { RetryPolicy, ShortRetryOptions } from "../../kind.ts";
import { type HttpAnswer, httpExchange, NoAnswer } from "../../shared/http.ts";
import { Limiter } from "../../shared/limiter.ts";
import type { TableauTargetConfig } from "../config.ts";
import { TableauAuth, type TableauSession } from "./auth.ts";
import { errorFromResponse, TableauError } from "./errors.ts";
import { classifyTableauError } from "./retry.ts";

export type TableauLogger = Pick<Logger, "debug" | "info" | "warn">;

export interface TableauClientOptions {
  /** The bridge's retry policy: transport classification and the short retries in place. */
  retry: RetryPolicy;
  logger?: TableauLogger;
  /** Injectable for tests that drive the emulator's clock. */
  sleep?: (ms: number) => Promise<void>;
  /** Items per page when listing (Tableau allows 1..1000). */
  pageSize?: number;
  /** Attempts per call for retryable failures before the operation is handed back for a later retry. */
  maxAttempts?: number;
  /** A Retry-After longer than this is not waited out in place; the dispatcher reschedules instead. */
  maxInlineWaitMs?: number;
}

export interface CallOptions {
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON, or as is when a RawBody (the multipart CSV calls). */
  body?: unknown;
}

/** A body sent as given, with its own Content-Type. */
export class RawBody {
  readonly contentType: string;
  readonly data: string;
  constructor(contentType: string, data: string) {
    this.contentType = contentType;
    this.data = data;
  }
}

type Query = CallOptions["query"];

export class TableauClient {
  readonly auth: TableauAuth;
  private readonly config: TableauTargetConfig;
  private readonly limiter: Limiter;
  private readonly log: TableauLogger | undefined;
  readonly retry: RetryPolicy;
  /** The short retries' settings (the policy's defaults unless a test sets them). */
  private readonly inPlace: Omit<ShortRetryOptions, "classify" | "onRetry">;
  readonly pageSize: number;
  private version: Promise<string> | undefined;
  /** Calls sent, including retries and sign-ins. */
  calls = 0;

  constructor(config: TableauTargetConfig, options: TableauClientOptions) {
    this.config = config;
    this.limiter = new Limiter(config.concurrency);
    this.log = options.logger;
    this.retry = options.retry;
    this.inPlace = {
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.maxInlineWaitMs === undefined ? {} : { maxWaitMs: options.maxInlineWaitMs }),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    };
    this.pageSize = options.pageSize ?? 1000;
    this.auth = new TableauAuth(
      config.auth,
      config.site,
      (path, body) => this.withRetries(async () => this.send("POST", await this.url(path), body())),
      options.retry,
    );
  }

  /** The REST API version in use: configured, or the server's own from serverInfo. */
  apiVersion(): Promise<string> {
    this.version ??= this.config.apiVersion
      ? Promise.resolve(this.config.apiVersion)
      : this.detectVersion().catch((e: unknown) => {
          this.version = undefined;
          throw e;
        });
    return this.version;
  }

  /** Minor version number, for feature gates (3.21 → 21). */
  async minor(): Promise<number> {
    return Number((await this.apiVersion()).split(".")[1]);
  }

  session(): Promise<TableauSession> {
    return this.auth.session();
  }

  /** A call on the signed-in site: `path` is relative to /sites/{siteId}. */
  site<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts: CallOptions = {},
  ): Promise<T | undefined> {
    return this.authed(method, (s) => `/sites/${s.siteId}${path}`, opts) as Promise<T | undefined>;
  }

  /** Every page of a collection, each page's items as a list ("users" → "user"). */
  async *pages<T>(path: string, plural: string, singular: string, query: Query = {}): AsyncGenerator<T[]> {
    for (let pageNumber = 1; ; pageNumber++) {
      const body = await this.site("GET", path, {
        query: { ...query, pageSize: this.pageSize, pageNumber },
      });
      const items = listOf<T>((body?.[plural] as Record<string, unknown> | undefined)?.[singular]);
      if (items.length > 0) yield items;
      const total = Number(
        (body?.pagination as { totalAvailable?: string } | undefined)?.totalAvailable ?? 0,
      );
      if (items.length === 0 || pageNumber * this.pageSize >= total) return;
    }
  }

  async signOut(): Promise<void> {
    const token = this.auth.token;
    this.auth.forget();
    if (!token) return;
    await this.send("POST", await this.url("/auth/signout"), undefined, token).catch(() => undefined);
  }

  private async authed(
    method: string,
    path: (s: TableauSession) => string,
    opts: CallOptions,
  ): Promise<unknown> {
    // PAT: a fresh session can be ended at once by another process's sign-in, so allow one more.
    const maxRenewals = this.auth.method === "pat" ? 2 : 1;
    let renewals = 0;
    return this.withRetries(async () => {
      for (;;) {
        const session = await this.auth.session();
        try {
          return await this.send(method, await this.url(path(session), opts.query), opts.body, session.token);
        } catch (e) {
          if (!(e instanceof TableauError) || e.status !== 401 || e.phase === "signin") throw e;
          if (renewals >= maxRenewals) {
            // Signed in afresh and refused again at once. With a PAT, someone else signs in with it and ends our
            // sessions: not this operation's fault, so the dispatcher retries with backoff (never dead on this).
            // A JWT session is never ended by another sign-in: the connected app lacks a scope or was disabled.
            e.phase = this.auth.method === "pat" ? "session-lost" : "signin";
            throw e;
          }
          renewals++;
          this.log?.info(
            { target: this.config.name, code: e.code },
            "Tableau session ended; signing in again",
          );
          await this.auth.renew(session.token);
        }
      }
    });
  }

  /** Retries rate limits, 5xx and timeouts in place while the wait is short; then hands the error back. */
  private withRetries<T>(fn: () => Promise<T>): Promise<T> {
    return this.retry.shortRetry(fn, {
      classify: (e) =>
        e instanceof TableauError ? classifyTableauError(this.retry, e.status, e.code, e.headers) : undefined,
      ...this.inPlace,
      onRetry: (e, waitMs) =>
        this.log?.debug(
          { target: this.config.name, code: (e as TableauError).code, waitMs },
          "Tableau call retried",
        ),
    });
  }

  private async url(path: string, query?: Query): Promise<string> {
    return this.rawUrl(await this.apiVersion(), path, query);
  }

  private rawUrl(version: string, path: string, query?: Query): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const q = qs.toString();
    return `${this.config.serverUrl}/api/${version}${path}${q ? `?${q}` : ""}`;
  }

  private async detectVersion(): Promise<string> {
    // serverInfo needs no sign-in and answers under any supported version; 3.0 is the oldest 3.x.
    const body = await this.withRetries(() => this.send("GET", this.rawUrl("3.0", "/serverInfo")));
    const info = (body as { serverInfo?: { restApiVersion?: unknown } } | undefined)?.serverInfo;
    const raw = info?.restApiVersion;
    const version = typeof raw === "object" && raw !== null ? (raw as { value?: unknown }).value : raw;
    if (typeof version !== "string" || !/^3\.\d+$/.test(version))
      throw new TableauError(0, "NO_API_VERSION", "serverInfo", "serverInfo did not name a REST API version");
    this.log?.info({ target: this.config.name, apiVersion: version }, "Tableau REST API version detected");
    return version;
  }

  /** One HTTP exchange. */
  private send(method: string, url: string, body?: unknown, token?: string): Promise<unknown> {
    return this.limiter.run(async () => {
      this.calls++;
      const headers: Record<string, string> = { accept: "application/json" };
      if (token) headers["x-tableau-auth"] = token;
      if (body !== undefined)
        headers["content-type"] = body instanceof RawBody ? body.contentType : "application/json";
      let res: HttpAnswer;
      try {
        res = await httpExchange(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body: body instanceof RawBody ? body.data : JSON.stringify(body) }),
          timeoutMs: this.config.timeoutMs,
        });
      } catch (e) {
        const timedOut = e instanceof NoAnswer && e.timedOut;
        throw new TableauError(
          0,
          timedOut ? "TIMEOUT" : "NETWORK_ERROR",
          timedOut ? "Timeout" : "Network error",
          timedOut
            ? `no answer from Tableau within ${this.config.timeoutMs} ms (${method} ${new URL(url).pathname})`
            : (e as Error).message,
        );
      }
      if (!res.ok) throw errorFromResponse(res.status, res.text, res.headers);
      return res.text.trim() === "" ? undefined : JSON.parse(res.text);
    });
  }
}

/** `{"user":[…]}`, a single object (XML-style), or an empty `{}` all become a list. */
export function listOf<T>(v: unknown): T[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]) as T[];
}
