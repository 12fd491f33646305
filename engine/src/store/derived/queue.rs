//! Derivation still to do, recorded in the store (`derivation_queue`) rather than in a process.
//!
//! Every write of records queues the repositories it made stale, in its own transaction
//! ([`enqueue`], which also moves the row's generation); a derivation deletes its repository's
//! row in the transaction that writes the derived rows, if no write queued it again meanwhile
//! (same generation). So the queue and the derived rows never disagree: a process killed mid-derivation
//! rolls both back, and whichever process starts next ([`Store::derive_all_queued`], the
//! background worker of `serve`) derives the repository again, to the same figures.
//!
//! On PostgreSQL several processes may drain the queue at once: each derivation holds its
//! repository's advisory lock, so a second process waits for the first, then finds the row gone
//! and does nothing; the same repository is never derived twice at once.

use super::{ReanalyzeReport, Store, StoreError};
use crate::analysis::AnalysisOptions;
use crate::model::RepoSlug;
use crate::store::codec::{self, Statement, Touched, Value};
use crate::store::tx::Transaction;
use std::collections::BTreeMap;

/// Repositories made stale by a write, each with the earliest time it can affect: the queue
/// re-derives from the successful deployments finished at or after it (None: the whole history).
pub(crate) type Stale = BTreeMap<RepoSlug, Option<i64>>;

/// Marks `repo` stale from `from` (None: its whole history), keeping the earliest of two marks.
pub(crate) fn mark(stale: &mut Stale, repo: &RepoSlug, from: Option<i64>) {
    stale
        .entry(repo.clone())
        .and_modify(|known| *known = earliest(*known, from))
        .or_insert(from);
}

fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => None,
    }
}

/// The statements queuing the stale repositories; written in the transaction of the write that
/// made them stale, just before its data version bump. A repository already queued keeps the
/// earlier of the two times. Rows go in repository order, so concurrent writers on PostgreSQL
/// lock them in the same order.
pub(crate) fn enqueue(stale: &Stale) -> Vec<Statement> {
    let now = chrono::Utc::now().timestamp();
    let rows = stale
        .iter()
        .map(|(repo, from)| {
            vec![
                Value::text(repo.to_string()),
                Value::Int(*from),
                Value::int(now),
            ]
        })
        .collect();
    codec::insert_statements(
        "INSERT INTO derivation_queue (repo, from_at, queued_at)",
        "ON CONFLICT (repo) DO UPDATE SET from_at = CASE \
         WHEN derivation_queue.from_at IS NULL OR excluded.from_at IS NULL THEN NULL \
         WHEN excluded.from_at < derivation_queue.from_at THEN excluded.from_at \
         ELSE derivation_queue.from_at END, \
         generation = derivation_queue.generation + 1",
        rows,
    )
}

/// The version of the derivation rules (`crate::analysis`): bump it with any change to what they
/// derive, so stores derived by an older version derive everything again when upgraded.
const RULES: u32 = 2;

/// What the options that shape the derived rows look like in `derivation_options`.
fn fingerprint(options: &AnalysisOptions) -> String {
    format!(
        "rules={RULES};environment={};since={};attribution_window={}",
        options.environment.to_lowercase(),
        options
            .since
            .map_or_else(|| "none".to_string(), |t| t.timestamp().to_string()),
        options.attribution_window.num_seconds()
    )
}

/// A repository's row in the queue as a derivation found it.
pub(super) struct Claim {
    /// The derivation covers the successful deployments finished from then (None: everything).
    pub(super) from: Option<i64>,
    /// Moved by every write queuing the repository ([`enqueue`]).
    pub(super) generation: i64,
}

/// The queue row of `repo`, read inside `tx` (which holds the repository's lock): None when it
/// is not queued. On SQLite a write, which takes the write lock before anything is read (one
/// writer anyway); on PostgreSQL a plain read, so that writes queuing the repository meanwhile do
/// not wait for the whole derivation on the row's lock.
pub(super) async fn claim(
    tx: &mut Transaction,
    repo: &RepoSlug,
) -> Result<Option<Claim>, StoreError> {
    let claim = if tx.is_postgres() {
        "SELECT from_at, generation FROM derivation_queue WHERE repo = $1"
    } else {
        "UPDATE derivation_queue SET generation = generation WHERE repo = $1 \
         RETURNING from_at, generation"
    };
    tx.fetch_optional(
        Statement::new(claim, vec![Value::text(repo.to_string())]),
        |row| {
            Ok(Claim {
                from: row.opt_int("from_at")?,
                generation: row.int("generation")?,
            })
        },
    )
    .await
}

