-- `change_commit` rows of a rewritten change are deleted by primary key, from the shas of its
-- stored version (engine/src/store/records.rs): the index by change, a copy of the whole table,
-- is not needed. Keep in step with migrations/sqlite/0009_change_commit_by_primary_key.sql.
DROP INDEX change_commit_by_change;
