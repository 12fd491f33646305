//! Telling a redelivery from a new event: `raw_delivery` keeps a digest of each logged delivery
//! (its source and delivery id) rather than the two texts, which took three times the bytes and
//! made every event's insert walk a larger tree.
//!
//! The digest is the first 16 bytes of the SHA-256 of the source's length (4 bytes, big-endian),
//! the source and the delivery id, so no two pairs run together. Two deliveries would be taken
//! for one only if their digests collided: for a billion deliveries, odds of about 1 in 10^21.
//! PostgreSQL computes the same digest in SQL (migration 0026).

use super::codec::{Statement, Value};
use super::{Store, StoreError};
use sha2::{Digest, Sha256};

/// The digest `raw_delivery` keys a delivery by.
pub(crate) fn digest(source: &str, delivery_id: &str) -> Vec<u8> {
    let length = u32::try_from(source.len()).unwrap_or(u32::MAX);
    let mut hasher = Sha256::new();
    hasher.update(length.to_be_bytes());
    hasher.update(source.as_bytes());
    hasher.update(delivery_id.as_bytes());
    hasher.finalize()[..16].to_vec()
}

/// Deliveries read and converted per statement while moving the texts stored before digests.
const PAGE: i64 = 5_000;

impl Store {
    /// Moves the deliveries a SQLite store logged before digests (`raw_delivery_text`, left by
    /// migration 0026) into `raw_delivery`, then drops them, in one transaction: a store opened
    /// again after an interruption starts over. Nothing to do once done, or on PostgreSQL, whose
    /// migration converts them itself.
    pub(crate) async fn convert_delivery_texts(&self) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        if tx.is_postgres() {
            return Ok(());
        }
        let left = tx
            .fetch_optional(
                Statement::new(
                    "SELECT 1 AS found FROM sqlite_master \
                     WHERE type = 'table' AND name = 'raw_delivery_text'",
                    vec![],
                ),
                |_| Ok(()),
            )
            .await?;
        if left.is_none() {
            return Ok(());
        }
        let mut moved = 0usize;
        let mut after: Option<(String, String)> = None;
        loop {
            let (condition, mut params) = match &after {
                Some((source, id)) => (
                    "WHERE (source, delivery_id) > ($1, $2)",
                    vec![Value::text(source), Value::text(id)],
                ),
                None => ("", Vec::new()),
            };
            params.push(Value::int(PAGE));
            let page = tx
                .fetch_all(
                    Statement::new(
                        format!(
                            "SELECT source, delivery_id FROM raw_delivery_text {condition} \
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
            moved += page.len();
            let digests = page
                .iter()
                .map(|(source, id)| vec![Value::Bytes(digest(source, id))])
                .collect();
            tx.execute_all(super::codec::insert_statements(
                "INSERT INTO raw_delivery (digest)",
                "ON CONFLICT (digest) DO NOTHING",
                digests,
            ))
            .await?;
            after = Some(last);
        }
        tx.execute(Statement::new("DROP TABLE raw_delivery_text", vec![]))
            .await?;
        tx.commit().await?;
        tracing::info!(deliveries = moved, "delivery ids stored as digests");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_tells_apart_pairs_that_run_together() {
        assert_eq!(digest("github", "d-1").len(), 16);
        assert_eq!(digest("github", "d-1"), digest("github", "d-1"));
        assert_ne!(digest("github", "d-1"), digest("github", "d-2"));
        assert_ne!(digest("ab", "c"), digest("a", "bc"));
        assert_ne!(digest("", "x"), digest("x", ""));
    }

    #[test]
    fn a_digest_is_the_first_half_of_the_sha256_of_the_length_source_and_id() {
        // As PostgreSQL computes it in migration 0026:
        // SELECT encode(substring(sha256(int4send(6) || convert_to('github', 'UTF8')
        //   || convert_to('d-1', 'UTF8')) FROM 1 FOR 16), 'hex');
        let hex: String = digest("github", "d-1")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "cafde2a9a45003f0c75c252ef6dca10d");
    }
}
