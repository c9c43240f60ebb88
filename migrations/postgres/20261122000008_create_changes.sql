-- The append-only change log read as a feed; seq is monotonic.
CREATE TABLE changes (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    run_id     BIGINT,
    at         TEXT NOT NULL
);
CREATE INDEX changes_entity ON changes (entity, entity_id);
