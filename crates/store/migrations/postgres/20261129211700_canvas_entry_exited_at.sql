-- When each entry's user left the canvas, so exited entries past their retention can be
-- pruned. Entries that exited before this column existed take their last update time.
ALTER TABLE canvas_entries ADD COLUMN exited_at BIGINT;
UPDATE canvas_entries SET exited_at = updated_at WHERE active = 0;
CREATE INDEX canvas_entries_exited ON canvas_entries (exited_at) WHERE active = 0;
