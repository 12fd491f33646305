//! The key by which the raw event log remembers a delivery: 16 bytes instead of the source and
//! delivery id as text (48 MB of the 100,000-deployment store, 15 MB as keys).
//!
//! The log needs the delivery ids only to refuse a redelivery; each event's id is kept in full in
//! its block for replay (`store/packed.rs`). A plain digest of the id would do, but it lands at
//! a random place in `raw_delivery`'s tree: an import dirtied a page per row, and at 1M
//! deployments, where the tree outgrows the page cache, inserting took twice as long as the
//! texts' (whose consecutive ids share their prefixes and land side by side). So the key's first
//! [`GROUP_BYTES`] digest the id's leading part before its first digit
//! (`change:acme/billing-api#`, `deployment:ci-payments-`, the empty text of a GUID starting with
//! one), which consecutive events of a file or a sync usually share: their keys land together,
//! on the same few pages. The other [`ID_BYTES`] digest the whole id: two deliveries collide only
//! if both parts do, for ids of the same leading part by odds of one in 2^96 per pair (one in
//! about 10^11 over a billion deliveries in one group).

use super::codec::{self, Statement, Value};
use super::{Store, StoreError};
use sha2::{Digest, Sha256};

/// Bytes of the digest of the id's leading part.
const GROUP_BYTES: usize = 4;
/// Bytes of the digest of the whole id.
const ID_BYTES: usize = 12;

/// A key of `raw_delivery`.
pub(crate) type DeliveryKey = [u8; GROUP_BYTES + ID_BYTES];

/// `raw_delivery`'s key of the delivery `delivery_id` from `source`.
pub(crate) fn delivery_key(source: &str, delivery_id: &str) -> DeliveryKey {
    let leading = delivery_id
        .find(|c: char| c.is_ascii_digit())
        .map_or(delivery_id, |end| &delivery_id[..end]);
    let mut key = [0; GROUP_BYTES + ID_BYTES];
    key[..GROUP_BYTES].copy_from_slice(&digest(source, leading)[..GROUP_BYTES]);
    key[GROUP_BYTES..].copy_from_slice(&digest(source, delivery_id)[..ID_BYTES]);
    key
}

/// SHA-256 of the source, preceded by its length (so that no other source and text give the
/// same bytes), and a text.
fn digest(source: &str, text: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((source.len() as u64).to_le_bytes());
    hasher.update(source.as_bytes());
    hasher.update(text.as_bytes());
    hasher.finalize().into()
}

/// How many deliveries kept as text one transaction of [`Store::key_text_deliveries`] moves.
const TEXT_DELIVERIES_PER_MOVE: i64 = 50_000;

impl Store {
    /// Moves the deliveries a store written before migration 0034 keeps as text
    /// (`raw_delivery_text`) to `raw_delivery` as keys, once, when the store is opened: 2.7 s
    /// for the 633 k deliveries of 100k deployments, 23 s for the 6.3 M of 1M. Each transaction deletes a slice of the texts and inserts
    /// their keys, so a delivery is always in one table or the other: a move interrupted goes on
    /// at the next start, and processes opening the store at the same time each move what they
    /// deleted. An up-to-date store reads one empty table.
    pub(super) async fn key_text_deliveries(&self) -> Result<(), StoreError> {
        let remains = Statement::new("SELECT 1 AS one FROM raw_delivery_text LIMIT 1", vec![]);
        while self
            .fetch_optional(remains.clone(), |_| Ok(()))
            .await?
            .is_some()
        {
            let mut tx = self.begin().await?;
            // A write first: on SQLite it takes the write lock before anything is read.
            let mut keys = tx
                .fetch_all(
                    Statement::new(
                        "DELETE FROM raw_delivery_text WHERE (source, delivery_id) IN \
                         (SELECT source, delivery_id FROM raw_delivery_text \
                         ORDER BY source, delivery_id LIMIT $1) RETURNING source, delivery_id",
                        vec![Value::int(TEXT_DELIVERIES_PER_MOVE)],
                    ),
                    |row| {
                        Ok(delivery_key(
                            &row.text("source")?,
                            &row.text("delivery_id")?,
                        ))
                    },
                )
                .await?;
            keys.sort_unstable();
            let rows = keys.iter().map(|key| vec![Value::Bytes(key.to_vec())]);
            tx.execute_all(codec::insert_statements(
                "INSERT INTO raw_delivery (key)",
                "ON CONFLICT (key) DO NOTHING",
                rows.collect(),
            ))
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_consecutive_events_share_their_keys_first_bytes() {
        let first = delivery_key("import", "change:acme/billing-api#1000@3328055295");
        let next = delivery_key("import", "change:acme/billing-api#1001@b2db80c207");
        let other = delivery_key("import", "change:acme/search-api#1000@3328055295");
        assert_eq!(first[..GROUP_BYTES], next[..GROUP_BYTES]);
        assert_ne!(first[GROUP_BYTES..], next[GROUP_BYTES..]);
        assert_ne!(first[..GROUP_BYTES], other[..GROUP_BYTES]);
    }

    #[test]
    fn the_source_and_the_whole_id_tell_deliveries_apart() {
        let key = delivery_key("github", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        assert_ne!(
            key,
            delivery_key("import", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        );
        assert_ne!(
            key,
            delivery_key("github", "72d3162e-cc78-11e3-81ab-4c9367dc0959")
        );
        assert_ne!(delivery_key("a", "bc"), delivery_key("ab", "c"));
        assert_ne!(delivery_key("s", ""), delivery_key("s", "x"));
    }

    /// Keys are stored: the same delivery must give the same key in every version.
    #[test]
    fn keys_stay_the_same_across_versions() {
        assert_eq!(
            hex::encode(delivery_key(
                "import",
                "change:acme/payments-service#1@f97f4aea"
            )),
            "492031b5176d164885e16d33c567c645"
        );
    }
}
