//! `doraboard collect [--since DATE]`: one incremental sync of every configured repository, then
//! exit — for cron jobs and Kubernetes CronJobs. Exits non-zero when any repository failed.

use anyhow::{Context, bail};
use chrono::NaiveDate;
use collector::github::GitHub;
use collector::github::progress::ProgressBars;
use collector::sync::{Quiet, SyncObserver, SyncOptions, SyncReport, SyncRunner};
use engine::store::Store;
use std::io::IsTerminal;
use std::path::Path;

pub struct Args {
    /// How far back the history reaches (overrides `collector.since`).
    pub since: Option<String>,
}

pub async fn run(config_path: &Path, args: Args) -> anyhow::Result<()> {
    let mut config = super::load_config(config_path)?;
    let repos = config.repos();
    if repos.is_empty() {
        bail!("no repository to collect: list them in the `repos` of a [[teams]] entry");
    }
    let since = args
        .since
        .as_deref()
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .with_context(|| format!("--since `{s}`: expected a date, YYYY-MM-DD"))
        })
        .transpose()?;
    if let Some(since) = since {
        // The first-deployment rule of the analysis reaches back just as far.
        config.collector.since = since;
    }
    let gh = GitHub::new(collector::sync::client_options(&config)?)?;
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database of {}", config_path.display()))?;
    let options = SyncOptions { since };
    let report = if std::io::stderr().is_terminal() {
        let bars = ProgressBars::new(&repos);
        let report = sync(&config, &store, &gh, &options, &bars).await;
        bars.finish();
        report?
    } else {
        sync(&config, &store, &gh, &options, &Quiet).await?
    };
    print_summary(&report);
    // Each repository was derived as it synced; this resumes what is still queued (left by a
    // process killed mid-derivation, or all of it when the analysis options changed).
    let options = engine::query::analysis_options(&config);
    store.queue_all_if_options_changed(&options).await?;
    store.derive_all_queued(&options).await?;
    store.close().await;
    if report.failed() > 0 {
        bail!(
            "{} of {} repositories failed to sync (the others are up to date)",
            report.failed(),
            report.repos.len()
        );
    }
    Ok(())
}

async fn sync(
    config: &engine::config::Config,
    store: &Store,
    gh: &GitHub,
    options: &SyncOptions,
    observer: &dyn SyncObserver,
) -> anyhow::Result<SyncReport> {
    Ok(SyncRunner::global()
        .run(config, store, gh, options, observer)
        .await?)
}

/// One line per repository on stdout: what it stored and what it cost.
fn print_summary(report: &SyncReport) {
    let width = report
        .repos
        .iter()
        .map(|r| r.repo.len())
        .max()
        .unwrap_or(0)
        .max("repository".len());
    println!(
        "{:width$}  {:>7}  {:>11}  {:>9}  {:>8}  {:>5}  {:>7}  status",
        "repository", "changes", "deployments", "incidents", "requests", "304s", "seconds"
    );
    for r in &report.repos {
        println!(
            "{:width$}  {:>7}  {:>11}  {:>9}  {:>8}  {:>5}  {:>7.1}  {}",
            r.repo,
            r.changes,
            r.deployments,
            r.incidents,
            r.requests,
            r.not_modified,
            r.duration_ms as f64 / 1000.0,
            r.error
                .as_deref()
                .map_or("ok".to_string(), |e| format!("FAILED: {e}"))
        );
    }
    println!(
        "{} repositories, {} failed; {} records stored; {} requests, {} answered 304 (free)",
        report.repos.len(),
        report.failed(),
        report.records(),
        report.requests(),
        report.not_modified()
    );
}
