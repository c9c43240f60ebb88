-- Blocking keys of each listing for incremental matching: listings sharing a key are
-- candidates for one course. Rewritten for a listing whenever a sync changes it.
CREATE TABLE match_keys (
    listing_id  TEXT NOT NULL REFERENCES listings(id),
    key         TEXT NOT NULL,
    PRIMARY KEY (listing_id, key)
);
CREATE INDEX match_keys_key ON match_keys (key, listing_id);
