-- Due group work, found without walking past the users' (a claim takes groups or users, groups first: a group's
-- create overlaps its members' provisioning, and a batch of users is never split by a group's check).
CREATE INDEX outbox_due_groups ON outbox (target, not_before, id) WHERE state = 'pending' AND resource_type = 'Group';
