-- Fields a target may hold back (Tableau Cloud ignores fullName; Salesforce keeps an email change pending
-- until the user confirms it), as the bridge last sent them: not sent again while unchanged, not drift.
ALTER TABLE links ADD COLUMN sent jsonb;
