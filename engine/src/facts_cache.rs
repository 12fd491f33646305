//! Each repository's facts in memory, as narrow rows sorted by time ([`crate::metrics::rows`]),
//! loaded on first use and reloaded only when that repository's version moves
//! ([`crate::freshness`]).
//!
//! An organisation-wide question then reads nothing from the database but the versions and the
//! period's incidents: its repositories' rows are already here, and a write to one repository
//! reloads that repository alone. Rows are kept per store, environment and noise filters (a
//! change's row says whether the filters leave it out). Memory grows with the history held: about
//! 64 bytes per shipped change and 16 per deployment.

use crate::filters::NoiseFilters;
use crate::freshness::Versions;
use crate::metrics::change_index::ChangeIndex;
use crate::metrics::facts::IncidentFact;
use crate::metrics::rows::{ChangeRow, sort_by_time};
use crate::model::RepoSlug;
use crate::store::{PackedCopy, RepoRows, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// How many repositories' records one read takes (about 12,000 changes each in the 100k-deployment
/// benchmark organisation): what the driver materialises at once stays bounded.
const REPOS_PER_READ: usize = 8;

/// Rows of one repository and the version they were read at (or after).
#[derive(Debug)]
pub struct Held {
    pub version: i64,
    pub rows: RepoRows,
    /// Names these change rows: kept by rows that replace them with the same changes, new
    /// otherwise (what a [`GroupIndex`] was built from).
    generation: u64,
    /// The changes indexed for lead-time figures, once the repository is asked about again.
    index: LazyIndex,
    /// The rows these replaced, when their changes differ only from some time on.
    replaced: Option<Replaced>,
}

/// Rows replaced after a write that moved their changes from `moved` on: the index built for
/// them (if it was) answers for the changes deployed before, and the new rows' index (or their
/// group's) indexes only the others anew ([`ChangeIndex::extending`]).
#[derive(Debug)]
struct Replaced {
    generation: u64,
    moved: i64,
    index: Option<Arc<ChangeIndex>>,
}

/// Up to how many changes a rebuilt index indexes anew on top of the older one (and at least a
/// quarter of all its changes): past that it is built whole again, and becomes the older part
/// of the next ones.
const RECENT_CHANGES: usize = 4_096;

/// The index of `total` changes, replacing `previous` after a write that moved them from the
/// time given with it: the older index for the changes before, `recent` (the sorted changes
/// from a time on) indexed anew, when they are few enough; else `whole`.
fn rebuilt(
    previous: Option<(&Arc<ChangeIndex>, i64)>,
    total: usize,
    recent: impl FnOnce(i64) -> Vec<ChangeRow>,
    whole: impl FnOnce() -> ChangeIndex,
) -> ChangeIndex {
    if let Some((previous, moved)) = previous {
        let (earlier, cut) = ChangeIndex::reusable(previous, moved);
        let recent = recent(cut);
        if recent.len() <= RECENT_CHANGES.max(total / 4) {
            return ChangeIndex::extending(earlier, cut, &recent);
        }
    }
    whole()
}

/// When `new` (sorted by time) first differs from `old`: every change deployed before is in
/// both. None when they are the same.
fn first_moved(old: &[ChangeRow], new: &[ChangeRow]) -> Option<i64> {
    let p = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    [old.get(p), new.get(p)]
        .into_iter()
        .flatten()
        .map(|c| c.deployed_at)
        .min()
}

/// A change index built from the second time it is asked for (or at once when it replaces one
/// that was built).
///
/// An index costs more to build than one question scanning the changes saves: a one-shot
/// process (`doraboard metrics`) never builds one, a server builds each from the second
/// question on, and again at once for rows reloaded after a write.
#[derive(Debug)]
struct LazyIndex {
    index: OnceLock<Arc<ChangeIndex>>,
    /// A question has read the rows (or the older rows they replaced had an index).
    asked: AtomicBool,
}

impl LazyIndex {
    fn new(asked: bool) -> Self {
        Self {
            index: OnceLock::new(),
            asked: AtomicBool::new(asked),
        }
    }

    /// The index if asked for before, built now with `build` if needed; None the first time
    /// (marking it asked).
    fn if_asked_before(&self, build: impl FnOnce() -> ChangeIndex) -> Option<&ChangeIndex> {
        if let Some(index) = self.index.get() {
            return Some(index);
        }
        if !self.asked.swap(true, Ordering::Relaxed) {
            return None;
        }
        Some(self.index.get_or_init(|| Arc::new(build())))
    }

    fn mark_asked(&self) {
        self.asked.store(true, Ordering::Relaxed);
    }

    fn build(&self, build: impl FnOnce() -> Arc<ChangeIndex>) {
        self.index.get_or_init(build);
    }

    fn built(&self) -> Option<&Arc<ChangeIndex>> {
        self.index.get()
    }
}

impl Held {
    fn new(
        version: i64,
        rows: RepoRows,
        generation: Option<u64>,
        asked: bool,
        replaced: Option<Replaced>,
    ) -> Self {
        static GENERATIONS: AtomicU64 = AtomicU64::new(0);
        Self {
            version,
            rows,
            generation: generation
                .unwrap_or_else(|| GENERATIONS.fetch_add(1, Ordering::Relaxed) + 1),
            index: LazyIndex::new(asked),
            replaced,
        }
    }

    /// The index of the changes if this repository was asked about before, built now if needed;
    /// None the first time (marking it asked): a one-shot process never builds one, a server
    /// from the second question on.
    pub fn index_if_asked_before(&self) -> Option<&ChangeIndex> {
        self.index.if_asked_before(|| {
            let changes = &self.rows.changes;
            let previous = self
                .replaced
                .as_ref()
                .and_then(|r| Some((r.index.as_ref()?, r.moved)));
            rebuilt(
                previous,
                changes.len(),
                |cut| changes[changes.partition_point(|c| c.deployed_at < cut)..].to_vec(),
                || ChangeIndex::new(changes),
            )
        })
    }
}

/// Which rows: a store, an environment and the filters' settings rendered to text.
type ShelfKey = (u64, String, String);

/// The rows held for one shelf key, by repository.
type Shelf = HashMap<RepoSlug, Arc<Held>>;

fn shelves() -> MutexGuard<'static, HashMap<ShelfKey, Shelf>> {
    static SHELVES: OnceLock<Mutex<HashMap<ShelfKey, Shelf>>> = OnceLock::new();
    // Each update replaces whole entries: a panic elsewhere cannot leave one half-written.
    SHELVES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The rows of `repos` at `versions`, reading (in one batch) only the repositories not held
/// or held at an older version. `filters_key` names the settings `filters` were built from.
pub async fn repo_rows(
    store: &Store,
    repos: &[RepoSlug],
    versions: &Versions,
    environment: &str,
    filters: &NoiseFilters,
    filters_key: &str,
) -> Result<Vec<Arc<Held>>, StoreError> {
    let key = shelf_key(store, environment, filters_key);
    // Repositories not held (`None`), or held at an older version (the rows held).
    let find_stale = || -> Vec<(RepoSlug, Option<Arc<Held>>)> {
        let shelves = shelves();
        let shelf = shelves.get(&key);
        repos
            .iter()
            .filter_map(|r| match shelf.and_then(|s| s.get(r)) {
                None => Some((r.clone(), None)),
                Some(held) if held.version < versions.of_repo(r) => {
                    Some((r.clone(), Some(held.clone())))
                }
                Some(_) => None,
            })
            .collect()
    };
    // One load at a time: a question asked while the warm-up (or another question) loads the
    // same repositories waits for those rows instead of reading and decoding them a second time.
    static LOADING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let mut stale = find_stale();
    let _loading = if stale.is_empty() {
        None
    } else {
        let guard = LOADING.lock().await;
        stale = find_stale();
        Some(guard)
    };
    if !stale.is_empty() {
        let loaded = load(store, &stale, versions, environment, filters, filters_key).await?;
        let mut shelves = shelves();
        let shelf = shelves.entry(key.clone()).or_default();
        for (repo, version, rows) in loaded {
            let old = shelf.get(&repo);
            // A write that moved deployments or incidents only leaves the changes, and so their
            // index, as they were: kept rather than built again.
            let same_changes = old.filter(|old| old.rows.changes == rows.changes);
            // Rows replacing indexed ones are indexed at once: the repository is asked about.
            let old_index = old.and_then(|old| old.index.built());
            let replaced = old.filter(|_| same_changes.is_none()).and_then(|old| {
                Some(Replaced {
                    generation: old.generation,
                    moved: first_moved(&old.rows.changes, &rows.changes)?,
                    index: old.index.built().cloned(),
                })
            });
            let held = Held::new(
                version,
                rows,
                same_changes.map(|old| old.generation),
                old_index.is_some(),
                replaced,
            );
            if let Some(index) = same_changes.and_then(|old| old.index.built()) {
                held.index.build(|| Arc::clone(index));
            }
            shelf.insert(repo, Arc::new(held));
        }
    }
    let shelves = shelves();
    let shelf = shelves.get(&key);
    Ok(repos
        .iter()
        .filter_map(|r| shelf.and_then(|s| s.get(r)).cloned())
        .collect())
}

/// Builds the change indexes of these groups and of these repositories held alone (a server
/// warming up: its questions then read indexes from the first).
pub fn index_held(groups: &[(Arc<GroupIndex>, Vec<Arc<Held>>)], alone: &[Arc<Held>]) {
    // All marked first: a question asked meanwhile builds the indexes not built yet itself (on
    // its own core) rather than scanning every change while this builds them one by one. It
    // walks them in order, this from the end: the two meet halfway.
    for (group, _) in groups {
        group.index.mark_asked();
    }
    for h in alone {
        h.index.mark_asked();
    }
    for h in alone.iter().rev() {
        h.index
            .build(|| Arc::new(ChangeIndex::new(&h.rows.changes)));
    }
    for (group, members) in groups.iter().rev() {
        let members: Vec<&Held> = members.iter().map(|h| &**h).collect();
        group.index.build(|| Arc::new(merged_index(&members)));
    }
}

/// Which rows: a store, an environment and the filters' settings.
fn shelf_key(store: &Store, environment: &str, filters_key: &str) -> ShelfKey {
    (
        store.id(),
        environment.to_lowercase(),
        filters_key.to_string(),
    )
}

/// The changes of several repositories (a team's) indexed together: a quantile over many
/// repositories descends one index per group instead of one per repository (at 1,000,000
/// deployments, 80 teams' indexes instead of 400 repositories'). Built, like a repository's, from
/// the second question on; again after a write to any member, from the members' rows.
#[derive(Debug)]
pub struct GroupIndex {
    /// The members' change generations it is (to be) built from.
    generations: Vec<u64>,
    index: LazyIndex,
    /// The index of the group it replaces and the earliest time its members' changes moved
    /// from, when every member changed since is its rows' direct successor (see [`Replaced`]).
    previous: Option<(Arc<ChangeIndex>, i64)>,
}

impl GroupIndex {
    /// [`Held::index_if_asked_before`] for the group; `members` are the rows it was found for.
    pub fn index_if_asked_before(&self, members: &[&Held]) -> Option<&ChangeIndex> {
        self.index.if_asked_before(|| {
            let previous = self.previous.as_ref().map(|(index, moved)| (index, *moved));
            let total = members.iter().map(|h| h.rows.changes.len()).sum();
            let recent = |cut: i64| {
                let mut recent: Vec<ChangeRow> = members
                    .iter()
                    .flat_map(|h| {
                        let changes = &h.rows.changes;
                        &changes[changes.partition_point(|c| c.deployed_at < cut)..]
                    })
                    .copied()
                    .collect();
                sort_by_time(&mut recent);
                recent
            };
            rebuilt(previous, total, recent, || merged_index(members))
        })
    }
}

/// The index of the changes of `members` together.
fn merged_index(members: &[&Held]) -> ChangeIndex {
    let mut changes: Vec<ChangeRow> = members
        .iter()
        .flat_map(|h| h.rows.changes.iter().copied())
        .collect();
    sort_by_time(&mut changes);
    ChangeIndex::new(&changes)
}

/// Which group index: the rows' shelf and the member repositories.
type GroupKey = (ShelfKey, Vec<RepoSlug>);

/// The group index of these repositories and their held rows (of the store, environment and
/// filters given), the same while the members' changes are.
pub fn group_index(
    store: &Store,
    environment: &str,
    filters_key: &str,
    members: &[(&RepoSlug, &Held)],
) -> Arc<GroupIndex> {
    static GROUPS: OnceLock<Mutex<HashMap<GroupKey, Arc<GroupIndex>>>> = OnceLock::new();
    let generations: Vec<u64> = members.iter().map(|(_, h)| h.generation).collect();
    let key = (
        shelf_key(store, environment, filters_key),
        members.iter().map(|(r, _)| (*r).clone()).collect(),
    );
    let mut groups = GROUPS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match groups.get(&key) {
        Some(group) if group.generations == generations => Arc::clone(group),
        old => {
            // Replacing an indexed group: its repositories are asked about, index at once.
            let asked = old.is_some_and(|g| g.index.built().is_some());
            let previous = old.and_then(|old| {
                let index = old.index.built()?;
                let mut moved = None;
                for ((_, held), &was) in members.iter().zip(&old.generations) {
                    if held.generation != was {
                        let replaced = held.replaced.as_ref().filter(|r| r.generation == was)?;
                        moved = Some(moved.map_or(replaced.moved, |m: i64| m.min(replaced.moved)));
                    }
                }
                Some((Arc::clone(index), moved?))
            });
            let group = Arc::new(GroupIndex {
                generations,
                index: LazyIndex::new(asked),
                previous,
            });
            groups.insert(key, Arc::clone(&group));
            group
        }
    }
}

/// Stores current copies of the rows of `repos` without holding them: read from the records one
/// repository at a time, so memory stays bounded whatever the history (after an import, so
/// that the next process's first question reads copies, not every record).
pub async fn store_copies(
    store: &Store,
    repos: &[RepoSlug],
    versions: &Versions,
    environment: &str,
    filters: &NoiseFilters,
    filters_key: &str,
) -> Result<(), StoreError> {
    // One repository per read: this runs at the end of an import, whose memory stays bounded by
    // the largest repository, not by a batch of them.
    for repo in missing_copies(store, repos, versions, environment, filters_key).await? {
        let copies = packed_copies(store, &[repo], versions, environment, filters).await?;
        store
            .keep_packed_copies(environment, filters_key, copies)
            .await?;
    }
    Ok(())
}

/// Those of `repos` whose stored copy is missing or older than `versions`.
pub async fn missing_copies(
    store: &Store,
    repos: &[RepoSlug],
    versions: &Versions,
    environment: &str,
    filters_key: &str,
) -> Result<Vec<RepoSlug>, StoreError> {
    let stored = store
        .held_row_versions(repos, environment, filters_key)
        .await?;
    Ok(repos
        .iter()
        .filter(|r| !matches!(stored.get(r), Some(v) if *v >= versions.of_repo(r)))
        .cloned()
        .collect())
}

/// The rows of `repos` read from the records and packed as `held_rows` keeps them.
pub async fn packed_copies(
    store: &Store,
    repos: &[RepoSlug],
    versions: &Versions,
    environment: &str,
    filters: &NoiseFilters,
) -> Result<Vec<PackedCopy>, StoreError> {
    let read = read_rows(store, repos, versions, environment, filters).await?;
    Ok(read
        .iter()
        .map(|(repo, version, rows)| PackedCopy::of(repo, *version, rows))
        .collect())
}

/// The rows of `repos` read from the records, each with its version. Versions were read before
/// the rows: rows are at least that fresh, never older.
async fn read_rows(
    store: &Store,
    repos: &[RepoSlug],
    versions: &Versions,
    environment: &str,
    filters: &NoiseFilters,
) -> Result<Vec<(RepoSlug, i64, RepoRows)>, StoreError> {
    Ok(store
        .repo_rows(repos, environment, filters, None)
        .await?
        .into_iter()
        .map(|(repo, rows)| {
            let version = versions.of_repo(&repo);
            (repo, version, rows)
        })
        .collect())
}

/// The rows of `stale` repositories: those held at an older version patched from the first
/// change a write since may have moved, the others from their stored copies where those are
/// current, the rest read from the records; and their copies stored for the next process:
/// before answering when the process held nothing of the repository (a process that starts may
/// end right after its answer), later ([`copy_later`]) when it reloads a repository written to
/// meanwhile (a server, whose answer should not wait for it).
async fn load(
    store: &Store,
    stale: &[(RepoSlug, Option<Arc<Held>>)],
    versions: &Versions,
    environment: &str,
    filters: &NoiseFilters,
    filters_key: &str,
) -> Result<Vec<(RepoSlug, i64, RepoRows)>, StoreError> {
    let mut loaded = Vec::with_capacity(stale.len());
    let mut patched = Vec::new();
    let mut repos = Vec::new();
    for (repo, held) in stale {
        let patch = match held {
            Some(held) => patch(store, repo, held, versions, environment, filters).await?,
            None => None,
        };
        match patch {
            Some(rows) => patched.push(rows),
            None => repos.push(repo.clone()),
        }
    }
    copy_later(
        store,
        environment,
        filters_key,
        patched.iter().map(|(repo, _, _)| repo.clone()),
    );
    loaded.extend(patched);
    if repos.is_empty() {
        return Ok(loaded);
    }
    let reloaded = |repo: &RepoSlug| stale.iter().any(|(r, held)| held.is_some() && r == repo);
    let mut stored = store.held_rows(&repos, environment, filters_key).await?;
    let mut missing = Vec::new();
    for repo in &repos {
        match stored.remove(repo) {
            Some((version, rows)) if version >= versions.of_repo(repo) => {
                loaded.push((repo.clone(), version, rows));
            }
            _ => missing.push(repo.clone()),
        }
    }
    // A few repositories per read: the rows a driver materialises stay bounded.
    for batch in missing.chunks(REPOS_PER_READ) {
        let read = read_rows(store, batch, versions, environment, filters).await?;
        let (later, now): (Vec<_>, Vec<_>) = read.iter().partition(|(repo, _, _)| reloaded(repo));
        let now: Vec<_> = now.iter().map(|(repo, v, rows)| (repo, *v, rows)).collect();
        keep_copies(store, environment, filters_key, &now).await;
        copy_later(
            store,
            environment,
            filters_key,
            later.into_iter().map(|(repo, _, _)| repo.clone()),
        );
        loaded.extend(read);
    }
    Ok(loaded)
}

/// `held`'s rows brought up to the repository's version by reading only what the writes since
/// may have moved (see [`Store::repo_rows`] with a time): the deployments and changes from the
/// earliest time those writes marked (a derivation marks from the earliest deployment it blamed
/// or stopped blaming, see `store::derived::moved`), and the rollbacks. `None` when a write
/// may have moved anything (read it whole).
async fn patch(
    store: &Store,
    repo: &RepoSlug,
    held: &Held,
    versions: &Versions,
    environment: &str,
    filters: &NoiseFilters,
) -> Result<Option<(RepoSlug, i64, RepoRows)>, StoreError> {
    let version = versions.of_repo(repo);
    let Some(from) = store.changes_moved_since(repo, held.version).await? else {
        return Ok(None);
    };
    let mut read = store
        .repo_rows(std::slice::from_ref(repo), environment, filters, Some(from))
        .await?;
    let mut rows = read.remove(repo).unwrap_or_default();
    rows.deployments = held_before(&held.rows.deployments, |d| d.at, from, rows.deployments);
    rows.changes = held_before(&held.rows.changes, |c| c.deployed_at, from, rows.changes);
    Ok(Some((repo.clone(), version, rows)))
}

/// The `held` rows (sorted by `time`) before `from`, then the rows `read` from it.
fn held_before<T: Copy>(held: &[T], time: impl Fn(&T) -> i64, from: i64, read: Vec<T>) -> Vec<T> {
    let kept = held.partition_point(|row| time(row) < from);
    let mut rows = Vec::with_capacity(kept + read.len());
    rows.extend_from_slice(&held[..kept]);
    rows.extend(read);
    rows
}

/// How long the copy of a repository reloaded after a write waits before it is stored: under
/// steady ingestion a repository is written every few seconds, and each copy rewrites all its
/// rows (taking the write lock a delivery waits for on SQLite); one copy per delay is enough
/// for the next process, which reads the rows of any repository whose copy is behind.
const COPY_DELAY: std::time::Duration = std::time::Duration::from_secs(30);

/// Repositories whose held rows are newer than their stored copy, of one shelf.
struct Due {
    /// What the copies are stored under (the shelf key holds the environment lowercased).
    environment: String,
    filters_key: String,
    repos: BTreeSet<RepoSlug>,
}

type DueCopies = HashMap<ShelfKey, Due>;

fn due_copies() -> MutexGuard<'static, DueCopies> {
    static DUE: OnceLock<Mutex<DueCopies>> = OnceLock::new();
    DUE.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Stores the copies of `repos` once [`COPY_DELAY`] has passed (or at [`store_due_copies`]),
/// from the rows then held: a burst of writes costs one copy, of the latest rows.
fn copy_later(
    store: &Store,
    environment: &str,
    filters_key: &str,
    repos: impl IntoIterator<Item = RepoSlug>,
) {
    let mut repos = repos.into_iter().peekable();
    if repos.peek().is_none() {
        return;
    }
    let key = shelf_key(store, environment, filters_key);
    let mut due = due_copies();
    let scheduled = due.contains_key(&key);
    due.entry(key.clone())
        .or_insert_with(|| Due {
            environment: environment.to_string(),
            filters_key: filters_key.to_string(),
            repos: BTreeSet::new(),
        })
        .repos
        .extend(repos);
    if !scheduled {
        let store = store.clone();
        tokio::spawn(async move {
            tokio::time::sleep(COPY_DELAY).await;
            store_due(&store, &key).await;
        });
    }
}

/// Stores at once every copy still waiting for its delay: a server that stops.
pub async fn store_due_copies(store: &Store) {
    let keys: Vec<ShelfKey> = due_copies()
        .keys()
        .filter(|key| key.0 == store.id())
        .cloned()
        .collect();
    for key in keys {
        store_due(store, &key).await;
    }
}

/// Stores the copies due for `key`, from the rows held now.
async fn store_due(store: &Store, key: &ShelfKey) {
    let Some(Due {
        environment,
        filters_key,
        repos,
    }) = due_copies().remove(key)
    else {
        return;
    };
    let held: Vec<(RepoSlug, Arc<Held>)> = {
        let shelves = shelves();
        let Some(shelf) = shelves.get(key) else {
            return;
        };
        repos
            .into_iter()
            .filter_map(|repo| Some((repo.clone(), shelf.get(&repo)?.clone())))
            .collect()
    };
    let copies: Vec<_> = held
        .iter()
        .map(|(repo, held)| (repo, held.version, &held.rows))
        .collect();
    keep_copies(store, &environment, &filters_key, &copies).await;
}

/// Stores copies of rows read; only a cache: a store that cannot take them (read-only, busy) still
/// answers.
async fn keep_copies(
    store: &Store,
    environment: &str,
    filters_key: &str,
    copies: &[(&RepoSlug, i64, &RepoRows)],
) {
    if copies.is_empty() {
        return;
    }
    if let Err(e) = store.keep_held_rows(environment, filters_key, copies).await {
        tracing::warn!(error = %e, "could not store the rows read for the next process");
    }
}

/// Every incident of some repositories and teams, and the latest version when they were read.
struct HeldIncidents {
    version: i64,
    repos: BTreeSet<RepoSlug>,
    teams: BTreeSet<String>,
    facts: Arc<Vec<IncidentFact>>,
}

/// The incidents of `repos` and `teams` (those of others too, possibly), of all time, by opening
/// time. Held between writes; after writes that only derived repositories again, only the
/// incidents of those repositories are read again: a derivation that links an incident of
/// another repository, and any write of incidents or teams, moves every scope's version, and
/// then all are read again.
pub async fn incidents(
    store: &Store,
    versions: &Versions,
    repos: &[RepoSlug],
    teams: &[String],
) -> Result<Arc<Vec<IncidentFact>>, StoreError> {
    static HELD: OnceLock<Mutex<HashMap<u64, HeldIncidents>>> = OnceLock::new();
    let held = || {
        HELD.get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    let (mut all_repos, mut all_teams) = (BTreeSet::new(), BTreeSet::new());
    let mut patchable = None;
    {
        let mut held = held();
        let mut take = false;
        if let Some(h) = held.get(&store.id()) {
            let covers = repos.iter().all(|r| h.repos.contains(r))
                && teams.iter().all(|t| h.teams.contains(t));
            if h.version == versions.latest() && covers {
                return Ok(Arc::clone(&h.facts));
            }
            take = covers && versions.every_scope() <= h.version;
            if covers || h.version == versions.latest() {
                (all_repos, all_teams) = (h.repos.clone(), h.teams.clone());
            }
        }
        // Taken out while it is patched: held by nothing else then, its facts are moved into the
        // patched list rather than copied (20,000 incidents at 1M deployments).
        if take {
            patchable = held.remove(&store.id()).map(|h| (h.version, h.facts));
        }
    }
    all_repos.extend(repos.iter().cloned());
    all_teams.extend(teams.iter().cloned());
    let facts = match patchable {
        Some((version, facts)) => {
            patch_incidents(store, version, facts, &all_repos, &all_teams).await?
        }
        None => {
            let (repo_list, team_list): (Vec<RepoSlug>, Vec<String>) = (
                all_repos.iter().cloned().collect(),
                all_teams.iter().cloned().collect(),
            );
            store
                .incident_facts(
                    &repo_list,
                    &team_list,
                    DateTime::<Utc>::MIN_UTC,
                    DateTime::<Utc>::MAX_UTC,
                )
                .await?
        }
    };
    // By (opening time, key) byte by byte, whether read whole or patched, on either backend (a
    // stable sort: the patched list is sorted but for the few facts read again at its end).
    let mut facts = facts;
    facts.sort_by(|a, b| (a.opened_at, &a.key).cmp(&(b.opened_at, &b.key)));
    let facts = Arc::new(facts);
    held().insert(
        store.id(),
        HeldIncidents {
            version: versions.latest(),
            repos: all_repos,
            teams: all_teams,
            facts: Arc::clone(&facts),
        },
    );
    Ok(facts)
}

/// `held` (read at `version`) with the incidents of the repositories written since read again:
/// the only ones a derivation of those repositories can have blamed differently. Moved out of
/// `held` when nothing else holds it, copied otherwise.
async fn patch_incidents(
    store: &Store,
    version: i64,
    held: Arc<Vec<IncidentFact>>,
    repos: &BTreeSet<RepoSlug>,
    teams: &BTreeSet<String>,
) -> Result<Vec<IncidentFact>, StoreError> {
    let written: BTreeSet<RepoSlug> = crate::freshness::repos_written_after(store, version)
        .iter()
        .filter_map(|slug| slug.parse().ok())
        .collect();
    let in_scope = |f: &IncidentFact| {
        f.repo.as_ref().is_some_and(|r| repos.contains(r))
            || f.team.as_ref().is_some_and(|t| teams.contains(t))
    };
    let written_list: Vec<RepoSlug> = written.iter().cloned().collect();
    let fresh = store
        .incident_facts(
            &written_list,
            &[],
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
        )
        .await?;
    let mut facts = Arc::try_unwrap(held).unwrap_or_else(|shared| (*shared).clone());
    facts.retain(|f| !f.repo.as_ref().is_some_and(|r| written.contains(r)));
    facts.extend(fresh.into_iter().filter(in_scope));
    Ok(facts)
}
