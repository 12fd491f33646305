//! A first load writes its pages once.
//!
//! In WAL mode every page a transaction writes goes to the write-ahead log and, once it has
//! committed, into the database: twice. And while an import's one transaction grows, each page it
//! reads back is looked up in the log's index, which grows with it: about 108,000 pages at
//! 100,000 deployments, ten times that at 1M. An import into a SQLite store that holds no records
//! yet, from a process holding the database's only connection (`doraboard import`, see
//! [`Store::connect_for_bulk_load`]), leaves WAL for a rollback journal while its transaction
//! runs: its new pages go straight into the database, and the journal keeps only the pages the
//! empty store had. It is still all or nothing: the journal of a killed import is rolled back by
//! the next connection to open the store. The store goes back to WAL when the transaction ends.
//!
//! What it costs: while such an import runs, another process cannot open or read the store (it
//! waits for the busy timeout at most, then fails with [`StoreError::HeldByALoad`]), where in
//! WAL mode it read the store as it was before the import. Any other bulk write (a replay, an
//! import into a store holding records, or one sharing the database with other connections)
//! stays in WAL.

use super::{Backend, Store, StoreError};

/// SQLite's result codes for a database another connection holds (`SQLITE_BUSY`,
/// `SQLITE_LOCKED`): the journal cannot change, and the load goes on in WAL.
const HELD_ELSEWHERE: [&str; 2] = ["5", "6"];

/// Whether `error` is SQLite's word for a database another connection holds.
pub(super) fn held_elsewhere(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(e) => e
            .code()
            .is_some_and(|code| HELD_ELSEWHERE.contains(&&*code)),
        _ => false,
    }
}

impl Store {
    /// Leaves WAL for a rollback journal if this is a first load that can (see the module's
    /// doc); says whether it did.
    pub(super) async fn leave_wal_for_first_load(&self) -> Result<bool, StoreError> {
        let Backend::Sqlite(pool) = &self.backend else {
            return Ok(false);
        };
        // Another connection of this process keeps the database in WAL (each holds it open).
        if pool.size() > 1 {
            return Ok(false);
        }
        let mut conn = pool.acquire().await?;
        // Each statement runs to its end (`fetch_all`): SQLite changes no journal under a
        // statement still reading.
        let empty: Vec<bool> = sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM raw_event) AND NOT EXISTS (SELECT 1 FROM change) \
             AND NOT EXISTS (SELECT 1 FROM deployment)",
        )
        .fetch_all(&mut *conn)
        .await?;
        if empty != [true] {
            return Ok(false);
        }
        match sqlx::query_scalar::<_, String>("PRAGMA journal_mode = DELETE")
            .fetch_all(&mut *conn)
            .await
        {
            // An in-memory database answers "memory" and stays so.
            Ok(mode) => Ok(mode == ["delete"]),
            Err(e) if held_elsewhere(&e) => {
                tracing::debug!("another connection holds the store: the import stays in WAL");
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Back to WAL after a first load. Its records are committed (or rolled back) whatever
    /// happens here: a failure is logged, and the next connection to open the store sets WAL.
    pub(super) async fn return_to_wal(&self) {
        if let Backend::Sqlite(pool) = &self.backend {
            let result = sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL")
                .fetch_all(pool)
                .await;
            if let Err(error) = result {
                tracing::warn!(%error, "the store stays in its rollback journal until reopened");
            }
        }
    }
}
