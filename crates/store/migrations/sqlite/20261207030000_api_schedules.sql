-- Scheduled API sends: the request as sent, its schedule object, and the version its jobs
-- must match. first_at (microseconds) is when it first sends, for the listing of what is due.
CREATE TABLE api_schedules (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    target TEXT,
    dispatch_id TEXT NOT NULL,
    send_id TEXT,
    body TEXT NOT NULL,
    schedule TEXT NOT NULL,
    version INTEGER NOT NULL,
    parts_left INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX api_schedules_first_at ON api_schedules (first_at, id);
