-- The raw event log keeps the bodies of a batch of events as one compressed block
-- (engine/src/store/packed.rs): each event's row refers to its place in a block of this table.
-- Events logged before keep their bodies in their rows and read back the same. Keep in step with
-- migrations/postgres/0012_raw_event_blocks.sql.
CREATE TABLE raw_block (
    id   INTEGER PRIMARY KEY,
    body BLOB NOT NULL
);
