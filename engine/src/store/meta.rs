//! Everything beside the records: the teams from the configuration, where each sync stopped,
//! the raw event log, and the counters caches and tests read.

use super::codec::{self, Statement, Touched, Value};
use super::{Backend, Store, StoreError};
use crate::model::{RepoSlug, Timestamp};
use chrono::Utc;
use serde::Serialize;
use std::collections::BTreeMap;

/// A team or tribe as the configuration declares it; the store keeps a copy so queries can join
/// on ownership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamRow {
    pub slug: String,
    pub name: String,
    /// `"team"` or `"tribe"`.
    pub kind: String,
    /// The tribe this team belongs to.
    pub parent: Option<String>,
    /// IANA zone its weeks and days are bucketed in.
    pub time_zone: String,
    /// Owned repositories, each with the paths owned (empty: the whole repository).
    pub repos: Vec<(RepoSlug, Vec<String>)>,
}

/// Where the incremental sync of one resource of a repository stopped, so the next one resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncState {
    pub repo: RepoSlug,
    /// What is synced: `pulls`, `deployments`, `workflow_runs`...
    pub resource: String,
    pub cursor: Option<String>,
    /// The ETag of the last response, for conditional requests that cost nothing when unchanged.
    pub etag: Option<String>,
    pub last_success_at: Option<Timestamp>,
}

/// Row counts of the main tables, for tests and `doraboard status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoreCounts {
    pub changes: i64,
    pub deployments: i64,
    pub incidents: i64,
    pub shipments: i64,
    pub failure_links: i64,
}

/// What [`Store::analyze`] runs: the tables derivations read.
const ANALYZE: &str = "ANALYZE change_row, change_commit, deployment_row, deployment_change, \
     absorbed_change, failure_link, rework, incident, incident_link";

impl Store {
    /// Replaces the stored teams and their repositories with exactly `teams`: the configuration
    /// is the source of truth.
    pub async fn sync_teams(&self, teams: &[TeamRow]) -> Result<(), StoreError> {
        let mut team_rows = Vec::with_capacity(teams.len());
        let mut ownership = Vec::new();
        for team in teams {
            if !matches!(team.kind.as_str(), "team" | "tribe") {
                return Err(StoreError::Invalid {
                    what: "team kind",
                    value: team.kind.clone(),
                    detail: format!("team `{}` must be a `team` or a `tribe`", team.slug),
                });
            }
            team_rows.push(vec![
                Value::text(&team.slug),
                Value::text(&team.name),
                Value::text(&team.kind),
                Value::opt_text(team.parent.as_deref()),
                Value::text(&team.time_zone),
            ]);
            for (repo, paths) in &team.repos {
                ownership.push(vec![
                    Value::text(&team.slug),
                    Value::text(repo.to_string()),
                    codec::json_list(paths),
                ]);
            }
        }
        let mut statements = vec![
            Statement::new("DELETE FROM team_repository", vec![]),
            Statement::new("DELETE FROM team", vec![]),
        ];
        statements.extend(codec::insert_statements(
            "INSERT INTO team (slug, name, kind, parent, time_zone)",
            "",
            team_rows,
        ));
        statements.extend(codec::insert_statements(
            "INSERT INTO team_repository (team, repo, paths)",
            "ON CONFLICT (team, repo) DO UPDATE SET paths = excluded.paths",
            ownership,
        ));
        statements.extend(codec::bump_data_version(&Touched::every_scope()));
        self.transaction(statements).await?;
        Ok(())
    }

