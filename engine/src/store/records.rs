//! Ingestion: upserts of changes, deployments and incidents on their natural keys, and the
//! deletion of incidents their source no longer has.
//!
//! Each call is one transaction of multi-row `INSERT ... ON CONFLICT (key) DO UPDATE`, so loading
//! the same data twice changes nothing and a newer version of a record replaces the older one.
//! Rows are written in key order, so two writers on PostgreSQL lock them in the same order and
//! cannot deadlock.

use super::codec::{self, Statement, Touched, Value};
use super::tx::Transaction;
use super::{Store, StoreError};
use crate::model::{Change, Deployment, Incident, RepoSlug};
use std::collections::{BTreeMap, BTreeSet};

impl Store {
    /// Inserts or updates changes by key; returns how many distinct records were written (the
    /// last one wins when a key repeats).
    pub async fn upsert_changes(&self, changes: &[Change]) -> Result<usize, StoreError> {
        let latest = last_per_key(changes, |c| &c.key);
        let repos = latest.iter().map(|c| &c.repo).collect();
        let rows = latest.iter().map(|c| codec::change_values(c)).collect();
        self.upsert(
            repos,
            false,
            codec::change_commit_statements(&latest),
            "INSERT INTO change (key, repo, number, title, author, bot, first_commit_at, \
             opened_at, first_review_at, merged_at, merge_sha, commits, labels, branch, paths, \
             reverts, fixes)",
            "ON CONFLICT (key) DO UPDATE SET repo = excluded.repo, number = excluded.number, \
             title = excluded.title, author = excluded.author, bot = excluded.bot, \
             first_commit_at = excluded.first_commit_at, opened_at = excluded.opened_at, \
             first_review_at = excluded.first_review_at, merged_at = excluded.merged_at, \
             merge_sha = excluded.merge_sha, commits = excluded.commits, \
             labels = excluded.labels, branch = excluded.branch, paths = excluded.paths, \
             reverts = excluded.reverts, fixes = excluded.fixes",
            rows,
        )
        .await?;
        Ok(latest.len())
    }

    /// Inserts or updates deployments by key; returns how many distinct records were written.
    pub async fn upsert_deployments(
        &self,
        deployments: &[Deployment],
    ) -> Result<usize, StoreError> {
        let latest = last_per_key(deployments, |d| &d.key);
        let repos = latest.iter().map(|d| &d.repo).collect();
        let rows = latest.iter().map(|d| codec::deployment_values(d)).collect();
        self.upsert(
            repos,
            false,
            Vec::new(),
            "INSERT INTO deployment (key, repo, environment, sha, status, started_at, \
             finished_at, source, rollback, declared_changes, declared_commits)",
            "ON CONFLICT (key) DO UPDATE SET repo = excluded.repo, \
             environment = excluded.environment, sha = excluded.sha, status = excluded.status, \
             started_at = excluded.started_at, finished_at = excluded.finished_at, \
             source = excluded.source, rollback = excluded.rollback, \
             declared_changes = excluded.declared_changes, \
             declared_commits = excluded.declared_commits",
            rows,
        )
        .await?;
        Ok(latest.len())
    }

    /// Inserts or updates incidents by key; returns how many distinct records were written.
    pub async fn upsert_incidents(&self, incidents: &[Incident]) -> Result<usize, StoreError> {
        let latest = last_per_key(incidents, |i| &i.key);
        let repos = latest.iter().filter_map(|i| i.repo.as_ref()).collect();
        let rows = latest.iter().map(|i| codec::incident_values(i)).collect();
        // An incident may move between repositories or belong to a team: any scope may change.
        self.upsert(
            repos,
            true,
            Vec::new(),
            "INSERT INTO incident (key, repo, team, title, opened_at, resolved_at, source, \
             cause_kind, cause_ref)",
            "ON CONFLICT (key) DO UPDATE SET repo = excluded.repo, team = excluded.team, \
             title = excluded.title, opened_at = excluded.opened_at, \
             resolved_at = excluded.resolved_at, source = excluded.source, \
             cause_kind = excluded.cause_kind, cause_ref = excluded.cause_ref",
            rows,
        )
        .await?;
        Ok(latest.len())
    }

    /// Deletes the incidents of these keys (keys not stored are skipped) with what was derived
    /// from them — their incident links, and the failures they are the evidence of — in one
    /// transaction, so no metric counts an incident that is gone. Returns the repositories whose
    /// analysis covered them: reanalyse those (a fix for the incident may still count as
    /// rework until then). The data version moves only when something was deleted.
    pub async fn delete_incidents(&self, keys: &[String]) -> Result<DeletedIncidents, StoreError> {
        let mut tx = self.begin().await?;
        let deleted = delete_incidents_in(&mut tx, keys).await?;
        if deleted.incidents > 0 {
            tx.execute_all(codec::bump_data_version(&Touched::Everything))
                .await?;
        }
        tx.commit().await?;
        Ok(deleted)
    }

