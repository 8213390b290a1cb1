-- How many times the citizen corrected the name of a pledge through the
-- link of its confirmation mail: a few corrections are allowed, not an
-- endless stream of names on one certificate. An administrator's
-- corrections are not counted. A constant default: no rewrite of the
-- table, on every partition.
--
-- The ALTER takes the pledge table's strongest lock, for a moment, but
-- waits for it behind any reader (an export's page), and intake queues
-- behind the wait: past 2 s the migration fails instead, to be run again.
SET LOCAL lock_timeout = '2s';
ALTER TABLE pledges ADD COLUMN name_corrections integer NOT NULL DEFAULT 0;
