-- One lease per source: who may sync it now. Times are Unix epoch milliseconds (the
-- holder's clock) so expiry compares as integers, identically on both backends.
CREATE TABLE source_leases (
    source_id     TEXT PRIMARY KEY,
    holder        TEXT NOT NULL,
    token         TEXT NOT NULL,
    acquired_at   BIGINT NOT NULL,
    heartbeat_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
