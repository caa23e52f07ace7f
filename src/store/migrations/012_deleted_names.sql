-- Who a deleted resource was: its names only, kept after its tombstone goes (once every target has confirmed), so
-- held deprovisions, jobs, the audit and Find can say whose access it was.
CREATE TABLE deleted_names (
  resource_id   uuid PRIMARY KEY,
  resource_type text NOT NULL CHECK (resource_type IN ('User', 'Group')),
  user_name     text,
  display_name  text,
  external_id   text,
  deleted       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deleted_names_user_name ON deleted_names (lower(user_name) text_pattern_ops);
CREATE INDEX deleted_names_display_name ON deleted_names (lower(display_name) text_pattern_ops);
CREATE INDEX deleted_names_external_id ON deleted_names (external_id);
INSERT INTO deleted_names (resource_id, resource_type, user_name, display_name, external_id, deleted)
SELECT resource_id, resource_type, data->>'userName', data->>'displayName', data->>'externalId', deleted
  FROM tombstones;
