// Logging in to Salesforce with jsforce, for the three server-to-server OAuth flows, and logging in
// again when a session ends: jsforce only knows how to refresh password logins and refresh tokens,
// so every flow gets the same refresh function (reference §3).
import { sign } from "node:crypto";
import jsforce from "jsforce";
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

/** The token request of the configured flow, as form fields (client id and secret are added by jsforce). */
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

export interface SalesforceSession {
  conn: Connection;
  /** Logs in once; concurrent callers share the login in progress. */
  ensureLoggedIn(): Promise<void>;
  /** How many token requests were made (logins and re-logins), for logs and tests. */
  readonly logins: number;
}

export function createSession(
  config: SalesforceTargetConfig,
  onLogin?: (why: "login" | "refresh") => void,
): SalesforceSession {
  let logins = 0;
  let loggedIn: Promise<void> | undefined;
  const authorize = async (conn: Connection) => {
    logins++;
    // jsforce's authorize() posts the grant with client_id/client_secret and adopts the new instance URL.
    await conn.authorize(tokenParams(config) as unknown as Parameters<Connection["authorize"]>[0]);
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
        () => callback(null, (c as Connection).accessToken ?? undefined),
        (e: Error) => callback(e),
      );
    },
  });
  return {
    conn,
    get logins() {
      return logins;
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
