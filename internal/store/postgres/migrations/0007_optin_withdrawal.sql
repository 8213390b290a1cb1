-- Double opt-in, withdrawal, and one pledge per email address where a
-- campaign requires one. River's own tables are migrated beside these.
ALTER TABLE pledges ADD COLUMN email_hash bytea NULL;         -- keyed hash, set where email is required
ALTER TABLE pledges ADD COLUMN withdrawn_at timestamptz NULL; -- NULL: not withdrawn
CREATE UNIQUE INDEX pledges_email ON pledges (campaign_id, email_hash) WHERE email_hash IS NOT NULL;

-- Pledges waiting for their email address to be confirmed. They have no
-- certificate number and are not counted; confirming moves one into
-- pledges. Rows are removed when they expire, confirmed or not.
CREATE TABLE pending_pledges (
    id           bigserial   PRIMARY KEY,
    campaign_id  bigint      NOT NULL REFERENCES campaigns (id),
    name         text        NOT NULL,
    phone_hash   bytea       NOT NULL,
    phone_masked text        NOT NULL,
    email        text,                 -- NULL once confirmed
    email_hash   bytea       NOT NULL,
    region       text        NOT NULL,
    lang         text        NOT NULL,
    created_at   timestamptz NOT NULL,
    source       bytea       NULL,
    sends        integer     NOT NULL DEFAULT 1, -- opt-in mails enqueued
    number       bigint      NOT NULL DEFAULT 0  -- certificate number once confirmed
);
CREATE UNIQUE INDEX pending_phone ON pending_pledges (campaign_id, phone_hash);
CREATE UNIQUE INDEX pending_email ON pending_pledges (campaign_id, email_hash);
CREATE INDEX pending_created ON pending_pledges (created_at);
