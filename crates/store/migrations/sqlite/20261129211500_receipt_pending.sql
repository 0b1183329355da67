-- A campaign send counts as received from its enqueue, and is taken back if it ends without
-- reaching the user: the pending send and the receipt time before it.
ALTER TABLE campaign_receipts ADD COLUMN pending_send_id TEXT;
ALTER TABLE campaign_receipts ADD COLUMN previous_received_at INTEGER;
