-- The raw event log keeps each body compressed (see engine/src/store/packed.rs): bytes, not
-- text. Bodies logged before stay as their UTF-8 text, which reads back the same. Keep in step
-- with migrations/sqlite/0008_packed_raw_events.sql.
ALTER TABLE raw_event ALTER COLUMN body TYPE BYTEA USING convert_to(body, 'UTF8');
