// Tokens already verified, so an IdP presenting the same token on every request (for an hour) pays for its signature
// once a minute instead of once a request. An entry lives until the token expires or for a minute, whichever is
// first: a key the issuer withdraws, or a credential removed from the configuration, stops a cached token within it.
const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

export class VerifiedTokens {
  private readonly entries = new Map<string, { name: string; until: number }>();

  /** The credential name the token was verified for, if it was within the last minute and has not expired. */
  get(token: string, now = Date.now()): string | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    if (e.until > now) return e.name;
    this.entries.delete(token);
    return undefined;
  }

  /** `expSeconds`: the token's exp claim. */
  set(token: string, name: string, expSeconds: number | undefined, now = Date.now()) {
    if (this.entries.size >= MAX_ENTRIES) {
      for (const [k, e] of this.entries) if (e.until <= now) this.entries.delete(k);
      // Still full (a flood of distinct valid tokens): start again rather than grow.
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    }
    const until = Math.min(now + TTL_MS, (expSeconds ?? 0) * 1000);
    if (until > now) this.entries.set(token, { name, until });
  }
}
