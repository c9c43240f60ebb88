-- The ledger: one row per sync run of a source.
CREATE TABLE sync_runs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id    TEXT NOT NULL REFERENCES sources(id),
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome      TEXT NOT NULL,
    pages        BIGINT NOT NULL DEFAULT 0,
    seen         BIGINT NOT NULL DEFAULT 0,
    created      BIGINT NOT NULL DEFAULT 0,
    updated      BIGINT NOT NULL DEFAULT 0,
    unchanged    BIGINT NOT NULL DEFAULT 0,
    withdrawn    BIGINT NOT NULL DEFAULT 0,
    rejected     BIGINT NOT NULL DEFAULT 0,
    first_error  TEXT
);
CREATE INDEX sync_runs_source_started ON sync_runs (source_id, started_at);
