//! Push ingestion: the raw event log and the records received events normalize to, written
//! together, so an event is either logged with its records or not at all.
//!
//! - [`Store::begin_ingest`] opens one [`IngestTransaction`]; any number of batches are written
//!   into it and [`IngestTransaction::commit`] makes them visible at once. A file import of
//!   millions of events is therefore all or nothing, yet holds one batch in memory at a time.
//! - A batch logs each event's raw body once per `(source, delivery_id)`. An event already in the
//!   log is a redelivery: its records are skipped, so a redelivered older version can never
//!   overwrite a newer one, and replaying the log in arrival order rebuilds exactly the same
//!   records.
//! - [`IncidentUpdate`]: an incident tool's lifecycle event (triggered, resolved, reopened)
//!   merged into the stored incident by one SQL statement, whatever order they arrive in.
//! - [`IncidentDeletion`]: an incident its source no longer has (a GitHub issue that lost the
//!   incident label, or was deleted or transferred), deleted in the same transaction.
//! - [`Store::raw_events_after`] pages through the log in arrival order, for replay.

use super::bulk;
use super::change_key;
use super::codec::{self, Statement, Touched, Value};
use super::delivery_key::{DeliveryKey, delivery_key};
use super::derived::causes;
use super::derived::queue::{self, Stale};
use super::packed::{self, BlockRef};
use super::sha_form::ShaForm;
use super::tx::Transaction;
use super::{Store, StoreError};
use crate::model::{Change, Deployment, Incident, RepoSlug, Timestamp};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A received event to log, exactly as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRawEvent {
    /// Who sent it: `events` (the generic API), `import`, `pagerduty`, `github`...
    pub source: String,
    /// Unique per source: a redelivery carries the same one.
    pub delivery_id: String,
    pub body: String,
}

/// A logged event, read back for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// Arrival order: its row's id times 65,536 plus its place among the row's events.
    pub id: i64,
    pub source: String,
    pub delivery_id: String,
    pub received_at: Timestamp,
    pub body: String,
}

/// What an incident tool says happened to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentTransition {
    /// Triggered, acknowledged, or any event that only tells the incident exists: it does not
    /// change whether it is resolved.
    Open,
    /// Resolved at this time. Of several resolutions the latest wins.
    Resolved(Timestamp),
    /// Reopened at this time: open again, unless it was resolved after that.
    Reopened(Timestamp),
}

/// An incident seen through one lifecycle event. `incident.resolved_at` is ignored: the
/// transition decides it, merged with what is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentUpdate {
    pub incident: Incident,
    pub transition: IncidentTransition,
}

/// An incident its source says is gone: it is deleted, with what was derived from it. Logged
/// like any event, so a replay of the log deletes it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentDeletion {
    pub key: String,
    /// The repository it belonged to, when the event names one (its analysis is stale).
    pub repo: Option<RepoSlug>,
}

/// The normalized record an event carries.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one record per event, moved into a batch once: boxing a change would buy nothing"
)]
pub enum EventRecord {
    Change(Change),
    Deployment(Deployment),
    Incident(Incident),
    IncidentUpdate(IncidentUpdate),
    IncidentDeletion(IncidentDeletion),
}

impl EventRecord {
    /// The repository whose analysis this record feeds, if it names one.
    pub fn repo(&self) -> Option<&RepoSlug> {
        match self {
            Self::Change(c) => Some(&c.repo),
            Self::Deployment(d) => Some(&d.repo),
            Self::Incident(i) => i.repo.as_ref(),
            Self::IncidentUpdate(u) => u.incident.repo.as_ref(),
            Self::IncidentDeletion(d) => d.repo.as_ref(),
        }
    }
}

/// One event of a batch: its raw form to log (None when replaying the log itself) and its record
/// (None for an event logged but not normalized).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub raw: Option<NewRawEvent>,
    pub record: Option<EventRecord>,
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// For each event of the batch, in order: false when its raw form was already logged (a
    /// redelivery, whose record was skipped).
    pub new: Vec<bool>,
    pub changes: usize,
    pub deployments: usize,
    pub incidents: usize,
    /// Incidents deleted (a deletion of a key not stored counts for nothing).
    pub deleted_incidents: usize,
}

/// What a committed ingestion touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestCommit {
    /// Repositories whose analysis is now stale: reanalyze them.
    pub repos: Vec<RepoSlug>,
}

/// One open write transaction of push ingestion; see the module documentation. Dropping it
/// without [`IngestTransaction::commit`] rolls everything back.
pub struct IngestTransaction {
    tx: Transaction,
    repos: BTreeSet<RepoSlug>,
    /// Incidents that name (or may keep) a cause: the repositories whose analyses cover them
    /// (that of the cause, see `derived`) are stale too.
    with_cause: BTreeSet<String>,
    /// What the batches made stale: deployments from the earliest time they touched, anything
    /// else (changes, incidents) the whole history.
    stale: Stale,
    /// From when each repository's rows (as `crate::facts_cache` holds them) may have moved, for
    /// `repository_write`: as `stale` for deployments, but a change moves only the row of its
    /// shipment, if it was shipped (see [`IngestTransaction::mark_shipped_changes`]), and an
    /// incident none (its derivation marks what its blame moved); a deleted incident takes its
    /// failure links with it, which moves anything.
    rows_moved: Stale,
    /// Whether any record was written: only then does the data version move.
    wrote: bool,
    /// An incident was written or deleted: it may move between repositories or belong to a team,
    /// so every scope's version moves, not only those of `repos`.
    every_scope: bool,
    /// A bulk write: the `change_commit` rows of its changes are written at commit, all at once
    /// (`store/bulk.rs`).
    bulk: bool,
    /// The most commits a change the bulk write wrote holds.
    longest_commits: usize,
    /// Whether the store held changes when the write began (always assumed but in a bulk write):
    /// if not, the stored versions a bulk write finds are its own, without `change_commit` rows
    /// yet (`records::prepare_change_writes`).
    changes_before: bool,
    /// A first load, written through a rollback journal (`store/first_load.rs`).
    first_load: bool,
}

