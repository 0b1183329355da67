-- When each campaign and canvas of the config was first seen and last changed
-- (PostgreSQL): the config file has no dates, so `serve` records at start-up a fingerprint
-- of each one (kind and api id) and moves `last_edited` when it differs. One missing from
-- the config is archived (`archived_at`), and unarchived when it comes back. Times are
-- microseconds.
CREATE TABLE config_versions (
    kind TEXT NOT NULL,
    api_id TEXT NOT NULL,
    name TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_edited BIGINT NOT NULL,
    archived_at BIGINT,
    PRIMARY KEY (kind, api_id)
);

-- Entries into each canvas per day (the start of the UTC day, in microseconds), kept by
-- the transaction that saves a new entry, for the canvas data series. Backfilled from the
-- entries still stored.
CREATE TABLE canvas_entry_days (
    canvas TEXT NOT NULL,
    day BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    PRIMARY KEY (canvas, day)
) WITH (fillfactor = 70);
INSERT INTO canvas_entry_days (canvas, day, entries)
SELECT canvas, day, COUNT(*)
FROM (
    SELECT canvas,
        (FLOOR(EXTRACT(EPOCH FROM (state::jsonb ->> 'entered_at')::timestamptz) / 86400)
            * 86400000000)::BIGINT AS day
    FROM canvas_entries
) AS entries
WHERE day IS NOT NULL
GROUP BY canvas, day;
