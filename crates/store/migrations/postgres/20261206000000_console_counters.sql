-- Counters the workers keep in the transaction of each write, so the console never counts
-- by scanning the activity log or the canvas entries (PostgreSQL). Counters are history:
-- pruning the log or exited entries leaves them as they are. Their rows are updated in
-- place; the fill factor leaves room for those updates on the same page.

-- Activity entries per 5-minute bucket (its start, in microseconds) and per type, source
-- kind, campaign, canvas, step and template; a source without one of these counts under
-- ''. Backfilled from the entries still logged.
CREATE TABLE activity_counts (
    bucket BIGINT NOT NULL,
    activity_type TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    campaign TEXT NOT NULL,
    canvas TEXT NOT NULL,
    step TEXT NOT NULL,
    template TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (bucket, activity_type, source_kind, campaign, canvas, step, template)
) WITH (fillfactor = 70);
CREATE INDEX activity_counts_campaign ON activity_counts (campaign, bucket);
CREATE INDEX activity_counts_canvas ON activity_counts (canvas, bucket);
CREATE INDEX activity_counts_step ON activity_counts (step, bucket);
CREATE INDEX activity_counts_template ON activity_counts (template, bucket);
INSERT INTO activity_counts
    (bucket, activity_type, source_kind, campaign, canvas, step, template, count)
SELECT bucket, activity_type, source_kind, campaign, canvas, step, template, COUNT(*)
FROM (
    SELECT (time / 300000000) * 300000000 AS bucket,
        activity_type,
        CASE WHEN campaign IS NOT NULL THEN 'campaign'
            WHEN canvas IS NOT NULL THEN 'canvas'
            ELSE 'manual' END AS source_kind,
        COALESCE(campaign, '') AS campaign,
        COALESCE(canvas, '') AS canvas,
        COALESCE(step, '') AS step,
        COALESCE(entry::jsonb ->> 'template', '') AS template
    FROM activity_log
) AS entries
GROUP BY bucket, activity_type, source_kind, campaign, canvas, step, template;

-- Filters of the activity log that had no index of their own (the time index alone made a
-- rare campaign, user or error type read the log back to its start).
CREATE INDEX activity_log_type ON activity_log (activity_type, time, id);
CREATE INDEX activity_log_campaign ON activity_log (campaign, time, id) WHERE campaign IS NOT NULL;
CREATE INDEX activity_log_canvas ON activity_log (canvas, time, id) WHERE canvas IS NOT NULL;
CREATE INDEX activity_log_step ON activity_log (step, time, id) WHERE step IS NOT NULL;
CREATE INDEX activity_log_user ON activity_log (user_id, time, id);
CREATE INDEX activity_log_external_id ON activity_log (external_id, time, id) WHERE external_id IS NOT NULL;
CREATE INDEX activity_log_status ON activity_log (status, time, id) WHERE status IS NOT NULL;

-- Per canvas step: arrivals (a re-entry arrives again), entries there now, and entries
-- that left the canvas from it; per step and path: departures down it. Backfilled from the
-- entries still stored (those pruned before the upgrade are not counted); an entry taken
-- out of a step before the upgrade counts its exit at the last step it completed.
CREATE TABLE canvas_step_counts (
    canvas TEXT NOT NULL,
    step TEXT NOT NULL,
    entered BIGINT NOT NULL,
    present BIGINT NOT NULL,
    exited BIGINT NOT NULL,
    PRIMARY KEY (canvas, step)
) WITH (fillfactor = 70);
CREATE TABLE canvas_path_counts (
    canvas TEXT NOT NULL,
    step TEXT NOT NULL,
    path TEXT NOT NULL,
    taken BIGINT NOT NULL,
    PRIMARY KEY (canvas, step, path)
) WITH (fillfactor = 70);
INSERT INTO canvas_step_counts (canvas, step, entered, present, exited)
SELECT canvas, step, SUM(entered), SUM(present), SUM(exited)
FROM (
    SELECT entries.canvas AS canvas, history.value ->> 'step' AS step,
        1 AS entered, 0 AS present, 0 AS exited
    FROM canvas_entries AS entries,
        jsonb_array_elements(COALESCE(entries.state::jsonb -> 'history', '[]')) AS history (value)
    UNION ALL
    SELECT canvas, state::jsonb #>> '{position,step}', 1, active, 0
    FROM canvas_entries
    UNION ALL
    SELECT canvas,
        COALESCE(state::jsonb #>> '{position,step}', state::jsonb -> 'history' -> -1 ->> 'step'),
        0, 0, 1
    FROM canvas_entries WHERE active = 0
) AS shares
WHERE step IS NOT NULL
GROUP BY canvas, step;
INSERT INTO canvas_path_counts (canvas, step, path, taken)
SELECT canvas, step, path, COUNT(*)
FROM (
    SELECT entries.canvas AS canvas, history.value ->> 'step' AS step,
        history.value ->> 'path' AS path
    FROM canvas_entries AS entries,
        jsonb_array_elements(COALESCE(entries.state::jsonb -> 'history', '[]')) AS history (value)
) AS departures
GROUP BY canvas, step, path;

-- Each entry's current step (NULL once it exited) and when it arrived there, for the most
-- recent entries at a step.
ALTER TABLE canvas_entries ADD COLUMN step TEXT;
ALTER TABLE canvas_entries ADD COLUMN arrived_at BIGINT;
UPDATE canvas_entries SET
    step = CASE WHEN active = 1 THEN state::jsonb #>> '{position,step}' END,
    arrived_at = (EXTRACT(EPOCH FROM (state::jsonb ->> 'arrived_at')::timestamptz) * 1000000)::BIGINT;
CREATE INDEX canvas_entries_at_step ON canvas_entries (canvas, step, arrived_at, id)
    WHERE step IS NOT NULL;