impl Store {
    /// [`Store::begin_ingest`] for a bulk write (an import, a replay of the log): on SQLite its
    /// connection keeps a larger page cache (48 MiB) until it closes, which for these commands
    /// is when the process ends, and the shas of its changes are written when it commits
    /// (`store/bulk.rs`).
    ///
    /// A first load on SQLite writes through a rollback journal rather than WAL
    /// (`store/first_load.rs`); [`IngestTransaction::commit`] and
    /// [`IngestTransaction::rollback`] go back to WAL.
    pub async fn begin_bulk_ingest(&self) -> Result<IngestTransaction, StoreError> {
        let first_load = self.leave_wal_for_first_load().await?;
        let mut ingest = match self.begin_ingest().await {
            Ok(ingest) => ingest,
            Err(e) => {
                if first_load {
                    self.return_to_wal().await;
                }
                return Err(e);
            }
        };
        ingest.first_load = first_load;
        let postgres = ingest.tx.is_postgres();
        ingest.run(bulk::begin(postgres)).await?;
        ingest.bulk = true;
        ingest.changes_before = ingest
            .tx
            .fetch_optional(
                Statement::new("SELECT 1 AS one FROM change_row LIMIT 1", vec![]),
                |_| Ok(()),
            )
            .await?
            .is_some();
        Ok(ingest)
    }

    /// Opens a write transaction for push ingestion.
    ///
    /// On SQLite it holds the database's write lock from its first write until it ends: other
    /// writers wait (up to the busy timeout) while a large import runs.
    pub async fn begin_ingest(&self) -> Result<IngestTransaction, StoreError> {
        Ok(IngestTransaction {
            tx: self.begin().await?,
            repos: BTreeSet::new(),
            with_cause: BTreeSet::new(),
            stale: Stale::new(),
            rows_moved: Stale::new(),
            wrote: false,
            longest_commits: 0,
            changes_before: true,
            every_scope: false,
            bulk: false,
            first_load: false,
        })
    }

    /// Logs and stores one batch in a transaction of its own: [`Store::begin_ingest`], one
    /// [`IngestTransaction::write`], commit.
    pub async fn ingest(
        &self,
        events: Vec<LoggedEvent>,
    ) -> Result<(BatchOutcome, IngestCommit), StoreError> {
        let mut tx = self.begin_ingest().await?;
        let outcome = tx.write(events).await?;
        let commit = tx.commit().await?;
        Ok((outcome, commit))
    }

    /// Up to `limit` logged events that arrived after the one with id `after` (0: from the
    /// start), in arrival order.
    pub async fn raw_events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RawEvent>, StoreError> {
        // A transaction of its own, only to read the page and its blocks from one connection.
        let mut tx = self.begin().await?;
        read_raw_events(&mut tx, after, limit).await
    }

    /// How many events the raw log holds, of one source or of all.
    pub async fn raw_event_count(&self, source: Option<&str>) -> Result<i64, StoreError> {
        let statement = match source {
            Some(source) => Statement::new(
                "SELECT CAST(COALESCE(SUM(events), 0) AS BIGINT) AS n FROM raw_event WHERE source = $1",
                vec![Value::text(source)],
            ),
            None => Statement::new(
                "SELECT CAST(COALESCE(SUM(events), 0) AS BIGINT) AS n FROM raw_event",
                vec![],
            ),
        };
        let n = self
            .fetch_optional(statement, |row| Ok(row.int("n")?))
            .await?;
        Ok(n.unwrap_or(0))
    }

    /// The stored change with this key.
    pub async fn change(&self, key: &str) -> Result<Option<Change>, StoreError> {
        self.fetch_optional(
            Statement::new(
                format!(
                    "SELECT {} FROM change WHERE id IN ({})",
                    codec::CHANGE_COLUMNS,
                    change_key::ids_keyed("", "$1", self.is_postgres())
                ),
                vec![Value::text(key)],
            ),
            codec::change,
        )
        .await
    }

    /// The stored deployment with this key.
    pub async fn deployment(&self, key: &str) -> Result<Option<Deployment>, StoreError> {
        self.fetch_optional(
            Statement::new(
                format!(
                    "SELECT {} FROM deployment WHERE key = $1",
                    codec::DEPLOYMENT_COLUMNS
                ),
                vec![Value::text(key)],
            ),
            codec::deployment,
        )
        .await
    }

    /// The stored incident with this key.
    pub async fn incident(&self, key: &str) -> Result<Option<Incident>, StoreError> {
        self.fetch_optional(
            Statement::new(
                format!(
                    "SELECT {} FROM incident WHERE key = $1",
                    codec::INCIDENT_COLUMNS
                ),
                vec![Value::text(key)],
            ),
            codec::incident,
        )
        .await
    }
}

