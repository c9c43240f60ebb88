-- Full-text index of listings for the read API's `q`: titles in every language,
-- descriptions, institutions and instructors. Trigram tokens, so Thai and Chinese (no
-- spaces between words) match as well as English and Russian. `listing_search` gives each
-- listing a stable integer key (a plain table's rowid may change on VACUUM) that is the
-- FTS row's rowid. Triggers keep both in step with every write to `listings`.
CREATE TABLE listing_search (
    rowid       INTEGER PRIMARY KEY,
    listing_id  TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE listing_fts USING fts5(
    title,
    description,
    institutions,
    instructors,
    tokenize = 'trigram'
);

CREATE TRIGGER listings_search_insert AFTER INSERT ON listings BEGIN
    INSERT INTO listing_search (listing_id) VALUES (new.id) ON CONFLICT (listing_id) DO NOTHING;
    DELETE FROM listing_fts
        WHERE rowid = (SELECT rowid FROM listing_search WHERE listing_id = new.id);
    INSERT INTO listing_fts (rowid, title, description, institutions, instructors)
    VALUES (
        (SELECT rowid FROM listing_search WHERE listing_id = new.id),
        new.title || ' ' || COALESCE((SELECT group_concat(value, ' ') FROM json_each(new.titles)), ''),
        COALESCE(new.short_description, '') || ' ' || COALESCE(new.description_text, ''),
        COALESCE((SELECT group_concat(value, ' ') FROM json_each(new.institutions)), ''),
        COALESCE((SELECT group_concat(value, ' ') FROM json_each(new.instructors)), '')
    );
END;

CREATE TRIGGER listings_search_update
AFTER UPDATE OF title, titles, short_description, description_text, institutions, instructors
ON listings BEGIN
    INSERT INTO listing_search (listing_id) VALUES (new.id) ON CONFLICT (listing_id) DO NOTHING;
    DELETE FROM listing_fts
        WHERE rowid = (SELECT rowid FROM listing_search WHERE listing_id = new.id);
    INSERT INTO listing_fts (rowid, title, description, institutions, instructors)
    VALUES (
        (SELECT rowid FROM listing_search WHERE listing_id = new.id),
        new.title || ' ' || COALESCE((SELECT group_concat(value, ' ') FROM json_each(new.titles)), ''),
        COALESCE(new.short_description, '') || ' ' || COALESCE(new.description_text, ''),
        COALESCE((SELECT group_concat(value, ' ') FROM json_each(new.institutions)), ''),
        COALESCE((SELECT group_concat(value, ' ') FROM json_each(new.instructors)), '')
    );
END;

CREATE TRIGGER listings_search_delete AFTER DELETE ON listings BEGIN
    DELETE FROM listing_fts
        WHERE rowid = (SELECT rowid FROM listing_search WHERE listing_id = old.id);
    DELETE FROM listing_search WHERE listing_id = old.id;
END;

-- Listings stored before this migration.
INSERT INTO listing_search (listing_id) SELECT id FROM listings;
INSERT INTO listing_fts (rowid, title, description, institutions, instructors)
SELECT s.rowid,
    l.title || ' ' || COALESCE((SELECT group_concat(value, ' ') FROM json_each(l.titles)), ''),
    COALESCE(l.short_description, '') || ' ' || COALESCE(l.description_text, ''),
    COALESCE((SELECT group_concat(value, ' ') FROM json_each(l.institutions)), ''),
    COALESCE((SELECT group_concat(value, ' ') FROM json_each(l.instructors)), '')
FROM listings l JOIN listing_search s ON s.listing_id = l.id;
