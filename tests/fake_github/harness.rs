//! Wiring the collector to the fake: a client with test-speed waits, a configured store, and a
//! dump of everything stored to compare two syncs.

use super::FakeGithub;
use collector::github::{ClientOptions, GitHub, RetryPolicy};
use collector::sync::{Quiet, SyncOptions, SyncReport, SyncRunner};
use engine::config::{Config, Secret};
use engine::store::Store;
use engine::store::github::RepoRecords;
use std::time::Duration;

pub const TOKEN: &str = "ghp_test_token_0123456789";

/// The real policy (a minute after a secondary rate limit, backoff from 1 s...) with every
/// wait shrunk a thousandfold. The timeout stays generous: parallel tests on two cores make
/// even a fast fake answer slowly now and then (the timeout path has a test of its own).
pub fn client(fake: &FakeGithub) -> GitHub {
    client_with(fake, Duration::from_secs(10), 0.001)
}

pub fn client_with(fake: &FakeGithub, timeout: Duration, wait_scale: f64) -> GitHub {
    *super::lock(&fake.shared.token) = Some(TOKEN.to_string());
    let options = ClientOptions::new(fake.url.clone(), Some(Secret::new(TOKEN)));
    tuned(options, timeout, wait_scale)
}

/// The app the fake knows in [`setup_app`].
pub const APP_ID: u64 = 4242;
pub const INSTALLATION_ID: u64 = 77;

/// Like [`setup`], authenticating as a GitHub App whose key is read from its file: the fake
/// issues installation tokens that live `lifetime` seconds and serve `max_uses` requests.
pub async fn setup_app(fake: &FakeGithub, lifetime: u64, max_uses: Option<u64>) -> (Config, Store) {
    *super::lock(&fake.shared.app) = Some(super::app::FakeApp::new(
        APP_ID,
        INSTALLATION_ID,
        lifetime,
        max_uses,
    ));
    let key_file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fake_github/app_key.pem");
    let text = super::scenario::org_config(&fake.url, "sqlite::memory:", "deployments").replace(
        "token_env = \"DORABOARD_TEST_GITHUB_TOKEN\"",
        &format!(
            "app_id = {APP_ID}\ninstallation_id = {INSTALLATION_ID}\nprivate_key_file = {key_file:?}"
        ),
    );
    let config = Config::from_toml_str(&text, "test config").expect("config");
    let store = Store::connect("sqlite::memory:").await.expect("store");
    (config, store)
}

/// The client `doraboard collect` builds from `config`, with [`client`]'s test-speed waits.
pub fn configured_client(config: &Config) -> GitHub {
    let options = collector::sync::client_options(config).expect("client options");
    tuned(options, Duration::from_secs(10), 0.001)
}

fn tuned(mut options: ClientOptions, timeout: Duration, wait_scale: f64) -> GitHub {
    options.timeout = timeout;
    options.retry = RetryPolicy {
        max_attempts: 8,
        wait_scale,
        ..RetryPolicy::default()
    };
    GitHub::new(options).expect("a client")
}

/// A configuration for `source` pointing at the fake, and a fresh in-memory store.
pub async fn setup(fake: &FakeGithub, source: &str) -> (Config, Store) {
    let text = super::scenario::org_config(&fake.url, "sqlite::memory:", source);
    let config = Config::from_toml_str(&text, "test config").expect("config");
    let store = Store::connect("sqlite::memory:").await.expect("store");
    (config, store)
}

/// Like [`setup`], with the store in a SQLite file in `dir`: what a test that cancels a sync
/// mid-query needs (an in-memory database lives and dies with its one connection, which sqlx
/// closes when a query is cancelled).
pub async fn setup_file(fake: &FakeGithub, source: &str, dir: &std::path::Path) -> (Config, Store) {
    let url = format!("sqlite://{}", dir.join("doraboard.db").display());
    let text = super::scenario::org_config(&fake.url, &url, source);
    let config = Config::from_toml_str(&text, "test config").expect("config");
    let store = Store::connect(&url).await.expect("store");
    (config, store)
}

/// One sync, as `doraboard collect` runs it.
pub async fn collect(config: &Config, store: &Store, gh: &GitHub) -> SyncReport {
    SyncRunner::new()
        .run(config, store, gh, &SyncOptions::default(), &Quiet)
        .await
        .expect("a sync runs")
}

/// Everything stored for the configured repositories.
pub async fn records(config: &Config, store: &Store) -> Vec<RepoRecords> {
    let mut out = Vec::new();
    for repo in config.repos() {
        out.push(store.repo_records(&repo).await.expect("records"));
    }
    out
}

/// What the analysis derived, for comparing two stores.
pub async fn derived(store: &Store) -> engine::store::StoreCounts {
    store.counts().await.expect("counts")
}

/// A sync into `store` cancelled once the fake has answered `requests` requests (or when it
/// ends first), as a process killed at that moment would leave it; returns where it stopped.
pub async fn collect_killed_after(
    fake: &FakeGithub,
    config: &Config,
    store: &Store,
    gh: &GitHub,
    requests: u64,
) -> u64 {
    let task = {
        let (config, store, gh) = (config.clone(), store.clone(), gh.clone());
        tokio::spawn(async move {
            SyncRunner::new()
                .run(&config, &store, &gh, &SyncOptions::default(), &Quiet)
                .await
        })
    };
    while fake.requests() < requests && !task.is_finished() {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    task.abort();
    let _ = task.await;
    fake.requests()
}

/// The figures of `team` (a tribe, or the organisation with None) over the scenarios' period.
pub async fn metrics(
    config: &Config,
    store: &Store,
    team: Option<&str>,
) -> engine::metrics::MetricsReport {
    use super::scenario::{END, START};
    use engine::period::Period;
    let period = Period::new(
        Period::parse_date(START).expect("start"),
        Period::parse_date(END).expect("end"),
    )
    .expect("period");
    engine::query::metrics(store, config, team, period, None)
        .await
        .expect("metrics")
}
