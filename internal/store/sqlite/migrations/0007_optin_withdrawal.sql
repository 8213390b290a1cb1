-- Double opt-in, withdrawal, and one pledge per email address where a
-- campaign requires one. River's own tables are migrated beside these.
ALTER TABLE pledges ADD COLUMN email_hash BLOB NULL;   -- keyed hash, set where email is required
ALTER TABLE pledges ADD COLUMN withdrawn_at INTEGER NULL; -- Unix microseconds; NULL: not withdrawn
CREATE UNIQUE INDEX pledges_email ON pledges (campaign_id, email_hash) WHERE email_hash IS NOT NULL;

-- Pledges waiting for their email address to be confirmed. They have no
-- certificate number and are not counted; confirming moves one into
-- pledges. Rows are removed when they expire, confirmed or not.
CREATE TABLE pending_pledges (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    name         TEXT    NOT NULL,
    phone_hash   BLOB    NOT NULL,
    phone_masked TEXT    NOT NULL,
    email        TEXT,             -- NULL once confirmed
    email_hash   BLOB    NOT NULL,
    region       TEXT    NOT NULL,
    lang         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL, -- Unix microseconds
    source       BLOB    NULL,
    sends        INTEGER NOT NULL DEFAULT 1, -- opt-in mails enqueued
    number       INTEGER NOT NULL DEFAULT 0  -- certificate number once confirmed
);
CREATE UNIQUE INDEX pending_phone ON pending_pledges (campaign_id, phone_hash);
CREATE UNIQUE INDEX pending_email ON pending_pledges (campaign_id, email_hash);
CREATE INDEX pending_created ON pending_pledges (created_at);
