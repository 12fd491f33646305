//! From when a derivation moved the rows of its repository as `crate::facts_cache` holds them:
//! the mark it leaves in `repository_write`, so that rows held from an older version read again
//! exactly what may have moved, and keep the rest.
//!
//! - An incremental derivation rewrites what deployments finished from its start shipped, but a
//!   failure can land on any earlier deployment: a rollback blames the one before it, a revert
//!   shipped now blames whichever deployment shipped its target, an incident is attributed
//!   again. Its mark is the earliest of its start and the finish of every deployment blamed
//!   before it and not after, or after and not before. Rework marks of deployments finished
//!   before its start are neither deleted nor found anew (their shipments, and the incidents,
//!   are as they were).
//! - A derivation of the whole history (after a pull request or an incident was written) marks
//!   from the earliest deployment whose shipped changes, blame or rework mark differ from
//!   before: usually the few around a new pull request, where it used to mark the whole
//!   history. When nothing moved, its mark lies past every time. The shipments before are kept
//!   in a temporary table and compared in the database (a large repository ships tens of
//!   thousands of changes); a repository that had shipped nothing (a first import) marks the
//!   whole history without comparing.

use super::LIST;
use crate::store::StoreError;
use crate::store::codec::{self, Statement, Value};
use crate::store::tx::Transaction;
use std::collections::BTreeSet;

/// The shipments of the repository before a whole derivation (a temporary table, dropped when
/// compared).
const SHIPPED_BEFORE: &str = "derivation_shipped_before";
/// The shipments of the deployments of the repository `$1`.
const SHIPPED: &str = "SELECT dc.deployment_id, dc.change_id FROM deployment_change dc \
     WHERE dc.deployment_id IN (SELECT id FROM deployment WHERE repo = $1)";

/// What a derivation compares its outcome with.
pub(super) enum Before {
    /// An incremental derivation: the deployments blamed.
    Incremental(BTreeSet<String>),
    /// A derivation of the whole history: the deployments blamed, those marked rework, and the
    /// shipments (in [`SHIPPED_BEFORE`]).
    Whole {
        blamed: BTreeSet<String>,
        rework: BTreeSet<String>,
    },
    /// A derivation of the whole history of a repository that had shipped nothing.
    Unshipped,
}

/// Takes what a derivation of `repo` (incremental when `incremental`) compares with.
pub(super) async fn before(
    tx: &mut Transaction,
    repo: &str,
    incremental: bool,
) -> Result<Before, StoreError> {
    if incremental {
        return Ok(Before::Incremental(blamed(tx, repo).await?));
    }
    tx.execute(Statement::new(
        format!(
            "CREATE TEMPORARY TABLE {SHIPPED_BEFORE} \
             (deployment_id BIGINT NOT NULL, change_id BIGINT NOT NULL)"
        ),
        vec![],
    ))
    .await?;
    let shipped = tx
        .execute(Statement::new(
            format!("INSERT INTO {SHIPPED_BEFORE} (deployment_id, change_id) {SHIPPED}"),
            vec![Value::text(repo)],
        ))
        .await?;
    if shipped == 0 {
        drop_shipped_before(tx).await?;
        return Ok(Before::Unshipped);
    }
    Ok(Before::Whole {
        blamed: blamed(tx, repo).await?,
        rework: reworked(tx, repo).await?,
    })
}

/// The mark of the derivation of `repo` that started from `from` (None: the whole history),
/// compared with `before`: None when it may have moved anything.
pub(super) async fn mark(
    tx: &mut Transaction,
    repo: &str,
    before: Before,
    from: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    match before {
        Before::Unshipped => Ok(None),
        Before::Incremental(blamed_before) => {
            let moved = blamed_before
                .symmetric_difference(&blamed(tx, repo).await?)
                .cloned()
                .collect();
            let earliest = earliest_finish(tx, &moved).await?;
            Ok(from.map(|from| earliest.map_or(from, |t| t.min(from))))
        }
        Before::Whole {
            blamed: blamed_before,
            rework,
        } => {
            let mut moved: BTreeSet<String> = blamed_before
                .symmetric_difference(&blamed(tx, repo).await?)
                .cloned()
                .collect();
            moved.extend(
                rework
                    .symmetric_difference(&reworked(tx, repo).await?)
                    .cloned(),
            );
            let shipment = earliest_shipment_moved(tx, repo).await?;
            drop_shipped_before(tx).await?;
            let earliest = earliest_finish(tx, &moved)
                .await?
                .into_iter()
                .chain(shipment)
                .min();
            Ok(Some(earliest.unwrap_or(i64::MAX)))
        }
    }
}

async fn drop_shipped_before(tx: &mut Transaction) -> Result<(), StoreError> {
    tx.execute(Statement::new(
        format!("DROP TABLE {SHIPPED_BEFORE}"),
        vec![],
    ))
    .await?;
    Ok(())
}

/// The deployments of `repo` some failure link blames (by the links' repository index).
async fn blamed(tx: &mut Transaction, repo: &str) -> Result<BTreeSet<String>, StoreError> {
    keys(
        tx,
        "SELECT DISTINCT deployment AS key FROM failure_link WHERE repo = $1",
        repo,
    )
    .await
}

/// The deployments of `repo` marked rework.
async fn reworked(tx: &mut Transaction, repo: &str) -> Result<BTreeSet<String>, StoreError> {
    keys(
        tx,
        "SELECT deployment AS key FROM rework \
         WHERE deployment IN (SELECT key FROM deployment WHERE repo = $1)",
        repo,
    )
    .await
}

async fn keys(
    tx: &mut Transaction,
    sql: &'static str,
    repo: &str,
) -> Result<BTreeSet<String>, StoreError> {
    let keys = tx
        .fetch_all(Statement::new(sql, vec![Value::text(repo)]), |row| {
            Ok(row.text("key")?)
        })
        .await?;
    Ok(keys.into_iter().collect())
}

/// The earliest finish of the deployments of `keys` (None: none is stored).
async fn earliest_finish(
    tx: &mut Transaction,
    keys: &BTreeSet<String>,
) -> Result<Option<i64>, StoreError> {
    let keys: Vec<&String> = keys.iter().collect();
    let mut earliest: Option<i64> = None;
    for chunk in keys.chunks(LIST) {
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
        earliest = earliest.into_iter().chain(finished).min();
    }
    Ok(earliest)
}

/// The earliest finish of a deployment of `repo` whose shipments differ from
/// [`SHIPPED_BEFORE`]'s, compared in the database.
async fn earliest_shipment_moved(
    tx: &mut Transaction,
    repo: &str,
) -> Result<Option<i64>, StoreError> {
    let sql = format!(
        "SELECT MIN(d.finished_at) AS earliest FROM deployment d WHERE d.id IN (\
         SELECT deployment_id FROM (SELECT deployment_id, change_id FROM {SHIPPED_BEFORE} \
         EXCEPT {SHIPPED}) AS gone \
         UNION ALL SELECT deployment_id FROM ({SHIPPED} \
         EXCEPT SELECT deployment_id, change_id FROM {SHIPPED_BEFORE}) AS new)"
    );
    let earliest = tx
        .fetch_optional(Statement::new(sql, vec![Value::text(repo)]), |row| {
            Ok(row.opt_int("earliest")?)
        })
        .await?;
    Ok(earliest.flatten())
}
