//! Ingestion: upserts of changes, deployments and incidents on their natural keys.
//!
//! Each call is one transaction of multi-row `INSERT ... ON CONFLICT (key) DO UPDATE`, so loading
//! the same data twice changes nothing and a newer version of a record replaces the older one.
//! Rows are written in key order, so two writers on PostgreSQL lock them in the same order and
//! cannot deadlock.

use super::codec::{self, Statement, Value};
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
        self.upsert(
            repos,
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

    /// One transaction: register the repositories, upsert the rows, run what goes with them,
    /// bump the data version.
    async fn upsert(
        &self,
        repos: BTreeSet<&RepoSlug>,
        alongside: Vec<Statement>,
        head: &str,
        tail: &str,
        rows: Vec<Vec<Value>>,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
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
        statements.push(codec::bump_data_version());
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

/// The last record of each key, in key order (a multi-row PostgreSQL upsert may not touch a row
/// twice, and a fixed order avoids deadlocks between writers).
fn last_per_key<T>(records: &[T], key: impl Fn(&T) -> &String) -> Vec<&T> {
    let mut latest: BTreeMap<&String, &T> = BTreeMap::new();
    for record in records {
        latest.insert(key(record), record);
    }
    latest.into_values().collect()
}
