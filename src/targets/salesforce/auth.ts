// Logging in to Salesforce with jsforce, for the three server-to-server OAuth flows, and logging in
// again when a session ends: jsforce only knows how to refresh password logins and refresh tokens,
// so every flow gets the same refresh function (reference §3).
import { sign } from "node:crypto";
import jsforce from "jsforce";
import type { RetryPolicy } from "../kind.ts";
import { type HttpAnswer, httpExchange, NoAnswer, redirectAdvice } from "../shared/http.ts";
import { SignIns } from "../shared/signins.ts";
import type { SalesforceTargetConfig } from "./config.ts";

type Connection = InstanceType<typeof jsforce.Connection>;

const JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

export function authFlow(config: SalesforceTargetConfig): "password" | "clientCredentials" | "jwt" {
  if ("password" in config.auth) return "password";
  if ("clientCredentials" in config.auth) return "clientCredentials";
  return "jwt";
}

/** An RS256 assertion: iss = consumer key, sub = username, aud = login URL, valid for 3 minutes. */
export function jwtAssertion(
  input: { clientId: string; username: string; privateKey: string; audience: string },
  now = Date.now(),
): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const claims = {
    iss: input.clientId,
    sub: input.username,
    aud: input.audience,
    exp: Math.floor(now / 1000) + 180,
  };
  const body = `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}`;
  return `${body}.${sign("RSA-SHA256", Buffer.from(body), input.privateKey).toString("base64url")}`;
}

/**
 * Salesforce wants the login server as `aud`, even when tokens are requested from a My Domain URL:
 * test.salesforce.com for sandboxes, login.salesforce.com otherwise; any other host (an Experience
 * Cloud site, the emulator) is its own audience.
 */
export function jwtAudience(loginUrl: string): string {
  const host = new URL(loginUrl).hostname;
  if (host === "test.salesforce.com" || host.includes(".sandbox.")) return "https://test.salesforce.com";
  if (host.endsWith(".salesforce.com") || host.endsWith(".force.com")) return "https://login.salesforce.com";
  return loginUrl;
}

/** The token request of the configured flow, as form fields (client id and secret are added by requestToken). */
function tokenParams(config: SalesforceTargetConfig): Record<string, string> {
  const { auth } = config;
  if ("password" in auth) {
    return {
      grant_type: "password",
      username: auth.password.username,
      password: auth.password.password + (auth.password.securityToken ?? ""),
    };
  }
  if ("clientCredentials" in auth) return { grant_type: "client_credentials" };
  return {
    grant_type: JWT_GRANT,
    assertion: jwtAssertion({ ...auth.jwt, audience: jwtAudience(config.loginUrl) }),
  };
}

function oauthClient(config: SalesforceTargetConfig): {
  clientId: string;
  clientSecret?: string;
  loginUrl: string;
} {
  const { auth } = config;
  if ("password" in auth)
    return {
      clientId: auth.password.clientId,
      clientSecret: auth.password.clientSecret,
      loginUrl: config.loginUrl,
    };
  // Client credentials are only accepted at the org's own My Domain token endpoint.
  if ("clientCredentials" in auth)
    return {
      clientId: auth.clientCredentials.clientId,
      clientSecret: auth.clientCredentials.clientSecret,
      loginUrl: config.instanceUrl ?? config.loginUrl,
    };
  return { clientId: auth.jwt.clientId, loginUrl: config.loginUrl };
}

/**
 * A refused or failed token request, with what the transport said: `status` 0 when no answer came (network,
 * timeout); `code` is Salesforce's OAuth `error` (invalid_grant, invalid_client…) when it sent one, else
 * HTTP_<status>, NETWORK_ERROR or TIMEOUT.
 */
export class SalesforceAuthError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(message);
    this.name = "SalesforceAuthError";
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

interface TokenAnswer {
  access_token: string;
  instance_url: string;
  id?: string;
}

/**
 * The token request of the configured flow, made here rather than through jsforce's OAuth2 class so that the
 * HTTP status and Retry-After survive: a 503 from the token endpoint is a transient failure, an `invalid_grant`
 * is a configuration one (jsforce reports both as a bare Error).
 */
