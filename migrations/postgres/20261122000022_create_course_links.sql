-- The match evidence of each course: the accepted links (a spanning forest of its
-- listings) with signal, score and the threshold that applied. Rewritten on rematch.
CREATE TABLE course_links (
    course_id   TEXT NOT NULL REFERENCES courses(id),
    listing_a   TEXT NOT NULL,
    listing_b   TEXT NOT NULL,
    signal      TEXT NOT NULL,
    lang        TEXT,
    score       DOUBLE PRECISION NOT NULL,
    threshold   DOUBLE PRECISION,
    PRIMARY KEY (course_id, listing_a, listing_b)
);
