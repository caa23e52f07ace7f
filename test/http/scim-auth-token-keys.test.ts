// The token endpoint's signing keys in the store: the newest signs, a replaced key verifies until every token it
// signed has expired, then it is deleted.
import { decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenKeys } from "../../src/http/scim-auth/index.ts";
import { listSigningKeys } from "../../src/store/index.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

const DAY = 86_400_000;

describe.each(BACKENDS)("signing keys on %s", (backend) => {
  let store: TestDb;
  beforeAll(async () => {
    store = await openTestDb(backend);
  });
  afterAll(() => store.close());

  /** A token signed by the key `kid` at `now`, as a process that has not seen a rotation yet signs it. */
  const signedBy = async (kid: string, now: number) => {
    const key = (await listSigningKeys(store.db)).find((k) => k.kid === kid)!;
    const s = Math.floor(now / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: "HS256", kid })
      .setIssuer("urn:scim-bridge")
      .setAudience("urn:scim-bridge:scim")
      .setSubject("entra")
      .setIssuedAt(s)
      .setExpirationTime(s + 3600)
      .sign(Buffer.from(key.secret, "base64url"));
  };
  const kidOf = (token: string) => decodeProtectedHeader(token).kid!;
  const kids = async () => (await listSigningKeys(store.db)).map((k) => k.kid);

  it("signs with a new key every 30 days, keeps the replaced one while its tokens live, then deletes it", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const keys = new TokenKeys(store.db, { maxLifetimeSeconds: 3600, now: () => now });
    const key1 = kidOf(await keys.issue("entra", 3600));

    now += 30 * DAY + 1;
    const key2 = kidOf(await keys.issue("entra", 3600));
    expect(key2).not.toBe(key1);
    // Replaced just now: a token key1 signed a moment ago (another process) still verifies.
    expect(await kids()).toEqual([key1, key2]);
    expect(await keys.verify(await signedBy(key1, now - 1000))).toMatchObject({ name: "entra" });

    now += 30 * DAY + 1;
    const key3 = kidOf(await keys.issue("entra", 3600));
    // key1 was replaced 30 days ago, longer than any token lives: gone. key2 was replaced just now: kept.
    expect(await kids()).toEqual([key2, key3]);
    expect(await keys.verify(await signedBy(key2, now - 1000))).toMatchObject({ name: "entra" });
  });
});
