-- External ids a user was renamed from (`/users/external_ids/rename`) (PostgreSQL): each still names
-- its user everywhere an external_id does, until `/users/external_ids/remove` drops it. An
-- id is either some user's primary external_id or a deprecated one, never both.
CREATE TABLE deprecated_external_ids (
    external_id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL
);
CREATE INDEX deprecated_external_ids_profile ON deprecated_external_ids (profile_id);
