-- What a campaign's pages call a region ("District", "Ward"), per language
-- (empty: the portal's own wording). Adding a column with a constant
-- default changes no rows.
ALTER TABLE campaigns ADD COLUMN region_label jsonb NOT NULL DEFAULT '{}';
