//! Times the organisation's one-year weekly question the way the server answers it, in process,
//! on an existing store (for instance the one `../shared/perf/bench.sh` imported), without
//! `serve`'s start-up:
//!
//! - first: the first question of a process (rows from their stored copy, or read whole);
//! - cold: a question not asked before, rows held (each run ends the year one day earlier);
//! - after write: the same year right after one new deployment in one repository, written and
//!   derived as a delivery to `POST /api/v1/events` is (what a dashboard sees while webhooks arrive);
//! - scopes: every scope at once (`/api/v1/metrics/scopes`) right after such a write;
//! - index builds: what a delivery shipping changes adds, its repository's change index built
//!   again alone, and together with its team's (as a server indexes a team that owns its
//!   repositories alone).
//!
//! ```sh
//! cargo run --release --example query_bench -- path/to/doraboard.toml [runs] [from] [to]
//! ```
//!
//! Not a test: figures depend on the machine. Prints one line per measure (median of the runs).

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use engine::config::Config;
use engine::metrics::change_index::ChangeIndex;
use engine::metrics::rows::{ChangeRow, sort_by_time};
use engine::model::{Deployment, DeploymentStatus, RepoSlug, Source};
use engine::period::{Bucket, Period};
use engine::store::Store;
use engine::store::events::{EventRecord, LoggedEvent};
use std::path::Path;
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config_path = args.first().map_or("doraboard.toml", String::as_str);
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let date = |i: usize, default: &str| {
        Period::parse_date(args.get(i).map_or(default, String::as_str))
            .map_err(|e| anyhow::anyhow!("{e}"))
    };
    let (from, to) = (date(2, "2025-01-01")?, date(3, "2026-01-01")?);
    let config = Config::load(Some(Path::new(config_path)))?;
    let started = Instant::now();
    let store = Store::connect(&config.database_url).await?;
    let org = config.scope(None)?;
    let ask = |to: NaiveDate| {
        let (store, config, org) = (&store, &config, &org);
        async move {
            let period = Period::new(from, to).map_err(|e| anyhow::anyhow!("{e}"))?;
            let t = Instant::now();
            let report =
                engine::query::metrics_for_scope(store, config, org, period, Some(Bucket::Week))
                    .await?;
            anyhow::Ok((ms(t), report.deployment_frequency.deployments))
        }
    };
    let (first, deployments) = ask(to).await?;
    println!(
        "first question: {first:.1} ms ({:.1} ms with opening the store), {deployments} deployments",
        ms(started)
    );
    let mut cold = Vec::new();
    for i in 1..=runs {
        cold.push(ask(to - Duration::days(i as i64)).await?.0);
    }
    println!("cold (rows held): {:.1} ms", median(&mut cold));
    let (cached, _) = ask(to).await?;
    println!("cached answer: {cached:.2} ms");

    let repo = org
        .repos
        .first()
        .ok_or_else(|| anyhow::anyhow!("the organisation has no repository"))?
        .clone();
    let options = engine::query::analysis_options(&config);
    let environment = config.deployments.environment.clone();
    let write = |i: usize| {
        let (store, repo, options, environment) =
            (&store, repo.clone(), &options, environment.clone());
        async move {
            let finished_at = Utc.from_utc_datetime(
                &(to - Duration::days(2))
                    .and_hms_opt(12, 0, 0)
                    .unwrap_or_default(),
            );
            let deployment = Deployment {
                key: format!(
                    "query-bench-{}-{i}",
                    Utc::now().timestamp_nanos_opt().unwrap_or(0)
                ),
                repo: repo.clone(),
                environment,
                sha: format!("{i:040x}"),
                status: DeploymentStatus::Success,
                started_at: None,
                finished_at,
                source: Source::Webhook,
                rollback: false,
                declared_changes: Some(Vec::new()),
                declared_commits: None,
            };
            let t = Instant::now();
            // As `POST /api/v1/events` writes it, and as the server's worker derives it.
            store
                .ingest(vec![LoggedEvent {
                    raw: None,
                    record: Some(EventRecord::Deployment(deployment)),
                }])
                .await?;
            store.derive_all_queued(options).await?;
            anyhow::Ok(ms(t))
        }
    };
    let (mut after, mut writes, mut scopes) = (Vec::new(), Vec::new(), Vec::new());
    let mut all = vec![org.clone()];
    all.extend(config.scopes());
    for i in 0..runs {
        writes.push(write(2 * i).await?);
        after.push(ask(to).await?.0);
        writes.push(write(2 * i + 1).await?);
        let period = Period::new(from, to).map_err(|e| anyhow::anyhow!("{e}"))?;
        let t = Instant::now();
        engine::query::metrics_for_scopes(&store, &config, &all, period, Some(Bucket::Week))
            .await?;
        scopes.push(ms(t));
    }
    println!(
        "after a write: {:.1} ms (the write and its reanalysis: {:.1} ms)",
        median(&mut after),
        median(&mut writes)
    );
    println!(
        "every scope ({}) after a write: {:.1} ms",
        all.len(),
        median(&mut scopes)
    );
    index_builds(&store, &config, &repo).await
}

/// What a delivery that ships changes adds on a server: the change index of the written
/// repository built again, with the other repositories of its team when they are indexed
/// together.
async fn index_builds(store: &Store, config: &Config, repo: &RepoSlug) -> anyhow::Result<()> {
    let team = config
        .teams
        .iter()
        .find(|t| t.repos.contains(repo))
        .ok_or_else(|| anyhow::anyhow!("no team owns {repo}"))?;
    let rows = store
        .repo_rows(
            &team.repos,
            &config.deployments.environment,
            config.filters.noise(),
            None,
        )
        .await?;
    let mut together: Vec<ChangeRow> = rows
        .values()
        .flat_map(|r| r.changes.iter().copied())
        .collect();
    sort_by_time(&mut together);
    let alone = rows.get(repo).map(|r| r.changes.as_slice()).unwrap_or(&[]);
    let t = Instant::now();
    ChangeIndex::new(alone);
    let alone_ms = ms(t);
    let t = Instant::now();
    ChangeIndex::new(&together);
    println!(
        "change index built again: {alone_ms:.1} ms for one repository ({} changes), \
         {:.1} ms for its team's {} repositories together ({} changes)",
        alone.len(),
        ms(t),
        team.repos.len(),
        together.len()
    );
    Ok(())
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
