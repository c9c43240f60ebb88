-- Full-text index of listings for the read API's `q`: titles in every language,
-- descriptions, institutions and instructors, lower-cased, searched by substring through
-- pg_trgm's trigram GIN index, so Thai and Chinese (no spaces between words) match as well
-- as English and Russian. pg_trgm ships with PostgreSQL (contrib) and is a trusted
-- extension: the database owner may create it. A trigger keeps the table in step with
-- every write to `listings`.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE listing_search (
    listing_id  TEXT PRIMARY KEY REFERENCES listings(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX listing_search_doc_trgm ON listing_search USING gin (doc gin_trgm_ops);

CREATE FUNCTION listing_search_row(l listings) RETURNS listing_search
LANGUAGE sql STABLE AS $$
    SELECT l.id,
        lower(l.title || ' ' || COALESCE((SELECT string_agg(value, ' ') FROM jsonb_each_text(l.titles)), '')),
        lower(concat_ws(' ',
            l.title,
            (SELECT string_agg(value, ' ') FROM jsonb_each_text(l.titles)),
            l.short_description,
            l.description_text,
            (SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(l.institutions)),
            (SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(l.instructors))))
$$;

CREATE FUNCTION listing_search_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO listing_search (listing_id, title, doc)
    SELECT r.listing_id, r.title, r.doc FROM listing_search_row(NEW) r
    ON CONFLICT (listing_id) DO UPDATE SET title = excluded.title, doc = excluded.doc;
    RETURN NULL;
END
$$;

CREATE TRIGGER listings_search_refresh
AFTER INSERT OR UPDATE OF title, titles, short_description, description_text, institutions, instructors
ON listings FOR EACH ROW EXECUTE FUNCTION listing_search_refresh();

-- Listings stored before this migration.
INSERT INTO listing_search (listing_id, title, doc)
SELECT r.listing_id, r.title, r.doc FROM listings l, LATERAL listing_search_row(l) r;
