-- What the certificate of a campaign says: its heading and its signatory,
-- per language (empty: the portal's own wording).
ALTER TABLE campaigns ADD COLUMN certificate_title jsonb NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN signatory jsonb NOT NULL DEFAULT '{}';
