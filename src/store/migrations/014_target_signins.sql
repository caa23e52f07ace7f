-- Each target's sign-in history, shared by every process: whether its credentials worked lately decides whether a
-- refused sign-in parks the work (sync/retry.ts), and a success wakes the parked work at once.
CREATE TABLE target_signins (
  target text PRIMARY KEY,
  -- The last sign-in that worked; NULL while the credentials never did.
  last_ok timestamptz,
  -- Sign-ins refused in a row since last_ok, and when the first of them was.
  refusals integer NOT NULL DEFAULT 0,
  first_refusal timestamptz
);
