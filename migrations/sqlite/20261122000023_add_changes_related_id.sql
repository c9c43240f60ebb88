-- The other course of a `merge` (the survivor) or `split` (the new course) change.
ALTER TABLE changes ADD COLUMN related_id TEXT;
