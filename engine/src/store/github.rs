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
//! - [`Store::try_sync_lease`]: a PostgreSQL advisory lock; on SQLite a lease row with a
//!   heartbeat, so `collect` and `serve` on one file never sync together, and a killed holder
//!   blocks the job for at most [`LEASE_TTL_SECONDS`].

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

/// How long a SQLite lease lives without a heartbeat: how long a killed holder blocks the job.
pub const LEASE_TTL_SECONDS: i64 = 60;

/// Held while a sync runs: on PostgreSQL a session-level advisory lock on a dedicated connection,
/// released by [`SyncLease::release`] (or, if dropped, by closing that connection); on SQLite a
/// `job_lease` row its heartbeat renews until it is released (or, if dropped, deleted).
pub struct SyncLease {
    connection: Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
    row: Option<LeaseRow>,
    key: i64,
}

/// The `job_lease` holders of this process that are still held: a holder of this process not in
/// it was dropped (its task cancelled), and its row may be taken over at once.
fn live_holders() -> &'static std::sync::Mutex<HashSet<String>> {
    static LIVE: std::sync::OnceLock<std::sync::Mutex<HashSet<String>>> =
        std::sync::OnceLock::new();
    LIVE.get_or_init(Default::default)
}

fn set_live(holder: &str, live: bool) {
    if let Ok(mut holders) = live_holders().lock() {
        if live {
            holders.insert(holder.to_string());
        } else {
            holders.remove(holder);
        }
    }
}

/// A held `job_lease` row and the task renewing it.
struct LeaseRow {
    pool: sqlx::SqlitePool,
    holder: String,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl LeaseRow {
    async fn delete(pool: &sqlx::SqlitePool, key: i64, holder: &str) {
        let deleted = sqlx::query("DELETE FROM job_lease WHERE key = $1 AND holder = $2")
            .bind(key)
            .bind(holder)
            .execute(pool)
            .await;
        if let Err(e) = deleted {
            tracing::warn!(error = %e, "could not give the job lease back: it expires by itself");
        }
    }
}

impl std::fmt::Debug for SyncLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncLease")
            .field("advisory_lock", &self.connection.is_some())
            .field("lease_row", &self.row.is_some())
            .field("key", &self.key)
            .finish()
    }
}

impl SyncLease {
    /// Gives the lock back and returns the connection to the pool.
    pub async fn release(mut self) {
        if let Some(row) = self.row.take() {
            row.heartbeat.abort();
            set_live(&row.holder, false);
            LeaseRow::delete(&row.pool, self.key, &row.holder).await;
        }
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
        if let Some(row) = self.row.take() {
            row.heartbeat.abort();
            set_live(&row.holder, false);
            let key = self.key;
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { LeaseRow::delete(&row.pool, key, &row.holder).await });
            }
        }
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
            let form = self.sha_form();
            let mut params = vec![Value::text(repo.to_string())];
            params.extend(chunk.iter().map(|sha| form.exact_value(Some(sha))));
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
    /// session holds it. SQLite: a `job_lease` row, taken when there is none or it expired (its
    /// holder stopped renewing it), then renewed every third of [`LEASE_TTL_SECONDS`].
    pub async fn try_sync_lease(&self, key: i64) -> Result<Option<SyncLease>, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let holder = format!(
                    "{}-{}",
                    std::process::id(),
                    chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
                );
                if !claim(pool, key, &holder).await? {
                    return Ok(None);
                }
                set_live(&holder, true);
                let heartbeat = tokio::spawn(heartbeat(pool.clone(), key, holder.clone()));
                Ok(Some(SyncLease {
                    connection: None,
                    row: Some(LeaseRow {
                        pool: pool.clone(),
                        holder,
                        heartbeat,
                    }),
                    key,
                }))
            }
            Backend::Postgres(pool) => {
                let mut connection = pool.acquire().await?;
                let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(key)
                    .fetch_one(&mut *connection)
                    .await?;
                Ok(locked.then_some(SyncLease {
                    connection: Some(connection),
                    row: None,
                    key,
                }))
            }
        }
    }
}

