// SQL for the token endpoint's signing keys (migration 010).
import type { Queryable } from "./db.ts";

export interface SigningKeyRow {
  kid: string;
  secret: string;
  created: Date;
}

/** Every key, oldest first. */
export async function listSigningKeys(q: Queryable): Promise<SigningKeyRow[]> {
  const { rows } = await q.query<{ kid: string; secret: string; created: Date | string }>(
    "SELECT kid, secret, created FROM signing_keys ORDER BY created, kid",
  );
  return rows.map((r) => ({ kid: r.kid, secret: r.secret, created: new Date(r.created) }));
}

/** `created` is the signing process's clock, which also decides when the key is rotated and retired. */
export async function insertSigningKey(
  q: Queryable,
  key: { kid: string; secret: string; created: Date },
): Promise<void> {
  await q.query(
    "INSERT INTO signing_keys (kid, secret, created) VALUES ($1, $2, $3) ON CONFLICT (kid) DO NOTHING",
    [key.kid, key.secret, key.created],
  );
}

export async function deleteSigningKeys(q: Queryable, kids: string[]): Promise<void> {
  if (kids.length) await q.query("DELETE FROM signing_keys WHERE kid = ANY($1::text[])", [kids]);
}
