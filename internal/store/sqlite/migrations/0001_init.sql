-- Campaigns, their regions, pledges and the count rows that make totals cheap.
CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    languages   TEXT    NOT NULL, -- JSON array, first is the default
    title       TEXT    NOT NULL, -- JSON object: language -> text
    pledge_text TEXT    NOT NULL, -- JSON object: language -> text
    email_mode  TEXT    NOT NULL CHECK (email_mode IN ('none', 'optional', 'required')),
    opens_at    INTEGER NOT NULL, -- Unix microseconds
    closes_at   INTEGER,          -- Unix microseconds; NULL: open-ended
    created_at  INTEGER NOT NULL
);

CREATE TABLE regions (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    code        TEXT    NOT NULL,
    parent      TEXT    NOT NULL DEFAULT '',
    name        TEXT    NOT NULL, -- JSON object: language -> name
    position    INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, code)
) WITHOUT ROWID;

-- The certificate number sequence of each campaign, advanced once per batch.
CREATE TABLE campaign_seq (
    campaign_id INTEGER PRIMARY KEY REFERENCES campaigns (id),
    last_number INTEGER NOT NULL DEFAULT 0
);

-- One count row per (campaign, region), updated once per batch.
CREATE TABLE region_counts (
    campaign_id INTEGER NOT NULL,
    region      TEXT    NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, region)
) WITHOUT ROWID;

-- A pledge's row is found by (campaign_id, number); certificate tokens are
-- encrypted from those two and need no index. phone_hash is the only index in
-- random order, so a batch dirties as few pages as possible.
CREATE TABLE pledges (
    campaign_id  INTEGER NOT NULL,
    number       INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    phone_hash   BLOB    NOT NULL, -- HMAC-SHA256 of the E.164 number
    phone_masked TEXT    NOT NULL,
    email        TEXT,
    region       TEXT    NOT NULL,
    lang         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, number)
) WITHOUT ROWID;
CREATE UNIQUE INDEX pledges_phone ON pledges (campaign_id, phone_hash);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
