// HTTP to the peer's SCIM API: bearer or OAuth client-credentials auth, JSON bodies, a timeout per call. The
// client never decides what an answer means for a job; see outcome.ts.

import type { RetryPolicy } from "../kind.ts";
import { type HttpAnswer, httpExchange, redirectAdvice } from "../shared/http.ts";
import { SignIns } from "../shared/signins.ts";
import type { ScimTargetConfig } from "./config.ts";

export const SCIM_JSON = "application/scim+json";

export interface PeerResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined (204, empty or not JSON). */
  body: unknown;
  /** The raw text, for error messages when the body is not SCIM. */
  text: string;
}

/** No answer at all (connection refused, DNS, timeout): always worth retrying. */
export class PeerUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PeerUnreachable";
  }
}

interface Token {
  value: string;
  /** Epoch ms after which a new token is fetched (a minute before the server says it expires). */
  renewAt: number;
}

export class ScimClient {
  readonly base: string;
  private token: Token | undefined;
  private pendingToken: Promise<Token> | undefined;
  /** Calls sent, for diagnostics and tests (Bulk counts once). */
  calls = 0;
  /** Each token request's result (OAuth client credentials), for the bridge's shared sign-in history. */
  readonly signIns: SignIns;
  /** The bridge's retry policy, for what the peer's answers mean (outcome.ts). */
  readonly retry: RetryPolicy;

  private readonly config: ScimTargetConfig;
  constructor(config: ScimTargetConfig, retry: RetryPolicy) {
    this.config = config;
    this.retry = retry;
    this.signIns = new SignIns(retry);
    this.base = config.url;
  }

  async request(method: string, path: string, body?: unknown): Promise<PeerResponse> {
    let res = await this.send(method, path, body, await this.authorization());
    // An OAuth token may be revoked or expire early; one fresh token, then the peer's answer stands.
    if (res.status === 401 && "clientCredentials" in this.config.auth) {
      this.token = undefined;
      res = await this.send(method, path, body, await this.authorization());
    }
    return res;
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    authorization: string,
  ): Promise<PeerResponse> {
    let res: HttpAnswer;
    try {
      this.calls++;
      res = await httpExchange(this.base + path, {
        method,
        headers: {
          Authorization: authorization,
          Accept: `${SCIM_JSON}, application/json`,
          ...(body === undefined ? {} : { "Content-Type": SCIM_JSON }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.config.timeoutMs,
      });
    } catch (e) {
      throw new PeerUnreachable(`${method} ${this.base}${path}: ${(e as Error).message}`);
    }
    // A redirect is answered with what to configure, not with whatever its body says.
    const redirect = redirectAdvice(res.status, res.headers, "The SCIM peer", "url");
    if (redirect) return { status: res.status, headers: res.headers, body: undefined, text: redirect };
    let parsed: unknown;
    try {
      parsed = res.text ? JSON.parse(res.text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text: res.text };
  }

  private async authorization(): Promise<string> {
    const auth = this.config.auth;
    if ("bearer" in auth) return `Bearer ${auth.bearer.token}`;
    if (this.token && Date.now() < this.token.renewAt) return `Bearer ${this.token.value}`;
    // One token request at a time, however many calls are waiting for it.
    this.pendingToken ??= this.fetchToken(auth.clientCredentials).finally(() => {
      this.pendingToken = undefined;
    });
    this.token = await this.pendingToken;
    return `Bearer ${this.token.value}`;
  }

  private async fetchToken(cc: {
    tokenUrl: string;
    clientId: string;
    clientSecret: string;
    scope?: string | undefined;
  }): Promise<Token> {
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (cc.scope) form.set("scope", cc.scope);
    // RFC 6749 §2.3.1: client_secret_basic, with the id and secret form-encoded first.
    const basic = Buffer.from(
      `${encodeURIComponent(cc.clientId)}:${encodeURIComponent(cc.clientSecret)}`,
    ).toString("base64");
    let res: HttpAnswer;
    try {
      res = await httpExchange(cc.tokenUrl, {
        method: "POST",
        headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        timeoutMs: this.config.timeoutMs,
      });
    } catch (e) {
      throw new PeerUnreachable(`token request to ${cc.tokenUrl}: ${(e as Error).message}`);
    }
    let json: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } =
      {};
    try {
      json = JSON.parse(res.text);
    } catch {
      // Not JSON: the status says what happened.
    }
    if (!res.ok || typeof json.access_token !== "string") {
      this.signIns.failed(res.status);
      throw new TokenRefused(
        res.status,
        redirectAdvice(res.status, res.headers, `The token endpoint ${cc.tokenUrl}`, "tokenUrl") ??
          `the token endpoint ${cc.tokenUrl} answered ${res.status}` +
            (typeof json.error === "string" ? ` ${json.error}` : "") +
            (typeof json.error_description === "string" ? `: ${json.error_description}` : ""),
      );
    }
    this.signIns.report("ok");
    const lifetimeS = typeof json.expires_in === "number" ? json.expires_in : 3600;
    return { value: json.access_token, renewAt: Date.now() + Math.max(0, lifetimeS - 60) * 1000 };
  }
}

/** The token endpoint said no: wrong client id or secret (4xx), or it is down (5xx, retried). */
export class TokenRefused extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = "TokenRefused";
  }
}
