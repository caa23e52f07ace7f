-- A failure an admin acknowledged (store/failures.ts): the failed job and the time of the failure that was seen.
-- The failed list and its counts leave it out while that job's failure is the same one; a new failure (a new
-- dead job, or this one failing again after a retry) has another id or time and shows again.
CREATE TABLE failure_acks (
  job_id    bigint PRIMARY KEY,
  failed_at timestamptz NOT NULL,
  actor     text,
  note      text NOT NULL,
  at        timestamptz NOT NULL DEFAULT now()
);
