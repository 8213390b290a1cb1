-- A campaign can be paused from the console, and can have a goal (0: none).
ALTER TABLE campaigns ADD COLUMN paused boolean NOT NULL DEFAULT false;
ALTER TABLE campaigns ADD COLUMN goal bigint NOT NULL DEFAULT 0;
