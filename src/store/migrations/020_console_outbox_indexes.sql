-- The console's reads of the outbox, which holds every delivered job (hundreds of thousands on a big store) beside a
-- few open or failed ones: each reads only the few, through a partial index, instead of scanning the delivered.
-- The queue by state (overview, Failed & held): open and failed jobs only.
CREATE INDEX outbox_not_done ON outbox (target, state) WHERE state <> 'done';
-- The circuit breaker's recent deprovisions per target (the overview asks for every target on each refresh).
CREATE INDEX outbox_deprovision_created ON outbox (target, created) WHERE action = 'deprovision';
