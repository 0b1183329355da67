-- The message activity log: every send attempt, error and abort. The whole entry is kept
-- as JSON; the columns beside it are what the log is filtered and pruned by.
CREATE TABLE activity_log (
    id TEXT PRIMARY KEY NOT NULL,
    time BIGINT NOT NULL,
    activity_type TEXT NOT NULL,
    campaign TEXT,
    canvas TEXT,
    step TEXT,
    user_id TEXT NOT NULL,
    external_id TEXT,
    status INTEGER,
    send_id TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX activity_log_time ON activity_log (time, id);
CREATE INDEX activity_log_send ON activity_log (send_id);
