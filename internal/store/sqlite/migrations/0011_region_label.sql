-- What a campaign's pages call a region ("District", "Ward"), per language
-- (a JSON object; empty: the portal's own wording).
ALTER TABLE campaigns ADD COLUMN region_label TEXT NOT NULL DEFAULT '{}';
