-- Activity counters hold an hour of one key's 5-minute buckets a row (PostgreSQL): a column
-- per bucket, named by the minute it starts at, so a read over a month visits 720 rows a
-- key rather than 8,640, and the entries of one transaction in several buckets of an hour
-- are one upsert. A query names the condition of the partial index it uses
-- (`campaign <> ''`). The counts so far move over from the table of one bucket a row.
DROP INDEX activity_counts_campaign;
DROP INDEX activity_counts_canvas;
DROP INDEX activity_counts_step;
DROP INDEX activity_counts_template;
ALTER TABLE activity_counts RENAME TO activity_bucket_counts;
ALTER INDEX activity_counts_pkey RENAME TO activity_bucket_counts_pkey;
CREATE TABLE activity_counts (
    hour BIGINT NOT NULL,
    activity_type TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    campaign TEXT NOT NULL,
    canvas TEXT NOT NULL,
    step TEXT NOT NULL,
    template TEXT NOT NULL,
    m00 BIGINT NOT NULL,
    m05 BIGINT NOT NULL,
    m10 BIGINT NOT NULL,
    m15 BIGINT NOT NULL,
    m20 BIGINT NOT NULL,
    m25 BIGINT NOT NULL,
    m30 BIGINT NOT NULL,
    m35 BIGINT NOT NULL,
    m40 BIGINT NOT NULL,
    m45 BIGINT NOT NULL,
    m50 BIGINT NOT NULL,
    m55 BIGINT NOT NULL,
    PRIMARY KEY (hour, activity_type, source_kind, campaign, canvas, step, template)
) WITH (fillfactor = 70);
INSERT INTO activity_counts
    (hour, activity_type, source_kind, campaign, canvas, step, template,
    m00, m05, m10, m15, m20, m25, m30, m35, m40, m45, m50, m55)
SELECT hour, activity_type, source_kind, campaign, canvas, step, template,
    SUM(CASE WHEN slot = 0 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 1 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 2 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 3 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 4 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 5 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 6 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 7 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 8 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 9 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 10 THEN count ELSE 0 END),
    SUM(CASE WHEN slot = 11 THEN count ELSE 0 END)
FROM (
    SELECT (bucket / 3600000000) * 3600000000 AS hour,
        (bucket % 3600000000) / 300000000 AS slot,
        activity_type, source_kind, campaign, canvas, step, template, count
    FROM activity_bucket_counts
) AS buckets
GROUP BY hour, activity_type, source_kind, campaign, canvas, step, template;
DROP TABLE activity_bucket_counts;
CREATE INDEX activity_counts_campaign ON activity_counts (campaign, hour) WHERE campaign <> '';
CREATE INDEX activity_counts_canvas ON activity_counts (canvas, hour) WHERE canvas <> '';
CREATE INDEX activity_counts_step ON activity_counts (step, hour) WHERE step <> '';
CREATE INDEX activity_counts_template ON activity_counts (template, hour) WHERE template <> '';

-- Statistics for the tables, columns and indexes of the console's counters now, so the
-- first reads after the upgrade are planned on them rather than on defaults.
ANALYZE activity_counts, canvas_step_counts, canvas_path_counts, canvas_entries, activity_log;
