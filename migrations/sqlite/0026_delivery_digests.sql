-- `raw_delivery` keeps a 16-byte digest of each delivery (the first half of the SHA-256 of its
-- source's length, its source and its delivery id: engine/src/store/delivery.rs) instead of the
-- two texts: a third of the bytes (45 MB of the 100,000-deployment store became 14 MB) and a
-- smaller tree to insert into at each event. SQLite has no SHA-256 in SQL: the store moves the
-- rows stored before (`raw_delivery_text`) into the new table when it opens, and drops them, in
-- one transaction. Keep in step with migrations/postgres/0026_delivery_digests.sql.
ALTER TABLE raw_delivery RENAME TO raw_delivery_text;
CREATE TABLE raw_delivery (
    digest BLOB PRIMARY KEY NOT NULL
) WITHOUT ROWID;
