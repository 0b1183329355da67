-- Content Blocks created through the API (blocks declared in the config file are not
-- stored). Tags are a JSON array; times are microseconds since the Unix epoch.
CREATE TABLE content_blocks (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    content TEXT NOT NULL,
    description TEXT,
    content_type TEXT NOT NULL,
    state TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Bumped by every create and update, so each node reloads blocks only when they changed.
CREATE TABLE content_block_revision (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO content_block_revision (id, revision) VALUES (1, 0);
