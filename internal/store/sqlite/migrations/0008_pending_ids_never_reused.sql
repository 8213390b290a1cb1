-- Pending pledge IDs go into confirm and pending links, which must never
-- come to name another citizen's pledge: once expiry has emptied the table,
-- a plain INTEGER PRIMARY KEY would hand out ID 1 again. AUTOINCREMENT
-- never reuses an ID.
CREATE TABLE pending_pledges_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO pending_pledges_new SELECT * FROM pending_pledges;
DROP TABLE pending_pledges;
ALTER TABLE pending_pledges_new RENAME TO pending_pledges;
CREATE UNIQUE INDEX pending_phone ON pending_pledges (campaign_id, phone_hash);
CREATE UNIQUE INDEX pending_email ON pending_pledges (campaign_id, email_hash);
CREATE INDEX pending_created ON pending_pledges (created_at);
