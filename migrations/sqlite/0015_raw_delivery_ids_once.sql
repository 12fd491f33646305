-- The raw event log keeps each delivery id once (engine/src/store/packed.rs): `raw_delivery`,
-- kept in the order of its primary key without a rowid, is what makes a redelivery harmless, and
-- an event logged in a block carries its delivery id in the block rather than in its row. The
-- log's rows were a delivery id each plus a copy of it in the unique index (110 MB of the
-- 100,000-deployment store). Events logged before keep their delivery ids in their rows and read
-- back the same. Keep in step with migrations/postgres/0015_raw_delivery_ids_once.sql.
CREATE TABLE raw_delivery (
    source      TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    PRIMARY KEY (source, delivery_id)
) WITHOUT ROWID;
INSERT INTO raw_delivery (source, delivery_id)
SELECT source, delivery_id FROM raw_event ORDER BY source, delivery_id;
CREATE TABLE raw_event_logged (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    delivery_id TEXT,
    received_at BIGINT NOT NULL,
    body        BLOB NOT NULL
);
INSERT INTO raw_event_logged (id, source, delivery_id, received_at, body)
SELECT id, source, delivery_id, received_at, body FROM raw_event ORDER BY id;
-- Ids are never reused, not even those of the last events of the old table.
UPDATE sqlite_sequence
SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'raw_event'), 0))
WHERE name = 'raw_event_logged';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'raw_event_logged', seq FROM sqlite_sequence
WHERE name = 'raw_event'
  AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'raw_event_logged');
DROP TABLE raw_event;
ALTER TABLE raw_event_logged RENAME TO raw_event;
