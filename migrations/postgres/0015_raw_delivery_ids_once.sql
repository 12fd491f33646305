-- The raw event log keeps each delivery id once (engine/src/store/packed.rs): `raw_delivery` is
-- what makes a redelivery harmless, and an event logged in a block carries its delivery id in the
-- block rather than in its row. Events logged before keep their delivery ids in their rows and
-- read back the same. Keep in step with migrations/sqlite/0015_raw_delivery_ids_once.sql.
CREATE TABLE raw_delivery (
    source      TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    PRIMARY KEY (source, delivery_id)
);
INSERT INTO raw_delivery (source, delivery_id)
SELECT source, delivery_id FROM raw_event ORDER BY source, delivery_id;
ALTER TABLE raw_event DROP CONSTRAINT raw_event_source_delivery_id_key;
ALTER TABLE raw_event ALTER COLUMN delivery_id DROP NOT NULL;
