//! The real `doraboard` binary against the fake GitHub: `collect` into a SQLite file, then
//! `metrics --json` reads the figures worked out by hand; a second `collect` costs only 304s; a
//! `collect` killed with SIGKILL and run again ends with the data of an uninterrupted one; two
//! `serve` replicas on one PostgreSQL both report the sync a `collect` ran.

use crate::fake_github;
use crate::support;

use fake_github::FakeGithub;
use fake_github::harness::{TOKEN, client, collect, records, setup};
use fake_github::scenario::{self, END, START};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn doraboard(config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_doraboard"));
    command
        .arg("--config")
        .arg(config)
        .env("DORABOARD_TEST_GITHUB_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

fn collect_command(config: &Path) -> Command {
    let mut command = doraboard(config);
    command.arg("collect");
    command
}

async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("doraboard runs"))
        .await
        .expect("joined")
}

/// A fake serving the organisation, and a configuration file pointing at it and at a SQLite
/// file in `dir`.
async fn org(dir: &Path) -> (FakeGithub, std::path::PathBuf) {
    let database = format!("sqlite://{}", dir.join("doraboard.db").display());
    org_on(dir, &database).await
}

/// Like [`org`], with the database at `database`.
async fn org_on(dir: &Path, database: &str) -> (FakeGithub, std::path::PathBuf) {
    let fake = FakeGithub::start().await;
    scenario::org(&mut fake.world());
    *fake.shared.token.lock().expect("lock") = Some(TOKEN.to_string());
    let config = dir.join("doraboard.toml");
    std::fs::write(
        &config,
        scenario::org_config(&fake.url, database, "deployments"),
    )
    .expect("write the config");
    (fake, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_then_metrics_json_gives_the_figures_worked_out_by_hand() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (fake, config) = org(dir.path()).await;

    let out = output(collect_command(&config)).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("acme/shop") && stdout.contains("3 repositories, 0 failed"),
        "{stdout}"
    );

    let mut metrics = doraboard(&config);
    metrics.args(["metrics", "--from", START, "--to", END, "--json"]);
    let out = output(metrics).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metrics JSON");
    assert_eq!(m["deployment_frequency"]["deployments"], 121);
    assert_eq!(m["lead_time"]["changes"], 361);
    assert_eq!(m["lead_time"]["median_seconds"], 25_800);
    assert_eq!(m["change_failure_rate"]["failed"], 5);
    assert_eq!(m["time_to_restore"]["incidents"], 2);
    assert_eq!(m["time_to_restore"]["rollbacks"], 1);
    assert_eq!(m["time_to_restore"]["median_seconds"], 3_600);
    assert_eq!(m["rework_rate"]["rework"], 2);

    fake.clear_log();
    let out = output(collect_command(&config)).await;
    assert!(out.status.success());
    let log = fake.log();
    assert_eq!(log.len(), 15);
    assert!(
        log.iter().all(|r| r.conditional && r.status == 304),
        "{log:#?}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("0 records stored; 15 requests, 15 answered 304"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collect_killed_with_sigkill_then_rerun_ends_with_the_same_data() {
    // The data of one uninterrupted sync, in process.
    let clean = FakeGithub::start().await;
    scenario::org(&mut clean.world());
    let (clean_config, clean_store) = setup(&clean, "deployments").await;
    collect(&clean_config, &clean_store, &client(&clean)).await;
    let expected = records(&clean_config, &clean_store).await;
    let half = clean.requests() / 2;

    let dir = tempfile::tempdir().expect("temp dir");
    let (fake, config) = org(dir.path()).await;
    let mut child = doraboard(&config)
        .arg("collect")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("doraboard starts");
    while fake.requests() < half {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("reaped");
    assert!(!status.success(), "killed mid-way");

    let out = output(collect_command(&config)).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&config).expect("config");
    let config = engine::config::Config::from_toml_str(&text, "test").expect("config");
    let store = engine::store::Store::connect(&config.database_url)
        .await
        .expect("the database");
    assert_eq!(records(&config, &store).await, expected);
    assert_eq!(
        store.counts().await.expect("counts"),
        clean_store.counts().await.expect("counts")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_fails_with_a_summary_when_a_repository_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_fake, config) = org(dir.path()).await;
    // A repository GitHub does not know (a typo, or no access): 404, not worth retrying.
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("\n[[teams]]\nslug = \"ghost\"\nrepos = [\"acme/ghost\"]\n");
    std::fs::write(&config, text).expect("config");
    let mut command = doraboard(&config);
    command.args(["collect", "--since", START]);
    let out = output(command).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stdout.contains("FAILED") && stdout.contains("4 repositories, 1 failed"),
        "{stdout}"
    );
    assert!(stderr.contains("1 of 4 repositories failed"), "{stderr}");
    assert!(!stderr.contains(TOKEN) && !stdout.contains(TOKEN));
}

