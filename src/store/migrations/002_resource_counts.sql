-- Exact row counts of users and groups without count(*): an unfiltered page must report totalResults, and
-- counting 100,000 rows on every page request costs more than the page itself. The count is spread over 64
-- shards so that concurrent writers rarely wait for the same row; a read sums them.
CREATE TABLE resource_counts (
  resource_type text NOT NULL CHECK (resource_type IN ('User', 'Group')),
  shard         integer NOT NULL,
  n             bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (resource_type, shard)
);
INSERT INTO resource_counts (resource_type, shard, n)
SELECT t, s, 0 FROM (VALUES ('User'), ('Group')) AS v(t), generate_series(0, 63) AS s;
UPDATE resource_counts SET n = (SELECT count(*) FROM users) WHERE resource_type = 'User' AND shard = 0;
UPDATE resource_counts SET n = (SELECT count(*) FROM groups) WHERE resource_type = 'Group' AND shard = 0;

CREATE FUNCTION resource_counts_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- Chosen once: random() in the WHERE clause would be drawn again for every row.
  s integer := floor(random() * 64)::int;
BEGIN
  UPDATE resource_counts SET n = n + (SELECT count(*) FROM changed) WHERE resource_type = TG_ARGV[0] AND shard = s;
  RETURN NULL;
END $$;

CREATE FUNCTION resource_counts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- Chosen once: random() in the WHERE clause would be drawn again for every row.
  s integer := floor(random() * 64)::int;
BEGIN
  UPDATE resource_counts SET n = n - (SELECT count(*) FROM changed) WHERE resource_type = TG_ARGV[0] AND shard = s;
  RETURN NULL;
END $$;

CREATE TRIGGER users_counted_insert AFTER INSERT ON users REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION resource_counts_added('User');
CREATE TRIGGER users_counted_delete AFTER DELETE ON users REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION resource_counts_removed('User');
CREATE TRIGGER groups_counted_insert AFTER INSERT ON groups REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION resource_counts_added('Group');
CREATE TRIGGER groups_counted_delete AFTER DELETE ON groups REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION resource_counts_removed('Group');
