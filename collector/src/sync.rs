//! One sync of every configured repository: what `doraboard collect` runs once and `doraboard
//! serve` runs on its schedule.
//!
//! - [`SyncRunner::run`]: the guarded entry point — never two syncs at once in a process, nor across
//!   processes sharing a database (an advisory lock, a lease row on SQLite) — that records the
//!   outcome in the store (`Store::record_sync_run`), where every process reads it, and counts it;
//! - [`sync_all`]: every repository, a few at a time; one that fails is reported and the others
//!   still sync;
//! - [`sync_repo`]: one repository's resources (see [`crate::github`]), then its derivation.
//!
//! Every write of records queues the repository for derivation in the same transaction (see
//! `engine::store`), so a sync killed between storing records and deriving facts leaves the
//! repository queued: the next process to start derives it, even if GitHub then has nothing new.

use crate::github::app::Credentials;
use crate::github::{self, ClientOptions, Fetched, GitHub, GithubError, Settings, Tally};
use crate::telemetry;
use chrono::{NaiveDate, NaiveTime, SubsecRound, Utc};
use engine::config::Config;
use engine::model::{RepoSlug, Timestamp};
pub use engine::store::{RepoReport, SyncReport};
use engine::store::{Store, StoreError};
use futures_util::future::BoxFuture;
use futures_util::{StreamExt, stream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The advisory-lock key of the scheduled sync (any constant shared by every instance).
pub const SYNC_LOCK_KEY: i64 = 0x646f_7261_7379_6e63; // "dorasync"

/// How a sync runs, beside the configuration (whose `[collector]` sets the concurrency).
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Overrides `collector.since` (how far back the history reaches).
    pub since: Option<NaiveDate>,
}

/// Hears about a sync as it goes (progress bars, logs). Every method has a no-op default.
pub trait SyncObserver: Send + Sync {
    fn repo_started(&self, _repo: &RepoSlug) {}
    /// `what` of `repo` stored `records` more records.
    fn advanced(&self, _repo: &RepoSlug, _what: &str, _records: u64) {}
    fn repo_finished(&self, _report: &RepoReport) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl SyncObserver for Quiet {}

/// The client options the configuration implies (`github.api_url`, the token from
/// `github.token_env` or the GitHub App, `collector.max_in_flight`).
pub fn client_options(config: &Config) -> Result<ClientOptions, GithubError> {
    let mut options = ClientOptions::new(config.github.api_url.clone(), None);
    options.credentials = Some(Credentials::from_config(config.github_auth()?)?);
    options.max_in_flight = config.collector.max_in_flight;
    Ok(options)
}

/// What to fetch, from the configuration and the options.
pub fn settings(config: &Config, options: &SyncOptions) -> Settings {
    let since = options.since.unwrap_or(config.collector.since);
    Settings {
        since: since.and_time(NaiveTime::MIN).and_utc(),
        environment: config.deployments.environment.clone(),
        incident_label: config.incidents.label.clone(),
        deployments: config.deployments.source,
        workflow: config.deployments.workflow.clone(),
        detail_concurrency: config.collector.pr_concurrency.max(1),
    }
}

/// Syncs every configured repository, `collector.repo_concurrency` at a time; never fails as a
/// whole: each repository's error is in its report.
pub async fn sync_all(
    config: &Config,
    store: &Store,
    gh: &GitHub,
    options: &SyncOptions,
    observer: &dyn SyncObserver,
) -> SyncReport {
    // Whole seconds, as the store keeps them: the report and the recorded run agree.
    let started_at = Utc::now().trunc_subsecs(0);
    let settings = settings(config, options);
    let repos = config.repos();
    let settings = &settings;
    // Boxed as `dyn Future + Send`: rustc cannot otherwise prove the stream's futures `Send`
    // for every lifetime, and the schedule spawns this.
    let mut reports: Vec<RepoReport> = stream::iter(repos)
        .map(|repo| -> BoxFuture<'_, RepoReport> {
            Box::pin(async move { sync_repo(config, store, gh, settings, &repo, observer).await })
        })
        .buffer_unordered(config.collector.repo_concurrency.max(1))
        .collect()
        .await;
    reports.sort_by(|a, b| a.repo.cmp(&b.repo));
    SyncReport {
        started_at,
        finished_at: Utc::now().trunc_subsecs(0),
        repos: reports,
    }
}

