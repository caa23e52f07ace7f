-- Keys that sign the access tokens of the bridge's own OAuth token endpoint (/oauth/token). Shared here so that every
-- bridge process on this database verifies every other's tokens without a database read per request; the newest key
-- signs, older ones keep verifying until the tokens they signed have expired, then are deleted.
CREATE TABLE signing_keys (
  kid     text PRIMARY KEY,
  -- 32 random bytes, base64url (HS256).
  secret  text NOT NULL,
  created timestamptz NOT NULL DEFAULT now()
);
