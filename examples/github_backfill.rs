//! Benchmark (not a test): a first sync (backfill) of one repository with N merged pull requests,
//! served by the fake GitHub with a fixed latency per request; then a resync with nothing new.
//!
//! ```sh
//! cargo run --release --example github_backfill                 # 2,000 and 20,000 PRs, 20 ms
//! cargo run --release --example github_backfill -- 20000 20     # one size, latency in ms
//! ```
//!
//! Prints, per size: requests used against the minimum number of pages the data needs, wall
//! time, and peak memory. Each size runs in a fresh process (so `VmHWM` is its own), with the
//! fake in yet another process (so its memory, which does hold the whole history, is not
//! counted). "peak while fetching" is the largest resident set seen after each stored page;
//! "peak incl. analysis" is the process's high-water mark, which also covers the engine's
//! reanalysis of the repository at the end of its sync. "analysis s" times that reanalysis once
//! more on its own.

#[path = "../tests/fake_github/mod.rs"]
mod fake_github;

use chrono::Duration as Span;
use collector::github::{ClientOptions, GitHub};
use collector::sync::{RepoReport, SyncObserver, SyncOptions, sync_all};
use engine::config::{Config, Secret};
use engine::model::RepoSlug;
use engine::store::Store;
use fake_github::scenario::day_at;
use fake_github::{Account, FakeGithub, Strategy};
use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const SLUG: &str = "acme/monolith";
/// One deployment per this many pull requests.
const PRS_PER_DEPLOYMENT: u64 = 50;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match args.first().map(String::as_str) {
        Some("--serve-fake") => runtime.block_on(serve_fake(number(&args, 1), number(&args, 2))),
        Some("--measure") => runtime.block_on(measure(number(&args, 1), number(&args, 2))),
        _ => drive(&args),
    }
}

fn number(args: &[String], i: usize) -> u64 {
    args.get(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("argument {i}: a number expected"))
}

/// Runs each size in a process of its own and prints the table.
fn drive(args: &[String]) {
    let sizes: Vec<u64> = match args.first() {
        Some(n) => vec![n.parse().expect("a number of pull requests")],
        None => vec![2_000, 20_000],
    };
    let latency: u64 = args
        .get(1)
        .map_or(20, |l| l.parse().expect("latency in ms"));
    println!(
        "GitHub backfill benchmark: one repository, {latency} ms per request, release build\n"
    );
    println!(
        "{:>7}  {:>8}  {:>9}  {:>5}  {:>8}  {:>13}  {:>13}  {:>10}  {:>14}",
        "PRs",
        "requests",
        "min pages",
        "ratio",
        "wall s",
        "peak fetch MB",
        "peak all MB",
        "analysis s",
        "resync"
    );
    for prs in sizes {
        let exe = std::env::current_exe().expect("own path");
        let out = Command::new(exe)
            .args(["--measure", &prs.to_string(), &latency.to_string()])
            .stderr(Stdio::inherit())
            .output()
            .expect("a measuring process");
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}

/// The fake GitHub holding the history, in its own process; prints its URL, serves until stdin
/// closes.
async fn serve_fake(prs: u64, latency_ms: u64) {
    let fake = FakeGithub::start_with(false).await;
    fake.set_latency(Duration::from_millis(latency_ms));
    {
        let mut world = fake.world();
        let repo = world.repo(SLUG);
        let start = day_at(0, "00:00");
        let mut last_deployed = 0;
        for i in 0..prs {
            let merged = start + Span::minutes(30 * i as i64);
            let number = i as i64 + 1;
            repo.merged_pull(
                SLUG,
                number,
                &format!("Change {number}"),
                Account::user("alice"),
                merged - Span::hours(4),
                merged - Span::hours(2),
                Some(merged - Span::hours(1)),
                merged,
                Strategy::Squash,
            );
            if (i + 1) % PRS_PER_DEPLOYMENT == 0 {
                last_deployed += 1;
                let sha = fake_github::scenario::merge_sha(SLUG, number);
                let at = merged + Span::minutes(10);
                repo.deployment(
                    last_deployed,
                    &sha,
                    at,
                    &[("in_progress", at), ("success", at + Span::minutes(5))],
                );
            }
        }
    }
    println!("{}", fake.url);
    std::io::stdout().flush().expect("flush");
    // Serve until the parent closes our stdin.
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        while std::io::stdin().lock().read_line(&mut line).unwrap_or(0) > 0 {}
    })
    .await;
}

