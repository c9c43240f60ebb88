-- A withdrawal updates its course (sort=updated): courses whose listings were withdrawn
-- after the course's `updated_at` take the latest withdrawal time.
UPDATE courses SET updated_at = (
    SELECT MAX(l.withdrawn_at) FROM listings l WHERE l.course_id = courses.id
)
WHERE EXISTS (
    SELECT 1 FROM listings l
    WHERE l.course_id = courses.id AND l.withdrawn_at IS NOT NULL AND l.withdrawn_at > courses.updated_at
);