    /// One transaction: register the repositories, upsert the rows, run what goes with them,
    /// bump the data version of those repositories (of every scope if `every_scope`).
    async fn upsert(
        &self,
        repos: BTreeSet<&RepoSlug>,
        every_scope: bool,
        alongside: Vec<Statement>,
        head: &str,
        tail: &str,
        rows: Vec<Vec<Value>>,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let touched = if every_scope {
            Touched::Everything
        } else {
            Touched::repos(repos.iter().copied())
        };
        let repo_rows = repos
            .into_iter()
            .map(|r| {
                vec![
                    Value::text(r.to_string()),
                    Value::text(r.owner()),
                    Value::text(r.name()),
                ]
            })
            .collect();
        let mut statements = codec::insert_statements(
            "INSERT INTO repository (slug, owner, name)",
            "ON CONFLICT (slug) DO NOTHING",
            repo_rows,
        );
        statements.extend(codec::insert_statements(head, tail, rows));
        statements.extend(alongside);
        statements.extend(codec::bump_data_version(&touched));
        self.transaction(statements).await?;
        Ok(())
    }

    /// Every repository the store holds a change, deployment or incident of, in order.
    pub async fn repositories(&self) -> Result<Vec<RepoSlug>, StoreError> {
        self.fetch_all(
            Statement::new("SELECT slug FROM repository ORDER BY slug", vec![]),
            |row| {
                let slug = row.text("slug")?;
                codec::repo(&slug, &slug)
            },
        )
        .await
    }
}

/// What [`Store::delete_incidents`] deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletedIncidents {
    /// Incidents deleted.
    pub incidents: usize,
    /// The repositories whose analysis covered them, in order.
    pub repos: Vec<RepoSlug>,
}

/// Keys per statement: far below both backends' bind-parameter limits.
const KEYS_PER_DELETE: usize = 500;

/// [`Store::delete_incidents`] inside a transaction the caller commits (push ingestion deletes
/// in the transaction that logs the delivery); does not bump the data version.
pub(crate) async fn delete_incidents_in(
    tx: &mut Transaction,
    keys: &[String],
) -> Result<DeletedIncidents, StoreError> {
    // Key order, as the upserts: concurrent writers lock rows in the same order.
    let keys: Vec<&String> = keys.iter().collect::<BTreeSet<_>>().into_iter().collect();
    let mut repos = BTreeSet::new();
    let mut cause_deployments = Vec::new();
    let mut incidents = 0;
    for chunk in keys.chunks(KEYS_PER_DELETE) {
        let list = codec::placeholders(1, chunk.len());
        let params = || {
            chunk
                .iter()
                .map(|k| Value::text(k.as_str()))
                .collect::<Vec<_>>()
        };
        // Writes first: on SQLite a transaction that reads before its first write cannot wait
        // for the write lock (it fails as busy when another writer got there in between).
        tx.execute(Statement::new(
            format!("DELETE FROM failure_link WHERE kind = 'incident' AND evidence IN ({list})"),
            params(),
        ))
        .await?;
        tx.execute(Statement::new(
            format!("DELETE FROM incident_link WHERE incident IN ({list})"),
            params(),
        ))
        .await?;
        let deleted = tx
            .fetch_all(
                Statement::new(
                    format!(
                        "DELETE FROM incident WHERE key IN ({list}) \
                         RETURNING repo, cause_kind, cause_ref"
                    ),
                    params(),
                ),
                |row| {
                    let cause = match row.opt_text("cause_kind")?.as_deref() {
                        Some("deployment") => row.opt_text("cause_ref")?,
                        _ => None,
                    };
                    Ok((row.opt_text("repo")?, cause))
                },
            )
            .await?;
        incidents += deleted.len();
        for (repo, cause) in deleted {
            match (repo, cause) {
                (Some(slug), _) => {
                    repos.insert(codec::repo(&slug, &slug)?);
                }
                // One without a repository that names a deployment is analysed with the
                // deployment's repository (see `derived`).
                (None, Some(deployment)) => cause_deployments.push(deployment),
                (None, None) => {}
            }
        }
    }
    for chunk in cause_deployments.chunks(KEYS_PER_DELETE) {
        let sql = format!(
            "SELECT DISTINCT repo FROM deployment WHERE key IN ({})",
            codec::placeholders(1, chunk.len())
        );
        let params = chunk.iter().map(Value::text).collect();
        let slugs = tx
            .fetch_all(Statement::new(sql, params), |row| Ok(row.text("repo")?))
            .await?;
        for slug in slugs {
            repos.insert(codec::repo(&slug, &slug)?);
        }
    }
    Ok(DeletedIncidents {
        incidents,
        repos: repos.into_iter().collect(),
    })
}

/// The last record of each key, in key order (a multi-row PostgreSQL upsert may not touch a row
/// twice, and a fixed order avoids deadlocks between writers).
fn last_per_key<T>(records: &[T], key: impl Fn(&T) -> &String) -> Vec<&T> {
    let mut latest: BTreeMap<&String, &T> = BTreeMap::new();
    for record in records {
        latest.insert(key(record), record);
    }
    latest.into_values().collect()
}
