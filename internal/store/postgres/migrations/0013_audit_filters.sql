-- The audit log is filtered by actor, by kind and by campaign, newest
-- first, a page at a time: an index for each, ending in the id the pages
-- are ordered and cut by.
--
-- The campaign an entry was on ('' for none) is a column of its own,
-- written with the entry. The entries from before it name their campaign
-- only at the start of their detail ("slug: ...", or "slug pledges.csv:
-- ..." for an export), and are given it here: the one change ever made to
-- written entries, filling in what they already say, with the append-only
-- trigger lifted inside this migration's transaction alone.
ALTER TABLE admin_actions ADD COLUMN campaign text NOT NULL DEFAULT '';
ALTER TABLE admin_actions DISABLE TRIGGER admin_actions_append_only;
UPDATE admin_actions a SET campaign = c.slug FROM campaigns c
    WHERE (a.kind IN ('campaign-create', 'campaign-edit', 'campaign-pause', 'campaign-resume',
                      'regions-import', 'invalidate', 'invalidate-revert', 'anonymise')
           AND starts_with(a.detail, c.slug || ': '))
       OR (a.kind = 'export' AND starts_with(a.detail, c.slug || ' pledges.csv: '));
ALTER TABLE admin_actions ENABLE TRIGGER admin_actions_append_only;

CREATE INDEX admin_actions_actor ON admin_actions (actor, id);
CREATE INDEX admin_actions_kind ON admin_actions (kind, id);
CREATE INDEX admin_actions_campaign ON admin_actions (campaign, id);
