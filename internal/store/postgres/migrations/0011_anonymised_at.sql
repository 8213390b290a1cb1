-- The withdrawn pledges of a campaign, which its dashboard counts. First:
-- an anonymisation running meanwhile writes pledges, then campaigns.
CREATE INDEX pledges_withdrawn ON pledges (campaign_id) WHERE withdrawn_at IS NOT NULL;

-- When a campaign's pledges were last anonymised (NULL: never): an
-- anonymised campaign may not reopen, and the console says so. A campaign
-- anonymised before this column existed is found by its entry in the audit
-- log, which begins with the campaign's slug; one reopened since is left
-- unmarked, to be anonymised again once it closes.
ALTER TABLE campaigns ADD COLUMN anonymised_at timestamptz NULL;
UPDATE campaigns c SET anonymised_at = a.at
    FROM (SELECT c2.id, max(l.at) AS at FROM campaigns c2
          JOIN admin_actions l ON l.kind = 'anonymise' AND starts_with(l.detail, c2.slug || ': ')
          GROUP BY c2.id) a
    WHERE a.id = c.id AND c.closes_at IS NOT NULL AND c.closes_at <= a.at;
