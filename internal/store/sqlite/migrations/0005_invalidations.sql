-- Where each pledge came from (16 bytes, IPv4 as IPv4-mapped, so an address
-- prefix is a byte range; NULL when unknown or anonymised), and the
-- invalidation that set it aside (NULL: valid, counted).
ALTER TABLE pledges ADD COLUMN source BLOB NULL;
ALTER TABLE pledges ADD COLUMN invalidation_id INTEGER NULL;

-- Invalidations an admin made: which pledges of a campaign were set aside,
-- why and by whom, and whether it was reverted.
CREATE TABLE invalidations (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    reason      TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL, -- Unix microseconds
    filter      TEXT    NOT NULL,
    reverted_at INTEGER,          -- Unix microseconds; NULL: in force
    rows        INTEGER NOT NULL
);
CREATE INDEX invalidations_campaign ON invalidations (campaign_id, id);
CREATE INDEX pledges_invalidation ON pledges (campaign_id, invalidation_id) WHERE invalidation_id IS NOT NULL;
