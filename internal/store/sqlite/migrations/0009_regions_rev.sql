-- Counts the edits that took away a region pledges could name (removed it,
-- or gave it a sub-region). A batch compares it with the count its
-- submissions were checked against, so none lands in a region the
-- campaign cache still held.
ALTER TABLE campaign_seq ADD COLUMN regions_rev INTEGER NOT NULL DEFAULT 0;
