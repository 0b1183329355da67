-- A segment's size per UTC day (`day` as YYYY-MM-DD), the last measurement of the day.
CREATE TABLE segment_sizes (
    segment_id TEXT NOT NULL,
    day TEXT NOT NULL,
    size BIGINT NOT NULL,
    measured_at BIGINT NOT NULL,
    PRIMARY KEY (segment_id, day)
);

-- The running export of each segment (at most one, as in Braze): written with the export's
-- first job, deleted with its last.
CREATE TABLE segment_exports (
    segment_id TEXT PRIMARY KEY,
    object_prefix TEXT NOT NULL,
    started_at BIGINT NOT NULL
);