impl IngestTransaction {
    /// Logs the batch's raw events and stores the records of the new ones (and of events with no
    /// raw form). Within a batch, and across batches, a later record of a key replaces an earlier
    /// one, as if they had arrived one by one.
    pub async fn write(&mut self, events: Vec<LoggedEvent>) -> Result<BatchOutcome, StoreError> {
        self.write_prepared(events, None).await
    }

    /// How batches written into this transaction are prepared ahead ([`PreparedBatch::of`]).
    pub fn batch_form(&self) -> BatchForm {
        BatchForm {
            sha_form: self.tx.sha_form(),
            notes_written_changes: self.bulk && self.changes_before,
        }
    }

    /// [`IngestTransaction::write`] with the batch's work prepared ahead (by
    /// [`PreparedBatch::of`] the same events), used as it is when every event is new.
    pub async fn write_prepared(
        &mut self,
        events: Vec<LoggedEvent>,
        prepared: Option<PreparedBatch>,
    ) -> Result<BatchOutcome, StoreError> {
        let (block, keys, prepared) = match prepared {
            Some(p) => (p.block, Some(p.keys), Some(p.records)),
            None => (None, None, None),
        };
        let new = self.log_raw(&events, block, keys).await?;
        let prepared = prepared.filter(|_| new.iter().all(|&n| n));
        let mut outcome = BatchOutcome {
            new,
            ..BatchOutcome::default()
        };
        let mut changes: BTreeMap<String, Change> = BTreeMap::new();
        let mut deployments: BTreeMap<String, Deployment> = BTreeMap::new();
        let mut incidents: BTreeMap<String, Incident> = BTreeMap::new();
        let mut updates: Vec<IncidentUpdate> = Vec::new();
        let mut raws = Vec::with_capacity(events.len());
        for (event, &is_new) in events.into_iter().zip(&outcome.new) {
            raws.push(event.raw);
            let Some(record) = event.record.filter(|_| is_new) else {
                continue;
            };
            // A deletion touches the repositories of what it deleted, if anything.
            if let Some(repo) = record.repo()
                && !matches!(record, EventRecord::IncidentDeletion(_))
            {
                self.repos.insert(repo.clone());
                if !matches!(record, EventRecord::Deployment(_)) {
                    queue::mark(&mut self.stale, repo, None);
                }
                // An incident shows in held rows only through the blame its derivation (marking
                // for itself) finds: its record moves no row.
                if matches!(
                    record,
                    EventRecord::Incident(_) | EventRecord::IncidentUpdate(_)
                ) {
                    queue::mark(&mut self.rows_moved, repo, Some(i64::MAX));
                }
            }
            self.every_scope |= matches!(
                record,
                EventRecord::Incident(_)
                    | EventRecord::IncidentUpdate(_)
                    | EventRecord::IncidentDeletion(_)
            );
            match record {
                EventRecord::Change(c) => {
                    changes.insert(c.key.clone(), c);
                }
                EventRecord::Deployment(d) => {
                    deployments.insert(d.key.clone(), d);
                }
                EventRecord::Incident(i) => {
                    self.note_cause(&i);
                    // A plain record replaces the incident: earlier updates of it are moot.
                    updates.retain(|u| u.incident.key != i.key);
                    incidents.insert(i.key.clone(), i);
                }
                EventRecord::IncidentUpdate(u) => {
                    // An update keeps the stored cause, which may name one.
                    self.with_cause.insert(u.incident.key.clone());
                    // An update merges into what is stored: write pending records first.
                    if let Some(i) = incidents.remove(&u.incident.key) {
                        self.upsert_incidents(vec![i]).await?;
                    }
                    updates.push(u);
                }
                EventRecord::IncidentDeletion(d) => {
                    // Deleted at once, so earlier events of the key are undone and later ones
                    // (pending above) are written after it, as if they had arrived one by one.
                    incidents.remove(&d.key);
                    updates.retain(|u| u.incident.key != d.key);
                    let deleted = super::records::delete_incidents_in(
                        &mut self.tx,
                        std::slice::from_ref(&d.key),
                    )
                    .await?;
                    outcome.deleted_incidents += deleted.incidents;
                    for repo in &deleted.repos {
                        queue::mark(&mut self.stale, repo, None);
                        queue::mark(&mut self.rows_moved, repo, None);
                    }
                    self.repos.extend(deleted.repos);
                }
            }
        }
        outcome.changes = changes.len();
        outcome.deployments = deployments.len();
        outcome.incidents = incidents.len() + updates.len();
        self.wrote |=
            outcome.changes + outcome.deployments + outcome.incidents + outcome.deleted_incidents
                > 0;
        self.register_repos().await?;
        let written: Vec<&Change> = changes.values().collect();
        let moves_only = self.bulk && !self.changes_before;
        super::records::prepare_change_writes(&mut self.tx, &written, moves_only).await?;
        if self.bulk {
            // A change written without commits keeps its stored ones: those of an earlier batch
            // (counted then), or of a version stored before, whose `change_commit` rows stay.
            let longest = changes.values().map(|c| c.commits.len()).max();
            self.longest_commits = self.longest_commits.max(longest.unwrap_or(0));
        }
        let statements = match prepared {
            Some(prepared) => prepared,
            None => RecordStatements::of(
                changes.values(),
                deployments.values(),
                self.batch_form().notes_written_changes,
                self.tx.sha_form(),
            ),
        };
        self.run(statements.changes).await?;
        if self.bulk {
            // None without changes stored before: its commit reads every change stored.
            self.run(statements.written_changes).await?;
        } else {
            let form = self.tx.sha_form();
            self.run(codec::change_commit_statements(&written, form))
                .await?;
        }
        self.mark_shipped_changes(&written).await?;
        self.mark_deployments(&deployments).await?;
        self.run(statements.deployments).await?;
        let keys: Vec<&str> = deployments.keys().map(String::as_str).collect();
        self.run(causes::naming_deployments(&keys)).await?;
        self.upsert_incidents(incidents.into_values().collect())
            .await?;
        let mut merges: Vec<Statement> = updates.iter().map(update_statement).collect();
        let keys: Vec<&str> = updates.iter().map(|u| u.incident.key.as_str()).collect();
        merges.extend(causes::of_incidents(&keys));
        self.run(merges).await?;
        // Its events and records are hundreds of thousands of small allocations per batch of an
        // import, whose freeing took a fifth of this task's time.
        super::tx::free_elsewhere((raws, changes, deployments));
        Ok(outcome)
    }

