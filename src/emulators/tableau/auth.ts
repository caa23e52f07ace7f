/** Sessions: PAT sign-in (one live session per PAT), Connected App JWT sign-in, expiry, sign-out. */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { invalidCredentials, noCredentials, signInError, type TableauApiError } from "./errors.ts";
import type { TableauEmulatorOptions } from "./options.ts";
import type { TableauSite } from "./site.ts";

export interface Session {
  token: string;
  site: TableauSite;
  userId: string;
  issuedAt: number;
  /** Set for PAT sessions: a later sign-in with the same PAT ends this one. */
  patName?: string;
  /** JWT scopes; undefined means unrestricted (PAT sessions act with the admin's rights). */
  scopes?: string[];
}

/** Longest JWT lifetime Tableau accepts (exp may be at most 10 minutes ahead). */
const MAX_JWT_LIFETIME_S = 600;

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly patSession = new Map<string, string>();
  private readonly usedJti = new Map<string, number>();
  private readonly opts: TableauEmulatorOptions;

  constructor(opts: TableauEmulatorOptions) {
    this.opts = opts;
  }

  signInWithPat(name: string, secret: string, site: TableauSite): Session {
    if (!safeEqual(name, this.opts.patName) || !safeEqual(secret, this.opts.patSecret))
      throw signInError("Error signing in to Tableau Server: invalid personal access token.");
    const admin = site.userByNameCi(this.opts.adminName);
    if (!admin) throw signInError("The personal access token's owner is not a user of this site.");
    // PATs cannot be used concurrently: a new sign-in ends the earlier session, on any site.
    const previous = this.patSession.get(name);
    if (previous) this.sessions.delete(previous);
    const s = this.issue(site, admin.id, { patName: name });
    this.patSession.set(name, s.token);
    return s;
  }

  signInWithJwt(jwt: string, site: TableauSite): Session {
    const claims = this.verifyJwt(jwt);
    const user = site.userByNameCi(String(claims.sub ?? ""));
    if (!user) throw signInError(`JWT subject '${String(claims.sub)}' is not a user of this site.`);
    const scopes = Array.isArray(claims.scp)
      ? claims.scp.map(String)
      : typeof claims.scp === "string"
        ? [claims.scp]
        : [];
    return this.issue(site, user.id, { scopes });
  }

  /** The session for a token, or 401: missing (401000), unknown or ended (401002), expired (configurable). */
  resolve(token: string | undefined): Session {
    if (!token) throw noCredentials();
    const s = this.sessions.get(token);
    if (!s) throw invalidCredentials();
    if (this.opts.now() >= this.expiresAt(s)) {
      this.sessions.delete(token);
      throw this.opts.expiredTokenCode === "401000" ? noCredentials() : invalidCredentials();
    }
    return s;
  }

  signOut(token: string | undefined): void {
    const s = this.resolve(token);
    this.sessions.delete(s.token);
    if (s.patName && this.patSession.get(s.patName) === s.token) this.patSession.delete(s.patName);
  }

  /** Tableau's `estimatedTimeToExpiration`, formatted H:MM:SS with unbounded hours (e.g. "173:21:12"). */
  timeToExpiration(s: Session): string {
    const left = Math.max(0, Math.floor((this.expiresAt(s) - this.opts.now()) / 1000));
    const h = Math.floor(left / 3600);
    const m = Math.floor((left % 3600) / 60);
    const sec = left % 60;
    return `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
  }

  /** Expiry follows the current TTL, so setFaults({tokenTtlS}) also shortens live sessions. */
  private expiresAt(s: Session): number {
    return s.issuedAt + this.opts.tokenTtlS * 1000;
  }

  private issue(site: TableauSite, userId: string, extra: Partial<Session>): Session {
    // Tableau tokens look like "<random>|<random>|<site luid>".
    const token = `${randomBytes(16).toString("base64url")}|${randomBytes(24).toString("base64url")}|${site.id}`;
    const s: Session = { token, site, userId, issuedAt: this.opts.now(), ...extra };
    this.sessions.set(token, s);
    return s;
  }

  private verifyJwt(jwt: string): Record<string, unknown> {
    const fail = (why: string): TableauApiError => signInError(`Error signing in to Tableau Server: ${why}`);
    const parts = jwt.split(".");
    if (parts.length !== 3) throw fail("the JWT is malformed.");
    const [h = "", p = "", sig = ""] = parts;
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    } catch {
      throw fail("the JWT is malformed.");
    }
    if (header.alg !== "HS256") throw fail("the JWT must be signed with HS256.");
    if (header.kid !== this.opts.secretId) throw fail("unknown connected app secret id (kid).");
    const expected = createHmac("sha256", this.opts.secretValue).update(`${h}.${p}`).digest();
    const given = Buffer.from(sig, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw fail("the JWT signature is invalid.");
    if (claims.iss !== this.opts.clientId) throw fail("the JWT issuer (iss) is not a known connected app.");
    const aud = claims.aud;
    if (!(aud === "tableau" || (Array.isArray(aud) && aud.includes("tableau"))))
      throw fail("the JWT audience (aud) must be 'tableau'.");
    const nowS = this.opts.now() / 1000;
    if (typeof claims.exp !== "number" || claims.exp <= nowS) throw fail("the JWT has expired.");
    if (claims.exp > nowS + MAX_JWT_LIFETIME_S + 60)
      throw fail("the JWT expiry (exp) is more than 10 minutes ahead.");
    if (typeof claims.nbf === "number" && claims.nbf > nowS + 60)
      throw fail("the JWT is not valid yet (nbf).");
    if (typeof claims.jti !== "string" || claims.jti === "") throw fail("the JWT has no jti.");
    this.forgetSpentJti(nowS);
    if (this.usedJti.has(claims.jti)) throw fail("the JWT has already been used (jti replay).");
    this.usedJti.set(claims.jti, claims.exp);
    if (typeof claims.sub !== "string" || claims.sub === "") throw fail("the JWT has no subject (sub).");
    return claims;
  }

  private forgetSpentJti(nowS: number): void {
    if (this.usedJti.size < 10_000) return;
    for (const [jti, exp] of this.usedJti) if (exp < nowS) this.usedJti.delete(jti);
  }
}

/** Does a JWT scope list grant `required`? Supports `*` wildcards (`tableau:users:*`). */
export function grantsScope(scopes: string[] | undefined, required: readonly string[]): boolean {
  if (!scopes) return true;
  return required.some((need) => {
    const wantParts = need.split(":");
    return scopes.some((have) => {
      const parts = have.split(":");
      for (let i = 0; i < parts.length; i++) {
        if (parts[i] === "*") return true;
        if (parts[i] !== wantParts[i]) return false;
      }
      return parts.length === wantParts.length;
    });
  });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
