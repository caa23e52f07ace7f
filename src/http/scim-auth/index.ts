// The SCIM door's credentials: who a request is (bearer token, Basic, an access token from /oauth/token, or a JWT
// from a trusted issuer), from where it may come, and what it may do. Used by src/http/app.ts.
import type { ScimCredentialConfig } from "../../config/scim-auth.ts";
import type { Queryable } from "../../store/index.ts";
import { BEARER_CHALLENGE } from "../errors.ts";
import { addressAllowed, type CredentialSet, type ScimCredential } from "./credentials.ts";
import { JwtIssuer, jwtRefusal, unverifiedIssuer } from "./jwt.ts";
import { type AuthRefusal, isRefusal, refusal } from "./refusal.ts";
import { TOKEN_ISSUER, TokenKeys } from "./token-keys.ts";
import { VerifiedTokens } from "./verified-tokens.ts";

export { CredentialSet, type ScimCredential } from "./credentials.ts";
export { permits, permitsBulk } from "./permissions.ts";
export { type AuthFailures, type AuthRefusal, authFailureCounter, recordFailure } from "./refusal.ts";
export { TokenKeys } from "./token-keys.ts";

export type Authenticated = { credential: ScimCredential } | { refused: AuthRefusal; credential?: string };

export interface ScimAuthOptions {
  credentials: CredentialSet;
  configs: readonly ScimCredentialConfig[];
  /** The store, where the token endpoint's signing keys are kept (only needed with clientCredentials). */
  db?: Queryable;
}

export class ScimAuth {
  readonly credentials: CredentialSet;
  readonly issuers: JwtIssuer[];
  readonly tokenKeys: TokenKeys | undefined;
  private readonly verified = new VerifiedTokens();

  constructor(opts: ScimAuthOptions) {
    this.credentials = opts.credentials;
    this.issuers = opts.configs.flatMap((c) => (c.kind === "jwt" ? [new JwtIssuer(c)] : []));
    const lifetimes = opts.configs.flatMap((c) =>
      c.kind === "clientCredentials" ? [c.accessTokenSeconds] : [],
    );
    if (lifetimes.length) {
      if (!opts.db)
        throw new Error("clientCredentials credentials need the store (their signing keys live there)");
      this.tokenKeys = new TokenKeys(opts.db, { maxLifetimeSeconds: Math.max(...lifetimes) });
    }
  }

  /** Which schemes the configured credentials take: Bearer for any credential but a Basic login. */
  private schemes(): { bearer: boolean; basic: boolean } {
    return {
      bearer: this.credentials.all.some((c) => c.kind !== "basic"),
      basic: this.credentials.has("basic"),
    };
  }

  /**
   * The 401's WWW-Authenticate for what is configured (RFC 9110 §11.6.1): Bearer, and Basic when a Basic login is,
   * so that a client that waits for the challenge (`curl --anyauth`) can answer with the scheme its credential uses.
   * With nothing configured, Bearer, as every other 401 says.
   */
  challenge(): string {
    const { bearer, basic } = this.schemes();
    return [
      ...(bearer || !basic ? [BEARER_CHALLENGE] : []),
      ...(basic ? ['Basic realm="scim-bridge", charset="UTF-8"'] : []),
    ].join(", ");
  }

  /** ServiceProviderConfig's authenticationSchemes (RFC 7643 §5) for what is configured. */
  authenticationSchemes(): Record<string, unknown>[] {
    const { bearer, basic } = this.schemes();
    const schemes: Record<string, unknown>[] = [];
    if (bearer)
      schemes.push({
        type: "oauthbearertoken",
        name: "OAuth Bearer Token",
        description:
          "Authorization: Bearer with a configured token, an access token from this server's /oauth/token, or a JWT from a trusted issuer",
        specUri: "https://www.rfc-editor.org/rfc/rfc6750",
      });
    if (basic)
      schemes.push({
        type: "httpbasic",
        name: "HTTP Basic",
        description: "Authorization: Basic with a configured username and password",
        specUri: "https://www.rfc-editor.org/rfc/rfc7617",
      });
    return schemes.map((s, i) => ({ ...s, primary: i === 0 }));
  }

  /** Who the Authorization header says the caller is, checked against the credential's allow-list. */
  async authenticate(header: string | undefined, address: string | undefined): Promise<Authenticated> {
    const found = await this.identify(header ?? "");
    if ("refused" in found) return found;
    if (!addressAllowed(found.credential, address))
      return {
        refused: refusal(
          403,
          "address_not_allowed",
          `The credential ${JSON.stringify(found.credential.name)} may not be used from ${address ?? "this address"}`,
        ),
        credential: found.credential.name,
      };
    return found;
  }

  private async identify(header: string): Promise<Authenticated> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (bearer) return this.bearer(bearer);
    const basic = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header)?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const c =
        colon > 0
          ? this.credentials.basicLogin(decoded.slice(0, colon), decoded.slice(colon + 1))
          : undefined;
      return c
        ? { credential: c }
        : {
            refused: refusal(
              401,
              "wrong_password",
              "The Basic username or password is not valid for the SCIM API",
            ),
          };
    }
    return {
      refused: refusal(
        401,
        header ? "unsupported_scheme" : "missing",
        `Authentication required: send "Authorization: Bearer <token>"${this.credentials.has("basic") ? ' or "Authorization: Basic …"' : ""} for the SCIM API`,
      ),
    };
  }

  private async bearer(token: string): Promise<Authenticated> {
    const fixed = this.credentials.bearerToken(token);
    if (fixed) return { credential: fixed };
    const cached = this.verified.get(token);
    const known = cached === undefined ? undefined : this.credentials.named(cached);
    if (known) return { credential: known };
    const iss = unverifiedIssuer(token);
    if (iss === undefined)
      return { refused: refusal(401, "unknown_token", "The bearer token is not valid for the SCIM API") };
    try {
      if (iss === TOKEN_ISSUER && this.tokenKeys) {
        const { name, exp } = await this.tokenKeys.verify(token);
        const c = this.credentials.named(name);
        if (c?.kind !== "clientCredentials")
          return {
            refused: refusal(401, "unknown_client", "The access token's client is no longer configured"),
          };
        this.verified.set(token, c.name, exp);
        return { credential: c };
      }
      // Several credentials may trust one issuer (different audiences or claims): the first that accepts wins.
      let last: AuthRefusal | undefined;
      for (const issuer of this.issuers) {
        if (issuer.issuer !== iss) continue;
        try {
          const { exp } = await issuer.verify(token);
          this.verified.set(token, issuer.name, exp);
          return { credential: this.credentials.named(issuer.name)! };
        } catch (e) {
          last = isRefusal(e) ? e : jwtRefusal(e);
        }
      }
      return {
        refused: last ?? refusal(401, "wrong_issuer", "No SCIM credential trusts the issuer of this token"),
      };
    } catch (e) {
      return { refused: isRefusal(e) ? e : jwtRefusal(e) };
    }
  }
}
