-- A derivation now marks its repository from the earliest deployment it blamed or stopped blaming
-- (engine/src/store/derived/moved.rs), and rows held from an older version no longer read the
-- earlier failed deployments again. Marks left by older versions do not cover those: they become
-- marks of writes that may have moved anything, so rows held from before them are read whole once
-- (deleting them instead would hide those writes from rows held from before them). Keep in
-- step with migrations/sqlite/0027_write_marks_cover_blamed_deployments.sql.
UPDATE repository_write SET changes_from = NULL;