/// Takes the lease row `key` for `holder` when there is none, it expired, or its holder is gone
/// (see [`holder_is_gone`]); whether it did. A row released meanwhile is claimed afresh.
async fn claim(pool: &sqlx::SqlitePool, key: i64, holder: &str) -> Result<bool, StoreError> {
    for _ in 0..3 {
        let now = chrono::Utc::now().timestamp();
        let inserted = sqlx::query(
            "INSERT INTO job_lease (key, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at WHERE job_lease.expires_at < $4",
        )
        .bind(key)
        .bind(holder)
        .bind(now + LEASE_TTL_SECONDS)
        .bind(now)
        .execute(pool)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(true);
        }
        let current: Option<String> =
            sqlx::query_scalar("SELECT holder FROM job_lease WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?;
        let Some(current) = current else { continue };
        if !holder_is_gone(&current) {
            return Ok(false);
        }
        tracing::info!(key, "taking over a job lease whose holder is gone");
        let taken = sqlx::query(
            "UPDATE job_lease SET holder = $1, expires_at = $2 WHERE key = $3 AND holder = $4",
        )
        .bind(holder)
        .bind(now + LEASE_TTL_SECONDS)
        .bind(key)
        .bind(&current)
        .execute(pool)
        .await?;
        if taken.rows_affected() == 1 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the holder (`pid-nanos`) is known to be gone: a lease of this process that was
/// dropped, or, on a system with `/proc`, one of a process that no longer runs. Elsewhere nothing
/// is known, and the lease's expiry decides.
fn holder_is_gone(holder: &str) -> bool {
    let Some(pid) = holder.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    if pid == std::process::id() {
        return live_holders()
            .lock()
            .is_ok_and(|holders| !holders.contains(holder));
    }
    let proc = std::path::Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid.to_string()).exists()
}

/// Renews a SQLite lease until aborted.
async fn heartbeat(pool: sqlx::SqlitePool, key: i64, holder: String) {
    let period = std::time::Duration::from_secs((LEASE_TTL_SECONDS / 3).unsigned_abs());
    loop {
        tokio::time::sleep(period).await;
        let renewed =
            sqlx::query("UPDATE job_lease SET expires_at = $1 WHERE key = $2 AND holder = $3")
                .bind(chrono::Utc::now().timestamp() + LEASE_TTL_SECONDS)
                .bind(key)
                .bind(&holder)
                .execute(&pool)
                .await;
        if let Err(e) = renewed {
            tracing::warn!(error = %e, "could not renew the job lease");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_sqlite_lease_at_a_time_across_stores_and_an_expired_one_is_taken_over() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("lease.db").display());
        let (first, second) = (
            Store::connect(&url).await.expect("store"),
            Store::connect(&url).await.expect("store"),
        );
        let held = first
            .try_sync_lease(7)
            .await
            .expect("query")
            .expect("granted");
        assert!(second.try_sync_lease(7).await.expect("query").is_none());
        assert!(
            second.try_sync_lease(8).await.expect("query").is_some(),
            "another job"
        );
        held.release().await;
        let again = second
            .try_sync_lease(7)
            .await
            .expect("query")
            .expect("released");

        // Its holder killed: the row stays until it expires, then another process takes it.
        let Backend::Sqlite(pool) = &first.backend else {
            unreachable!("a SQLite store")
        };
        // Leaked, as if its holder still ran: the row stays until it expires.
        let holder = again.row.as_ref().map(|r| r.holder.clone()).expect("a row");
        std::mem::forget(again);
        assert!(!holder_is_gone(&holder), "held by this process");
        assert!(first.try_sync_lease(7).await.expect("query").is_none());
        sqlx::query("UPDATE job_lease SET expires_at = expires_at - $1")
            .bind(LEASE_TTL_SECONDS + 1)
            .execute(pool)
            .await
            .expect("expire");
        assert!(first.try_sync_lease(7).await.expect("query").is_some());
    }

    #[tokio::test]
    async fn a_lease_whose_holder_process_is_gone_is_taken_over_at_once() {
        if !std::path::Path::new("/proc/self").exists() {
            println!("SKIPPED: no /proc here, a dead holder is found by the lease's expiry");
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("lease.db").display());
        let store = Store::connect(&url).await.expect("store");
        let Backend::Sqlite(pool) = &store.backend else {
            unreachable!("a SQLite store")
        };
        // A process that has exited: a child that ran and was reaped.
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("true runs");
        let gone = child.id();
        child.wait().expect("reaped");
        sqlx::query("INSERT INTO job_lease (key, holder, expires_at) VALUES (7, $1, $2)")
            .bind(format!("{gone}-1"))
            .bind(chrono::Utc::now().timestamp() + LEASE_TTL_SECONDS)
            .execute(pool)
            .await
            .expect("a lease of a killed process");
        assert!(store.try_sync_lease(7).await.expect("query").is_some());
    }
}