    /// Makes every batch visible at once (and bumps the data version if a record was written),
    /// with the repositories they made stale queued for derivation; returns those repositories.
    pub async fn commit(mut self) -> Result<IngestCommit, StoreError> {
        if self.bulk {
            // Before anything reads `change_commit` (the owners of incidents, below).
            let postgres = self.tx.is_postgres();
            self.run(bulk::write_change_commits(
                postgres,
                self.longest_commits,
                !self.changes_before,
            ))
            .await?;
        }
        if !self.with_cause.is_empty() {
            let keys: Vec<String> = std::mem::take(&mut self.with_cause).into_iter().collect();
            let owners = super::derived::incident_owners(&mut self.tx, &keys).await?;
            self.repos.extend(owners);
        }
        for repo in &self.repos {
            // Deployments marked their repositories from a time already.
            if !self.stale.contains_key(repo) {
                queue::mark(&mut self.stale, repo, None);
            }
            if !self.rows_moved.contains_key(repo) {
                queue::mark(&mut self.rows_moved, repo, None);
            }
        }
        self.run(queue::enqueue(&self.stale)).await?;
        if self.wrote {
            let touched = Touched::repos_from(
                self.repos
                    .iter()
                    .map(|r| (r, self.rows_moved.get(r).copied().flatten())),
            )
            .with_every_scope(self.every_scope);
            self.run(codec::bump_data_version(&touched)).await?;
        }
        let store = self.tx.store().clone();
        self.tx.commit().await?;
        if self.first_load {
            store.return_to_wal().await;
        }
        Ok(IngestCommit {
            repos: self.repos.into_iter().collect(),
        })
    }

    /// Undoes every write, as dropping the transaction does, and puts a first load's store back
    /// in WAL (dropped, it stays in its rollback journal until it is opened again).
    pub async fn rollback(self) -> Result<(), StoreError> {
        let store = self.tx.store().clone();
        let rolled_back = self.tx.rollback().await;
        if self.first_load {
            store.return_to_wal().await;
        }
        rolled_back
    }