/// Largest resident set seen after a stored page.
struct MemoryProbe {
    peak_kb: AtomicU64,
}

impl SyncObserver for MemoryProbe {
    fn advanced(&self, _repo: &RepoSlug, _what: &str, _records: u64) {
        self.peak_kb
            .fetch_max(status_kb("VmRSS:"), Ordering::Relaxed);
    }
    fn repo_finished(&self, _report: &RepoReport) {}
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One backfill and one resync, against a fake in a child process; prints one table row.
async fn measure(prs: u64, latency_ms: u64) {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .args(["--serve-fake", &prs.to_string(), &latency_ms.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the fake's process");
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("the fake's URL");
    let url = url.trim().to_string();

    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = format!("sqlite://{}", dir.path().join("bench.db").display());
    let config = Config::from_toml_str(
        &format!(
            "database_url = \"{database}\"\n[github]\napi_url = \"{url}\"\n\
             [collector]\nsince = \"{}\"\n[[teams]]\nslug = \"core\"\nrepos = [\"{SLUG}\"]\n",
            fake_github::scenario::START
        ),
        "benchmark",
    )
    .expect("config");
    let store = Store::connect(&config.database_url).await.expect("store");
    let gh = GitHub::new(ClientOptions::new(url, Some(Secret::new("bench")))).expect("client");
    let probe = MemoryProbe {
        peak_kb: AtomicU64::new(0),
    };
    let options = SyncOptions::default();

    let started = Instant::now();
    let report = sync_all(&config, &store, &gh, &options, &probe).await;
    let wall = started.elapsed();
    assert_eq!(report.failed(), 0, "{report:#?}");
    let hwm_kb = status_kb("VmHWM:");

    let started = Instant::now();
    let resync = sync_all(&config, &store, &gh, &options, &probe).await;
    let resync_wall = started.elapsed();

    // The repository's reanalysis alone (the backfill ran it once already; this is the same work).
    let started = Instant::now();
    store
        .reanalyze(
            &[SLUG.parse().expect("slug")],
            &engine::query::analysis_options(&config),
        )
        .await
        .expect("reanalysis");
    let analysis_wall = started.elapsed();

    let deployments = prs / PRS_PER_DEPLOYMENT;
    // Pages the data needs: the pull list, each PR's commits and reviews, the default branch's
    // commits, the repository, the deployment list, each deployment's statuses and (but the
    // first) its compare, the (empty) incident list, and the first page of all issues (whose
    // ETag the next syncs ask with, to notice issues that lose the incident label).
    let minimum = prs.div_ceil(100)
        + 2 * prs
        + prs.div_ceil(100)
        + 1
        + deployments.div_ceil(100).max(1)
        + deployments
        + deployments.saturating_sub(1)
        + 1
        + 1;
    println!(
        "{:>7}  {:>8}  {:>9}  {:>5.3}  {:>8.1}  {:>13.1}  {:>13.1}  {:>10.2}  {:>3} req {:>3} 304 {:>4.2}s",
        prs,
        report.requests(),
        minimum,
        report.requests() as f64 / minimum as f64,
        wall.as_secs_f64(),
        probe.peak_kb.load(Ordering::Relaxed) as f64 / 1024.0,
        hwm_kb as f64 / 1024.0,
        analysis_wall.as_secs_f64(),
        resync.requests(),
        resync.not_modified(),
        resync_wall.as_secs_f64(),
    );
    drop(child.stdin.take());
    let _ = child.wait();
}
