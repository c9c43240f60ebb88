-- Operator decisions on listing pairs (listing_a < listing_b): `link` forces them into one
-- course, `unlink` keeps them apart; honoured by every later matching. The latest
-- decision on a pair replaces the earlier one.
CREATE TABLE dedup_overrides (
    listing_a   TEXT NOT NULL REFERENCES listings(id),
    listing_b   TEXT NOT NULL REFERENCES listings(id),
    action      TEXT NOT NULL,
    reason      TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (listing_a, listing_b)
);
CREATE INDEX dedup_overrides_b ON dedup_overrides (listing_b);
