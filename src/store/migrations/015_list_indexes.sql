-- Indexes for what IdPs and admins filter and sort on, so that a lookup or a page costs the same at 10,000 users
-- as at 1,000,000. Each expression is the one src/store/filter compiles, character for character in meaning.

-- userName sw / displayName sw: a LIKE 'prefix%' uses a btree only under the C collation or with pattern ops.
CREATE INDEX users_user_name_pattern ON users (lower(user_name) text_pattern_ops);
CREATE INDEX groups_display_name_pattern ON groups (lower(display_name) text_pattern_ops);

-- name.familyName eq (and sortBy name.familyName).
CREATE INDEX users_family_name_lower ON users (lower(data -> 'name' ->> 'familyName'));

-- emails.value eq and emails[value eq …]: every email value, lowered, as a jsonb array (lowering the array's JSON text
-- lowers exactly its strings). The filter compiler tests containment in it before its exact per-element test.
-- Built-in functions only: a SQL function here cost each user write a planned query.
CREATE INDEX users_email_values ON users
  USING gin ((lower(jsonb_path_query_array(data, '$.emails[*].value')::text)::jsonb) jsonb_path_ops);

-- userName co: a trigram index, where the store has pg_trgm (PostgreSQL's contrib, PGlite's bundled copy).
-- The extension goes to `public` when it can (a schema's owner dropping it must not take others' indexes with
-- it), else to this schema; without it, `co` scans, as before.
DO $$
DECLARE
  home text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    BEGIN
      CREATE EXTENSION pg_trgm SCHEMA public;
    EXCEPTION WHEN others THEN
      BEGIN
        CREATE EXTENSION pg_trgm;
      EXCEPTION WHEN others THEN
        NULL;
      END;
    END;
  END IF;
  SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
   WHERE e.extname = 'pg_trgm';
  IF home IS NOT NULL THEN
    EXECUTE format('CREATE INDEX users_user_name_trigram ON users USING gin (lower(user_name) %I.gin_trgm_ops)', home);
  END IF;
END
$$;
