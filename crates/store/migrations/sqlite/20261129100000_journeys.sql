-- Campaign and Canvas runtime state (SQLite): each user's canvas entries (position, history,
-- the actions seen at an Action Paths step), campaign receipts and rate-limit windows.
-- Times are microseconds since the Unix epoch; documents are JSON text.
CREATE TABLE canvas_entries (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL,
    canvas TEXT NOT NULL,
    state TEXT NOT NULL,
    actions TEXT NOT NULL,
    active INTEGER NOT NULL,
    awaiting_action INTEGER NOT NULL,
    entered_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX canvas_entries_profile_canvas ON canvas_entries (profile_id, canvas, entered_at);
CREATE INDEX canvas_entries_active ON canvas_entries (profile_id, entered_at) WHERE active = 1;

CREATE TABLE campaign_receipts (
    profile_id TEXT NOT NULL,
    campaign TEXT NOT NULL,
    last_received_at INTEGER,
    last_exception_at INTEGER,
    PRIMARY KEY (profile_id, campaign)
);

CREATE TABLE rate_windows (
    name TEXT PRIMARY KEY NOT NULL,
    minute_start INTEGER,
    sent INTEGER NOT NULL
);