    /// [`Store::raw_events_after`] inside this transaction (replay reads the log while it
    /// rewrites the records; an in-memory SQLite store has a single connection).
    pub async fn raw_events_after(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RawEvent>, StoreError> {
        read_raw_events(&mut self.tx, after, limit).await
    }

    /// Marks the repositories of the deployments about to be written stale from the earliest
    /// time they touch: each deployment's new finish, and its old one if it was stored (a
    /// deployment that moved to another repository makes the old one stale throughout).
    async fn mark_deployments(
        &mut self,
        deployments: &BTreeMap<String, Deployment>,
    ) -> Result<(), StoreError> {
        let keys: Vec<&String> = deployments.keys().collect();
        for chunk in keys.chunks(500) {
            let statement = Statement::new(
                format!(
                    "SELECT key, repo, finished_at FROM deployment WHERE key IN ({})",
                    codec::placeholders(1, chunk.len())
                ),
                chunk.iter().map(|k| Value::text(k.as_str())).collect(),
            );
            let stored = self
                .tx
                .fetch_all(statement, |row| {
                    Ok((row.text("key")?, row.text("repo")?, row.int("finished_at")?))
                })
                .await?;
            for (key, repo, finished) in stored {
                let Some(new) = deployments.get(&key) else {
                    continue;
                };
                if new.repo.to_string() == repo {
                    self.mark_both(&new.repo, Some(finished));
                } else {
                    self.mark_both(&codec::repo(&repo, &key)?, None);
                }
            }
        }
        for deployment in deployments.values() {
            let finished = deployment.finished_at.timestamp();
            self.mark_both(&deployment.repo, Some(finished));
        }
        Ok(())
    }

    /// Marks `repo` stale, and its rows moved, from `from`.
    fn mark_both(&mut self, repo: &RepoSlug, from: Option<i64>) {
        queue::mark(&mut self.stale, repo, from);
        queue::mark(&mut self.rows_moved, repo, from);
    }

    /// Marks the rows of the repositories of `changes` moved from the earliest finish of the
    /// deployments that shipped them: a change record shows in held rows only through its
    /// shipment (which its derivation, marking for itself, may move), so an unshipped change
    /// moves no row (a mark past every time). A bulk write marks them whole: it derives
    /// everything after.
    async fn mark_shipped_changes(&mut self, changes: &[&Change]) -> Result<(), StoreError> {
        for change in changes {
            let moved = if self.bulk { None } else { Some(i64::MAX) };
            queue::mark(&mut self.rows_moved, &change.repo, moved);
        }
        if self.bulk {
            return Ok(());
        }
        for chunk in changes.chunks(500) {
            let statement = Statement::new(
                format!(
                    "SELECT d.repo, MIN(d.finished_at) AS earliest FROM deployment_change dc \
                     JOIN deployment d ON d.id = dc.deployment_id \
                     WHERE dc.change_id IN ({}) GROUP BY d.repo",
                    change_key::ids_keyed(
                        &change_key::values_from(1, chunk.len()),
                        "v.column1",
                        self.tx.is_postgres()
                    )
                ),
                chunk.iter().map(|c| Value::text(&c.key)).collect(),
            );
            let shipped = self
                .tx
                .fetch_all(statement, |row| {
                    let repo = row.text("repo")?;
                    Ok((codec::repo(&repo, &repo)?, row.int("earliest")?))
                })
                .await?;
            for (repo, earliest) in shipped {
                queue::mark(&mut self.rows_moved, &repo, Some(earliest));
            }
        }
        Ok(())
    }

    fn note_cause(&mut self, incident: &Incident) {
        if incident.cause.is_some() {
            self.with_cause.insert(incident.key.clone());
        }
    }

    /// Logs the raw events not logged yet; returns for each event whether it is new (the first
    /// of its delivery id in the batch, not logged before; an event without a raw form is).
    ///
    /// The delivery ids are inserted into `raw_delivery` first (a write, which on SQLite takes the
    /// write lock before anything is read): those it inserted are new. The new events' bodies are
    /// then packed together as one block (or `block`, when every event is new), with their
    /// delivery ids, and each gets its row referring to its rank in the block; a single new
    /// event is packed alone in its row.
    async fn log_raw(
        &mut self,
        events: &[LoggedEvent],
        block: Option<PackedBlock>,
        keys: Option<Vec<DeliveryKey>>,
    ) -> Result<Vec<bool>, StoreError> {
        let now = chrono::Utc::now();
        let raws = first_raws(events);
        let keys = keys.unwrap_or_else(|| delivery_keys(&raws));
        // In key order: neighbouring rows land on the same pages of the table.
        let mut order: Vec<usize> = (0..raws.len()).collect();
        order.sort_unstable_by_key(|&i| keys[i]);
        let mut claimed = vec![false; raws.len()];
        for chunk in order.chunks(codec::ROWS_PER_INSERT) {
            let deliveries: Vec<DeliveryKey> = chunk.iter().map(|&i| keys[i]).collect();
            let fresh = self.claim_deliveries(&deliveries).await?;
            for (&i, fresh) in chunk.iter().zip(fresh) {
                claimed[i] = fresh;
            }
        }
        let mut is_new: Vec<bool> = events.iter().map(|e| e.raw.is_none()).collect();
        for (&(event, _), &fresh) in raws.iter().zip(&claimed) {
            is_new[event] = fresh;
        }
        let logged = raws.len();
        let new: Vec<&NewRawEvent> = raws
            .iter()
            .zip(&claimed)
            .filter(|(_, fresh)| **fresh)
            .map(|((_, raw), _)| *raw)
            .collect();
        let rows = match new.as_slice() {
            [] => Vec::new(),
            [raw] => vec![vec![
                Value::text(&raw.source),
                Value::text(&raw.delivery_id),
                Value::time(now),
                Value::Bytes(packed::pack(&raw.body)),
                Value::int(1),
            ]],
            several => {
                // Packed ahead from the same events: the same block if all of them are new.
                let packed = match block {
                    Some(block) if several.len() == logged => block,
                    _ => PackedBlock::pack(several)?,
                };
                let block = self.insert_block(packed).await?;
                runs(several)
                    .into_iter()
                    .map(|(first, events)| {
                        let at = BlockRef {
                            block,
                            rank: u32::try_from(first).unwrap_or(u32::MAX),
                        };
                        vec![
                            Value::text(&several[first].source),
                            Value::opt_text(None::<String>),
                            Value::time(now),
                            Value::Bytes(at.encode()),
                            Value::int(events as i64),
                        ]
                    })
                    .collect()
            }
        };
        self.run(codec::insert_statements(
            "INSERT INTO raw_event (source, delivery_id, received_at, body, events)",
            "",
            rows,
        ))
        .await?;
        Ok(is_new)
    }

    /// Inserts the keys of the deliveries not logged yet (at most [`codec::ROWS_PER_INSERT`], each
    /// once); returns for each whether it inserted it.
    ///
    /// Returning the rows an insert added costs as much as the insert (about 3 µs a row on
    /// SQLite, where each row crosses to this thread) and a large batch (an import, a sync's
    /// page) is usually all new: so a large batch is inserted plainly inside a savepoint, and
    /// only if some of its rows were there already is that undone and the insert run again,
    /// returning the new rows.
    async fn claim_deliveries(
        &mut self,
        deliveries: &[DeliveryKey],
    ) -> Result<Vec<bool>, StoreError> {
        let insert = |tail: &str| {
            let rows = deliveries
                .iter()
                .map(|key| vec![Value::Bytes(key.to_vec())])
                .collect();
            codec::insert_statements("INSERT INTO raw_delivery (key)", tail, rows)
        };
        let savepoint = |sql: &'static str| Statement::new(sql, vec![]);
        if deliveries.len() >= PLAIN_CLAIM_ROWS {
            self.run(vec![savepoint("SAVEPOINT claim_deliveries")])
                .await?;
            let inserted = self.tx.execute_all(insert(CLAIM_TAIL)).await?;
            if inserted.iter().sum::<u64>() == deliveries.len() as u64 {
                self.run(vec![savepoint("RELEASE SAVEPOINT claim_deliveries")])
                    .await?;
                return Ok(vec![true; deliveries.len()]);
            }
            self.run(vec![
                savepoint("ROLLBACK TO SAVEPOINT claim_deliveries"),
                savepoint("RELEASE SAVEPOINT claim_deliveries"),
            ])
            .await?;
        }
        let mut fresh = HashSet::new();
        for statement in insert(&format!("{CLAIM_TAIL} RETURNING key")) {
            let added = self
                .tx
                .fetch_all(statement, |row| Ok(row.bytes("key")?.to_vec()));
            fresh.extend(added.await?);
        }
        Ok(deliveries
            .iter()
            .map(|key| fresh.contains(key.as_slice()))
            .collect())
    }

    /// Stores the delivery ids and bodies of `raws` as one block; its id.
    async fn insert_block(&mut self, packed: PackedBlock) -> Result<i64, StoreError> {
        self.tx
            .fetch_optional(
                Statement::new(
                    "INSERT INTO raw_block (body) VALUES ($1) RETURNING id",
                    vec![Value::Bytes(packed.0)],
                ),
                |row| Ok(row.int("id")?),
            )
            .await?
            .ok_or_else(|| StoreError::corrupt("raw event block", "new", "no id returned"))
    }

    /// Registers the repositories seen so far (a repository row per slug, as the upserts do).
    async fn register_repos(&mut self) -> Result<(), StoreError> {
        let rows = self
            .repos
            .iter()
            .map(|r| {
                vec![
                    Value::text(r.to_string()),
                    Value::text(r.owner()),
                    Value::text(r.name()),
                ]
            })
            .collect();
        self.run(codec::insert_statements(
            "INSERT INTO repository (slug, owner, name)",
            "ON CONFLICT (slug) DO NOTHING",
            rows,
        ))
        .await
    }

    async fn upsert_incidents(&mut self, incidents: Vec<Incident>) -> Result<(), StoreError> {
        let mut statements = codec::insert_statements(
            &format!("INSERT INTO incident ({})", codec::INCIDENT_COLUMNS),
            &upsert_tail(codec::INCIDENT_COLUMNS),
            incidents.iter().map(codec::incident_values).collect(),
        );
        let keys: Vec<&str> = incidents.iter().map(|i| i.key.as_str()).collect();
        statements.extend(causes::of_incidents(&keys));
        self.run(statements).await
    }

    async fn run(&mut self, statements: Vec<Statement>) -> Result<(), StoreError> {
        self.tx.execute_all(statements).await?;
        Ok(())
    }
}

/// From this many delivery ids on, [`IngestTransaction::claim_deliveries`] inserts them plainly
/// first: below it, the savepoint's two more statements (round trips on PostgreSQL) would cost
/// more than returning the rows.
const PLAIN_CLAIM_ROWS: usize = 64;

/// A delivery already logged is left as it is.
const CLAIM_TAIL: &str = "ON CONFLICT (key) DO NOTHING";

/// How many events one row of the raw log may stand for: a row's events are numbered from its
/// id times this ([`RawEvent::id`]).
const EVENTS_PER_ROW: usize = 1 << 16;

/// The rows a block's events are logged as: runs of consecutive events of one source, each
/// `(rank of its first event, events)`, at most [`EVENTS_PER_ROW`] events each. An import's block
/// is one row, where it was a row per event (21 MB of the 100,000-deployment benchmark's log).
fn runs(raws: &[&NewRawEvent]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (rank, raw) in raws.iter().enumerate() {
        match runs.last_mut() {
            Some((first, events))
                if *events < EVENTS_PER_ROW && raws[*first].source == raw.source =>
            {
                *events += 1
            }
            _ => runs.push((rank, 1)),
        }
    }
    runs
}

/// The keys of `raws` in `raw_delivery`, in order.
fn delivery_keys(raws: &[(usize, &NewRawEvent)]) -> Vec<DeliveryKey> {
    raws.iter()
        .map(|(_, raw)| delivery_key(&raw.source, &raw.delivery_id))
        .collect()
}

/// The raw events of a batch logged, in order, each with its place among the batch's events: the
/// first of each delivery id.
fn first_raws(events: &[LoggedEvent]) -> Vec<(usize, &NewRawEvent)> {
    let mut seen = HashSet::new();
    events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| Some((i, e.raw.as_ref()?)))
        .filter(|(_, raw)| seen.insert((raw.source.as_str(), raw.delivery_id.as_str())))
        .collect()
}

