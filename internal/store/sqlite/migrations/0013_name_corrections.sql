-- How many times the citizen corrected the name of a pledge through the
-- link of its confirmation mail: a few corrections are allowed, not an
-- endless stream of names on one certificate. An administrator's
-- corrections are not counted.
ALTER TABLE pledges ADD COLUMN name_corrections INTEGER NOT NULL DEFAULT 0;
