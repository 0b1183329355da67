-- Profiles, identifiers, event history and the job queue (SQLite).
-- Times are microseconds since the Unix epoch; documents are JSON text.
CREATE TABLE profiles (
    id TEXT PRIMARY KEY NOT NULL,
    external_id TEXT UNIQUE,
    email TEXT,
    phone TEXT,
    document TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX profiles_email ON profiles (email) WHERE email IS NOT NULL;
CREATE INDEX profiles_phone ON profiles (phone) WHERE phone IS NOT NULL;

CREATE TABLE aliases (
    alias_label TEXT NOT NULL,
    alias_name TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    PRIMARY KEY (alias_label, alias_name)
);
CREATE INDEX aliases_profile ON aliases (profile_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL,
    name TEXT NOT NULL,
    time INTEGER NOT NULL,
    app_id TEXT,
    properties TEXT NOT NULL
);
CREATE INDEX events_profile_name_time ON events (profile_id, name, time);

CREATE TABLE purchases (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    price REAL NOT NULL,
    quantity INTEGER NOT NULL,
    time INTEGER NOT NULL,
    app_id TEXT,
    properties TEXT NOT NULL
);
CREATE INDEX purchases_profile_product_time ON purchases (profile_id, product_id, time);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_token TEXT,
    lease_until INTEGER,
    last_error TEXT,
    failed_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX jobs_ready ON jobs (queue, run_at) WHERE failed_at IS NULL;
