// The access tokens of the bridge's own token endpoint: HS256 JWTs signed with a key kept in the store, so any bridge
// process on the database verifies any other's tokens from memory. Only bridge processes verify these tokens, so a
// shared secret is enough (and the cheapest to check on every request).
// Rotation: the newest key signs; a new one is made when it is older than ROTATE_AFTER_MS; an older key keeps
// verifying until a newer one has existed for longer than the longest token lifetime, then it is deleted.
import { randomBytes } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { deleteSigningKeys, insertSigningKey, listSigningKeys, type Queryable } from "../../store/index.ts";

export const TOKEN_ISSUER = "urn:scim-bridge";
export const TOKEN_AUDIENCE = "urn:scim-bridge:scim";
const ROTATE_AFTER_MS = 30 * 86_400_000;
/** How stale this process's copy of the keys may get before it signs (another process may have rotated). */
const SIGNER_RELOAD_MS = 60_000;
/** At most one store read per this many ms for a token signed by a key this process has not seen. */
const UNKNOWN_KID_RELOAD_MS = 5_000;

interface Key {
  kid: string;
  /** Imported once: verifying with a CryptoKey costs half what a raw secret does (it is imported per call). */
  secret: CryptoKey;
  created: number;
}

const importSecret = (secret: string) =>
  crypto.subtle.importKey("raw", Buffer.from(secret, "base64url"), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);

export class TokenKeys {
  private keys = new Map<string, Key>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;
  private readonly db: Queryable;
  /** The longest access token lifetime configured, in ms: how long a replaced key must keep verifying. */
  private readonly maxLifetimeMs: number;
  private readonly now: () => number;

  constructor(db: Queryable, opts: { maxLifetimeSeconds: number; now?: () => number }) {
    this.db = db;
    this.maxLifetimeMs = opts.maxLifetimeSeconds * 1000;
    this.now = opts.now ?? (() => Date.now());
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await listSigningKeys(this.db);
        const keys = new Map<string, Key>();
        for (const r of rows)
          keys.set(r.kid, { kid: r.kid, secret: await importSecret(r.secret), created: r.created.getTime() });
        this.keys = keys;
        this.loadedAt = this.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private newest(): Key | undefined {
    let best: Key | undefined;
    for (const k of this.keys.values())
      if (!best || k.created > best.created || (k.created === best.created && k.kid > best.kid)) best = k;
    return best;
  }

  /** Makes a new signing key now (first start, rotation, or an operator's rotate) and deletes retired ones. */
  async rotate(): Promise<void> {
    await insertSigningKey(this.db, {
      kid: randomBytes(12).toString("base64url"),
      secret: randomBytes(32).toString("base64url"),
      created: new Date(this.now()),
    });
    await this.reload();
    // A key is retired once a newer key has been signing for longer than any token it signed can live.
    const sorted = [...this.keys.values()].sort((a, b) => a.created - b.created);
    const retired = sorted
      .filter(
        (_k, i) => i < sorted.length - 1 && sorted[i + 1]!.created < this.now() - this.maxLifetimeMs - 60_000,
      )
      .map((k) => k.kid);
    if (retired.length) {
      await deleteSigningKeys(this.db, retired);
      await this.reload();
    }
  }

  private async signingKey(): Promise<Key> {
    if (this.now() - this.loadedAt > SIGNER_RELOAD_MS) await this.reload();
    const key = this.newest();
    if (key && this.now() - key.created < ROTATE_AFTER_MS) return key;
    await this.rotate();
    return this.newest()!;
  }

  /** An access token for the named credential. */
  async issue(subject: string, lifetimeSeconds: number): Promise<string> {
    const key = await this.signingKey();
    const now = Math.floor(this.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "at+jwt" })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(subject)
      .setIssuedAt(now)
      .setExpirationTime(now + lifetimeSeconds)
      .setJti(randomBytes(12).toString("base64url"))
      .sign(key.secret);
  }

  /**
   * The credential name a token of ours was issued to, and its expiry. Throws jose's errors (expired, bad signature…), or
   * JWKSNoMatchingKey for a key no process on this store has (any more).
   */
  async verify(token: string): Promise<{ name: string; exp: number }> {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const kid = header.kid ?? "";
        let key = this.keys.get(kid);
        if (!key && this.now() - this.loadedAt > UNKNOWN_KID_RELOAD_MS) {
          await this.reload();
          key = this.keys.get(kid);
        }
        if (!key) throw new errors.JWKSNoMatchingKey();
        return key.secret;
      },
      {
        algorithms: ["HS256"],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        clockTolerance: 60,
        requiredClaims: ["sub", "exp"],
        currentDate: new Date(this.now()),
      },
    );
    return { name: payload.sub!, exp: payload.exp! };
  }
}
