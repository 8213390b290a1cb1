-- Campaigns, their regions, pledges and the count rows that make totals cheap.
CREATE TABLE campaigns (
    id          bigserial   PRIMARY KEY,
    slug        text        NOT NULL UNIQUE,
    languages   jsonb       NOT NULL, -- array, first is the default
    title       jsonb       NOT NULL, -- language -> text
    pledge_text jsonb       NOT NULL, -- language -> text
    email_mode  text        NOT NULL CHECK (email_mode IN ('none', 'optional', 'required')),
    opens_at    timestamptz NOT NULL,
    closes_at   timestamptz,          -- NULL: open-ended
    created_at  timestamptz NOT NULL
);

CREATE TABLE regions (
    campaign_id bigint  NOT NULL REFERENCES campaigns (id),
    code        text    NOT NULL,
    parent      text    NOT NULL DEFAULT '',
    name        jsonb   NOT NULL, -- language -> name
    position    integer NOT NULL,
    PRIMARY KEY (campaign_id, code)
);

-- The certificate number sequence of each campaign. A batch locks its row
-- (FOR UPDATE), which orders batches of one campaign across instances, and
-- advances it once.
CREATE TABLE campaign_seq (
    campaign_id bigint PRIMARY KEY REFERENCES campaigns (id),
    last_number bigint NOT NULL DEFAULT 0
);

-- One count row per (campaign, region), updated once per batch.
CREATE TABLE region_counts (
    campaign_id bigint NOT NULL,
    region      text   NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (campaign_id, region)
);

-- Hash-partitioned by campaign, so many campaigns spread over partitions and
-- each campaign's rows and indexes stay together. Rows are found by
-- (campaign_id, number); certificate tokens are encrypted from those two and
-- need no index. phone_hash is the only index in random order.
CREATE TABLE pledges (
    campaign_id  bigint      NOT NULL,
    number       bigint      NOT NULL,
    name         text        NOT NULL,
    phone_hash   bytea       NOT NULL, -- HMAC-SHA256 of the E.164 number
    phone_masked text        NOT NULL,
    email        text,
    region       text        NOT NULL,
    lang         text        NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, number)
) PARTITION BY HASH (campaign_id);
CREATE TABLE pledges_p0 PARTITION OF pledges FOR VALUES WITH (MODULUS 8, REMAINDER 0);
CREATE TABLE pledges_p1 PARTITION OF pledges FOR VALUES WITH (MODULUS 8, REMAINDER 1);
CREATE TABLE pledges_p2 PARTITION OF pledges FOR VALUES WITH (MODULUS 8, REMAINDER 2);
CREATE TABLE pledges_p3 PARTITION OF pledges FOR VALUES WITH (MODULUS 8, REMAINDER 3);
CREATE TABLE pledges_p4 PARTITION OF pledges FOR VALUES WITH (MODULUS 8, REMAINDER 4);
CREATE TABLE pledges_p5 PARTITION OF pledges FOR VALUES WITH (MODULUS 8, REMAINDER 5);
CREATE TABLE pledges_p6 PARTITION OF pledges FOR VALUES WITH (MODULUS 8, REMAINDER 6);
CREATE TABLE pledges_p7 PARTITION OF pledges FOR VALUES WITH (MODULUS 8, REMAINDER 7);
CREATE UNIQUE INDEX pledges_phone ON pledges (campaign_id, phone_hash);

CREATE TABLE settings (
    key   text  PRIMARY KEY,
    value bytea NOT NULL
);
