-- The search index carries each listing's course and status, so a plain search (no
-- other listing filter) ranks and groups by course from the index alone, without a
-- lookup of every matching listing. A trigger follows every insert and every change of
-- `course_id` (dedup moves listings between courses) or `status`; it is named to fire
-- after `listings_search_refresh` (PostgreSQL fires triggers in name order), which
-- creates the row on insert.
ALTER TABLE listing_search ADD COLUMN course_id TEXT;
ALTER TABLE listing_search ADD COLUMN status TEXT;

UPDATE listing_search ls SET course_id = l.course_id, status = l.status
FROM listings l WHERE l.id = ls.listing_id;

-- `listing_search_row` returns the table's row type, which now has two more columns.
CREATE OR REPLACE FUNCTION listing_search_row(l listings) RETURNS listing_search
LANGUAGE sql STABLE AS $$
    SELECT l.id,
        lower(l.title || ' ' || COALESCE((SELECT string_agg(value, ' ') FROM jsonb_each_text(l.titles)), '')),
        lower(concat_ws(' ',
            l.title,
            (SELECT string_agg(value, ' ') FROM jsonb_each_text(l.titles)),
            l.short_description,
            l.description_text,
            (SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(l.institutions)),
            (SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(l.instructors)))),
        l.course_id,
        l.status
$$;

CREATE FUNCTION listing_search_sync_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE listing_search SET course_id = NEW.course_id, status = NEW.status
    WHERE listing_id = NEW.id
      AND (course_id IS DISTINCT FROM NEW.course_id OR status IS DISTINCT FROM NEW.status);
    RETURN NULL;
END
$$;

CREATE TRIGGER listings_search_sync_keys
AFTER INSERT OR UPDATE OF course_id, status
ON listings FOR EACH ROW EXECUTE FUNCTION listing_search_sync_keys();
