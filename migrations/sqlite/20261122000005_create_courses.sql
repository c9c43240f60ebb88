-- Canonical courses: stable opaque ids (ULIDs) that group listings.
CREATE TABLE courses (
    id           TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    merged_into  TEXT REFERENCES courses(id)
);
