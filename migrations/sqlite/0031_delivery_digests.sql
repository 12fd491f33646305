-- The raw event log knows a delivery by a 16-byte digest of its source and id
-- (engine/src/store/deliveries.rs) instead of the two texts: 48 MB of the table's 633,000 rows
-- at 100,000 deployments were these texts. SQLite has no SHA-256, so the stored rows move when
-- the store is opened (`Store::digest_old_deliveries`), which then drops this old table.
ALTER TABLE raw_delivery RENAME TO raw_delivery_by_text;
CREATE TABLE raw_delivery (
    digest BLOB PRIMARY KEY NOT NULL
) WITHOUT ROWID;
