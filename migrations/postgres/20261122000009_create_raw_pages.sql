-- Every response a run fetched, its body gzip-compressed: replay without fetching, and
-- evidence of what a platform sent. A 304 row holds a copy of the body it revalidated.
CREATE TABLE raw_pages (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        BIGINT NOT NULL REFERENCES sync_runs(id),
    source_id     TEXT NOT NULL,
    request_key   TEXT NOT NULL,
    url           TEXT NOT NULL,
    status        INTEGER NOT NULL,
    headers       TEXT NOT NULL,
    body          BYTEA NOT NULL,
    body_size     BIGINT NOT NULL,
    content_hash  TEXT NOT NULL,
    reused_from   BIGINT,
    fetched_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX raw_pages_run ON raw_pages (run_id, id);
CREATE INDEX raw_pages_request ON raw_pages (source_id, request_key, id);
