-- Records a run could not turn into listings, with the field at fault and why.
CREATE TABLE rejected_records (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       BIGINT NOT NULL REFERENCES sync_runs(id),
    source_id    TEXT NOT NULL,
    external_id  TEXT,
    field        TEXT NOT NULL,
    reason       TEXT NOT NULL
);
CREATE INDEX rejected_records_run ON rejected_records (run_id);