/// A batch's work that needs nothing from the store, done ahead of its write on another thread:
/// an import prepares each batch on its reading thread while the one before is written, which
/// takes about a third of the writing task's work off it. Used as it is when every event of the
/// batch is new, as an import's nearly always are; otherwise the write does it again for the new
/// ones.
pub struct PreparedBatch {
    /// None when packing failed: the write packs again and says why.
    block: Option<PackedBlock>,
    /// The keys of the deliveries of [`first_raws`] (two digests each).
    keys: Vec<DeliveryKey>,
    records: RecordStatements,
}

/// What [`PreparedBatch::of`] needs to know of the transaction its batch is written into
/// ([`IngestTransaction::batch_form`]).
#[derive(Debug, Clone, Copy)]
pub struct BatchForm {
    sha_form: ShaForm,
    /// A bulk write into a store holding changes notes the keys of those it writes
    /// (`bulk::remember_written_changes`).
    notes_written_changes: bool,
}

impl PreparedBatch {
    /// The work of writing `events`, when all of them are new, into the transaction whose
    /// `form` this is.
    pub fn of(events: &[LoggedEvent], form: BatchForm) -> Self {
        let mut changes: BTreeMap<&str, &Change> = BTreeMap::new();
        let mut deployments: BTreeMap<&str, &Deployment> = BTreeMap::new();
        for record in events.iter().filter_map(|e| e.record.as_ref()) {
            match record {
                EventRecord::Change(c) => {
                    changes.insert(&c.key, c);
                }
                EventRecord::Deployment(d) => {
                    deployments.insert(&d.key, d);
                }
                _ => {}
            }
        }
        Self {
            block: PackedBlock::of(events).ok(),
            keys: delivery_keys(&first_raws(events)),
            records: RecordStatements::of(
                changes.into_values(),
                deployments.into_values(),
                form.notes_written_changes,
                form.sha_form,
            ),
        }
    }
}

