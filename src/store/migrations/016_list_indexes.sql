-- Indexes for what IdPs and admins filter and sort on, so that a lookup or a page costs the same at 10,000 users
-- as at 1,000,000. Each expression is the one src/store/filter compiles, character for character in meaning.

-- userName sw / displayName sw: a LIKE 'prefix%' uses a btree only under the C collation or with pattern ops.
-- They go on the expression the filter compiler compares names with: the name key column where the store has one
-- (case- and normalisation-folded names), else lower() of the name.
DO $$
DECLARE
  user_name text := 'lower(user_name)';
  group_name text := 'lower(display_name)';
BEGIN
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'user_name_key'
                AND NOT attisdropped) THEN
    user_name := 'user_name_key';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'groups'::regclass AND attname = 'display_name_key'
                AND NOT attisdropped) THEN
    group_name := 'display_name_key';
  END IF;
  EXECUTE format('CREATE INDEX users_user_name_pattern ON users ((%s) text_pattern_ops)', user_name);
  EXECUTE format('CREATE INDEX groups_display_name_pattern ON groups ((%s) text_pattern_ops)', group_name);
END
$$;

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
    EXECUTE format('CREATE INDEX users_user_name_trigram ON users USING gin ((%s) %I.gin_trgm_ops)',
      CASE WHEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'users'::regclass
                          AND attname = 'user_name_key' AND NOT attisdropped)
           THEN 'user_name_key' ELSE 'lower(user_name)' END,
      home);
  END IF;
END
$$;
