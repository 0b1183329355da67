-- Braze's send ids (`send_id`): the key an API campaign's sends are tracked under.
-- An activity entry's tracking send id, NULL on untracked sends; the partial index holds
-- only tracked entries, so `/sends/data_series` reads a send's entries without the rest.
ALTER TABLE activity_log ADD COLUMN tracking_send_id TEXT;
CREATE INDEX activity_log_tracking_send ON activity_log
    (tracking_send_id, campaign, time, activity_type, user_id)
    WHERE tracking_send_id IS NOT NULL;

-- The campaign_id + send_id pairs registered by POST /sends/id/create (times are
-- microseconds since the Unix epoch).
CREATE TABLE send_ids (
    campaign_id TEXT NOT NULL,
    send_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, send_id)
);

-- New pairs registered per UTC day (days since the Unix epoch): the daily limit reads and
-- bumps one row, which serializes concurrent registrations on PostgreSQL.
CREATE TABLE send_id_days (
    day BIGINT PRIMARY KEY NOT NULL,
    created BIGINT NOT NULL
);
