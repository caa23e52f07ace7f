-- Users and groups: the SCIM resource body lives in `data` (JSONB, without id, meta, members or groups);
-- the attributes that filters, sorting and uniqueness need are real columns with indexes.
CREATE TABLE users (
  id            uuid PRIMARY KEY,
  user_name     text NOT NULL,
  external_id   text,
  display_name  text,
  active        boolean NOT NULL DEFAULT true,
  data          jsonb NOT NULL,
  version       integer NOT NULL DEFAULT 1,
  created       timestamptz NOT NULL DEFAULT now(),
  last_modified timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_user_name_lower ON users (lower(user_name));
CREATE INDEX users_external_id ON users (external_id);
CREATE INDEX users_display_name_lower ON users (lower(display_name));
CREATE INDEX users_created_id ON users (created, id);

CREATE TABLE groups (
  id            uuid PRIMARY KEY,
  display_name  text NOT NULL,
  external_id   text,
  data          jsonb NOT NULL,
  version       integer NOT NULL DEFAULT 1,
  created       timestamptz NOT NULL DEFAULT now(),
  last_modified timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX groups_display_name_lower ON groups (lower(display_name));
CREATE INDEX groups_external_id ON groups (external_id);
CREATE INDEX groups_created_id ON groups (created, id);

-- One row per membership, so that adding one member to a 50,000-member group touches one row.
CREATE TABLE group_members (
  group_id    uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  member_id   uuid NOT NULL,
  member_type text NOT NULL CHECK (member_type IN ('User', 'Group')),
  added       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_member ON group_members (member_id);

-- Links: which account in which target a SCIM resource is, and how its last delivery went.
CREATE TABLE links (
  resource_type   text NOT NULL CHECK (resource_type IN ('User', 'Group')),
  resource_id     uuid NOT NULL,
  target          text NOT NULL,
  target_id       text,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'synced', 'failed', 'held')),
  last_attempt_at timestamptz,
  error_code      text,
  error_message   text,
  synced_version  integer,
  -- The account was deactivated/removed in the target (deleted in SCIM or out of the target's scope).
  deprovisioned   boolean NOT NULL DEFAULT false,
  PRIMARY KEY (resource_id, target)
);
CREATE INDEX links_target_target_id ON links (target, target_id);

-- The transactional outbox: one job per (resource, target) change, written with the resource.
CREATE TABLE outbox (
  id            bigserial PRIMARY KEY,
  target        text NOT NULL,
  resource_type text NOT NULL CHECK (resource_type IN ('User', 'Group')),
  resource_id   uuid NOT NULL,
  -- What the change meant when it was accepted; delivery re-reads the current state and does what it requires.
  action        text NOT NULL CHECK (action IN ('provision', 'deprovision')),
  -- An admin released this held deprovision: the circuit breaker lets it through.
  approved      boolean NOT NULL DEFAULT false,
  state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'dead', 'held')),
  attempts      integer NOT NULL DEFAULT 0,
  not_before    timestamptz NOT NULL DEFAULT now(),
  claimed_by    text,
  claimed_until timestamptz,
  secret        bytea,
  last_error_code    text,
  last_error_message text,
  request_id    text,
  created       timestamptz NOT NULL DEFAULT now(),
  finished      timestamptz
);
CREATE INDEX outbox_due ON outbox (target, not_before, id) WHERE state = 'pending';
CREATE INDEX outbox_resource ON outbox (resource_id, target, id) WHERE state IN ('pending', 'running', 'held');

CREATE TABLE audit (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  request_id    text,
  actor         text,
  action        text NOT NULL,
  resource_type text,
  resource_id   uuid,
  target        text,
  outcome       text NOT NULL,
  detail        jsonb
);
CREATE INDEX audit_at ON audit (at DESC);
CREATE INDEX audit_resource ON audit (resource_id, at DESC);
