-- Counts the saved edits of a campaign. An edit names the version it was
-- made to and is refused if another was saved since, so two admins' edits
-- never silently undo one another. Adding a column with a constant default
-- changes no rows.
ALTER TABLE campaigns ADD COLUMN version bigint NOT NULL DEFAULT 1;
