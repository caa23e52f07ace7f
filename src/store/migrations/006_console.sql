-- Browser console sessions: the admin token is exchanged for a random session id, kept here only as a hash so a
-- copy of the table opens nothing. Shared by every bridge process on one database.
CREATE TABLE console_sessions (
  id_hash text PRIMARY KEY,
  actor   text NOT NULL,
  csrf    text NOT NULL,
  created timestamptz NOT NULL DEFAULT now(),
  expires timestamptz NOT NULL,
  -- A one-time notice shown on the next page (the outcome of the last action).
  flash   text
);
CREATE INDEX console_sessions_expires ON console_sessions (expires);

-- The console's last-hour chart reads finished jobs by time.
CREATE INDEX outbox_finished ON outbox (finished) WHERE state = 'done';
-- The console's audit filters.
CREATE INDEX audit_target_id ON audit (target, id DESC);
-- Failed work, filtered by target and error code.
CREATE INDEX outbox_dead ON outbox (target, last_error_code) WHERE state = 'dead';