    /// The stored teams, by slug, with their repositories by slug.
    pub async fn teams(&self) -> Result<Vec<TeamRow>, StoreError> {
        let mut teams: BTreeMap<String, TeamRow> = self
            .fetch_all(
                Statement::new(
                    "SELECT slug, name, kind, parent, time_zone FROM team ORDER BY slug",
                    vec![],
                ),
                |row| {
                    Ok(TeamRow {
                        slug: row.text("slug")?,
                        name: row.text("name")?,
                        kind: row.text("kind")?,
                        parent: row.opt_text("parent")?,
                        time_zone: row.text("time_zone")?,
                        repos: Vec::new(),
                    })
                },
            )
            .await?
            .into_iter()
            .map(|t| (t.slug.clone(), t))
            .collect();
        let ownership = self
            .fetch_all(
                Statement::new(
                    "SELECT team, repo, paths FROM team_repository ORDER BY team, repo",
                    vec![],
                ),
                |row| {
                    let team = row.text("team")?;
                    let repo = codec::repo(&row.text("repo")?, &team)?;
                    let paths = codec::list(&row.text("paths")?, "paths", &team)?;
                    Ok((team, repo, paths))
                },
            )
            .await?;
        for (team, repo, paths) in ownership {
            if let Some(t) = teams.get_mut(&team) {
                t.repos.push((repo, paths));
            }
        }
        Ok(teams.into_values().collect())
    }

    /// Where the last sync of `resource` of `repo` stopped; None before the first one.
    pub async fn get_sync_state(
        &self,
        repo: &RepoSlug,
        resource: &str,
    ) -> Result<Option<SyncState>, StoreError> {
        self.fetch_optional(
            Statement::new(
                "SELECT repo, resource, cursor, etag, last_success_at FROM sync_state \
                 WHERE repo = $1 AND resource = $2",
                vec![Value::text(repo.to_string()), Value::text(resource)],
            ),
            |row| {
                let repo = row.text("repo")?;
                Ok(SyncState {
                    repo: codec::repo(&repo, &repo)?,
                    resource: row.text("resource")?,
                    cursor: row.opt_text("cursor")?,
                    etag: row.opt_text("etag")?,
                    last_success_at: codec::opt_time(
                        row.opt_int("last_success_at")?,
                        "last_success_at",
                        &repo,
                    )?,
                })
            },
        )
        .await
    }

    /// Records where a sync stopped (replacing the previous state of that repository and
    /// resource).
    pub async fn put_sync_state(&self, state: &SyncState) -> Result<(), StoreError> {
        self.transaction(vec![Statement::new(
            "INSERT INTO sync_state (repo, resource, cursor, etag, last_success_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (repo, resource) DO UPDATE SET cursor = excluded.cursor, \
             etag = excluded.etag, last_success_at = excluded.last_success_at",
            vec![
                Value::text(state.repo.to_string()),
                Value::text(&state.resource),
                Value::opt_text(state.cursor.as_deref()),
                Value::opt_text(state.etag.as_deref()),
                Value::opt_time(state.last_success_at),
            ],
        )])
        .await?;
        Ok(())
    }

