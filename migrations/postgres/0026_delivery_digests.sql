-- `raw_delivery` keeps a 16-byte digest of each delivery (the first half of the SHA-256 of its
-- source's length, its source and its delivery id: engine/src/store/delivery.rs) instead of the
-- two texts: a third of the bytes and a smaller tree to insert into at each event. PostgreSQL
-- computes the digests of the rows stored before here; SQLite's store does it when it opens.
-- Keep in step with migrations/sqlite/0026_delivery_digests.sql.
CREATE TABLE raw_delivery_digest (
    digest BYTEA PRIMARY KEY NOT NULL
);
INSERT INTO raw_delivery_digest (digest)
SELECT DISTINCT substring(sha256(int4send(octet_length(convert_to(source, 'UTF8')))
                                 || convert_to(source, 'UTF8')
                                 || convert_to(delivery_id, 'UTF8')) FROM 1 FOR 16)
FROM raw_delivery;
DROP TABLE raw_delivery;
ALTER TABLE raw_delivery_digest RENAME TO raw_delivery;
ALTER INDEX raw_delivery_digest_pkey RENAME TO raw_delivery_pkey;