/// The statements writing a batch's latest version of each change and deployment, in key order.
struct RecordStatements {
    changes: Vec<Statement>,
    /// The changes' keys, for a bulk write that notes them (`bulk::remember_written_changes`);
    /// none otherwise.
    written_changes: Vec<Statement>,
    deployments: Vec<Statement>,
}

impl RecordStatements {
    fn of<'a>(
        changes: impl Iterator<Item = &'a Change>,
        deployments: impl Iterator<Item = &'a Deployment>,
        notes_written_changes: bool,
        form: ShaForm,
    ) -> Self {
        let changes: Vec<&Change> = changes.collect();
        Self {
            changes: codec::insert_statements(
                codec::CHANGE_INSERT,
                codec::CHANGE_UPSERT,
                changes
                    .iter()
                    .map(|c| codec::change_values(c, form))
                    .collect(),
            ),
            written_changes: if notes_written_changes {
                bulk::remember_written_changes(&changes)
            } else {
                Vec::new()
            },
            deployments: codec::insert_statements(
                codec::DEPLOYMENT_INSERT,
                codec::DEPLOYMENT_UPSERT,
                deployments
                    .map(|d| codec::deployment_values(d, form))
                    .collect(),
            ),
        }
    }
}

/// A batch's raw events packed as one block (compression is most of a block's cost).
struct PackedBlock(Vec<u8>);

impl PackedBlock {
    /// The block of `events` as [`IngestTransaction::write_prepared`] logs them when all are new.
    fn of(events: &[LoggedEvent]) -> Result<Self, StoreError> {
        let raws: Vec<&NewRawEvent> = first_raws(events).into_iter().map(|(_, r)| r).collect();
        Self::pack(&raws)
    }

    fn pack(raws: &[&NewRawEvent]) -> Result<Self, StoreError> {
        let fields: Vec<&str> = raws
            .iter()
            .flat_map(|raw| [raw.delivery_id.as_str(), raw.body.as_str()])
            .collect();
        Ok(Self(packed::pack_block(&fields)?))
    }
}

/// A row of the raw log as stored: its body may be a reference into a block (to the first of
/// its `events`), which holds its delivery ids too when the row does not.
struct StoredRaw {
    id: i64,
    source: String,
    delivery_id: Option<String>,
    received_at: i64,
    body: Vec<u8>,
    events: i64,
}

/// Rows of the raw log read per query while a page is gathered: a row may stand for a whole
/// block of events.
const ROWS_PER_READ: i64 = 64;

/// Up to `limit` logged events after the one with id `after`, in arrival order; each block their
/// bodies are kept in is read and unpacked once.
async fn read_raw_events(
    tx: &mut Transaction,
    after: i64,
    limit: i64,
) -> Result<Vec<RawEvent>, StoreError> {
    let per_row = EVENTS_PER_ROW as i64;
    // The row holding `after` may hold later events too.
    let mut next_row = after.div_euclid(per_row);
    let mut rows = Vec::new();
    let mut events = 0;
    while events < limit {
        let page = tx
            .fetch_all(
                Statement::new(
                    "SELECT id, source, delivery_id, received_at, body, events FROM raw_event \
                     WHERE id >= $1 ORDER BY id LIMIT $2",
                    vec![Value::int(next_row), Value::int(ROWS_PER_READ)],
                ),
                |row| {
                    Ok(StoredRaw {
                        id: row.int("id")?,
                        source: row.text("source")?,
                        delivery_id: row.opt_text("delivery_id")?,
                        received_at: row.int("received_at")?,
                        body: row.bytes("body")?.to_vec(),
                        events: row.int("events")?,
                    })
                },
            )
            .await?;
        let Some(last) = page.last() else { break };
        next_row = last.id + 1;
        events += page
            .iter()
            .map(|row| {
                (0..row.events)
                    .filter(|i| row.id * per_row + i > after)
                    .count() as i64
            })
            .sum::<i64>();
        rows.extend(page);
    }
    let ids: Vec<i64> = rows
        .iter()
        .filter_map(|row| BlockRef::decode(&row.body))
        .map(|at| at.block)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut blocks: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let statement = Statement::new(
            format!(
                "SELECT id, body FROM raw_block WHERE id IN ({})",
                codec::placeholders(1, chunk.len())
            ),
            chunk.iter().map(|id| Value::int(*id)).collect(),
        );
        // Unpacked from the row's bytes as each arrives: no copy of the packed block is kept.
        let unpacked = tx
            .fetch_all(statement, |row| {
                let id = row.int("id")?;
                Ok((id, packed::unpack_block(row.bytes("body")?, id)?))
            })
            .await?;
        blocks.extend(unpacked);
    }
    let mut read = Vec::new();
    for row in &rows {
        for i in 0..row.events {
            let id = row.id * per_row + i;
            if id <= after {
                continue;
            }
            if read.len() as i64 >= limit {
                return Ok(read);
            }
            let (delivery_id, body) = unpack_event(row, i, &mut blocks)?;
            read.push(RawEvent {
                id,
                source: row.source.clone(),
                received_at: codec::time(row.received_at, "received_at", &delivery_id)?,
                body,
                delivery_id,
            });
        }
    }
    Ok(read)
}

