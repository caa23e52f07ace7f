// Each target's sign-in history (every process's sign-ins) and the wake-up of work waiting on refused credentials.
import { prepared, type Queryable } from "./db.ts";

/** A target's sign-ins as the database clock sees them now. */
export interface SignInHistory {
  /** Milliseconds since a sign-in last worked; undefined when none ever did. */
  sinceOkMs: number | undefined;
  /** Sign-ins refused in a row since then. */
  refusals: number;
  /** Milliseconds since the first of those refusals (0 when there are none). */
  refusingForMs: number;
}

/**
 * Records a sign-in. A success clears the run of refusals and makes the work waiting on `wakeCodes` (refused
 * credentials) due now, in every process; returns how many jobs it woke.
 */
export async function recordSignIn(
  q: Queryable,
  target: string,
  result: "ok" | "refused",
  wakeCodes: readonly string[],
): Promise<number> {
  if (result === "refused") {
    await q.query(
      prepared(`INSERT INTO target_signins (target, refusals, first_refusal) VALUES ($1, 1, now())
        ON CONFLICT (target) DO UPDATE SET refusals = target_signins.refusals + 1,
          first_refusal = COALESCE(target_signins.first_refusal, now())`),
      [target],
    );
    return 0;
  }
  await q.query(
    prepared(`INSERT INTO target_signins (target, last_ok) VALUES ($1, now())
      ON CONFLICT (target) DO UPDATE SET last_ok = now(), refusals = 0, first_refusal = NULL`),
    [target],
  );
  const { rowCount } = await q.query(
    prepared(`UPDATE outbox SET not_before = now()
      WHERE target = $1 AND state = 'pending' AND not_before > now() AND last_error_code = ANY($2::text[])`),
    [target, wakeCodes],
  );
  return rowCount;
}

/**
 * The target's sign-in history; a target never signed in has no success and no refusals. Read FOR SHARE: in the
 * transaction that parks work on it, a success recorded meanwhile by another process waits for the commit, and so
 * its wake-up sees the parked jobs instead of running before them (test: store/signin-wake-race).
 */
export async function signInHistory(q: Queryable, target: string): Promise<SignInHistory> {
  const { rows } = await q.query<{ since_ok: number | null; refusals: number; refusing_for: number | null }>(
    // A target with no row yet gets one, empty (its insert holds a success's upsert the same way).
    prepared(`WITH row AS (INSERT INTO target_signins (target) VALUES ($1) ON CONFLICT DO NOTHING)
      SELECT (extract(epoch FROM now() - last_ok) * 1000)::float8 AS since_ok, refusals,
        (extract(epoch FROM now() - first_refusal) * 1000)::float8 AS refusing_for
      FROM target_signins WHERE target = $1 FOR SHARE`),
    [target],
  );
  const r = rows[0];
  return {
    sinceOkMs: r?.since_ok == null ? undefined : Number(r.since_ok),
    refusals: Number(r?.refusals ?? 0),
    refusingForMs: Number(r?.refusing_for ?? 0),
  };
}
