-- A campaign can be paused from the console, and can have a goal (0: none).
ALTER TABLE campaigns ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN goal INTEGER NOT NULL DEFAULT 0;