    /// Logs a received event once per `(source, delivery_id)`; false when it was already there
    /// (a redelivery, to be ignored).
    pub async fn insert_raw_event(
        &self,
        source: &str,
        delivery_id: &str,
        body: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let added = tx
            .execute(Statement::new(
                "INSERT INTO raw_delivery (key) VALUES ($1) ON CONFLICT (key) DO NOTHING",
                vec![Value::Bytes(
                    super::delivery_key::delivery_key(source, delivery_id).to_vec(),
                )],
            ))
            .await?
            > 0;
        if added {
            tx.execute(Statement::new(
                "INSERT INTO raw_event (source, delivery_id, received_at, body) \
                 VALUES ($1, $2, $3, $4)",
                vec![
                    Value::text(source),
                    Value::text(delivery_id),
                    Value::time(Utc::now()),
                    Value::Bytes(super::packed::pack(body)),
                ],
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Gives the disk back after a large write. On SQLite the write-ahead log of a bulk import
    /// grows as large as everything it wrote and keeps that size: this copies it into the
    /// database and truncates it. Nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if let Backend::Sqlite(pool) = &self.backend {
            // `main` only: a connection that left WAL and came back (a first load) fails to
            // checkpoint its temporary database, the one a bulk write creates ("database table is
            // locked"); it has no log to checkpoint anyway.
            sqlx::query("PRAGMA main.wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Brings the planner's statistics up to date after a large write, before anything reads
    /// what it wrote. PostgreSQL plans from statistics that autovacuum refreshes only some time
    /// after a write: right after an import of 100,000 deployments into an empty database, the
    /// derivation's lookups were planned for empty tables (the shas of shipped changes took 6.4 s
    /// instead of a fraction of a second). `ANALYZE` reads a sample of each table (a few seconds
    /// at most, whatever their size), here the tables of records and derived facts, in the
    /// store's schema only. SQLite plans without statistics unless asked to keep them: nothing to
    /// do there.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        if let Backend::Postgres(pool) = &self.backend {
            sqlx::query(ANALYZE).execute(pool).await?;
        }
        Ok(())
    }

    /// A counter bumped by every write that can change a metric: a cache entry made at version
    /// `v` is stale once this differs from `v`.
    pub async fn data_version(&self) -> Result<i64, StoreError> {
        let version = self
            .fetch_optional(
                Statement::new("SELECT version FROM data_version WHERE id = 1", vec![]),
                |row| Ok(row.int("version")?),
            )
            .await?;
        Ok(version.unwrap_or(0))
    }

    /// The subjects (repository slugs, or `*` for every scope) stamped by writes after data
    /// version `since`, with the version of their latest write: what a reader that has seen
    /// everything up to `since` must catch up on. Usually no rows.
    pub async fn versions_after(&self, since: i64) -> Result<Vec<(String, i64)>, StoreError> {
        self.fetch_all(
            Statement::new(
                "SELECT subject, version FROM subject_version WHERE version > $1",
                vec![Value::int(since)],
            ),
            |row| Ok((row.text("subject")?, row.int("version")?)),
        )
        .await
    }

    /// From when (Unix seconds) the rows of `repo` (its changes, its deployments and their
    /// flags) may differ from those read at version `held`: the earliest time the writes since
    /// marked (`repository_write`; a derivation's covers the deployments it blamed or stopped
    /// blaming, see `derived::moved`). `None` when one
    /// of them may have changed any row, or when they reach further back than the store
    /// remembers: read the rows whole.
    pub async fn changes_moved_since(
        &self,
        repo: &RepoSlug,
        held: i64,
    ) -> Result<Option<i64>, StoreError> {
        let read = self
            .fetch_optional(
                Statement::new(
                    "SELECT COUNT(*) AS writes, COUNT(changes_from) AS bounded, \
                     MIN(changes_from) AS earliest, \
                     (SELECT version FROM data_version WHERE id = 1) AS now \
                     FROM repository_write WHERE repo = $1 AND version > $2",
                    vec![Value::text(repo.to_string()), Value::int(held)],
                ),
                |row| {
                    Ok((
                        row.int("writes")?,
                        row.int("bounded")?,
                        row.opt_int("earliest")?,
                        row.int("now")?,
                    ))
                },
            )
            .await?;
        Ok(match read {
            Some((writes, bounded, earliest, now))
                if writes > 0 && bounded == writes && held > now - codec::WRITES_REMEMBERED =>
            {
                earliest
            }
            _ => None,
        })
    }

    /// How many records and derived facts the store holds.
    pub async fn counts(&self) -> Result<StoreCounts, StoreError> {
        let counts = self
            .fetch_optional(
                Statement::new(
                    "SELECT (SELECT COUNT(*) FROM change) AS changes, \
                     (SELECT COUNT(*) FROM deployment) AS deployments, \
                     (SELECT COUNT(*) FROM incident) AS incidents, \
                     (SELECT COUNT(*) FROM deployment_change) AS shipments, \
                     (SELECT COUNT(*) FROM failure_link) AS failure_links",
                    vec![],
                ),
                |row| {
                    Ok(StoreCounts {
                        changes: row.int("changes")?,
                        deployments: row.int("deployments")?,
                        incidents: row.int("incidents")?,
                        shipments: row.int("shipments")?,
                        failure_links: row.int("failure_links")?,
                    })
                },
            )
            .await?;
        Ok(counts.unwrap_or_default())
    }
}
