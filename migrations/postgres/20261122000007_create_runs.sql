-- Dated offerings of a listing.
CREATE TABLE runs (
    listing_id           TEXT NOT NULL REFERENCES listings(id),
    external_run_id      TEXT NOT NULL,
    start_at TIMESTAMPTZ,
    end_at TIMESTAMPTZ,
    enrollment_start_at TIMESTAMPTZ,
    enrollment_end_at TIMESTAMPTZ,
    raw_dates            JSONB NOT NULL,
    pacing               TEXT,
    hidden               BOOLEAN NOT NULL,
    invitation_only      BOOLEAN NOT NULL,
    status_raw           TEXT,
    PRIMARY KEY (listing_id, external_run_id)
);
CREATE INDEX runs_start ON runs (start_at);