/// Syncs one repository and reanalyses it; the error, if any, is in the report.
pub async fn sync_repo(
    config: &Config,
    store: &Store,
    gh: &GitHub,
    settings: &Settings,
    repo: &RepoSlug,
    observer: &dyn SyncObserver,
) -> RepoReport {
    let started = Instant::now();
    observer.repo_started(repo);
    let tally = Tally::default();
    let fetched = Fetched::default();
    let result = sync_and_analyze(
        config, store, gh, settings, repo, observer, &tally, &fetched,
    )
    .await;
    let report = RepoReport {
        repo: repo.to_string(),
        changes: fetched.changes(),
        deployments: fetched.deployments(),
        incidents: fetched.incidents(),
        incidents_deleted: fetched.incidents_deleted(),
        requests: tally.requests(),
        not_modified: tally.not_modified(),
        retries: tally.retries(),
        duration_ms: started.elapsed().as_millis() as u64,
        error: result.err().map(|e| e.to_string()),
    };
    match &report.error {
        None => tracing::info!(
            repo = report.repo,
            changes = report.changes,
            deployments = report.deployments,
            incidents = report.incidents,
            incidents_deleted = report.incidents_deleted,
            requests = report.requests,
            not_modified = report.not_modified,
            retries = report.retries,
            duration_ms = report.duration_ms,
            "repository synced"
        ),
        Some(error) => tracing::error!(
            repo = report.repo,
            error,
            requests = report.requests,
            "repository sync failed; the others go on"
        ),
    }
    observer.repo_finished(&report);
    report
}

#[expect(
    clippy::too_many_arguments,
    reason = "one repository's sync needs the whole context of the run; a struct would only rename it"
)]
async fn sync_and_analyze(
    config: &Config,
    store: &Store,
    gh: &GitHub,
    settings: &Settings,
    repo: &RepoSlug,
    observer: &dyn SyncObserver,
    tally: &Tally,
    fetched: &Fetched,
) -> Result<(), github::SyncError> {
    let branch = github::default_branch(gh, store, repo, tally).await;
    let synced = match branch {
        Ok(default_branch) => {
            let ctx = github::RepoSync {
                gh,
                store,
                repo,
                settings,
                tally,
                fetched,
                observer,
                default_branch,
            };
            github::sync_resources(&ctx).await
        }
        Err(e) => Err(e),
    };
    let options = engine::query::analysis_options(config);
    store.derive_queued(repo, &options).await?;
    // Incidents of this repository that name a deployment or change of another one are
    // analysed with that one.
    if fetched.incidents() + fetched.incidents_deleted() > 0 {
        let elsewhere = store.incident_owners_elsewhere(repo).await?;
        if !elsewhere.is_empty() {
            store.reanalyze(&elsewhere, &options).await?;
        }
    }
    synced
}

// ---- The guarded run ------------------------------------------------------------------------

/// Why a sync did not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("a sync is already running in this process")]
    Running,
    #[error("another doraboard process holds the sync lock")]
    Locked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs syncs one at a time. The process-wide one ([`SyncRunner::global`]) serves `doraboard
/// collect` and the schedule; tests make their own.
///
/// Whether a sync runs is the one piece of sync state kept in the process (it is this process's
/// own work); the outcome of each run is recorded in the store ([`Store::record_sync_run`]),
/// which every process reads.
#[derive(Debug, Default)]
pub struct SyncRunner {
    running: AtomicBool,
    /// When the sync running in this process started.
    started_at: Mutex<Option<Timestamp>>,
}

static GLOBAL: SyncRunner = SyncRunner {
    running: AtomicBool::new(false),
    started_at: Mutex::new(None),
};

struct RunningGuard<'r>(&'r SyncRunner);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        *self.0.lock_started_at() = None;
        self.0.running.store(false, Ordering::Release);
    }
}

impl SyncRunner {
    pub fn new() -> SyncRunner {
        SyncRunner::default()
    }

    pub fn global() -> &'static SyncRunner {
        &GLOBAL
    }

    /// When the sync running through this runner started; None when none runs.
    pub fn running_since(&self) -> Option<Timestamp> {
        *self.lock_started_at()
    }

    fn lock_started_at(&self) -> std::sync::MutexGuard<'_, Option<Timestamp>> {
        self.started_at.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One sync of every repository, unless one is already running (through this runner, or in
    /// another process on the same database); records the outcome in the store, counted, and
    /// writes this process's pending counters there too (see [`telemetry`]).
    pub async fn run(
        &self,
        config: &Config,
        store: &Store,
        gh: &GitHub,
        options: &SyncOptions,
        observer: &dyn SyncObserver,
    ) -> Result<SyncReport, RunError> {
        self.running
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .map_err(|_| RunError::Running)?;
        let _guard = RunningGuard(self);
        let lease = store
            .try_sync_lease(SYNC_LOCK_KEY)
            .await?
            .ok_or(RunError::Locked)?;
        *self.lock_started_at() = Some(Utc::now());
        let report = sync_all(config, store, gh, options, observer).await;
        let recorded = store.record_sync_run(&report).await;
        lease.release().await;
        recorded?;
        telemetry::flush_or_warn(store).await;
        Ok(report)
    }
}
