-- The raw event log keeps each body compressed (see engine/src/store/packed.rs): a BLOB in the
-- `body` column, which SQLite stores as given whatever the column's declared type, so no table
-- is rebuilt. Bodies logged before stay as text, which reads back the same. Keep in step with
-- migrations/postgres/0008_packed_raw_events.sql.
SELECT 1;
