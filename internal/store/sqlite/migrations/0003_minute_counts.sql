-- Pledges per campaign and minute, updated once per batch like the region
-- count rows, so dashboards never scan the pledge table.
CREATE TABLE minute_counts (
    campaign_id INTEGER NOT NULL,
    minute      INTEGER NOT NULL, -- Unix seconds of the minute's start
    n           INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, minute)
) WITHOUT ROWID;
INSERT INTO minute_counts (campaign_id, minute, n)
SELECT campaign_id, (created_at / 60000000) * 60, count(*) FROM pledges GROUP BY 1, 2;
