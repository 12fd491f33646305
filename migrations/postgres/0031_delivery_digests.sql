-- The raw event log knows a delivery by a 16-byte digest of its source and id (see
-- migrations/sqlite/0031_delivery_digests.sql): the stored rows move when the store is opened,
-- the same way on both backends.
ALTER TABLE raw_delivery RENAME TO raw_delivery_by_text;
ALTER INDEX raw_delivery_pkey RENAME TO raw_delivery_by_text_pkey;
CREATE TABLE raw_delivery (
    digest BYTEA PRIMARY KEY
);
