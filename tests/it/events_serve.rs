//! The real `doraboard serve` binary, credentials from the environment as in production: the
//! ingestion routes are wired into the app, the token is configured as a digest, and what is
//! posted shows up in `GET /api/v1/metrics`.

use crate::events_support;
use crate::support;

use events_support::{CONFIG, PD_SECRET, documented_events, pagerduty_delivery};
use std::process::Command;

/// A token, and its digest as an operator would compute it: `printf %s "$TOKEN" | sha256sum`.
const TOKEN: &str = "jenkins-9f8e7d";
const TOKEN_SHA256: &str = "514dd20cb6abe74ba4793448e7a5e195da4143157773b99a44d0a5f036cd6b83";

#[tokio::test]
async fn the_served_app_ingests_with_a_token_from_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("doraboard.toml");
    let db = dir.path().join("doraboard.db");
    std::fs::write(
        &config,
        format!(
            "database_url = \"sqlite://{}\"\n\
             [api]\ningest_token_env = \"TEST_INGEST_TOKENS\"\n\
             [webhooks]\npagerduty_secret_env = \"TEST_PD_SECRET\"\n{CONFIG}",
            db.display()
        ),
    )
    .expect("write config");
    let token = TOKEN;
    let mut command = Command::new(env!("CARGO_BIN_EXE_doraboard"));
    command
        .args(["--config", config.to_str().expect("utf-8 path")])
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env(
            "TEST_INGEST_TOKENS",
            format!("other-token,sha256:{TOKEN_SHA256}"),
        )
        .env("TEST_PD_SECRET", PD_SECRET)
        .env("RUST_LOG", "warn");
    let (server, base) = support::process::serve(command).await;

    let client = reqwest::Client::new();
    let post = |token: Option<&str>| {
        let mut request = client
            .post(format!("{base}/api/v1/events?wait=true"))
            .body(documented_events().join("\n"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(post(None).await.expect("request").status().as_u16(), 401);
    assert_eq!(
        post(Some("sha256-of-nothing"))
            .await
            .expect("request")
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        post(Some(token)).await.expect("request").status().as_u16(),
        200
    );

    let delivery = pagerduty_delivery(
        "01SERVE",
        "incident.resolved",
        "QSERVE",
        "PSHOP01",
        "2026-03-05T10:30:00Z",
    );
    let signed = client
        .post(format!("{base}/api/v1/webhooks/pagerduty"))
        .header(
            "x-pagerduty-signature",
            collector::pagerduty::sign(PD_SECRET.as_bytes(), delivery.as_bytes()),
        )
        .body(delivery.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(signed.status().as_u16(), 200);

    let metrics: serde_json::Value = client
        .get(format!(
            "{base}/api/v1/metrics?team=shop&from=2026-03-01&to=2026-04-01"
        ))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        metrics["deployment_frequency"]["deployments"], 1,
        "{metrics}"
    );
    assert_eq!(metrics["change_failure_rate"]["failed"], 1, "{metrics}");
    // The posted incident (90 minutes) and PagerDuty's (30 minutes).
    assert_eq!(metrics["time_to_restore"]["incidents"], 2, "{metrics}");
    drop(server);
}
