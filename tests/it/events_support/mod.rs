//! Shared by the push-ingestion tests (`events_*`, `pagerduty_*`): an organisation, the
//! ingestion routes served on 127.0.0.1 with a free port, and real-shaped payloads.

use api::ingest::IngestAuth;
use engine::config::{Config, Secret};
use engine::store::Store;
use serde_json::{Value, json};
use std::sync::Arc;

/// Team `shop` (tribe `commerce`) owns `acme/shop`; two PagerDuty services map to it, one by
/// team and one by repository.
pub const CONFIG: &str = r#"
[collector]
since = "2026-01-01"

[[tribes]]
slug = "commerce"
name = "Commerce"

[[teams]]
slug = "shop"
name = "Shop"
tribe = "commerce"
repos = ["acme/shop"]

[[teams]]
slug = "search"
name = "Search"
repos = ["acme/search"]

[pagerduty]
services = { PSHOP01 = "shop", PREPO01 = "acme/shop" }
"#;

pub const TOKEN: &str = "ci-token-for-tests";
pub const PD_SECRET: &str = "pagerduty-signing-secret";

pub fn config(text: &str) -> Config {
    Config::from_toml_str(text, "test config").unwrap_or_else(|e| panic!("test config: {e}"))
}

/// A 40-digit sha made from a short tag.
pub fn sha(tag: &str) -> String {
    let hex: String = tag.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{hex:0<40}")
}

/// The ingestion routes over a store; stops when dropped.
pub struct Server {
    pub base: String,
    pub store: Store,
    pub config: Arc<Config>,
    pub client: reqwest::Client,
    pub ingestor: collector::ingest::Ingestor,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    pub async fn start(config_text: &str) -> Server {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        Server::start_on(store, config_text, Some(TOKEN)).await
    }

    pub async fn start_on(store: Store, config_text: &str, token: Option<&str>) -> Server {
        let config = Arc::new(config(config_text));
        let state = api::AppState {
            store: store.clone(),
            config: Arc::clone(&config),
            read_access: Default::default(),
        };
        let auth = IngestAuth::new(
            token.map(Secret::new).as_ref(),
            Some(Secret::new(PD_SECRET)),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let ingestor = collector::ingest::Ingestor::new(store.clone(), &config);
        let serving = ingestor.clone();
        tokio::spawn(async move {
            api::ingest::serve_with(listener, &state, auth, serving, async {
                let _ = stopped.await;
            })
            .await
        });
        Server {
            base,
            store,
            config,
            client: reqwest::Client::new(),
            ingestor,
            _stop: stop,
        }
    }

    /// `POST /api/v1/events` with a bearer token (None: no Authorization header).
    pub async fn post_events(&self, token: Option<&str>, body: impl Into<String>) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/api/v1/events", self.base))
            .body(body.into());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request).await
    }

    /// `POST /api/v1/webhooks/pagerduty` with a signature header (None: unsigned).
    pub async fn post_pagerduty(&self, signature: Option<String>, body: &str) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/api/v1/webhooks/pagerduty", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(signature) = signature {
            request = request.header("x-pagerduty-signature", signature);
        }
        answer(request).await
    }

    /// A PagerDuty delivery signed with the configured secret.
    pub async fn deliver(&self, body: &str) -> (u16, Value) {
        let signature = collector::pagerduty::sign(PD_SECRET.as_bytes(), body.as_bytes());
        self.post_pagerduty(Some(signature), body).await
    }

    /// Waits for the background reanalyses: the derived facts are then current.
    pub async fn settled(&self) {
        self.ingestor.settled().await;
    }

    /// The metrics, once every ingested event is in them.
    pub async fn metrics(
        &self,
        team: Option<&str>,
        from: &str,
        to: &str,
    ) -> engine::metrics::MetricsReport {
        self.settled().await;
        metrics(&self.store, &self.config, team, from, to).await
    }
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

pub async fn metrics(
    store: &Store,
    config: &Config,
    team: Option<&str>,
    from: &str,
    to: &str,
) -> engine::metrics::MetricsReport {
    let period = engine::period::Period::new(
        engine::period::Period::parse_date(from).expect("from"),
        engine::period::Period::parse_date(to).expect("to"),
    )
    .expect("period");
    engine::query::metrics(store, config, team, period, None)
        .await
        .unwrap_or_else(|e| panic!("metrics: {e}"))
}

