//! The GitHub syncs run against this store, each with the outcome of every repository, whichever
//! process ran them (a replica's schedule, a `doraboard collect` from cron): so every replica
//! reports the same last sync at `/api/v1/sync/status` and `/healthz`.
//!
//! A run is recorded once finished, in one transaction with its repositories and the sync
//! counters ([`Counter::SyncRuns`], [`Counter::SyncFailures`]); only the last
//! [`SYNC_RUNS_KEPT`] runs are kept.

use super::codec::{self, Statement, Value};
use super::counters::{self, Counter};
use super::{Store, StoreError};
use crate::model::Timestamp;
use serde::Serialize;

/// How many runs the store keeps: recording one deletes those before the last this many. A
/// run a day is about three months of history; only the last one is shown.
pub const SYNC_RUNS_KEPT: i64 = 100;

/// What one repository's sync did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepoReport {
    pub repo: String,
    pub changes: u64,
    pub deployments: u64,
    pub incidents: u64,
    /// Stored incidents deleted: their issue lost the incident label.
    pub incidents_deleted: u64,
    /// HTTP requests sent, conditional ones and retries included.
    pub requests: u64,
    /// Of which answered 304 (free of rate limit).
    pub not_modified: u64,
    pub retries: u64,
    pub duration_ms: u64,
    /// Why it failed; None when it synced.
    pub error: Option<String>,
}

impl RepoReport {
    pub fn records(&self) -> u64 {
        self.changes + self.deployments + self.incidents
    }
}

/// What a whole sync did. Its times are whole seconds, as the store keeps them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncReport {
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// By repository name.
    pub repos: Vec<RepoReport>,
}

impl SyncReport {
    pub fn failed(&self) -> usize {
        self.repos.iter().filter(|r| r.error.is_some()).count()
    }
    pub fn requests(&self) -> u64 {
        self.repos.iter().map(|r| r.requests).sum()
    }
    pub fn not_modified(&self) -> u64 {
        self.repos.iter().map(|r| r.not_modified).sum()
    }
    pub fn records(&self) -> u64 {
        self.repos.iter().map(RepoReport::records).sum()
    }
}

/// A count as stored (BIGINT); counts beyond `i64::MAX` do not occur.
fn count(n: u64) -> Value {
    Value::int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A stored count back; a negative one is corrupt.
fn stored_count(
    row: &dyn codec::RowExt,
    column: &'static str,
    repo: &str,
) -> Result<u64, StoreError> {
    let n = row.int(column)?;
    u64::try_from(n).map_err(|e| StoreError::corrupt(column, repo, e))
}

impl Store {
    /// Records a finished sync with its repositories, counts it, and forgets runs beyond the last
    /// [`SYNC_RUNS_KEPT`]; all in one transaction.
    pub async fn record_sync_run(&self, report: &SyncReport) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let id = tx
            .fetch_optional(
                Statement::new(
                    "INSERT INTO sync_run (started_at, finished_at) VALUES ($1, $2) RETURNING id",
                    vec![
                        Value::time(report.started_at),
                        Value::time(report.finished_at),
                    ],
                ),
                |row| Ok(row.int("id")?),
            )
            .await?
            .ok_or_else(|| StoreError::Invalid {
                what: "sync run",
                value: report.started_at.to_rfc3339(),
                detail: "the database returned no id for the insert".to_string(),
            })?;
        let rows = report
            .repos
            .iter()
            .map(|r| {
                vec![
                    Value::int(id),
                    Value::text(&r.repo),
                    count(r.changes),
                    count(r.deployments),
                    count(r.incidents),
                    count(r.incidents_deleted),
                    count(r.requests),
                    count(r.not_modified),
                    count(r.retries),
                    count(r.duration_ms),
                    Value::opt_text(r.error.as_deref()),
                ]
            })
            .collect();
        let mut statements = codec::insert_statements(
            "INSERT INTO sync_run_repo (run, repo, changes, deployments, incidents, \
             incidents_deleted, requests, not_modified, retries, duration_ms, error)",
            "",
            rows,
        );
        statements.push(Statement::new(
            "DELETE FROM sync_run WHERE id < \
             (SELECT id FROM sync_run ORDER BY id DESC LIMIT 1 OFFSET $1)",
            vec![Value::int(SYNC_RUNS_KEPT - 1)],
        ));
        statements.extend(counters::increments(&[
            (Counter::SyncRuns, 1),
            (Counter::SyncFailures, u64::from(report.failed() > 0)),
        ]));
        tx.execute_all(statements).await?;
        tx.commit().await
    }

    /// The last sync recorded, by any process; None before the first one.
    pub async fn last_sync_run(&self) -> Result<Option<SyncReport>, StoreError> {
        let run = self
            .fetch_optional(
                Statement::new(
                    "SELECT id, started_at, finished_at FROM sync_run ORDER BY id DESC LIMIT 1",
                    vec![],
                ),
                |row| {
                    let id = row.int("id")?;
                    let key = id.to_string();
                    Ok((
                        id,
                        codec::time(row.int("started_at")?, "sync run start", &key)?,
                        codec::time(row.int("finished_at")?, "sync run end", &key)?,
                    ))
                },
            )
            .await?;
        let Some((id, started_at, finished_at)) = run else {
            return Ok(None);
        };
        let mut repos = self
            .fetch_all(
                Statement::new(
                    "SELECT repo, changes, deployments, incidents, incidents_deleted, requests, \
                     not_modified, retries, duration_ms, error FROM sync_run_repo \
                     WHERE run = $1",
                    vec![Value::int(id)],
                ),
                |row| {
                    let repo = row.text("repo")?;
                    Ok(RepoReport {
                        changes: stored_count(row, "changes", &repo)?,
                        deployments: stored_count(row, "deployments", &repo)?,
                        incidents: stored_count(row, "incidents", &repo)?,
                        incidents_deleted: stored_count(row, "incidents_deleted", &repo)?,
                        requests: stored_count(row, "requests", &repo)?,
                        not_modified: stored_count(row, "not_modified", &repo)?,
                        retries: stored_count(row, "retries", &repo)?,
                        duration_ms: stored_count(row, "duration_ms", &repo)?,
                        error: row.opt_text("error")?,
                        repo,
                    })
                },
            )
            .await?;
        // In Rust, as the report orders them: PostgreSQL's collation may order names otherwise.
        repos.sort_by(|a, b| a.repo.cmp(&b.repo));
        Ok(Some(SyncReport {
            started_at,
            finished_at,
            repos,
        }))
    }
}
