-- The withdrawn pledges of a campaign, which its dashboard counts.
CREATE INDEX pledges_withdrawn ON pledges (campaign_id) WHERE withdrawn_at IS NOT NULL;

-- When a campaign's pledges were last anonymised (Unix microseconds; NULL:
-- never): an anonymised campaign may not reopen, and the console says so.
-- A campaign anonymised before this column existed is found by its entry
-- in the audit log, which begins with the campaign's slug; one reopened
-- since is left unmarked, to be anonymised again once it closes.
ALTER TABLE campaigns ADD COLUMN anonymised_at INTEGER NULL;
UPDATE campaigns SET anonymised_at = (SELECT max(at) FROM admin_actions
    WHERE kind = 'anonymise' AND substr(detail, 1, length(campaigns.slug) + 2) = campaigns.slug || ': ');
UPDATE campaigns SET anonymised_at = NULL WHERE closes_at IS NULL OR closes_at > anonymised_at;
