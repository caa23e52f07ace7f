-- What a delivery did or tried to do in the target, beside its outcome: created (the account became the bridge's:
-- made, or an existing one linked), updated, deactivated (a user deprovisioned), deleted (a group). NULL for every
-- other event, and for refusals recorded with the write.
ALTER TABLE audit ADD COLUMN change text;
-- The delivery log and the overview's last-hour summary read deliveries by time: a partial index on (at, id) that
-- carries what the summary counts, so the hour's count is an index-only range scan on a busy audit.
CREATE INDEX audit_deliveries_at_id ON audit (at, id) INCLUDE (target, outcome, change, resource_type, resource_id)
  WHERE action IN ('target.deliver', 'target.preflight');
-- A delivery's request id leads to the write that queued it (who asked): the delivery log's "requested by".
CREATE INDEX audit_request_id ON audit (request_id) WHERE request_id IS NOT NULL;
