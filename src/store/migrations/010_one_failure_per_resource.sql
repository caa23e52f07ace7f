-- One failure per resource and target (store/outbox.ts keepOneFailure): found by resource among dead jobs only.
CREATE INDEX outbox_dead_resource ON outbox (resource_id, target, id) WHERE state = 'dead';
-- Failures piled up before: the newest stays, with the attempts of the others.
WITH dead AS (
  SELECT id, attempts, max(id) OVER (PARTITION BY resource_id, target) AS keep FROM outbox WHERE state = 'dead'),
gone AS (DELETE FROM outbox o USING dead d WHERE o.id = d.id AND d.id <> d.keep RETURNING d.keep, d.attempts)
UPDATE outbox o SET attempts = o.attempts + g.n
  FROM (SELECT keep, sum(attempts)::int AS n FROM gone GROUP BY keep) g WHERE o.id = g.keep;
