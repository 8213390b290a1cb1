-- Pledges per campaign and minute, updated once per batch like the region
-- count rows, so dashboards never scan the pledge table.
CREATE TABLE minute_counts (
    campaign_id bigint      NOT NULL,
    minute      timestamptz NOT NULL,
    n           bigint      NOT NULL,
    PRIMARY KEY (campaign_id, minute)
);
INSERT INTO minute_counts (campaign_id, minute, n)
SELECT campaign_id, date_trunc('minute', created_at), count(*) FROM pledges GROUP BY 1, 2;
