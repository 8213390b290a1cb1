-- Counts the edits that took away a region pledges could name (removed it,
-- or gave it a sub-region). A batch compares it, under the sequence row
-- lock, with the count its submissions were checked against, so none lands
-- in a region an instance still had cached.
ALTER TABLE campaign_seq ADD COLUMN regions_rev bigint NOT NULL DEFAULT 0;
