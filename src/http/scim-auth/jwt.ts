// JWTs issued by someone else (an IdP's authorization server, Microsoft Entra ID): verified by signature and claims.
// The issuer's keys are fetched once (its JWKS, found through OIDC discovery unless jwksUri is given) and again only
// for a token whose kid is unknown, at most once a minute: no network call per request.
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  errors,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import type { ScimCredentialConfig } from "../../config/scim-auth.ts";
import { type AuthRefusal, refusal } from "./refusal.ts";

type JwtConfig = Extract<ScimCredentialConfig, { kind: "jwt" }>;

/** How long after a fetch an unknown kid may fetch the keys again. */
export const JWKS_COOLDOWN_MS = 60_000;
const FETCH_TIMEOUT_MS = 5_000;

export class JwtIssuer {
  readonly name: string;
  readonly issuer: string;
  private readonly cfg: JwtConfig;
  private keys: JWTVerifyGetKey | undefined;
  private discovery: Promise<JWTVerifyGetKey> | undefined;
  private discoveryFailedAt = Number.NEGATIVE_INFINITY;

  constructor(cfg: JwtConfig) {
    this.cfg = cfg;
    this.name = cfg.name;
    this.issuer = cfg.issuer;
  }

  /**
   * The issuer's JWKS, kept until a token names a kid it lacks (an issuer publishes a new key before signing with it,
   * and a withdrawn key goes with the next fetch). A failed fetch is not tried again for a minute either, so an
   * issuer that is down costs no network call per request; its failures are 503s, not 401s.
   */
  private remote(uri: string): JWTVerifyGetKey {
    let failedAt = Number.NEGATIVE_INFINITY;
    const guarded: FetchImplementation = async (url, init) => {
      if (Date.now() - failedAt < JWKS_COOLDOWN_MS)
        throw new Error("the last fetch failed less than a minute ago");
      try {
        const res = await fetch(url, { ...init, redirect: "error" });
        if (res.status !== 200) failedAt = Date.now();
        return res;
      } catch (e) {
        failedAt = Date.now();
        throw e;
      }
    };
    const keys = createRemoteJWKSet(new URL(uri), {
      cooldownDuration: JWKS_COOLDOWN_MS,
      cacheMaxAge: Number.POSITIVE_INFINITY,
      timeoutDuration: FETCH_TIMEOUT_MS,
      [customFetch]: guarded,
    });
    return async (header, token) => {
      try {
        return await keys(header, token);
      } catch (e) {
        // What the key set itself decided (no such kid, an algorithm it has no key for) stays a 401.
        if (
          e instanceof errors.JWKSNoMatchingKey ||
          e instanceof errors.JWKSMultipleMatchingKeys ||
          e instanceof errors.JOSENotSupported ||
          e instanceof errors.JOSEAlgNotAllowed
        )
          throw e;
        throw refusal(
          503,
          "keys_unavailable",
          `the keys of ${this.issuer} could not be fetched; retry later`,
        );
      }
    };
  }

  /** The issuer's key set: jwksUri, or the jwks_uri of its OpenID configuration (looked up once). */
  private async keySet(): Promise<JWTVerifyGetKey> {
    if (this.keys) return this.keys;
    if (this.cfg.jwksUri) {
      this.keys = this.remote(this.cfg.jwksUri);
      return this.keys;
    }
    if (!this.discovery) {
      if (Date.now() - this.discoveryFailedAt < JWKS_COOLDOWN_MS)
        throw refusal(
          503,
          "keys_unavailable",
          `the keys of ${this.issuer} could not be fetched; retry later`,
        );
      this.discovery = this.discover().then(
        (k) => {
          this.keys = k;
          return k;
        },
        (e) => {
          this.discovery = undefined;
          this.discoveryFailedAt = Date.now();
          throw e;
        },
      );
    }
    return this.discovery;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const url = `${this.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: "error" });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (e) {
      throw refusal(
        503,
        "keys_unavailable",
        `the OpenID configuration of ${this.issuer} could not be read (${(e as Error).message}); retry later`,
      );
    }
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if (doc.issuer !== this.issuer || typeof doc.jwks_uri !== "string")
      throw refusal(
        503,
        "keys_unavailable",
        `the OpenID configuration of ${this.issuer} names another issuer or no jwks_uri`,
      );
    return this.remote(doc.jwks_uri);
  }

  /** Verifies the token against this issuer's keys and this credential's claims; throws an AuthRefusal. */
  async verify(token: string): Promise<JWTPayload> {
    const keys = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.issuer,
        audience: this.cfg.audience,
        algorithms: this.cfg.algorithms,
        clockTolerance: this.cfg.clockSkewSeconds,
        requiredClaims: ["exp"],
      }));
    } catch (e) {
      throw jwtRefusal(e);
    }
    for (const [claim, want] of Object.entries(this.cfg.requiredClaims ?? {})) {
      const got = payload[claim];
      if (!(Array.isArray(got) ? got.includes(want) : got === want))
        throw refusal(
          401,
          "claim_mismatch",
          `the token's ${claim} claim is not the one this credential requires`,
        );
    }
    return payload;
  }
}

/** A jose failure as a refusal whose reason names what was wrong, never the token. */
export function jwtRefusal(e: unknown): AuthRefusal {
  if (e instanceof errors.JWTExpired) return refusal(401, "expired", "the token has expired");
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "iss")
      return refusal(401, "wrong_issuer", "the token's issuer is not the one configured");
    if (e.claim === "aud")
      return refusal(401, "wrong_audience", "the token's audience is not the one configured");
    if (e.claim === "nbf") return refusal(401, "not_yet_valid", "the token is not valid yet (nbf)");
    if (e.claim === "iat") return refusal(401, "not_yet_valid", "the token was issued in the future (iat)");
    return refusal(401, "claim_mismatch", `the token's ${e.claim} claim is missing or wrong`);
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported)
    return refusal(401, "algorithm_not_allowed", "the token's algorithm is not allowed");
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys)
    return refusal(401, "unknown_key", "the token was signed with a key the issuer does not publish");
  if (e instanceof errors.JWSSignatureVerificationFailed)
    return refusal(401, "bad_signature", "the token's signature does not verify");
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid)
    return refusal(503, "keys_unavailable", "the issuer's keys could not be fetched; retry later");
  if (e instanceof errors.JOSEError) return refusal(401, "malformed", "the token is not a valid JWT");
  if (e && typeof e === "object" && "reason" in e) return e as AuthRefusal;
  // A network failure fetching the keys (fetch throws TypeError).
  return refusal(503, "keys_unavailable", "the issuer's keys could not be fetched; retry later");
}

/** The `iss` of a JWT without verifying anything (to pick the credential that will verify it); undefined if not a JWT. */
export function unverifiedIssuer(token: string): string | undefined {
  if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) return undefined;
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === "string" ? iss : undefined;
  } catch {
    return undefined;
  }
}
