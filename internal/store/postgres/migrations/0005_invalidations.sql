-- Where each pledge came from (16 bytes, IPv4 as IPv4-mapped, so an address
-- prefix is a byte range; NULL when unknown or anonymised), and the
-- invalidation that set it aside (NULL: valid, counted).
ALTER TABLE pledges ADD COLUMN source bytea NULL;
ALTER TABLE pledges ADD COLUMN invalidation_id bigint NULL;

-- Invalidations an admin made: which pledges of a campaign were set aside,
-- why and by whom, and whether it was reverted.
CREATE TABLE invalidations (
    id          bigserial   PRIMARY KEY,
    campaign_id bigint      NOT NULL REFERENCES campaigns (id),
    reason      text        NOT NULL,
    actor       text        NOT NULL,
    created_at  timestamptz NOT NULL,
    filter      text        NOT NULL,
    reverted_at timestamptz,          -- NULL: in force
    rows        bigint      NOT NULL
);
CREATE INDEX invalidations_campaign ON invalidations (campaign_id, id);
CREATE INDEX pledges_invalidation ON pledges (campaign_id, invalidation_id) WHERE invalidation_id IS NOT NULL;
