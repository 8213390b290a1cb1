-- What the certificate of a campaign says: its heading and its signatory,
-- per language (JSON objects; empty: the portal's own wording).
ALTER TABLE campaigns ADD COLUMN certificate_title TEXT NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN signatory TEXT NOT NULL DEFAULT '{}';
