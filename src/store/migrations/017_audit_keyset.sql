-- The console's audit is read newest first by (at, id), a keyset that pages through millions of rows at the cost of
-- the first page. One index per filter the console offers, each ending in (at, id) so a filtered page is a range
-- scan: no filter / outcome / a date range only (audit_at_id), a person (audit_resource_at_id), a target, an actor,
-- an action. Outcome alone has four values and rides audit_at_id.
CREATE INDEX audit_at_id ON audit (at, id);
CREATE INDEX audit_resource_at_id ON audit (resource_id, at, id);
CREATE INDEX audit_target_at_id ON audit (target, at, id);
CREATE INDEX audit_actor_at_id ON audit (actor, at, id);
CREATE INDEX audit_action_at_id ON audit (action, at, id);
DROP INDEX audit_at;
DROP INDEX audit_resource;
DROP INDEX audit_target_id;
