-- Institutions as the sources name them (canonical mapping comes with dedup).
CREATE TABLE institutions (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL
);
