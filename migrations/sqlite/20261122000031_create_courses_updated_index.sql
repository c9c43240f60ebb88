-- The read API's `sort=updated` walks courses newest first.
CREATE INDEX courses_updated ON courses (updated_at, id);
