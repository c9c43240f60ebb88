-- Dated offerings of a listing.
CREATE TABLE runs (
    listing_id           TEXT NOT NULL REFERENCES listings(id),
    external_run_id      TEXT NOT NULL,
    start_at             TEXT,
    end_at               TEXT,
    enrollment_start_at  TEXT,
    enrollment_end_at    TEXT,
    raw_dates            TEXT NOT NULL,
    pacing               TEXT,
    hidden               INTEGER NOT NULL,
    invitation_only      INTEGER NOT NULL,
    status_raw           TEXT,
    PRIMARY KEY (listing_id, external_run_id)
);
CREATE INDEX runs_start ON runs (start_at);
