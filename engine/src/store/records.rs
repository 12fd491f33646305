//! Ingestion: upserts of changes, deployments and incidents on their natural keys, and the
//! deletion of incidents their source no longer has.
//!
//! Each call is one transaction of multi-row `INSERT ... ON CONFLICT (key) DO UPDATE`, so loading
//! the same data twice changes nothing and a newer version of a record replaces the older one.
//! Rows are written in key order, so two writers on PostgreSQL lock them in the same order and
//! cannot deadlock.

use super::change_key;
use super::codec::{self, Statement, Touched, Value};
use super::tx::Transaction;
use super::{Store, StoreError};
use crate::model::{Change, Deployment, Incident, RepoSlug};
use std::collections::{BTreeMap, BTreeSet, HashMap};

impl Store {
    /// Inserts or updates changes by key; returns how many distinct records were written (the
    /// last one wins when a key repeats).
    pub async fn upsert_changes(&self, changes: &[Change]) -> Result<usize, StoreError> {
        let latest = last_per_key(changes, |c| &c.key);
        let repos = latest.iter().map(|c| &c.repo).collect();
        let form = self.sha_form();
        let rows = latest
            .iter()
            .map(|c| codec::change_values(c, form))
            .collect();
        self.upsert(
            repos,
            &latest,
            false,
            codec::change_commit_statements(&latest, form),
            codec::CHANGE_INSERT,
            codec::CHANGE_UPSERT,
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
        let form = self.sha_form();
        let rows = latest
            .iter()
            .map(|d| codec::deployment_values(d, form))
            .collect();
        let keys: Vec<&str> = latest.iter().map(|d| d.key.as_str()).collect();
        self.upsert(
            repos,
            &[],
            false,
            super::derived::causes::naming_deployments(&keys),
            codec::DEPLOYMENT_INSERT,
            codec::DEPLOYMENT_UPSERT,
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
        let keys: Vec<&str> = latest.iter().map(|i| i.key.as_str()).collect();
        // An incident may move between repositories or belong to a team: any scope may change.
        self.upsert(
            repos,
            &[],
            true,
            super::derived::causes::of_incidents(&keys),
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
        let stale = deleted
            .repos
            .iter()
            .map(|repo| (repo.clone(), None))
            .collect();
        tx.execute_all(super::derived::queue::enqueue(&stale))
            .await?;
        if deleted.incidents > 0 {
            // Their failure links went with them: the blamed deployments' rows moved, anywhere.
            let touched = Touched::repos(deleted.repos.iter()).with_every_scope(true);
            tx.execute_all(codec::bump_data_version(&touched)).await?;
        }
        tx.commit().await?;
        Ok(deleted)
    }

    /// One transaction: register the repositories, prepare the write of `changes`
    /// ([`prepare_change_writes`]), upsert the rows, run what goes with them, queue the
    /// repositories for derivation, bump the data version of those repositories (of every scope
    /// if `every_scope`).
    #[expect(
        clippy::too_many_arguments,
        reason = "one private helper of the three upserts"
    )]
    async fn upsert(
        &self,
        repos: BTreeSet<&RepoSlug>,
        changes: &[&Change],
        every_scope: bool,
        alongside: Vec<Statement>,
        head: &str,
        tail: &str,
        rows: Vec<Vec<Value>>,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let stale = repos.iter().map(|repo| ((*repo).clone(), None)).collect();
        let touched = Touched::repos(repos.iter().copied()).with_every_scope(every_scope);
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
        let mut tx = self.begin().await?;
        // A write first: on SQLite it takes the write lock before anything is read.
        tx.execute_all(codec::insert_statements(
            "INSERT INTO repository (slug, owner, name)",
            "ON CONFLICT (slug) DO NOTHING",
            repo_rows,
        ))
        .await?;
        prepare_change_writes(&mut tx, changes, false).await?;
        let mut statements = codec::insert_statements(head, tail, rows);
        statements.extend(alongside);
        statements.extend(super::derived::queue::enqueue(&stale));
        statements.extend(codec::bump_data_version(&touched));
        tx.execute_all(statements).await?;
        tx.commit().await?;
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

/// Prepares the write of `changes` (before their upsert) from their stored versions, found by key
/// in whichever form the store keeps it (`change_key`): deletes the `change_commit` rows of
/// those the write gives commits (a change written without commits keeps its stored ones, see
/// `codec::CHANGE_UPSERT`), found by primary key from the stored shas, so the table needs no
/// second index by change; and re-keys a stored change whose key the write keeps in the other
/// form (it moves to or from the repository its key starts with), so the upsert finds it.
/// Changes not stored yet (an import) cost one read per 500 keys; stored ones, a second.
///
/// `moves_only`: the stored versions the write may find have no `change_commit` rows (a bulk write
/// into a store that held no changes when it began writes them at commit), so only the changes
/// that may have moved are looked up; in an import of pull requests and pushes, none.
pub(crate) async fn prepare_change_writes(
    tx: &mut Transaction,
    changes: &[&Change],
    moves_only: bool,
) -> Result<(), StoreError> {
    let form = tx.sha_form();
    if changes.is_empty() {
        return Ok(());
    }
    let whole_keys_stored = tx
        .fetch_optional(
            Statement::new(change_key::WHOLE_KEYS_STORED, vec![]),
            |_| Ok(()),
        )
        .await?
        .is_some();
    for chunk in changes.chunks(KEYS_PER_DELETE) {
        let incoming: HashMap<&str, &Change> = chunk.iter().map(|c| (c.key.as_str(), *c)).collect();
        let forms: Vec<[Value; 3]> = chunk
            .iter()
            .flat_map(|c| {
                let repo = c.repo.to_string();
                change_key::possible_forms(&c.key, &repo, whole_keys_stored, moves_only)
            })
            .collect();
        if forms.is_empty() {
            continue;
        }
        let found = tx
            .fetch_all(
                Statement::new(
                    change_key::ids_in_forms(1, forms.len()),
                    forms.into_iter().flatten().collect(),
                ),
                |row| Ok(row.opt_int("id")?),
            )
            .await?;
        let ids: Vec<Value> = found.into_iter().flatten().map(Value::int).collect();
        if ids.is_empty() {
            continue;
        }
        let stored = tx
            .fetch_all(
                Statement::new(
                    format!(
                        "SELECT id, key, repo, repo_id, merge_sha, commits FROM change \
                         WHERE id IN ({})",
                        codec::placeholders(1, ids.len())
                    ),
                    ids,
                ),
                |row| {
                    let key = row.text("key")?;
                    let commits = codec::stored_commits(row, &key)?;
                    let merge_sha = codec::stored_sha(row, "merge_sha")?;
                    let shas = codec::commit_shas(merge_sha.as_ref(), &commits);
                    let repo = codec::repo(&row.text("repo")?, &key)?;
                    Ok((row.int("id")?, key, repo, row.int("repo_id")?, shas))
                },
            )
            .await?;
        let mut rows: Vec<[Value; 3]> = Vec::new();
        for (id, key, repo, repo_id, shas) in stored {
            let Some(change) = incoming.get(key.as_str()) else {
                continue;
            };
            if change_key::form(&key, &repo.to_string())
                != change_key::form(&key, &change.repo.to_string())
            {
                let rekey = change_key::rekey(id, &key, &change.repo);
                tx.execute(rekey).await?;
            }
            if !change.commits.is_empty() && !moves_only {
                rows.extend(
                    shas.into_iter()
                        .map(|sha| [Value::int(repo_id), form.value(&sha), Value::int(id)]),
                );
            }
        }
        for rows in rows.chunks(KEYS_PER_DELETE / 3) {
            let mut params = Vec::with_capacity(rows.len() * 3);
            let mut terms = Vec::with_capacity(rows.len());
            for row in rows {
                let n = params.len();
                terms.push(format!(
                    "(repo_id = ${} AND sha = ${} AND change_id = ${})",
                    n + 1,
                    n + 2,
                    n + 3
                ));
                params.extend(row.iter().cloned());
            }
            tx.execute(Statement::new(
                format!("DELETE FROM change_commit WHERE {}", terms.join(" OR ")),
                params,
            ))
            .await?;
        }
    }
    Ok(())
}

/// [`Store::delete_incidents`] inside a transaction the caller commits (push ingestion deletes
/// in the transaction that logs the delivery); does not bump the data version.
pub(crate) async fn delete_incidents_in(
    tx: &mut Transaction,
    keys: &[String],
) -> Result<DeletedIncidents, StoreError> {
    // Key order, as the upserts: concurrent writers lock rows in the same order.
    let keys: Vec<&String> = keys.iter().collect::<BTreeSet<_>>().into_iter().collect();
    let mut repos = BTreeSet::new();
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
        // The repositories whose analyses covered them (that of their cause, see `derived`).
        let owned: Vec<String> = chunk.iter().map(|k| k.to_string()).collect();
        repos.extend(super::derived::incident_owners(tx, &owned).await?);
        incidents += tx
            .execute(Statement::new(
                format!("DELETE FROM incident WHERE key IN ({list})"),
                params(),
            ))
            .await? as usize;
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
