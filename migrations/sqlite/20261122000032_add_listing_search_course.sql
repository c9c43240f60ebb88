-- The search index carries each listing's course and status, so a plain search (no
-- other listing filter) ranks and groups by course from the index alone, without a
-- lookup of every matching listing. Triggers follow every insert and every change of
-- `course_id` (dedup moves listings between courses) or `status`.
ALTER TABLE listing_search ADD COLUMN course_id TEXT;
ALTER TABLE listing_search ADD COLUMN status TEXT;

UPDATE listing_search SET
    course_id = (SELECT l.course_id FROM listings l WHERE l.id = listing_search.listing_id),
    status = (SELECT l.status FROM listings l WHERE l.id = listing_search.listing_id);

-- Whichever of this and `listings_search_insert` fires first creates the row; both
-- leave it with the same rowid.
CREATE TRIGGER listings_search_keys_insert AFTER INSERT ON listings BEGIN
    INSERT INTO listing_search (listing_id, course_id, status)
    VALUES (new.id, new.course_id, new.status)
    ON CONFLICT (listing_id) DO UPDATE SET course_id = excluded.course_id, status = excluded.status;
END;

CREATE TRIGGER listings_search_keys_update AFTER UPDATE OF course_id, status ON listings BEGIN
    UPDATE listing_search SET course_id = new.course_id, status = new.status
        WHERE listing_id = new.id;
END;