/// The delivery id and body of the `i`-th event of `row`, moved out of its block if it is kept
/// in one.
fn unpack_event(
    row: &StoredRaw,
    i: i64,
    blocks: &mut HashMap<i64, Vec<String>>,
) -> Result<(String, String), StoreError> {
    let Some(at) = BlockRef::decode(&row.body) else {
        let id = row.delivery_id.clone().ok_or_else(|| {
            StoreError::corrupt("raw event", &row.id.to_string(), "no delivery id")
        })?;
        let body = packed::unpack(&row.body, &id)?;
        return Ok((id, body));
    };
    let rank = at.rank as usize + i as usize;
    let missing = || {
        StoreError::corrupt(
            "raw event body",
            row.delivery_id.as_deref().unwrap_or("in a block"),
            format!("no event {rank} in block {}", at.block),
        )
    };
    let mut fields = blocks.get_mut(&at.block);
    // Each place in a block belongs to one event: moved out, not copied.
    let mut take = |field: usize| {
        fields
            .as_deref_mut()
            .and_then(|fields| fields.get_mut(field))
            .map(std::mem::take)
            .ok_or_else(missing)
    };
    match &row.delivery_id {
        // Logged before blocks held delivery ids: the block holds bodies only.
        Some(id) => Ok((id.clone(), take(rank)?)),
        None => Ok((take(2 * rank)?, take(2 * rank + 1)?)),
    }
}

/// `ON CONFLICT (key) DO UPDATE SET c = excluded.c, ...` for every column but the key, so these
/// upserts follow the column lists the rest of the store uses.
fn upsert_tail(columns: &str) -> String {
    let sets: Vec<String> = columns
        .split(',')
        .map(str::trim)
        .filter(|c| *c != "key")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!("ON CONFLICT (key) DO UPDATE SET {}", sets.join(", "))
}

/// The statement merging one lifecycle event into the stored incident (or inserting it). The
/// incident's description (repository, team, title) is the event's; it opened at the earliest
/// time any of its events reports (a resolution that arrives first, or alone, knows no better
/// than its own time); its explicit cause is kept; whether and when it was resolved follows the
/// transition:
/// - open: unchanged (a new incident is open);
/// - resolved at t: the later of t and any stored resolution;
/// - reopened at t: open, unless the stored resolution is later than t (events out of order).
fn update_statement(update: &IncidentUpdate) -> Statement {
    let mut values = codec::incident_values(&update.incident);
    // `resolved_at` is the sixth column of INCIDENT_COLUMNS.
    let (resolved, merge) = match update.transition {
        IncidentTransition::Open => (None, "incident.resolved_at".to_string()),
        IncidentTransition::Resolved(t) => (
            Some(t),
            "CASE WHEN incident.resolved_at IS NOT NULL \
             AND incident.resolved_at > excluded.resolved_at \
             THEN incident.resolved_at ELSE excluded.resolved_at END"
                .to_string(),
        ),
        IncidentTransition::Reopened(t) => (
            None,
            format!(
                "CASE WHEN incident.resolved_at IS NOT NULL AND incident.resolved_at > {} \
                 THEN incident.resolved_at ELSE NULL END",
                t.timestamp()
            ),
        ),
    };
    values[5] = Value::opt_time(resolved);
    Statement::new(
        format!(
            "INSERT INTO incident ({}) VALUES ({}) ON CONFLICT (key) DO UPDATE SET \
             repo = excluded.repo, team = excluded.team, title = excluded.title, \
             opened_at = CASE WHEN incident.opened_at < excluded.opened_at \
             THEN incident.opened_at ELSE excluded.opened_at END, \
             source = excluded.source, resolved_at = {merge}",
            codec::INCIDENT_COLUMNS,
            codec::placeholders(1, values.len()),
        ),
        values,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upserts_set_every_column_but_the_key() {
        assert_eq!(
            upsert_tail("key, repo, title"),
            "ON CONFLICT (key) DO UPDATE SET repo = excluded.repo, title = excluded.title"
        );
    }

    #[test]
    fn incident_updates_bind_the_resolution_in_the_resolved_at_column() {
        let columns: Vec<&str> = codec::INCIDENT_COLUMNS.split(", ").collect();
        assert_eq!(columns[5], "resolved_at");
    }
}
