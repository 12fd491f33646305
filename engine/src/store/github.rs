//! The reads the GitHub collector needs while it syncs, and the lease that keeps two collector
//! processes from syncing at once.
//!
//! - [`Store::latest_success_before`]: the compare base of a new deployment (the successful
//!   deployment that was in production before it);
//! - [`Store::existing_deployment_keys`]: which listed deployments are already stored, so a
//!   re-listed one costs no second look-up;
//! - [`Store::changes_by_merge_sha`]: which commits of the default branch already belong to a
//!   stored change (direct-push detection);
//! - [`Store::repo_records`]: every record of a repository, for tests and checks;
//! - [`Store::try_sync_lease`]: a PostgreSQL advisory lock (SQLite: a process-local no-op).

use super::codec::{self, Statement, Value};
use super::{Backend, Store, StoreError};
use crate::model::{Change, Deployment, Incident, RepoSlug, Timestamp};
use serde::Serialize;
use std::collections::HashSet;

/// Keys per `IN (...)` list: far below both backends' bind-parameter limits.
const KEYS_PER_QUERY: usize = 500;

/// Every record of one repository, each list in key order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RepoRecords {
    pub changes: Vec<Change>,
    pub deployments: Vec<Deployment>,
    pub incidents: Vec<Incident>,
}

/// Held while a sync runs: on PostgreSQL a session-level advisory lock on a dedicated connection,
/// released by [`SyncLease::release`] (or, if dropped, by closing that connection).
pub struct SyncLease {
    connection: Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
    key: i64,
}

impl std::fmt::Debug for SyncLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncLease")
            .field("advisory_lock", &self.connection.is_some())
            .field("key", &self.key)
            .finish()
    }
}

impl SyncLease {
    /// Gives the lock back and returns the connection to the pool.
    pub async fn release(mut self) {
        if let Some(mut connection) = self.connection.take() {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(self.key)
                .execute(&mut *connection)
                .await;
            if unlocked.is_err() {
                // The session ends with the connection, and the lock with it.
                drop(connection.detach());
            }
        }
    }
}

impl Drop for SyncLease {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            // Never hand a connection that still holds the lock back to the pool.
            drop(connection.detach());
        }
    }
}

impl Store {
    /// The successful deployment of `repo` to `environment` (case-insensitive) that comes last
    /// before `(finished_at, key)` in the analysis's order; None when there is none.
    pub async fn latest_success_before(
        &self,
        repo: &RepoSlug,
        environment: &str,
        finished_at: Timestamp,
        key: &str,
    ) -> Result<Option<Deployment>, StoreError> {
        let at = finished_at.timestamp();
        self.fetch_optional(
            Statement::new(
                format!(
                    "SELECT {} FROM deployment WHERE repo = $1 AND LOWER(environment) = LOWER($2) \
                     AND status = 'success' AND (finished_at < $3 OR (finished_at = $4 AND key < $5)) \
                     ORDER BY finished_at DESC, key DESC LIMIT 1",
                    codec::DEPLOYMENT_COLUMNS
                ),
                vec![
                    Value::text(repo.to_string()),
                    Value::text(environment),
                    Value::int(at),
                    Value::int(at),
                    Value::text(key),
                ],
            ),
            codec::deployment,
        )
        .await
    }

    /// Which of `keys` the poller has stored completely (one known only from a webhook is
    /// fetched once more, for the commit list a `compare` gives).
    pub async fn existing_deployment_keys(
        &self,
        keys: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let mut found = HashSet::new();
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            // A deployment known only from a webhook lacks its commit list: not done yet.
            let sql = format!(
                "SELECT key FROM deployment WHERE key IN ({}) AND source <> 'webhook'",
                codec::placeholders(1, chunk.len())
            );
            let params = chunk.iter().map(Value::text).collect();
            found.extend(
                self.fetch_all(Statement::new(sql, params), |row| Ok(row.text("key")?))
                    .await?,
            );
        }
        Ok(found)
    }

    /// The stored changes of `repo` whose merge sha is one of `shas` (full shas, lowercase).
    pub async fn changes_by_merge_sha(
        &self,
        repo: &RepoSlug,
        shas: &[String],
    ) -> Result<Vec<Change>, StoreError> {
        let mut found = Vec::new();
        for chunk in shas.chunks(KEYS_PER_QUERY) {
            let sql = format!(
                "SELECT {} FROM change WHERE repo = $1 AND merge_sha IN ({}) ORDER BY key",
                codec::CHANGE_COLUMNS,
                codec::placeholders(2, chunk.len())
            );
            let mut params = vec![Value::text(repo.to_string())];
            params.extend(chunk.iter().map(Value::text));
            found.extend(
                self.fetch_all(Statement::new(sql, params), codec::change)
                    .await?,
            );
        }
        Ok(found)
    }

    /// Every change, deployment and incident of `repo`, each in key order.
    pub async fn repo_records(&self, repo: &RepoSlug) -> Result<RepoRecords, StoreError> {
        let slug = || vec![Value::text(repo.to_string())];
        Ok(RepoRecords {
            changes: self
                .fetch_all(
                    Statement::new(
                        format!(
                            "SELECT {} FROM change WHERE repo = $1 ORDER BY key",
                            codec::CHANGE_COLUMNS
                        ),
                        slug(),
                    ),
                    codec::change,
                )
                .await?,
            deployments: self
                .fetch_all(
                    Statement::new(
                        format!(
                            "SELECT {} FROM deployment WHERE repo = $1 ORDER BY key",
                            codec::DEPLOYMENT_COLUMNS
                        ),
                        slug(),
                    ),
                    codec::deployment,
                )
                .await?,
            incidents: self
                .fetch_all(
                    Statement::new(
                        format!(
                            "SELECT {} FROM incident WHERE repo = $1 ORDER BY key",
                            codec::INCIDENT_COLUMNS
                        ),
                        slug(),
                    ),
                    codec::incident,
                )
                .await?,
        })
    }

    /// Tries to become the one process running the job `key` (e.g. the scheduled sync).
    ///
    /// PostgreSQL: `pg_try_advisory_lock` on a connection the lease keeps; None when another
    /// session holds it. SQLite (one machine): always granted; the caller's own in-process guard
    /// is what prevents overlap.
    pub async fn try_sync_lease(&self, key: i64) -> Result<Option<SyncLease>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Some(SyncLease {
                connection: None,
                key,
            })),
            Backend::Postgres(pool) => {
                let mut connection = pool.acquire().await?;
                let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(key)
                    .fetch_one(&mut *connection)
                    .await?;
                Ok(locked.then_some(SyncLease {
                    connection: Some(connection),
                    key,
                }))
            }
        }
    }
}
