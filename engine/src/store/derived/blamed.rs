//! Which earlier deployments an incremental derivation blamed, or stopped blaming.
//!
//! A derivation from a time rewrites what deployments finished from then shipped, but a failure
//! can land on any earlier deployment: a rollback blames the one before it, a revert shipped now
//! blames whichever deployment shipped its target, an incident is attributed again. The mark a
//! derivation leaves in `repository_write` is the earliest of its start and the finish of every
//! deployment blamed before it and not after, or after and not before; rows held from an older
//! version ([`crate::facts_cache`]) then read again exactly what may have moved, and keep the
//! rest. Rework marks need no such care: those of deployments finished before the start are
//! neither deleted nor found anew (their shipments, and the incidents, are as they were).

use super::LIST;
use crate::store::StoreError;
use crate::store::codec::{self, Statement, Value};
use crate::store::tx::Transaction;
use std::collections::BTreeSet;

/// The deployments of `repo` some failure link blames (by the links' repository index).
pub(super) async fn blamed(
    tx: &mut Transaction,
    repo: &str,
) -> Result<BTreeSet<String>, StoreError> {
    let keys = tx
        .fetch_all(
            Statement::new(
                "SELECT DISTINCT deployment FROM failure_link WHERE repo = $1",
                vec![Value::text(repo)],
            ),
            |row| Ok(row.text("deployment")?),
        )
        .await?;
    Ok(keys.into_iter().collect())
}

/// The earliest of `from` and the finish of each deployment in one of `before` and `after`
/// only.
pub(super) async fn earliest_moved(
    tx: &mut Transaction,
    before: &BTreeSet<String>,
    after: &BTreeSet<String>,
    from: i64,
) -> Result<i64, StoreError> {
    let moved: Vec<&String> = before.symmetric_difference(after).collect();
    let mut earliest = from;
    for chunk in moved.chunks(LIST) {
        let finished = tx
            .fetch_optional(
                Statement::new(
                    format!(
                        "SELECT MIN(finished_at) AS earliest FROM deployment WHERE key IN ({})",
                        codec::placeholders(1, chunk.len())
                    ),
                    chunk.iter().map(|key| Value::text(*key)).collect(),
                ),
                |row| Ok(row.opt_int("earliest")?),
            )
            .await?
            .flatten();
        earliest = finished.map_or(earliest, |t| t.min(earliest));
    }
    Ok(earliest)
}
