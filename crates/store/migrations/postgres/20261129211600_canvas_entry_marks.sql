-- When each user last entered each canvas: the row that re-entry control claims atomically
-- (INSERT ... ON CONFLICT), so two concurrent triggers cannot both enter a "once" canvas.
-- Kept when old canvas entries are pruned.
CREATE TABLE canvas_entry_marks (
    profile_id TEXT NOT NULL,
    canvas TEXT NOT NULL,
    last_entered_at BIGINT NOT NULL,
    PRIMARY KEY (profile_id, canvas)
);
INSERT INTO canvas_entry_marks (profile_id, canvas, last_entered_at)
    SELECT profile_id, canvas, MAX(entered_at) FROM canvas_entries GROUP BY profile_id, canvas;
