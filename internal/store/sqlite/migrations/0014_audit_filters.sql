-- The audit log is filtered by actor, by kind and by campaign, newest
-- first, a page at a time: an index for each, ending in the id the pages
-- are ordered and cut by.
--
-- The campaign an entry was on ('' for none) is a column of its own,
-- written with the entry. The entries from before it name their campaign
-- only at the start of their detail ("slug: ...", or "slug pledges.csv:
-- ..." for an export), and are given it here: the one change ever made to
-- written entries, filling in what they already say, with the append-only
-- trigger lifted for this statement alone.
ALTER TABLE admin_actions ADD COLUMN campaign TEXT NOT NULL DEFAULT '';
DROP TRIGGER admin_actions_no_update;
UPDATE admin_actions SET campaign = c.slug FROM campaigns c
    WHERE (admin_actions.kind IN ('campaign-create', 'campaign-edit', 'campaign-pause', 'campaign-resume',
                                  'regions-import', 'invalidate', 'invalidate-revert', 'anonymise')
           AND substr(admin_actions.detail, 1, length(c.slug) + 2) = c.slug || ': ')
       OR (admin_actions.kind = 'export'
           AND substr(admin_actions.detail, 1, length(c.slug) + 14) = c.slug || ' pledges.csv: ');
CREATE TRIGGER admin_actions_no_update BEFORE UPDATE ON admin_actions
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE INDEX admin_actions_actor ON admin_actions (actor, id);
CREATE INDEX admin_actions_kind ON admin_actions (kind, id);
CREATE INDEX admin_actions_campaign ON admin_actions (campaign, id);
