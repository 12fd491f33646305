//! Load test of push ingestion: N deliveries (generic events, signed PagerDuty webhooks and
//! signed GitHub webhooks, some of them redelivered) sent concurrently over loopback to the
//! ingestion routes served in-process on 127.0.0.1:0 while a GitHub sync (what `doraboard
//! collect` runs) fetches an organisation from the fake GitHub of `tests/fake_github` into the
//! same store; prints deliveries per second, latency, the sync's summary, and checks that every
//! distinct delivery was stored exactly once and every record of the sync is there.
//!
//! ```sh
//! cargo run --release --example ingest_bench                      # 10,000 deliveries, SQLite file
//! cargo run --release --example ingest_bench -- 20000 128 15      # deliveries, concurrency,
//!                                                                 # fake GitHub latency (ms)
//! BENCH_DATABASE_URL=postgres://... cargo run --release --example ingest_bench
//! RUST_LOG=sqlx::query=debug cargo run --release --example ingest_bench 2> statements.ndjson
//! ```
//!
//! Not a test: it takes a few seconds and its figures depend on the machine. It exits non-zero
//! when a count check fails or the sync fails.

#[path = "../tests/fake_github/mod.rs"]
mod fake_github;

use api::ingest::IngestAuth;
use collector::github::{ClientOptions, GitHub};
use collector::sync::{Quiet, SyncOptions, SyncRunner};
use engine::config::{Config, Secret};
use engine::store::Store;
use fake_github::FakeGithub;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The allocator of the `doraboard` binary (src/main.rs), so the figures are the product's.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const TOKEN: &str = "bench-token";
const SECRET: &str = "bench-pagerduty-secret";
const GITHUB_SECRET: &str = "bench-github-webhook-secret";
const GITHUB_TOKEN: &str = "ghp_bench_token_0123456789";
const REPOS: usize = 20;
/// Pull request and deployment numbers of webhook deliveries start here, above anything the
/// fake GitHub holds, so webhook records and the sync's never share a key.
const WEBHOOK_IDS: usize = 1_000_000;

