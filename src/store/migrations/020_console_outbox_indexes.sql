-- The console's reads of the outbox, which holds every delivered job (hundreds of thousands on a big store) beside a
-- few open or failed ones: each reads only the few, through a partial index, instead of scanning the delivered.
-- The queue by state (overview, Failed & held): open and failed jobs only. resource_id is a key column too: with the
-- statistics of a drained queue the planner takes this small index for the writers' and claims' lookups of one
-- resource's pending jobs as well, and there it must find that resource's jobs, not scan the target's (claim-cost).
CREATE INDEX outbox_not_done ON outbox (target, state, resource_id) WHERE state <> 'done';
-- The circuit breaker's recent deprovisions per target (the overview asks for every target on each refresh).
CREATE INDEX outbox_deprovision_created ON outbox (target, created) WHERE action = 'deprovision';