/// Takes `repo` off the queue at the end of its derivation, unless a write queued it again since
/// the claim: it is then derived again, from the earlier of the two marks.
pub(super) async fn release(
    tx: &mut Transaction,
    repo: &RepoSlug,
    generation: i64,
) -> Result<(), StoreError> {
    tx.execute(Statement::new(
        "DELETE FROM derivation_queue WHERE repo = $1 AND generation = $2",
        vec![Value::text(repo.to_string()), Value::int(generation)],
    ))
    .await?;
    Ok(())
}

impl Store {
    /// The repositories waiting for derivation, oldest first.
    pub async fn queued_derivations(&self) -> Result<Vec<RepoSlug>, StoreError> {
        self.fetch_all(
            Statement::new(
                "SELECT repo FROM derivation_queue ORDER BY queued_at, repo",
                vec![],
            ),
            |row| {
                let slug = row.text("repo")?;
                codec::repo(&slug, &slug)
            },
        )
        .await
    }

    /// Derives `repo` if it is queued, in one transaction that also takes it off the queue.
    /// None when it was not queued (nothing to do, or another process just did it).
    pub async fn derive_queued(
        &self,
        repo: &RepoSlug,
        options: &AnalysisOptions,
    ) -> Result<Option<ReanalyzeReport>, StoreError> {
        let started = std::time::Instant::now();
        let mut tx = self.begin().await?;
        super::lock_repository(&mut tx, repo).await?;
        let Some(Claim { from, generation }) = claim(&mut tx, repo).await? else {
            return Ok(None);
        };
        let mut report = ReanalyzeReport::default();
        let slug = repo.to_string();
        let before = super::moved::before(&mut tx, &slug, from.is_some()).await?;
        let links_foreign_incidents =
            super::analyse_in(&mut tx, repo, options, from, &mut report).await?;
        release(&mut tx, repo, generation).await?;
        // Changes deployed before `from` keep their rows (see `resume`), and deployments before
        // it their flags, but for those blamed anew or no longer; a whole derivation marks from
        // the first deployment whose rows moved (see `moved`).
        let moved_from = super::moved::mark(&mut tx, &slug, before, from).await?;
        let touched =
            Touched::repos_from([(repo, moved_from)]).with_every_scope(links_foreign_incidents);
        tx.execute_all(codec::bump_data_version(&touched)).await?;
        tx.commit().await?;
        // Where a delivery's time goes, for `RUST_LOG=engine=debug`.
        tracing::debug!(
            %repo,
            incremental = from.is_some(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "derived"
        );
        Ok(Some(report))
    }

    /// Derives every queued repository, those queued meanwhile included, until none is left.
    pub async fn derive_all_queued(
        &self,
        options: &AnalysisOptions,
    ) -> Result<ReanalyzeReport, StoreError> {
        self.derive_all_queued_telling(options, |_| {}).await
    }

    /// [`Self::derive_all_queued`], telling `derived` each repository whose derivation it
    /// committed, as it goes: an import stores the repository's row copies meanwhile.
    pub async fn derive_all_queued_telling(
        &self,
        options: &AnalysisOptions,
        mut derived: impl FnMut(&RepoSlug),
    ) -> Result<ReanalyzeReport, StoreError> {
        let mut total = ReanalyzeReport::default();
        loop {
            let queued = self.queued_derivations().await?;
            let mut any = false;
            for repo in &queued {
                if let Some(report) = self.derive_queued(repo, options).await? {
                    total.add(&report);
                    derived(repo);
                    any = true;
                }
            }
            if !any {
                return Ok(total);
            }
        }
    }

    /// Queues every repository's whole history when the derived rows follow other options than
    /// `options` (or none recorded yet: a store older than the queue), and records `options`.
    /// Returns whether it queued them.
    pub async fn queue_all_if_options_changed(
        &self,
        options: &AnalysisOptions,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let changed = tx
            .execute(Statement::new(
                "INSERT INTO derivation_options (id, fingerprint) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint \
                 WHERE derivation_options.fingerprint <> excluded.fingerprint",
                vec![Value::text(fingerprint(options))],
            ))
            .await?
            > 0;
        if changed {
            tx.execute(Statement::new(
                "INSERT INTO derivation_queue (repo, queued_at) \
                 SELECT slug, $1 FROM repository WHERE true \
                 ON CONFLICT (repo) DO UPDATE SET from_at = NULL",
                vec![Value::int(chrono::Utc::now().timestamp())],
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}