/// One request to send.
enum Delivery {
    Event(String),
    PagerDuty(String),
    /// `X-GitHub-Event`, `X-GitHub-Delivery`, body.
    GitHub(&'static str, String, String),
}

impl Delivery {
    fn redelivery(&self) -> Delivery {
        match self {
            Delivery::Event(b) => Delivery::Event(b.clone()),
            Delivery::PagerDuty(b) => Delivery::PagerDuty(b.clone()),
            Delivery::GitHub(e, d, b) => Delivery::GitHub(e, d.clone(), b.clone()),
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `RUST_LOG` picks what to log, as JSON lines on stderr: each statement and its time, say.
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let deliveries: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let latency_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(15);
    match run(deliveries, concurrency, latency_ms).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(
    n: usize,
    concurrency: usize,
    latency_ms: u64,
) -> Result<bool, Box<dyn std::error::Error>> {
    // The fake GitHub: the organisation of the end-to-end tests (3 repositories, 40 working
    // days), plus the bench's repositories, empty there (their records come by push only).
    let fake = FakeGithub::start_with(false).await;
    fake.set_latency(Duration::from_millis(latency_ms));
    {
        let mut world = fake.world();
        fake_github::scenario::org(&mut world);
        for r in 0..REPOS {
            world.repo(&format!("acme/service-{r:02}"));
        }
    }
    *fake
        .shared
        .token
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(GITHUB_TOKEN.to_string());

    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = Store::connect(&url).await?;
    let config = Arc::new(Config::from_toml_str(
        &config_toml(&fake.url, concurrency),
        "bench configuration",
    )?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = api::AppState {
        store: store.clone(),
        config: Arc::clone(&config),
        read_access: Default::default(),
    };
    let auth = IngestAuth::new(Some(&Secret::new(TOKEN)), Some(Secret::new(SECRET)));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // One ingestor (one write queue) behind every route, as in `doraboard serve`.
    let ingestor = collector::ingest::Ingestor::new(store.clone(), &config);
    let app: axum::Router = api::ingest::router_with(&state, auth, ingestor.clone())
        .merge(api::webhooks::router_with(
            &state,
            Some(Secret::new(GITHUB_SECRET)),
            ingestor.clone(),
        ))
        .into();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    let (plan, expected) = plan(n);
    let count = |f: fn(&Delivery) -> bool| plan.iter().filter(|d| f(d)).count();
    println!(
        "{} deliveries ({} generic events, {} PagerDuty webhooks, {} GitHub webhooks; {} \
         redeliveries) to {base}, {concurrency} at a time, store {}",
        plan.len(),
        count(|d| matches!(d, Delivery::Event(_))),
        count(|d| matches!(d, Delivery::PagerDuty(_))),
        count(|d| matches!(d, Delivery::GitHub(..))),
        plan.len() - expected.raw,
        store.backend_name(),
    );
    println!(
        "meanwhile: a GitHub sync of {} repositories from the fake GitHub at {} ({latency_ms} ms \
         per request)",
        config.repos().len(),
        fake.url
    );

    let plan = Arc::new(plan);
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let started = Instant::now();

    // The sync, as `doraboard collect` runs it, into the same store.
    let gh = GitHub::new(ClientOptions::new(
        config.github.api_url.clone(),
        Some(Secret::new(GITHUB_TOKEN)),
    ))?;
    let sync = {
        let (config, store) = (Arc::clone(&config), store.clone());
        tokio::spawn(async move {
            let report = SyncRunner::new()
                .run(&config, &store, &gh, &SyncOptions::default(), &Quiet)
                .await;
            (report, started.elapsed())
        })
    };

    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (plan, next, client, base) = (
            Arc::clone(&plan),
            Arc::clone(&next),
            client.clone(),
            base.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(delivery) = plan.get(i) else { break };
                let request = match delivery {
                    Delivery::Event(body) => client
                        .post(format!("{base}/api/v1/events"))
                        .bearer_auth(TOKEN)
                        .body(body.clone()),
                    Delivery::PagerDuty(body) => client
                        .post(format!("{base}/api/v1/webhooks/pagerduty"))
                        .header(
                            "x-pagerduty-signature",
                            collector::pagerduty::sign(SECRET.as_bytes(), body.as_bytes()),
                        )
                        .body(body.clone()),
                    Delivery::GitHub(event, id, body) => client
                        .post(format!("{base}/api/v1/webhooks/github"))
                        .header("content-type", "application/json")
                        .header("x-github-event", *event)
                        .header("x-github-delivery", id)
                        .header(
                            "x-hub-signature-256",
                            collector::webhooks::github::sign(
                                GITHUB_SECRET.as_bytes(),
                                body.as_bytes(),
                            ),
                        )
                        .body(body.clone()),
                };
                let sent = Instant::now();
                match request.send().await {
                    Ok(response) if response.status().is_success() => {}
                    Ok(response) => failures.push(format!(
                        "{}: {}",
                        response.status(),
                        response.text().await.unwrap_or_default()
                    )),
                    Err(e) => failures.push(e.to_string()),
                }
                latencies.push(sent.elapsed());
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::with_capacity(n);
    let mut failures = Vec::new();
    for worker in workers {
        let (l, f) = worker.await?;
        latencies.extend(l);
        failures.extend(f);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "sent {} in {:.2} s: {:.0} deliveries/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(pct(1.0)),
    );

    ingestor.settled().await;
    println!(
        "analysed: the metrics include every delivery {:.2} s after the first was sent",
        started.elapsed().as_secs_f64()
    );
    let (report, sync_elapsed) = sync.await?;
    let report = report?;
    println!(
        "sync: {} repositories, {} failed; {} records stored ({} changes, {} deployments, {} \
         incidents); {} requests; finished {:.2} s after the first delivery was sent ({})",
        report.repos.len(),
        report.failed(),
        report.records(),
        report.repos.iter().map(|r| r.changes).sum::<u64>(),
        report.repos.iter().map(|r| r.deployments).sum::<u64>(),
        report.repos.iter().map(|r| r.incidents).sum::<u64>(),
        report.requests(),
        sync_elapsed.as_secs_f64(),
        if sync_elapsed >= elapsed {
            "it ran through every delivery".to_string()
        } else {
            format!(
                "it ran through {:.0}% of the sending",
                100.0 * sync_elapsed.as_secs_f64() / elapsed.as_secs_f64()
            )
        },
    );
    for r in report.repos.iter().filter(|r| r.error.is_some()) {
        println!(
            "  sync of {} FAILED: {}",
            r.repo,
            r.error.as_deref().unwrap_or_default()
        );
    }

    let counts = store.counts().await?;
    let raw = store.raw_event_count(None).await?;
    let synced = |f: fn(&collector::sync::RepoReport) -> u64| -> i64 {
        report.repos.iter().map(f).sum::<u64>() as i64
    };
    let mut checks = vec![
        ("failed requests".to_string(), failures.len() as i64, 0),
        ("failed repo syncs".to_string(), report.failed() as i64, 0),
        ("raw events logged".to_string(), raw, expected.raw as i64),
        (
            "changes".to_string(),
            counts.changes,
            (expected.changes as i64) + synced(|r| r.changes),
        ),
        (
            "deployments".to_string(),
            counts.deployments,
            (expected.deployments as i64) + synced(|r| r.deployments),
        ),
        (
            "incidents".to_string(),
            counts.incidents,
            (expected.incidents as i64) + synced(|r| r.incidents),
        ),
    ];
    // Each repository holds exactly what its sync stored plus what was pushed to it.
    let mut matching = 0;
    let mut mismatches = Vec::new();
    for r in &report.repos {
        let slug: engine::model::RepoSlug = r.repo.parse()?;
        let stored = store.repo_records(&slug).await?;
        let got = stored.changes.len() + stored.deployments.len() + stored.incidents.len();
        let want = r.records() as usize + expected.per_repo.get(&r.repo).copied().unwrap_or(0);
        if got == want {
            matching += 1;
        } else {
            mismatches.push(format!(
                "{}: {got} records, expected {want} ({} synced)",
                r.repo,
                r.records()
            ));
        }
    }
    checks.push((
        "repositories whose records = synced + pushed".to_string(),
        matching,
        report.repos.len() as i64,
    ));
    let mut ok = true;
    for (what, got, want) in checks {
        let verdict = if got == want { "ok" } else { "MISMATCH" };
        ok &= got == want;
        println!("  {what:<44} {got:>6} (expected {want:>6}) {verdict}");
    }
    for failure in failures.iter().take(5) {
        println!("  failure: {failure}");
    }
    for mismatch in &mismatches {
        println!("  mismatch: {mismatch}");
    }
    println!(
        "count check: {}",
        if ok {
            "every distinct delivery stored exactly once, and every record of the sync"
        } else {
            "FAILED"
        }
    );
    let _ = stop.send(());
    let _ = server.await;
    store.close().await;
    Ok(ok)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What the store must hold afterwards, beside what the sync stores.
#[derive(Default)]
struct Expected {
    raw: usize,
    changes: usize,
    deployments: usize,
    incidents: usize,
    /// Records pushed to each repository (PagerDuty's incidents belong to teams, not
    /// repositories); the sync's are added to these.
    per_repo: BTreeMap<String, usize>,
}

/// `n` deliveries: for each repository, changes and the deployments shipping them; incidents
/// posted as events; PagerDuty incident lifecycles (triggered, acknowledged, resolved); GitHub
/// `pull_request` (merged) and `deployment_status` (success) webhooks to the synced
/// repositories; and every 20th delivery a redelivery of an earlier one (sent concurrently
/// with it, often).
fn plan(n: usize) -> (Vec<Delivery>, Expected) {
    let mut plan: Vec<Delivery> = Vec::with_capacity(n);
    let mut expected = Expected::default();
    let mut pagerduty_incidents = std::collections::HashSet::new();
    let mut i = 0;
    while plan.len() < n {
        if plan.len() % 20 == 19 {
            let earlier = plan[plan.len() - 7].redelivery();
            plan.push(earlier);
            continue;
        }
        let repo = format!("acme/service-{:02}", i % REPOS);
        let day = 1 + (i / REPOS) % 28;
        let minute = (i / (REPOS * 28)) % 60;
        let at = |hour: u32| format!("2026-03-{day:02}T{hour:02}:{minute:02}:00Z");
        let sha = format!("{:040x}", i as u128 * 0x9E37_79B9_7F4A_7C15);
        let github_repo = fake_github::scenario::REPOS[(i / 10) % 3].0;
        let delivery = match i % 10 {
            0..=2 => {
                expected.changes += 1;
                *expected.per_repo.entry(repo.clone()).or_default() += 1;
                Delivery::Event(
                    json!({"type": "change", "id": format!("{repo}#{i}"), "repo": repo,
                        "number": i, "title": format!("Change {i}"), "author": "dev",
                        "first_commit_at": at(8), "merged_at": at(10), "merge_sha": sha,
                        "labels": if i % 50 == 0 { vec!["hotfix"] } else { vec![] }})
                    .to_string(),
                )
            }
            3 => {
                expected.changes += 1;
                *expected
                    .per_repo
                    .entry(github_repo.to_string())
                    .or_default() += 1;
                let number = WEBHOOK_IDS + i;
                Delivery::GitHub(
                    "pull_request",
                    format!("gh-delivery-{i}"),
                    github_envelope(
                        "closed",
                        github_repo,
                        json!({"number": number,
                            "pull_request": github_pull(github_repo, number, &sha, &at(8), &at(10))}),
                    )
                    .to_string(),
                )
            }
            4 | 5 => {
                expected.deployments += 1;
                *expected.per_repo.entry(repo.clone()).or_default() += 1;
                Delivery::Event(
                    json!({"type": "deployment", "id": format!("ci-{i}"), "repo": repo,
                        "environment": "production", "sha": sha,
                        "status": if i % 17 == 0 { "failure" } else { "success" },
                        "started_at": at(11), "finished_at": at(12)})
                    .to_string(),
                )
            }
            6 => {
                expected.deployments += 1;
                *expected
                    .per_repo
                    .entry(github_repo.to_string())
                    .or_default() += 1;
                Delivery::GitHub(
                    "deployment_status",
                    format!("gh-delivery-{i}"),
                    github_deployment_status(github_repo, WEBHOOK_IDS + i, &sha, &at(11), &at(12))
                        .to_string(),
                )
            }
            7 => {
                expected.incidents += 1;
                *expected.per_repo.entry(repo.clone()).or_default() += 1;
                Delivery::Event(
                    json!({"type": "incident", "id": format!("OG-{i}"), "repo": repo,
                        "title": "Latency alert", "opened_at": at(13), "resolved_at": at(14)})
                    .to_string(),
                )
            }
            step => {
                // PagerDuty: each incident is triggered, then resolved two hours later.
                let incident = format!("QPD{}", i / 10);
                let (kind, hour) = if step == 8 {
                    ("incident.triggered", 15)
                } else {
                    ("incident.resolved", 17)
                };
                let service = format!("PSVC{:03}", (i / 10) % REPOS);
                pagerduty_incidents.insert(incident.clone());
                Delivery::PagerDuty(
                    json!({"event": {"id": format!("EV{i}"), "event_type": kind,
                        "resource_type": "incident", "occurred_at": at(hour),
                        "agent": {"id": "PLH1HKV", "type": "user_reference"},
                        "client": {"name": "PagerDuty"},
                        "data": {"id": incident, "type": "incident", "number": i / 10,
                            "status": "triggered", "title": "Error rate above 5%",
                            "created_at": at(15),
                            "service": {"id": service, "type": "service_reference"},
                            "urgency": "high"}}})
                    .to_string(),
                )
            }
        };
        expected.raw += 1;
        plan.push(delivery);
        i += 1;
    }
    expected.incidents += pagerduty_incidents.len();
    (plan, expected)
}

// ---- GitHub webhook payloads, in GitHub's shapes (trimmed) -----------------------------------

fn github_user(login: &str) -> Value {
    json!({"login": login, "id": 1001, "type": "User", "site_admin": false})
}

fn github_envelope(action: &str, repo: &str, mut extra: Value) -> Value {
    let (owner, name) = repo.split_once('/').unwrap_or(("acme", repo));
    if let Some(object) = extra.as_object_mut() {
        object.insert("action".into(), json!(action));
        object.insert(
            "repository".into(),
            json!({"id": 123456, "name": name, "full_name": repo, "private": true,
                "owner": {"login": owner, "id": 42, "type": "Organization"},
                "default_branch": "main"}),
        );
        object.insert("sender".into(), github_user("alice"));
    }
    extra
}

fn github_pull(repo: &str, number: usize, sha: &str, created: &str, merged: &str) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/{repo}/pulls/{number}"), "id": number,
        "number": number, "state": "closed", "locked": false, "title": format!("Change {number}"),
        "user": github_user("alice"), "body": "", "labels": [],
        "created_at": created, "updated_at": merged, "closed_at": merged, "merged_at": merged,
        "merge_commit_sha": sha, "draft": false,
        "head": {"label": "acme:topic", "ref": "topic", "sha": sha, "user": github_user("alice")},
        "base": {"label": "acme:main", "ref": "main", "sha": sha, "user": github_user("acme")},
        "merged": true, "comments": 0, "review_comments": 0, "commits": 1, "additions": 1,
        "deletions": 1, "changed_files": 1,
    })
}

fn github_deployment_status(
    repo: &str,
    id: usize,
    sha: &str,
    created: &str,
    finished: &str,
) -> Value {
    github_envelope(
        "created",
        repo,
        json!({
            "deployment_status": {"id": id, "state": "success", "creator": github_user("bot"),
                "description": "", "environment": "production", "created_at": finished,
                "updated_at": finished,
                "deployment_url": format!("https://api.github.com/repos/{repo}/deployments/{id}")},
            "deployment": {"url": format!("https://api.github.com/repos/{repo}/deployments/{id}"),
                "id": id, "sha": sha, "ref": "main", "task": "deploy", "payload": {},
                "original_environment": "production", "environment": "production",
                "creator": github_user("bot"), "created_at": created, "updated_at": finished,
                "transient_environment": false, "production_environment": true},
        }),
    )
}

/// The organisation synced from the fake GitHub (teams shop and platform, deployments from
/// GitHub Deployments), and one team per bench repository; PagerDuty service `PSVCnnn` belongs
/// to team `tnn`.
/// Every delivery in flight is admitted (`max_pending_deliveries`): the bench measures how fast
/// they are stored, not how they are refused.
fn config_toml(api_url: &str, concurrency: usize) -> String {
    let mut text = format!(
        "[api]\nmax_pending_deliveries = {concurrency}\n\n\
         [github]\napi_url = \"{api_url}\"\n\n[collector]\nsince = \"2026-01-01\"\n\n\
         [deployments]\nsource = \"deployments\"\nenvironment = \"production\"\n\n\
         [incidents]\nlabel = \"incident\"\n\n[pagerduty.services]\n"
    );
    for r in 0..REPOS {
        text.push_str(&format!("PSVC{r:03} = \"t{r:02}\"\n"));
    }
    text.push_str(
        "\n[[teams]]\nslug = \"shop\"\nrepos = [\"acme/shop\"]\n\
         \n[[teams]]\nslug = \"platform\"\nrepos = [\"acme/api\", \"acme/web\"]\n",
    );
    for r in 0..REPOS {
        text.push_str(&format!(
            "\n[[teams]]\nslug = \"t{r:02}\"\nrepos = [\"acme/service-{r:02}\"]\n"
        ));
    }
    text
}
