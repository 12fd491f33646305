//! `/healthz` carries the last GitHub sync's outcome, as the store recorded it. `running` is the
//! process-wide runner's, which this test holds meanwhile ([`support::process_wide_sync`]).

use crate::fake_github;
use crate::support;

use collector::sync::{Quiet, SyncOptions, SyncRunner};
use fake_github::harness::{client, setup};
use fake_github::{FakeGithub, Faults, scenario};
use serde_json::Value;
use std::sync::Arc;

/// The API over `store` on 127.0.0.1; stops when the sender is dropped.
async fn serve(
    config: engine::config::Config,
    store: engine::store::Store,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = api::AppState {
        store,
        config: Arc::new(config),
        read_access: Default::default(),
    };
    tokio::spawn(api::serve(listener, state, async {
        let _ = stopped.await;
    }));
    (base, stop)
}

async fn healthz(base: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

#[tokio::test]
async fn healthz_carries_the_last_sync_and_stays_200_when_it_failed() {
    let _runner = support::process_wide_sync().await;
    let fake = FakeGithub::start().await;
    scenario::org(&mut fake.world());
    fake.set_faults(Faults {
        always_fail_path: Some("/repos/acme/web".into()),
        ..Faults::default()
    });
    let (config, store) = setup(&fake, "deployments").await;
    let (base, _stop) = serve(config.clone(), store.clone()).await;

    let (status, body) = healthz(&base).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok", "{body}");
    assert!(body["data_version"].is_i64(), "{body}");
    let sync = &body["sync"];
    assert_eq!(sync["running"], false, "{body}");
    for field in ["finished_at", "ok", "repositories", "failed"] {
        assert!(sync[field].is_null(), "no sync yet: {body}");
    }

    let report = SyncRunner::global()
        .run(
            &config,
            &store,
            &client(&fake),
            &SyncOptions::default(),
            &Quiet,
        )
        .await
        .expect("a sync runs");
    assert_eq!(report.failed(), 1);

    let (status, body) = healthz(&base).await;
    assert_eq!(status, 200, "a failed sync is no unhealthy server");
    assert_eq!(body["status"], "ok");
    let sync = &body["sync"];
    assert_eq!(sync["running"], false, "{body}");
    assert_eq!(sync["ok"], false, "{body}");
    assert_eq!(sync["repositories"], 3, "{body}");
    assert_eq!(sync["failed"], 1, "{body}");
    let finished = sync["finished_at"].as_str().expect("a time");
    assert_eq!(
        finished.parse::<chrono::DateTime<chrono::Utc>>().ok(),
        Some(report.finished_at),
        "{body}"
    );
}
