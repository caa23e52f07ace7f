import { createHmac, createPublicKey, randomBytes, verify, X509Certificate } from "node:crypto";
import type { SalesforceEmulatorOptions } from "./options.ts";
import type { SalesforceOrg } from "./org.ts";

/** An OAuth error as the token endpoint sends it: HTTP 400 `{error, error_description}`. */
export class OAuthError extends Error {
  readonly error: string;
  readonly status: number;
  constructor(error: string, description: string, status = 400) {
    super(description);
    this.error = error;
    this.status = status;
  }
}

interface Session {
  userId: string;
  lastUsed: number;
  refreshToken?: string;
}

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const KNOWN_AUDIENCES = ["https://login.salesforce.com", "https://test.salesforce.com"];

/** Access and refresh tokens, with Salesforce's idle timeout. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly refreshTokens = new Map<string, string>();
  private readonly orgId: string;
  private readonly now: () => number;
  ttlS: number;

  constructor(orgId: string, now: () => number, ttlS: number) {
    this.orgId = orgId;
    this.now = now;
    this.ttlS = ttlS;
  }

  issue(userId: string, refreshToken?: string): string {
    const token = `${this.orgId.slice(0, 15)}!${randomBytes(40).toString("base64url")}`;
    this.sessions.set(token, { userId, lastUsed: this.now(), refreshToken });
    return token;
  }

  mintRefreshToken(userId: string): string {
    const token = `5Aep${randomBytes(48).toString("base64url")}`;
    this.refreshTokens.set(token, userId);
    return token;
  }

  refreshUser(token: string): string | undefined {
    return this.refreshTokens.get(token);
  }

  /** The session's user, sliding the idle timeout forward; undefined once expired or revoked. */
  use(token: string): string | undefined {
    const s = this.sessions.get(token);
    if (!s) return undefined;
    const now = this.now();
    if (now - s.lastUsed > this.ttlS * 1000) {
      this.sessions.delete(token);
      return undefined;
    }
    s.lastUsed = now;
    return s.userId;
  }

  /** Revoking a refresh token also ends the sessions issued from it. */
  revoke(token: string): boolean {
    if (this.refreshTokens.delete(token)) {
      for (const [t, s] of this.sessions) if (s.refreshToken === token) this.sessions.delete(t);
      return true;
    }
    return this.sessions.delete(token);
  }

  revokeAllAccessTokens(): void {
    this.sessions.clear();
  }
}

export interface TokenContext {
  opts: SalesforceEmulatorOptions;
  org: SalesforceOrg;
  sessions: SessionStore;
  baseUrl: string;
}

/** POST /services/oauth2/token for the password, client_credentials, JWT bearer and refresh_token grants. */
export function grantToken(ctx: TokenContext, params: URLSearchParams): Record<string, string> {
  const { opts, org, sessions } = ctx;
  const grant = params.get("grant_type");
  if (!grant) throw new OAuthError("invalid_request", "grant type is missing");
  const clientId = params.get("client_id");
  const clientSecret = params.get("client_secret");
  const checkClient = (secretRequired: boolean) => {
    if (clientId !== opts.clientId) throw new OAuthError("invalid_client_id", "client identifier invalid");
    if ((secretRequired || clientSecret !== null) && clientSecret !== opts.clientSecret) {
      throw new OAuthError("invalid_client", "invalid client credentials");
    }
  };
  let userId: string;
  let refreshToken: string | undefined;
  switch (grant) {
    case "password": {
      checkClient(true);
      const user = activeUser(org, params.get("username") ?? "");
      const expected =
        user && String(user.Username).toLowerCase() === opts.username.toLowerCase()
          ? opts.password + opts.securityToken
          : undefined;
      if (!user || !expected || params.get("password") !== expected) {
        throw new OAuthError("invalid_grant", "authentication failure");
      }
      userId = String(user.Id);
      if (opts.issueRefreshTokens) refreshToken = sessions.mintRefreshToken(userId);
      break;
    }
    case "client_credentials": {
      checkClient(true);
      const user = activeUser(org, opts.username);
      if (!user) throw new OAuthError("invalid_grant", "no client credentials user enabled");
      userId = String(user.Id);
      break;
    }
    case JWT_BEARER:
      userId = verifyJwtBearer(ctx, params.get("assertion") ?? "");
      break;
    case "refresh_token": {
      checkClient(false);
      const token = params.get("refresh_token") ?? "";
      const owner = sessions.refreshUser(token);
      if (!owner || !org.get("User", owner)?.IsActive)
        throw new OAuthError("invalid_grant", "expired access/refresh token");
      userId = owner;
      refreshToken = token;
      break;
    }
    default:
      throw new OAuthError("unsupported_grant_type", "grant type not supported");
  }
  const accessToken = sessions.issue(userId, refreshToken);
  const issuedAt = String(opts.now());
  const id = `${ctx.baseUrl}/id/${org.orgId}/${userId}`;
  const response: Record<string, string> = {
    access_token: accessToken,
    instance_url: ctx.baseUrl,
    id,
    token_type: "Bearer",
    issued_at: issuedAt,
    signature: createHmac("sha256", opts.clientSecret)
      .update(id + issuedAt)
      .digest("base64"),
    scope: refreshToken ? "api refresh_token" : "api",
  };
  // Only a newly minted refresh token is returned; the refresh grant keeps the old one.
  if (refreshToken && grant !== "refresh_token") response.refresh_token = refreshToken;
  return response;
}

function activeUser(org: SalesforceOrg, username: string) {
  const id = org.table("User").lookup("Username", username)?.[0];
  const user = id ? org.get("User", id) : undefined;
  return user?.IsActive ? user : undefined;
}

function base64urlJson(part: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8"));
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function publicKey(pem: string) {
  return pem.includes("BEGIN CERTIFICATE") ? new X509Certificate(pem).publicKey : createPublicKey(pem);
}

/** Verifies an RS256 assertion (iss = consumer key, sub = username, aud = login URL, exp in the future). */
function verifyJwtBearer(ctx: TokenContext, assertion: string): string {
  const { opts, org } = ctx;
  if (!opts.jwtPublicKeyPem)
    throw new OAuthError(
      "invalid_grant",
      "invalid assertion: no certificate is configured for JWT bearer (--jwt-public-key)",
    );
  const [h, p, s] = assertion.split(".");
  const header = base64urlJson(h);
  const claims = base64urlJson(p);
  if (!header || !claims || !s || header.alg !== "RS256")
    throw new OAuthError("invalid_grant", "invalid assertion");
  const signed = verify(
    "RSA-SHA256",
    Buffer.from(`${h}.${p}`),
    publicKey(opts.jwtPublicKeyPem),
    Buffer.from(s, "base64url"),
  );
  if (!signed) throw new OAuthError("invalid_grant", "invalid assertion");
  if (claims.iss !== opts.clientId) throw new OAuthError("invalid_client_id", "client identifier invalid");
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const allowed = [...KNOWN_AUDIENCES, ctx.baseUrl];
  if (!audiences.some((a) => typeof a === "string" && allowed.includes(a.replace(/\/$/, "")))) {
    throw new OAuthError("invalid_grant", "audience is invalid");
  }
  if (typeof claims.exp !== "number" || claims.exp * 1000 < opts.now())
    throw new OAuthError("invalid_grant", "expired authorization code");
  const user = activeUser(org, typeof claims.sub === "string" ? claims.sub : "");
  if (!user) throw new OAuthError("invalid_grant", "user hasn't approved this consumer");
  return String(user.Id);
}