/// The schema's three documented examples, as NDJSON lines: change `acme/shop#42` (first commit
/// 1 March 09:00, merged 2 March 10:00), deployment `jenkins-shop-1187` shipping it (finished
/// 2 March 11:06), incident `PD-Q1W2E3` caused by that deployment (13:00 to 14:30).
pub fn documented_events() -> Vec<String> {
    vec![
        json!({"type": "change", "id": "acme/shop#42", "repo": "acme/shop", "number": 42,
            "title": "Faster checkout", "author": "alice",
            "first_commit_at": "2026-03-01T09:00:00Z", "opened_at": "2026-03-01T12:00:00Z",
            "first_review_at": "2026-03-02T08:00:00Z", "merged_at": "2026-03-02T10:00:00Z",
            "merge_sha": sha("42"), "commits": [sha("41"), sha("42")], "labels": ["feature"]})
        .to_string(),
        json!({"type": "deployment", "id": "jenkins-shop-1187", "repo": "acme/shop",
            "environment": "production", "sha": sha("42"), "status": "success",
            "started_at": "2026-03-02T11:00:00Z", "finished_at": "2026-03-02T11:06:00Z",
            "changes": ["acme/shop#42"], "pipeline": {"tool": "jenkins", "build": 1187}})
        .to_string(),
        json!({"type": "incident", "id": "PD-Q1W2E3", "repo": "acme/shop",
            "title": "Checkout errors", "opened_at": "2026-03-02T13:00:00Z",
            "resolved_at": "2026-03-02T14:30:00Z", "deployment": "jenkins-shop-1187"})
        .to_string(),
    ]
}

/// A PagerDuty V3 webhook delivery about incident `incident` of service `service`, in the
/// shape PagerDuty sends (agent, client, assignees, teams and all).
pub fn pagerduty_delivery(
    event_id: &str,
    event_type: &str,
    incident: &str,
    service: &str,
    occurred_at: &str,
) -> String {
    let status = match event_type {
        "incident.resolved" => "resolved",
        "incident.acknowledged" => "acknowledged",
        _ => "triggered",
    };
    json!({
        "event": {
            "id": event_id,
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": occurred_at,
            "agent": {
                "html_url": "https://acme.pagerduty.com/users/PLH1HKV",
                "id": "PLH1HKV",
                "self": "https://api.pagerduty.com/users/PLH1HKV",
                "summary": "Tenex Engineer",
                "type": "user_reference"
            },
            "client": {"name": "PagerDuty"},
            "data": {
                "id": incident,
                "type": "incident",
                "self": format!("https://api.pagerduty.com/incidents/{incident}"),
                "html_url": format!("https://acme.pagerduty.com/incidents/{incident}"),
                "number": 2,
                "status": status,
                "incident_key": "d3640fbd41094207a1c11e58e46b1662",
                "created_at": "2026-03-05T10:00:00Z",
                "title": "Payments are failing",
                "service": {
                    "html_url": format!("https://acme.pagerduty.com/services/{service}"),
                    "id": service,
                    "self": format!("https://api.pagerduty.com/services/{service}"),
                    "summary": "Shop API",
                    "type": "service_reference"
                },
                "assignees": [{
                    "html_url": "https://acme.pagerduty.com/users/PTUXL6G",
                    "id": "PTUXL6G",
                    "self": "https://api.pagerduty.com/users/PTUXL6G",
                    "summary": "User 123",
                    "type": "user_reference"
                }],
                "escalation_policy": {
                    "html_url": "https://acme.pagerduty.com/escalation_policies/PUS0KTE",
                    "id": "PUS0KTE",
                    "self": "https://api.pagerduty.com/escalation_policies/PUS0KTE",
                    "summary": "Default",
                    "type": "escalation_policy_reference"
                },
                "teams": [{
                    "html_url": "https://acme.pagerduty.com/teams/PFCVPS0",
                    "id": "PFCVPS0",
                    "self": "https://api.pagerduty.com/teams/PFCVPS0",
                    "summary": "Engineering",
                    "type": "team_reference"
                }],
                "priority": {
                    "html_url": "https://acme.pagerduty.com/account/incident_priorities",
                    "id": "PSO75BM",
                    "self": "https://api.pagerduty.com/priorities/PSO75BM",
                    "summary": "P1",
                    "type": "priority_reference"
                },
                "urgency": "high",
                "conference_bridge": {
                    "conference_number": "+1 1234123412,,987654321#",
                    "conference_url": "https://example.com"
                },
                "resolve_reason": null
            }
        }
    })
    .to_string()
}
