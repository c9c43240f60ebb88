-- Canonical courses: stable opaque ids (ULIDs) that group listings.
CREATE TABLE courses (
    id           TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    merged_into  TEXT REFERENCES courses(id)
);
