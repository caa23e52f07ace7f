-- Operators sign in as themselves: a console session says how it was opened (an admin token, or OpenID Connect),
-- the role it carries, and for a person their IdP subject and email. Audit rows say from which address an action came
-- and, for a person, their IdP subject beside the actor (the email or the token's name).
ALTER TABLE console_sessions ADD COLUMN kind text NOT NULL DEFAULT 'token';
ALTER TABLE console_sessions ADD COLUMN role text NOT NULL DEFAULT 'admin';
ALTER TABLE console_sessions ADD COLUMN subject text;
ALTER TABLE console_sessions ADD COLUMN email text;
ALTER TABLE audit ADD COLUMN source text;
ALTER TABLE audit ADD COLUMN actor_subject text;
