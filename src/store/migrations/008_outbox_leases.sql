-- Claims whose lease ran out (a crashed worker's) are found by this index, not by scanning the outbox, so that
-- the claim query's cost does not depend on the planner's statistics (a burst of writes outdates them).
CREATE INDEX outbox_lease ON outbox (target, claimed_until) WHERE state = 'running';
