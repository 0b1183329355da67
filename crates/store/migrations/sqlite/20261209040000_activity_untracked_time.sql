-- Pruning the activity log keeps entries with a tracking send id for Braze's 14 days of
-- send analytics while the rest go after `delivery.activity_retention`: this index finds
-- the untracked entries past their retention without reading the tracked ones kept.
CREATE INDEX activity_log_untracked_time ON activity_log (time)
    WHERE tracking_send_id IS NULL;
