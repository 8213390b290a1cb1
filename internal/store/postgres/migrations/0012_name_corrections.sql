-- How many times the citizen corrected the name of a pledge through the
-- link of its confirmation mail: a few corrections are allowed, not an
-- endless stream of names on one certificate. An administrator's
-- corrections are not counted. A constant default: no rewrite of the
-- table, on every partition.
ALTER TABLE pledges ADD COLUMN name_corrections integer NOT NULL DEFAULT 0;
