//! Benchmark: organisation-wide metrics over a synthetic organisation, on SQLite (or the
//! PostgreSQL database `BENCH_DATABASE_URL` names, which must be empty).
//!
//! Prints figures, asserts nothing (machines are shared and noisy). Run with
//! `cargo bench -p engine --bench metrics` (optionally `-- REPOS DAYS`; default 50 repositories,
//! 365 days). Each repository deploys 5 times a working day, each deployment ships 4 changes.
//!
//! Baseline in the same run: reading the same facts from the store (`metric_inputs`), so the
//! report shows how the time splits between the store and the pure formulas, and the total per
//! fact. The design target (tens of milliseconds for a year of a 2,000-repository organisation)
//! needs per-day aggregates maintained at ingestion; this bench measures the way there.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use engine::analysis::AnalysisOptions;
use engine::filters::NoiseFilters;
use engine::metrics::{MetricsRequest, ScopeLabel, compute};
use engine::model::{Change, Deployment, DeploymentStatus, RepoSlug, Source};
use engine::period::{Bucket, Period};
use engine::store::Store;
use engine::tiers::Bands;
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let repos = args.first().copied().unwrap_or(50);
    let days = args.get(1).copied().unwrap_or(365) as i64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(repos, days));
}

async fn run(repos: usize, days: i64) {
    let dir = std::env::temp_dir().join(format!("doraboard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // BENCH_DATABASE_URL: an empty PostgreSQL database instead of a SQLite file.
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.join("bench.db").display()));
    let store = Store::connect(&url).await.expect("store");
    let end = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let start = end - Duration::days(days);
    let slugs: Vec<RepoSlug> = (0..repos)
        .map(|i| format!("acme/service-{i:04}").parse().expect("slug"))
        .collect();

    let clock = Instant::now();
    let (mut n_changes, mut n_deployments) = (0, 0);
    for repo in &slugs {
        let (changes, deployments) = synthesize(repo, start, end);
        n_changes += changes.len();
        n_deployments += deployments.len();
        store.upsert_changes(&changes).await.expect("changes");
        store
            .upsert_deployments(&deployments)
            .await
            .expect("deployments");
    }
    let load = clock.elapsed();
    let clock = Instant::now();
    let options = AnalysisOptions::default();
    store.reanalyze(&slugs, &options).await.expect("reanalyze");
    let analyse = clock.elapsed();

    let period = Period::new(start, end).expect("period");
    let tz = chrono_tz::Tz::UTC;
    let bands = Bands::latest();
    let filters = NoiseFilters::default();
    let request = MetricsRequest {
        period,
        bucket: Some(Bucket::Week),
        time_zone: tz,
        bands: &bands,
        filters: &filters,
        small_sample: 10,
        phases_per_bucket: true,
        benchmark: engine::score::Benchmark::standard(),
    };
    let mut fetch = Vec::new();
    let mut formulas = Vec::new();
    let mut facts = 0;
    for _ in 0..5 {
        let clock = Instant::now();
        let inputs = store
            .metric_inputs(
                &slugs,
                &[],
                "production",
                period.previous().start(tz),
                period.end(tz),
            )
            .await
            .expect("inputs");
        fetch.push(clock.elapsed().as_secs_f64());
        facts = inputs.deployments.len() + inputs.changes.len();
        let clock = Instant::now();
        let label = ScopeLabel {
            team: None,
            name: "Organisation".into(),
            kind: "organisation".into(),
        };
        let report = compute(&inputs, label, &request);
        formulas.push(clock.elapsed().as_secs_f64());
        assert_eq!(report.deployment_frequency.deployments, n_deployments);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (fetch, formulas) = (median(&mut fetch), median(&mut formulas));
    println!(
        "organisation: {repos} repositories, {days} days, {n_deployments} deployments, {n_changes} changes"
    );
    println!(
        "load (upserts):        {:>8.2} s  ({:.0} records/s)",
        load.as_secs_f64(),
        (n_changes + n_deployments) as f64 / load.as_secs_f64()
    );
    println!("analysis (all repos):  {:>8.2} s", analyse.as_secs_f64());
    println!(
        "metrics, weekly, year: {:>8.1} ms  (median of 5)",
        (fetch + formulas) * 1e3
    );
    println!(
        "  store read (baseline) {:>7.1} ms  {facts} facts, {:.2} µs/fact",
        fetch * 1e3,
        fetch * 1e6 / facts as f64
    );
    println!(
        "  formulas              {:>7.1} ms  = {:.2}x the store read",
        formulas * 1e3,
        formulas / fetch
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Five deployments a working day, each shipping the four changes merged since the last one.
fn synthesize(repo: &RepoSlug, start: NaiveDate, end: NaiveDate) -> (Vec<Change>, Vec<Deployment>) {
    let mut changes = Vec::new();
    let mut deployments = Vec::new();
    let mut number = 0;
    let mut day = start;
    while day < end {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            for slot in 0..5 {
                let deployed =
                    Utc.from_utc_datetime(&day.and_hms_opt(9 + slot * 2, 0, 0).expect("time"));
                let mut commits = Vec::new();
                for k in 0..4 {
                    number += 1;
                    let sha = format!(
                        "{:040x}",
                        (number as u128) << 32 | (repo.name().len() as u128)
                    );
                    let merged = deployed - Duration::minutes(20 + k * 10);
                    changes.push(Change {
                        key: format!("{repo}#{number}"),
                        repo: repo.clone(),
                        number: Some(number),
                        title: format!("Change {number}"),
                        author: format!("dev{}", number % 7),
                        bot: false,
                        first_commit_at: merged - Duration::hours(3 + (number % 40)),
                        opened_at: Some(merged - Duration::hours(2)),
                        first_review_at: Some(merged - Duration::hours(1)),
                        merged_at: merged,
                        merge_sha: Some(sha.clone()),
                        commits: vec![sha.clone()],
                        labels: vec![],
                        branch: None,
                        paths: vec![],
                        reverts: None,
                        fixes: None,
                        cherry_picks: Vec::new(),
                        side_branch: None,
                    });
                    commits.push(sha);
                }
                deployments.push(Deployment {
                    key: format!("{repo}/deploy/{}", deployments.len()),
                    repo: repo.clone(),
                    environment: "production".into(),
                    sha: commits.last().cloned().unwrap_or_default(),
                    status: DeploymentStatus::Success,
                    started_at: None,
                    finished_at: deployed,
                    source: Source::Import,
                    rollback: false,
                    declared_changes: None,
                    declared_commits: Some(commits),
                });
            }
        }
        day += Duration::days(1);
    }
    (changes, deployments)
}
