-- A deleted resource's last body, kept until every target that may hold its account has confirmed the
-- deprovision: a target without a link (a create whose answer was lost) finds the account by the correlation keys
-- computed from it. `groups` are the groups a deleted user was in, whose membership in each target must shrink.
CREATE TABLE tombstones (
  resource_id   uuid PRIMARY KEY,
  resource_type text NOT NULL CHECK (resource_type IN ('User', 'Group')),
  data          jsonb NOT NULL,
  groups        uuid[] NOT NULL DEFAULT '{}',
  deleted       timestamptz NOT NULL DEFAULT now()
);
