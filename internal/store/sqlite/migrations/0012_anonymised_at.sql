-- When a campaign's pledges were anonymised (Unix microseconds; NULL:
-- never): an anonymised campaign may not reopen, and the console says so.
-- A campaign anonymised before this column existed is found by its entry
-- in the audit log, which begins with the campaign's slug.
ALTER TABLE campaigns ADD COLUMN anonymised_at INTEGER NULL;
UPDATE campaigns SET anonymised_at = (SELECT min(at) FROM admin_actions
    WHERE kind = 'anonymise' AND substr(detail, 1, length(campaigns.slug) + 2) = campaigns.slug || ': ');

-- The withdrawn pledges of a campaign, which its dashboard counts.
CREATE INDEX pledges_withdrawn ON pledges (campaign_id) WHERE withdrawn_at IS NOT NULL;
