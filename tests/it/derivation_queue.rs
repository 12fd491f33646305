//! Derivation work is recorded in the store, not in a process: records written and queued but not
//! yet derived (what a `serve`, `collect` or `import` killed mid-derivation leaves) are derived by
//! the next `doraboard serve`, which listens at once and derives in the background, to the
//! figures of a fresh derivation.

use crate::support;

use std::process::Command;
use std::time::Duration;
use support::{deploy, incident, pr, sha};

const CONFIG: &str = r#"
[collector]
since = "2026-01-01"

[[teams]]
slug = "shop"
name = "Shop"
repos = ["acme/shop"]
"#;

/// Two changes shipped by two deployments; the second is blamed for an incident.
async fn write_records(store: &engine::store::Store) {
    store
        .upsert_changes(&[
            pr(
                "acme/shop",
                1,
                &sha("a1"),
                "2026-03-02T08:00:00Z",
                "2026-03-02T10:00:00Z",
            ),
            pr(
                "acme/shop",
                2,
                &sha("b2"),
                "2026-03-03T08:00:00Z",
                "2026-03-03T10:00:00Z",
            ),
        ])
        .await
        .expect("changes");
    store
        .upsert_deployments(&[
            deploy("acme/shop", "d1", &sha("a1"), "2026-03-02T11:00:00Z"),
            deploy("acme/shop", "d2", &sha("b2"), "2026-03-03T11:00:00Z"),
        ])
        .await
        .expect("deployments");
    store
        .upsert_incidents(&[incident(
            "acme/shop",
            "inc-1",
            "2026-03-03T12:00:00Z",
            Some("2026-03-03T13:00:00Z"),
        )])
        .await
        .expect("incidents");
}

#[tokio::test]
async fn serve_derives_what_a_killed_process_left_queued() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("doraboard.db");
    let url = format!("sqlite://{}", db.display());
    let config_path = dir.path().join("doraboard.toml");
    let text = format!("database_url = \"{url}\"\n{CONFIG}");
    std::fs::write(&config_path, &text).expect("write config");
    let config = engine::config::Config::from_toml_str(&text, "test config").expect("config");
    let options = engine::query::analysis_options(&config);

    // Records stored and queued, nothing derived: a process killed before its derivation
    // committed (the derivation's transaction rolled back) leaves exactly this.
    let store = engine::store::Store::connect(&url).await.expect("store");
    write_records(&store).await;
    assert!(
        store
            .queue_all_if_options_changed(&options)
            .await
            .expect("ok")
    );
    assert_eq!(
        store.queued_derivations().await.expect("queue"),
        [support::repo("acme/shop")]
    );

    let mut command = Command::new(env!("CARGO_BIN_EXE_doraboard"));
    command
        .args(["--config", config_path.to_str().expect("utf-8 path")])
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("DORABOARD_DATABASE_URL")
        .env("RUST_LOG", "warn");
    let (server, base) = support::process::serve(command).await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);

    // The background worker drains the queue (polled: no timing is asserted, only an outcome).
    let mut waited = 0;
    while !store.queued_derivations().await.expect("queue").is_empty() {
        assert!(
            waited < 600,
            "the queue is still not drained after a minute"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    let served: serde_json::Value = client
        .get(format!(
            "{base}/api/v1/metrics?team=shop&from=2026-03-01&to=2026-04-01"
        ))
        .send()
        .await
        .expect("metrics")
        .json()
        .await
        .expect("json");
    drop(server);

    // The same records derived from scratch in another store.
    let fresh = engine::store::testing::TestStore::sqlite().await;
    write_records(&fresh.store).await;
    engine::query::refresh(&fresh.store, &config)
        .await
        .expect("refresh");
    let date = |d: &str| engine::period::Period::parse_date(d).expect("date");
    let period =
        engine::period::Period::new(date("2026-03-01"), date("2026-04-01")).expect("period");
    let expected = engine::query::metrics(&fresh.store, &config, Some("shop"), period, None)
        .await
        .expect("metrics");
    // Through text, as the served answer came: the same float parsing on both sides.
    let expected: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(&expected).expect("json")).expect("json");
    assert_eq!(served["deployment_frequency"]["deployments"], 2, "{served}");
    assert_eq!(served["change_failure_rate"]["failed"], 1, "{served}");
    for metric in [
        "deployment_frequency",
        "lead_time",
        "change_failure_rate",
        "time_to_restore",
    ] {
        assert_eq!(served[metric], expected[metric], "{metric}");
    }
    assert_eq!(
        engine::store::testing::derived_rows(&store).await,
        engine::store::testing::derived_rows(&fresh.store).await
    );
}
