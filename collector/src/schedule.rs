//! The built-in schedule of `doraboard serve`: the same sync as `doraboard collect`, run at the
//! times of `collector.schedule`.
//!
//! The expression is the `cron` crate's: a **seconds field first** (`sec min hour day-of-month
//! month day-of-week [year]`), evaluated in UTC; the default `0 */15 * * * *` runs every quarter
//! hour on the minute. The loop only decides when: each run is [`SyncRunner::run`], which never
//! overlaps another (in this process, or in another one on the same PostgreSQL database, where
//! it is skipped and logged), logs its outcome and never ends the loop.

use crate::github::GitHub;
use crate::sync::{Quiet, RunError, SyncOptions, SyncRunner};
use chrono::Utc;
use engine::config::Config;
use engine::store::Store;
use std::future::Future;
use std::sync::Arc;

/// Runs the sync on the configured schedule until `shutdown` completes. A sync in progress when
/// it does is dropped where it stands (every sync resumes where it stopped).
pub async fn run(
    config: Arc<Config>,
    store: Store,
    gh: GitHub,
    options: SyncOptions,
    shutdown: impl Future<Output = ()>,
) {
    tracing::info!(
        schedule = config.collector.schedule.as_str(),
        repositories = config.repos().len(),
        "scheduled GitHub sync enabled (times in UTC)"
    );
    let run_forever = async {
        for next in config.cron_schedule().upcoming(Utc) {
            let wait = (next - Utc::now()).to_std().unwrap_or_default();
            tracing::debug!(next = %next, "next scheduled sync");
            tokio::time::sleep(wait).await;
            run_once(&config, &store, &gh, &options).await;
        }
        tracing::warn!("the collector schedule has no future run");
    };
    tokio::select! {
        () = run_forever => {}
        () = shutdown => {}
    }
}

/// One scheduled run: logged, never fatal.
pub async fn run_once(config: &Config, store: &Store, gh: &GitHub, options: &SyncOptions) {
    match SyncRunner::global()
        .run(config, store, gh, options, &Quiet)
        .await
    {
        Ok(report) => {
            let failed = report.failed();
            if failed == 0 {
                tracing::info!(
                    repositories = report.repos.len(),
                    records = report.records(),
                    requests = report.requests(),
                    not_modified = report.not_modified(),
                    "scheduled sync finished"
                );
            } else {
                tracing::error!(
                    repositories = report.repos.len(),
                    failed,
                    requests = report.requests(),
                    "scheduled sync finished with failed repositories"
                );
            }
        }
        Err(RunError::Running | RunError::Locked) => {
            tracing::info!("a sync is already running: this scheduled one is skipped");
        }
        Err(RunError::Store(error)) => {
            tracing::error!(%error, "scheduled sync could not start");
        }
    }
}

/// Starts the schedule in the background for `doraboard serve`, or says why not and returns
/// None: no repository configured, or no GitHub token in the environment (the API is served
/// either way). Abort the handle to stop it.
pub fn spawn(config: Arc<Config>, store: Store) -> Option<tokio::task::JoinHandle<()>> {
    if config.repos().is_empty() {
        tracing::info!("no repositories configured: the scheduled GitHub sync is off");
        return None;
    }
    let options = match crate::sync::client_options(&config) {
        Ok(options) => options,
        Err(error) => {
            tracing::warn!(%error, "the scheduled GitHub sync is off");
            return None;
        }
    };
    let gh = match GitHub::new(options) {
        Ok(gh) => gh,
        Err(error) => {
            tracing::error!(%error, "the scheduled GitHub sync is off");
            return None;
        }
    };
    Some(tokio::spawn(run(
        config,
        store,
        gh,
        SyncOptions::default(),
        std::future::pending(),
    )))
}
