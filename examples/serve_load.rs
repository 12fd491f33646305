//! Loads a running `doraboard serve` the way a crowd would, and prints what it cost:
//!
//! - the time to refuse an absurd period (`bucket=day` from year 1 to 9999), median of 5;
//! - the server's peak memory (VmHWM, the kernel's high-water mark of its resident set) after 64
//!   clients at once each ask one heavy valid question: a year by day for every scope
//!   (`/api/v1/metrics/scopes` and each scope's `/api/v1/metrics`), a 4K PNG chart, a CSV export
//!   or the report. A client refused with 503 waits `Retry-After` and asks again, so every
//!   question is answered in the end; the refusals are counted;
//! - the throughput of `GET /api/v1/metrics` (the dashboard's question, answered from the cache)
//!   with 16 connections for 5 seconds.
//!
//! It starts the server itself, from the binary given (release build recommended), with the
//! arguments given (default `serve --demo`), on a free port of 127.0.0.1, and stops it at the
//! end:
//!
//! ```sh
//! cargo build --release --bin doraboard --example serve_load
//! target/release/examples/serve_load target/release/doraboard serve --demo
//! target/release/examples/serve_load target/release/doraboard --config perf/doraboard.toml serve
//! ```
//!
//! Linux only (it reads `/proc`). Not a test: the figures depend on the machine.

use anyhow::{Context, bail};
use chrono::{Duration, Utc};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const CLIENTS: usize = 64;
const THROUGHPUT_CONNECTIONS: usize = 16;
const THROUGHPUT_SECONDS: u64 = 5;

/// The server process; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `binary args... --addr 127.0.0.1:0` and reads the address it prints.
    fn start(binary: &str, args: &[String]) -> anyhow::Result<Server> {
        let mut child = Command::new(binary)
            .args(args)
            .args(["--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {binary}"))?;
        let stdout = child.stdout.take().context("the server's output")?;
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let Some(line) = lines.next().transpose()? else {
                bail!("the server stopped before listening");
            };
            if let Some(rest) = line.split("http://").nth(1) {
                let address = rest.split('/').next().unwrap_or_default();
                break format!("http://{address}");
            }
        };
        Ok(Server { child, base })
    }

    /// A line of `/proc/PID/status`, in MB.
    fn memory(&self, field: &str) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("{field} in /proc status"))?;
        Ok(kb / 1024.0)
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The heavy questions: a year by day for every scope, 4K charts, CSV exports, the report.
fn heavy_questions(slugs: &[String], from: &str, to: &str) -> Vec<String> {
    let period = format!("from={from}&to={to}");
    let mut paths = vec![format!("/api/v1/metrics/scopes?{period}&bucket=day")];
    for slug in slugs {
        paths.push(format!("/api/v1/metrics?team={slug}&{period}&bucket=day"));
    }
    for metric in [
        "deployment_frequency",
        "lead_time",
        "change_failure_rate",
        "time_to_restore",
    ] {
        paths.push(format!(
            "/api/v1/charts/{metric}.png?{period}&bucket=day&width=3840&height=2160"
        ));
    }
    paths.push(format!("/api/v1/metrics.csv?{period}&bucket=day"));
    paths.push(format!("/api/v1/explain/changes.csv?{period}"));
    paths.push(format!("/api/v1/explain/deployments.csv?{period}"));
    paths.push(format!("/api/v1/report?{period}"));
    paths
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let binary = args
        .first()
        .map_or("target/release/doraboard", String::as_str);
    let serve_args: Vec<String> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        vec!["serve".into(), "--demo".into()]
    };
    let started = Instant::now();
    let server = Server::start(binary, &serve_args)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let (fetcher, base) = (client.clone(), server.base.clone());
    let get = move |path: String| {
        let client = fetcher.clone();
        let url = format!("{base}{path}");
        async move {
            let response = client.get(&url).send().await?;
            let status = response.status().as_u16();
            let bytes = response.bytes().await?.len();
            anyhow::Ok((status, bytes))
        }
    };
    get("/healthz".into()).await?;
    println!(
        "server: {} {}, listening after {:.0} ms, resident {:.0} MB",
        binary,
        serve_args.join(" "),
        ms(started),
        server.memory("VmRSS:")?
    );

    // 1. An absurd period, refused.
    let mut refusals = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let (status, _) =
            get("/api/v1/metrics?bucket=day&from=0001-01-01&to=9999-12-31".into()).await?;
        refusals.push(ms(t));
        if status != 400 {
            bail!("the absurd period answered {status}, not 400");
        }
    }
    println!(
        "absurd period (day buckets, years 1 to 9999): 400 in {:.2} ms (median of 5)",
        median(&mut refusals)
    );

    // 2. 64 heavy valid questions at once.
    let teams: serde_json::Value = client
        .get(format!("{}/api/v1/teams", server.base))
        .send()
        .await?
        .json()
        .await?;
    let slugs: Vec<String> = teams
        .as_array()
        .context("teams")?
        .iter()
        .filter_map(|t| t["slug"].as_str().map(str::to_string))
        .collect();
    let to = Utc::now().date_naive() + Duration::days(1);
    let from = to - Duration::days(365);
    let questions = heavy_questions(&slugs, &from.to_string(), &to.to_string());
    let refused = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let path = questions[i % questions.len()].clone();
        let (get, refused, bytes) = (get.clone(), refused.clone(), bytes.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let (status, size) = get(path.clone()).await?;
                match status {
                    200 => {
                        bytes.fetch_add(size as u64, Ordering::Relaxed);
                        return anyhow::Ok(());
                    }
                    503 => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                    other => bail!("{path}: {other}"),
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    println!(
        "{CLIENTS} heavy questions at once ({} kinds): all answered in {:.1} s, {:.1} MB in all, {} refusals with 503 on the way (each retried after Retry-After)",
        questions.len(),
        t.elapsed().as_secs_f64(),
        bytes.load(Ordering::Relaxed) as f64 / 1e6,
        refused.load(Ordering::Relaxed)
    );
    println!(
        "peak resident memory of the server: {:.0} MB (VmHWM), now {:.0} MB",
        server.memory("VmHWM:")?,
        server.memory("VmRSS:")?
    );

    // 3. Throughput of the dashboard's question.
    let path = "/api/v1/metrics?bucket=week".to_string();
    get(path.clone()).await?;
    let answered = Arc::new(AtomicU64::new(0));
    let busy = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + std::time::Duration::from_secs(THROUGHPUT_SECONDS);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..THROUGHPUT_CONNECTIONS {
        let (get, path, answered, busy) =
            (get.clone(), path.clone(), answered.clone(), busy.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                match get(path.clone()).await?.0 {
                    200 => answered.fetch_add(1, Ordering::Relaxed),
                    503 => busy.fetch_add(1, Ordering::Relaxed),
                    other => bail!("{path}: {other}"),
                };
            }
            anyhow::Ok(())
        }))
    }
    for task in tasks {
        task.await??;
    }
    let seconds = t.elapsed().as_secs_f64();
    println!(
        "GET {path}: {:.0} answers/s with {THROUGHPUT_CONNECTIONS} connections over {seconds:.1} s ({} refused with 503)",
        answered.load(Ordering::Relaxed) as f64 / seconds,
        busy.load(Ordering::Relaxed)
    );
    Ok(())
}