/// GETs `path` of `base` as JSON.
async fn get_json(base: &str, path: &str) -> serde_json::Value {
    reqwest::get(format!("{base}{path}"))
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: not JSON: {e}"))
}

/// The value of the unlabelled sample `name` in a Prometheus exposition.
fn sample(exposition: &str, name: &str) -> f64 {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in\n{exposition}"))
}

/// Two `serve` replicas and a `collect` from a scheduler, one PostgreSQL: whichever process
/// ran the sync, both replicas report it, and count it, the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_replicas_both_report_the_sync_a_collect_ran_on_their_postgres() {
    let Some(db) = engine::store::testing::TestStore::postgres("replicas").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (fake, config) = org_on(dir.path(), &db.url).await;
    let replica = || {
        let mut command = doraboard(&config);
        command
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env_remove("DORABOARD_DATABASE_URL")
            // Their own schedule never comes during the test: only the `collect` syncs.
            .env("DORABOARD_COLLECTOR_SCHEDULE", "0 0 0 1 1 * 2099");
        support::process::serve(command)
    };
    let (_first, first) = replica().await;
    let (_second, second) = replica().await;
    for base in [&first, &second] {
        let status = get_json(base, "/api/v1/sync/status").await;
        assert_eq!(status["running"], false, "{status}");
        assert!(status["last"].is_null(), "no sync yet: {status}");
    }

    let mut collect = collect_command(&config);
    collect.env_remove("DORABOARD_DATABASE_URL");
    let out = output(collect).await;
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = fake.requests();

    let status = get_json(&first, "/api/v1/sync/status").await;
    let last = &status["last"];
    assert_eq!(last["ok"], true, "{status}");
    assert_eq!(last["repositories"], 3, "{status}");
    assert_eq!(last["failed"], 0, "{status}");
    assert_eq!(last["requests"], requests, "{status}");
    assert_eq!(
        last["failures"].as_array().map(Vec::len),
        Some(0),
        "{status}"
    );
    assert!(last["records"].as_u64().is_some_and(|n| n > 0), "{status}");
    assert_eq!(
        get_json(&second, "/api/v1/sync/status").await,
        status,
        "both replicas report the same sync"
    );
    for base in [&first, &second] {
        let health = get_json(base, "/healthz").await;
        let sync = &health["sync"];
        assert_eq!(sync["running"], false, "{health}");
        assert_eq!(sync["ok"], true, "{health}");
        assert_eq!(sync["repositories"], 3, "{health}");
        assert_eq!(sync["failed"], 0, "{health}");
        assert_eq!(sync["finished_at"], last["finished_at"], "{health}");

        let metrics = reqwest::get(format!("{base}/metrics"))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("text");
        assert_eq!(sample(&metrics, "doraboard_sync_runs_total"), 1.0);
        assert_eq!(sample(&metrics, "doraboard_sync_failures_total"), 0.0);
        assert_eq!(
            sample(&metrics, "doraboard_github_requests_total"),
            requests as f64,
            "the collect's requests, counted in the store"
        );
    }
    db.finish().await;
}
