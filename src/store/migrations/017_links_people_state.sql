-- The overview's people per target and state (store/people.ts peopleByTarget): an index-only count of each
-- target's user links by state, with target_id for "managed accounts", instead of reading every link row.
CREATE INDEX links_people_state ON links (target, state) INCLUDE (target_id)
  WHERE resource_type = 'User' AND NOT deprovisioned;
