//! What this process knows of the store's versions per repository, kept up to date with one
//! cheap read per question.
//!
//! Every write stamps the repositories it touched (or `*`, every scope) with the data version it
//! bumped to, in its transaction (see `subject_version` in the migrations). The process remembers
//! the highest version it has seen and asks only for the stamps above it: usually no row. Because
//! writers take the data version's row lock until they commit, versions become visible in order,
//! so nothing below the highest version seen can appear later. That holds across processes: any
//! replica or collector writing to the same database is seen by the next question.

use crate::model::RepoSlug;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The subject of writes that may change any scope.
const EVERY_SCOPE: &str = "*";

#[derive(Default)]
struct Known {
    /// The highest version seen: every stamp up to it is in `versions`.
    seen: i64,
    versions: HashMap<String, i64>,
}

fn known() -> &'static Mutex<HashMap<u64, Known>> {
    static KNOWN: OnceLock<Mutex<HashMap<u64, Known>>> = OnceLock::new();
    KNOWN.get_or_init(Mutex::default)
}

/// The versions of a store as of one catch-up read.
#[derive(Debug, Clone, Default)]
pub struct Versions {
    latest: i64,
    every_scope: i64,
    repos: HashMap<String, i64>,
}

impl Versions {
    /// The version of a repository's facts (its held rows): its latest write. A write stamping
    /// every scope also stamps each repository whose facts it changed, so it does not move this.
    pub fn of_repo(&self, repo: &RepoSlug) -> i64 {
        self.repos.get(&repo.to_string()).copied().unwrap_or(0)
    }

    /// The highest version seen: anything written since moves it.
    pub fn latest(&self) -> i64 {
        self.latest
    }

    /// The latest write that may have changed any scope (incidents, teams, deletions).
    pub fn every_scope(&self) -> i64 {
        self.every_scope
    }

    /// The version of a scope's answers: the latest write to any of its repositories or to every
    /// scope. An answer made at this version is valid while it does not move.
    pub fn of_scope(&self, repos: &[RepoSlug]) -> i64 {
        repos
            .iter()
            .map(|r| self.of_repo(r))
            .max()
            .unwrap_or(0)
            .max(self.every_scope)
    }
}

/// Catches up with the writes since the last call (one read) and returns the versions of the
/// repositories in `repos`.
pub async fn current(store: &Store, repos: &[RepoSlug]) -> Result<Versions, StoreError> {
    let since = lock().get(&store.id()).map_or(0, |k| k.seen);
    let stamps = store.versions_after(since).await?;
    let mut all = lock();
    let known = all.entry(store.id()).or_default();
    for (subject, version) in stamps {
        known.seen = known.seen.max(version);
        let entry = known.versions.entry(subject).or_insert(version);
        *entry = (*entry).max(version);
    }
    let version = |subject: &str| known.versions.get(subject).copied().unwrap_or(0);
    Ok(Versions {
        latest: known.seen,
        every_scope: version(EVERY_SCOPE),
        repos: repos
            .iter()
            .map(|r| {
                let slug = r.to_string();
                let v = version(&slug);
                (slug, v)
            })
            .collect(),
    })
}

/// The repositories (slugs) written after `version`, as far as this process has caught up with
/// the store (see [`current`]); `*` for writes that may change any scope is not among them.
pub fn repos_written_after(store: &Store, version: i64) -> Vec<String> {
    lock().get(&store.id()).map_or_else(Vec::new, |known| {
        known
            .versions
            .iter()
            .filter(|(subject, v)| **v > version && subject.as_str() != EVERY_SCOPE)
            .map(|(subject, _)| subject.clone())
            .collect()
    })
}

fn lock() -> std::sync::MutexGuard<'static, HashMap<u64, Known>> {
    // A panic while holding the lock leaves the map consistent (each update is a max).
    known()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
