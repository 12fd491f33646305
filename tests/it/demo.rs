//! The demo organisation end to end: through the real binary, and through the store twice.

use engine::store::Store;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Seeding the demo twice leaves every count and every figure unchanged.
#[tokio::test]
async fn loading_the_demo_twice_changes_no_count() {
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let end = engine::period::Period::parse_date("2026-11-01").expect("date");
    let config = collector::demo::seed(&store, end)
        .await
        .expect("first seed");
    let counts = store.counts().await.expect("counts");
    let period = engine::period::Period::new(
        engine::period::Period::parse_date("2026-05-01").expect("from"),
        end,
    )
    .expect("period");
    let metrics = engine::query::metrics(&store, &config, None, period, None)
        .await
        .expect("metrics");
    collector::demo::seed(&store, end)
        .await
        .expect("second seed");
    assert_eq!(store.counts().await.expect("counts"), counts);
    let again = engine::query::metrics(&store, &config, None, period, None)
        .await
        .expect("metrics");
    assert_eq!(again, metrics);
    assert!(
        counts.deployments > 1000 && counts.changes > 2000,
        "{counts:?}"
    );
}

/// Kills the child process when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `doraboard serve --demo` needs no config and no token, prints its address, and serves the
/// demo teams and metrics there.
#[tokio::test]
async fn serve_demo_prints_its_address_and_serves_the_demo() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_doraboard"))
            .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env_remove("DORABOARD_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains("http://"))
    })
    .await
    .expect("reader")
    .expect("the server prints its address");
    let start = line.find("http://").expect("address");
    let base = line[start..]
        .split_whitespace()
        .next()
        .expect("url")
        .trim_end_matches('/')
        .to_string();
    let teams: serde_json::Value = reqwest::get(format!("{base}/api/v1/teams"))
        .await
        .expect("teams")
        .json()
        .await
        .expect("json");
    assert!(teams.as_array().is_some_and(|t| t.len() >= 9), "{teams}");
    let response = reqwest::get(format!("{base}/api/v1/metrics?team=checkout&bucket=week"))
        .await
        .expect("metrics");
    assert_eq!(response.status().as_u16(), 200);
    let metrics: serde_json::Value = response.json().await.expect("json");
    assert!(
        metrics["deployment_frequency"]["deployments"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "the default period (the last 90 days) shows recent demo data: {metrics}"
    );
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "the demo wrote no file"
    );
}
