-- Courses merged into a given one (redirect chains are kept one hop long through it).
CREATE INDEX courses_merged_into ON courses (merged_into);
