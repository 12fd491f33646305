//! Read protection end to end (`[api] read_token_env`), over the demo organisation on
//! 127.0.0.1:0: every read route answers a holder of a token (Bearer or Basic) and refuses
//! anyone else with a JSON 401 and a challenge a browser answers; health and ingestion keep
//! their own rules.

use crate::support;

use base64::Engine as _;
use support::server::{DEMO_END, Server, protected_demo_server};

const PERIOD: &str = "from=2026-08-01&to=2026-11-01";

async fn server() -> Server {
    let end = engine::period::Period::parse_date(DEMO_END).expect("date");
    protected_demo_server(end, "dash-token, second-token").await
}

async fn get(server: &Server, path: &str, authorization: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.base));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.expect("request")
}

fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// Every kind of answer the read side gives: page, assets, JSON, charts, report, CSV, Prometheus
/// and the OpenAPI document.
fn read_routes() -> Vec<String> {
    vec![
        "/".to_string(),
        "/assets/app.js".to_string(),
        "/api/v1/teams".to_string(),
        format!("/api/v1/metrics?team=checkout&bucket=week&{PERIOD}"),
        format!("/api/v1/metrics/scopes?{PERIOD}"),
        format!("/api/v1/explain?team=checkout&{PERIOD}"),
        format!("/api/v1/charts/lead_time.svg?team=checkout&{PERIOD}"),
        format!("/api/v1/charts/lead_time.png?team=checkout&{PERIOD}"),
        format!("/api/v1/report?{PERIOD}"),
        format!("/api/v1/metrics.csv?{PERIOD}"),
        format!("/api/v1/explain/changes.csv?team=checkout&{PERIOD}"),
        format!("/api/v1/targets?{PERIOD}"),
        "/metrics".to_string(),
        "/api/v1/openapi.json".to_string(),
    ]
}

#[tokio::test]
async fn every_read_route_needs_a_token_and_answers_with_one() {
    let server = server().await;
    for path in read_routes() {
        let refused = get(&server, &path, None).await;
        assert_eq!(refused.status(), 401, "{path} without a token");
        let challenges: Vec<String> = refused
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().expect("ascii").to_string())
            .collect();
        assert_eq!(
            challenges,
            [
                r#"Basic realm="doraboard", charset="UTF-8""#,
                r#"Bearer realm="doraboard""#
            ],
            "{path}"
        );
        let body: serde_json::Value = refused.json().await.expect("a JSON error");
        assert!(body["error"]["message"].is_string(), "{path}: {body}");

        let wrong = get(&server, &path, Some("Bearer dash-token-not")).await;
        assert_eq!(wrong.status(), 401, "{path} with a wrong token");
        let bearer = get(&server, &path, Some("Bearer dash-token")).await;
        assert_eq!(bearer.status(), 200, "{path} with a bearer token");
        let signed_in = get(&server, &path, Some(&basic("cto", "second-token"))).await;
        assert_eq!(signed_in.status(), 200, "{path} signed in with Basic");
    }
}

#[tokio::test]
async fn health_and_ingestion_keep_their_own_rules() {
    let server = server().await;
    assert_eq!(get(&server, "/healthz", None).await.status(), 200);
    let client = reqwest::Client::new();
    for path in [
        "/api/v1/events",
        "/api/v1/webhooks/github",
        "/api/v1/webhooks/pagerduty",
    ] {
        // The demo configures no ingestion credentials: each route refuses by its own rule
        // (503, not configured), never with the read side's 401.
        let answer = client
            .post(format!("{}{path}", server.base))
            .body("{}")
            .send()
            .await
            .expect("request");
        assert_eq!(answer.status(), 503, "{path}");
        assert!(answer.headers().get("www-authenticate").is_none(), "{path}");
    }
}
