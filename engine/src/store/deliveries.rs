//! Which deliveries the raw event log holds, so a redelivery is logged and applied once.
//!
//! A delivery is kept as a digest of its source and delivery id: 16 bytes, where the ids
//! themselves (a GitHub delivery's GUID, an import's `change:owner/name#42@...`) averaged 60
//! with their source, and the table is written once per event.

use super::codec::{Statement, Value};
use super::{Store, StoreError};
use sha2::{Digest, Sha256};

/// Bytes of SHA-256 kept: 128 bits, no collision in any number of deliveries a store will hold.
const DIGEST_BYTES: usize = 16;

/// Deliveries converted per statement when digesting a store's old rows.
const CONVERT_PAGE: usize = 500;

/// The table a store written before digests kept its deliveries in, renamed by migration 0031
/// and emptied into `raw_delivery` when the store is opened.
const BY_TEXT: &str = "raw_delivery_by_text";

/// The digest of a delivery: SHA-256 of its source, a zero byte and its id, truncated.
pub(crate) fn digest(source: &str, delivery_id: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(source.as_bytes());
    hasher.update([0]);
    hasher.update(delivery_id.as_bytes());
    hasher.finalize()[..DIGEST_BYTES].to_vec()
}

impl Store {
    /// Moves the deliveries a store logged before digests into `raw_delivery` as digests, then
    /// drops their old table; nothing to do when it is gone. One transaction: an interrupted
    /// conversion starts again on the next open.
    pub(super) async fn digest_old_deliveries(&self) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let exists = if tx.is_postgres() {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
        } else {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = $1"
        };
        let found = tx
            .fetch_optional(Statement::new(exists, vec![Value::text(BY_TEXT)]), |row| {
                Ok(row.int("n")?)
            })
            .await?;
        if found.unwrap_or(0) == 0 {
            return Ok(());
        }
        let mut after: Option<(String, String)> = None;
        loop {
            let (condition, mut params) = match &after {
                Some((source, id)) => (
                    "WHERE source > $1 OR (source = $1 AND delivery_id > $2)",
                    vec![Value::text(source), Value::text(id)],
                ),
                None => ("", Vec::new()),
            };
            params.push(Value::int(CONVERT_PAGE as i64));
            let page = tx
                .fetch_all(
                    Statement::new(
                        format!(
                            "SELECT source, delivery_id FROM {BY_TEXT} {condition} \
                             ORDER BY source, delivery_id LIMIT ${}",
                            params.len()
                        ),
                        params,
                    ),
                    |row| Ok((row.text("source")?, row.text("delivery_id")?)),
                )
                .await?;
            let Some(last) = page.last().cloned() else {
                break;
            };
            let rows = page
                .iter()
                .map(|(source, id)| vec![Value::Bytes(digest(source, id))])
                .collect();
            tx.execute_all(super::codec::insert_statements(
                "INSERT INTO raw_delivery (digest)",
                "ON CONFLICT DO NOTHING",
                rows,
            ))
            .await?;
            after = Some(last);
        }
        tx.execute(Statement::new(format!("DROP TABLE {BY_TEXT}"), vec![]))
            .await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::digest;

    #[test]
    fn a_digest_tells_source_and_id_apart() {
        assert_eq!(digest("import", "a").len(), 16);
        assert_eq!(digest("import", "a"), digest("import", "a"));
        assert_ne!(digest("import", "a"), digest("importa", ""));
        assert_ne!(digest("github", "a"), digest("import", "a"));
    }
}
