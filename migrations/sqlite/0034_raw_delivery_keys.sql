-- The raw event log remembers each delivery by a 16-byte key (engine/src/store/delivery_key.rs)
-- instead of its source and id as text: each event's delivery id is kept in full in its block, and
-- the table only refuses redeliveries. SQLite cannot compute the keys, so the texts move to
-- `raw_delivery_text`, which the store empties into the new table when it opens (in batches, each
-- a transaction of its own: `Store::connect`). Keep in step with
-- migrations/postgres/0034_raw_delivery_keys.sql.
ALTER TABLE raw_delivery RENAME TO raw_delivery_text;
CREATE TABLE raw_delivery (
    key BLOB PRIMARY KEY
) WITHOUT ROWID;