async function requestToken(config: SalesforceTargetConfig, retry: RetryPolicy): Promise<TokenAnswer> {
  const client = oauthClient(config);
  const form = new URLSearchParams(tokenParams(config));
  form.set("client_id", client.clientId);
  if (client.clientSecret) form.set("client_secret", client.clientSecret);
  const url = `${client.loginUrl.replace(/\/$/, "")}/services/oauth2/token`;
  let res: HttpAnswer;
  try {
    res = await httpExchange(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: form.toString(),
      timeoutMs: config.timeoutMs,
    });
  } catch (e) {
    const timedOut = e instanceof NoAnswer && e.timedOut;
    throw new SalesforceAuthError(
      0,
      timedOut ? "TIMEOUT" : "NETWORK_ERROR",
      timedOut
        ? `no answer from the token endpoint within ${config.timeoutMs} ms`
        : `token request failed: ${(e as Error).message}`,
    );
  }
  let body: { error?: unknown; error_description?: unknown } & Partial<TokenAnswer> = {};
  try {
    body = JSON.parse(res.text) as typeof body;
  } catch {
    // A gateway's HTML page: the status says what happened.
  }
  if (!res.ok || typeof body.access_token !== "string" || typeof body.instance_url !== "string") {
    const code = typeof body.error === "string" ? body.error : `HTTP_${res.status}`;
    const detail =
      redirectAdvice(res.status, res.headers, "The token endpoint", "loginUrl") ??
      (typeof body.error_description === "string"
        ? body.error_description
        : res.text.replace(/\s+/g, " ").slice(0, 200));
    throw new SalesforceAuthError(
      res.ok ? 502 : res.status,
      code,
      `login refused (${code}): ${detail}`,
      retry.retryAfterMs(res.headers.get("retry-after")),
    );
  }
  return body as TokenAnswer;
}

export interface SalesforceSession {
  conn: Connection;
  /** Logs in once; concurrent callers share the login in progress. */
  ensureLoggedIn(): Promise<void>;
  /** How many token requests were made (logins and re-logins), for logs and tests. */
  readonly logins: number;
  /** Why the last re-login failed: jsforce replaces it with a bare "Unable to refresh session" Error. */
  readonly lastRefreshError: unknown;
  /** Each login's result, for the bridge's shared sign-in history. */
  readonly signIns: SignIns;
}

export function createSession(
  config: SalesforceTargetConfig,
  retry: RetryPolicy,
  onLogin?: (why: "login" | "refresh") => void,
): SalesforceSession {
  let logins = 0;
  let loggedIn: Promise<void> | undefined;
  let lastRefreshError: unknown;
  const signIns = new SignIns(retry);
  const authorize = async (conn: Connection) => {
    logins++;
    let token: TokenAnswer;
    try {
      token = await requestToken(config, retry);
    } catch (e) {
      if (e instanceof SalesforceAuthError) signIns.failed(e.status);
      throw e;
    }
    signIns.report("ok");
    conn.accessToken = token.access_token;
    conn.instanceUrl = token.instance_url;
    if (token.id) {
      const [organizationId, id] = token.id.split("/").slice(-2);
      conn.userInfo = { id: id ?? "", organizationId: organizationId ?? "", url: token.id };
    }
  };
  const conn: Connection = new jsforce.Connection({
    loginUrl: config.loginUrl,
    ...(config.instanceUrl ? { instanceUrl: config.instanceUrl } : {}),
    version: config.apiVersion,
    oauth2: oauthClient(config),
    // jsforce collapses concurrent 401s into one call of this function.
    refreshFn: (c, callback) => {
      onLogin?.("refresh");
      authorize(c as Connection).then(
        () => {
          lastRefreshError = undefined;
          callback(null, (c as Connection).accessToken ?? undefined);
        },
        (e: Error) => {
          lastRefreshError = e;
          callback(e);
        },
      );
    },
  });
  return {
    conn,
    signIns,
    get logins() {
      return logins;
    },
    get lastRefreshError() {
      return lastRefreshError;
    },
    ensureLoggedIn() {
      loggedIn ??= (async () => {
        onLogin?.("login");
        await authorize(conn);
      })().catch((e: unknown) => {
        loggedIn = undefined; // the next call tries again
        throw e;
      });
      return loggedIn;
    },
  };
}
