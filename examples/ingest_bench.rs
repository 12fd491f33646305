//! Load test of push ingestion: N deliveries (generic events and signed PagerDuty webhooks, some
//! of them redelivered) sent concurrently over loopback to the ingestion routes served
//! in-process on 127.0.0.1:0; prints deliveries per second and checks that every distinct
//! delivery was stored exactly once.
//!
//! ```sh
//! cargo run --release --example ingest_bench                      # 10,000 deliveries, SQLite file
//! cargo run --release --example ingest_bench -- 20000 128         # deliveries, concurrency
//! BENCH_DATABASE_URL=postgres://... cargo run --release --example ingest_bench
//! ```
//!
//! Not a test: it takes a few seconds and its figures depend on the machine. It exits non-zero
//! when a count check fails.

use api::ingest::IngestAuth;
use engine::config::{Config, Secret};
use engine::store::Store;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";
const SECRET: &str = "bench-pagerduty-secret";
const REPOS: usize = 20;

/// One request to send.
enum Delivery {
    Event(String),
    PagerDuty(String),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let deliveries: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    match run(deliveries, concurrency).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(n: usize, concurrency: usize) -> Result<bool, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = Store::connect(&url).await?;
    let config = Arc::new(Config::from_toml_str(
        &config_toml(),
        "bench configuration",
    )?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = api::AppState {
        store: store.clone(),
        config: Arc::clone(&config),
    };
    let auth = IngestAuth::new(Some(&Secret::new(TOKEN)), Some(Secret::new(SECRET)));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let ingestor = collector::ingest::Ingestor::new(store.clone(), &config);
    let serving = ingestor.clone();
    let server = tokio::spawn(async move {
        api::ingest::serve_with(listener, &state, auth, serving, async {
            let _ = stopped.await;
        })
        .await
    });

    let (plan, expected) = plan(n);
    println!(
        "{} deliveries ({} generic events, {} PagerDuty webhooks; {} redeliveries) to {base}, \
         {concurrency} at a time, store {}",
        plan.len(),
        plan.iter()
            .filter(|d| matches!(d, Delivery::Event(_)))
            .count(),
        plan.iter()
            .filter(|d| matches!(d, Delivery::PagerDuty(_)))
            .count(),
        plan.len() - expected.raw,
        store.backend_name(),
    );

    let plan = Arc::new(plan);
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let started = Instant::now();
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
    let counts = store.counts().await?;
    let raw = store.raw_event_count(None).await?;
    let checks = [
        ("failed requests", failures.len() as i64, 0),
        ("raw events logged", raw, expected.raw as i64),
        ("changes", counts.changes, expected.changes as i64),
        (
            "deployments",
            counts.deployments,
            expected.deployments as i64,
        ),
        ("incidents", counts.incidents, expected.incidents as i64),
    ];
    let mut ok = true;
    for (what, got, want) in checks {
        let verdict = if got == want { "ok" } else { "MISMATCH" };
        ok &= got == want;
        println!("  {what:<18} {got:>7} (expected {want:>7}) {verdict}");
    }
    for failure in failures.iter().take(5) {
        println!("  failure: {failure}");
    }
    println!(
        "count check: {}",
        if ok {
            "every distinct delivery stored exactly once"
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

/// What the store must hold afterwards.
#[derive(Default)]
struct Expected {
    raw: usize,
    changes: usize,
    deployments: usize,
    incidents: usize,
}

/// `n` deliveries: for each repository, changes and the deployments shipping them; incidents
/// posted as events; PagerDuty incident lifecycles (triggered, acknowledged, resolved); and
/// every 20th delivery a redelivery of an earlier one (sent concurrently with it, often).
fn plan(n: usize) -> (Vec<Delivery>, Expected) {
    let mut plan = Vec::with_capacity(n);
    let mut expected = Expected::default();
    let mut pagerduty_incidents = std::collections::HashSet::new();
    let mut i = 0;
    while plan.len() < n {
        if plan.len() % 20 == 19 {
            let earlier = match &plan[plan.len() - 7] {
                Delivery::Event(b) => Delivery::Event(b.clone()),
                Delivery::PagerDuty(b) => Delivery::PagerDuty(b.clone()),
            };
            plan.push(earlier);
            continue;
        }
        let repo = format!("acme/service-{:02}", i % REPOS);
        let day = 1 + (i / REPOS) % 28;
        let minute = (i / (REPOS * 28)) % 60;
        let at = |hour: u32| format!("2026-03-{day:02}T{hour:02}:{minute:02}:00Z");
        let sha = format!("{:040x}", i as u128 * 0x9E37_79B9_7F4A_7C15);
        let delivery = match i % 10 {
            0..=3 => {
                expected.changes += 1;
                Delivery::Event(
                    json!({"type": "change", "id": format!("{repo}#{i}"), "repo": repo,
                        "number": i, "title": format!("Change {i}"), "author": "dev",
                        "first_commit_at": at(8), "merged_at": at(10), "merge_sha": sha,
                        "labels": if i % 50 == 0 { vec!["hotfix"] } else { vec![] }})
                    .to_string(),
                )
            }
            4..=6 => {
                expected.deployments += 1;
                Delivery::Event(
                    json!({"type": "deployment", "id": format!("ci-{i}"), "repo": repo,
                        "environment": "production", "sha": sha,
                        "status": if i % 17 == 0 { "failure" } else { "success" },
                        "started_at": at(11), "finished_at": at(12)})
                    .to_string(),
                )
            }
            7 => {
                expected.incidents += 1;
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

/// One team per repository; PagerDuty service `PSVCnnn` belongs to team `tnn`.
fn config_toml() -> String {
    let mut text = String::from("[collector]\nsince = \"2026-01-01\"\n\n[pagerduty.services]\n");
    for r in 0..REPOS {
        text.push_str(&format!("PSVC{r:03} = \"t{r:02}\"\n"));
    }
    for r in 0..REPOS {
        text.push_str(&format!(
            "\n[[teams]]\nslug = \"t{r:02}\"\nrepos = [\"acme/service-{r:02}\"]\n"
        ));
    }
    text
}
