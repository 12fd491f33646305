//! The HTTP API end to end: the real router on 127.0.0.1 with a free port, over the demo
//! organisation, asked by a real HTTP client.

use crate::support;

use serde_json::Value;
use support::server::{Server, demo_server};

async fn get(server: &Server, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}{path}", server.base))
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

#[tokio::test]
async fn teams_lists_the_demo_tribes_and_teams() {
    let server = demo_server().await;
    let (status, teams) = get(&server, "/api/v1/teams").await;
    assert_eq!(status, 200);
    let teams = teams.as_array().expect("array");
    let kinds = |k: &str| teams.iter().filter(|t| t["kind"] == k).count();
    assert!(kinds("tribe") >= 3, "{teams:?}");
    assert!(kinds("team") >= 6, "{teams:?}");
    let team = teams.iter().find(|t| t["kind"] == "team").expect("a team");
    for field in ["slug", "name", "kind", "parent", "repos"] {
        assert!(
            team.get(field).is_some(),
            "team entry lacks {field}: {team}"
        );
    }
}

#[tokio::test]
async fn metrics_answer_for_the_organisation_every_tribe_and_every_team() {
    let server = demo_server().await;
    let (_, teams) = get(&server, "/api/v1/teams").await;
    let mut slugs: Vec<String> = teams
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["slug"].as_str().expect("slug").to_string())
        .collect();
    slugs.push(String::new());
    for slug in slugs {
        let (status, m) = get(
            &server,
            &format!("/api/v1/metrics?team={slug}&from=2026-08-01&to=2026-11-01&bucket=week"),
        )
        .await;
        assert_eq!(status, 200, "{slug}: {m}");
        for metric in [
            "deployment_frequency",
            "lead_time",
            "change_failure_rate",
            "time_to_restore",
            "rework_rate",
        ] {
            assert!(m[metric].is_object(), "{slug}: no {metric}");
            assert!(
                m[metric]["previous"].is_object(),
                "{slug}: no previous {metric}"
            );
            assert!(
                m[metric]["series"]
                    .as_array()
                    .is_some_and(|s| !s.is_empty()),
                "{slug}: no {metric} series"
            );
        }
        assert!(
            m["deployment_frequency"]["deployments"]
                .as_u64()
                .unwrap_or(0)
                > 0,
            "{slug}: no deployments"
        );
        assert!(m["deployment_frequency"]["tier"].is_string(), "{slug}");
        assert!(m["lead_time"]["median_seconds"].is_number(), "{slug}");
    }
}

#[tokio::test]
async fn invalid_parameters_answer_400_naming_the_parameter() {
    let server = demo_server().await;
    let cases = [
        ("team=nobody&from=2026-01-01&to=2026-02-01", "team"),
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=2026-02-31&to=2026-03-01", "from"),
        ("from=2026-01-01&to=2026-02-01&bucket=fortnight", "bucket"),
        ("from=2026-01-01xyz&to=2026-02-01", "from"),
        // One anonymous request must not cost gigabytes: periods and series are bounded.
        ("bucket=day&from=0001-01-01&to=9999-12-31", "to"),
        ("from=2016-01-01&to=2026-01-02", "to"),
        ("from=2016-01-01&to=2026-01-01&bucket=day", "bucket"),
        (
            "from=2026-01-01&to=2026-02-01&bucket=week&phases_per_bucket=yes",
            "phases_per_bucket",
        ),
        (
            "from=2026-01-01&to=2026-02-01&phases_per_bucket=true",
            "phases_per_bucket",
        ),
    ];
    for (query, parameter) in cases {
        let (status, body) = get(&server, &format!("/api/v1/metrics?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["parameter"], parameter, "{query}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[tokio::test]
async fn the_lead_time_series_carries_phases_per_bucket_only_when_asked() {
    let server = demo_server().await;
    let question = "/api/v1/metrics?team=payments&from=2026-08-01&to=2026-11-01&bucket=week";
    let (_, plain) = get(&server, question).await;
    let (status, phased) = get(&server, &format!("{question}&phases_per_bucket=true")).await;
    assert_eq!(status, 200, "{phased}");
    let series = |m: &Value| m["lead_time"]["series"].as_array().expect("series").clone();
    assert!(series(&plain).iter().all(|p| p.get("breakdown").is_none()));
    let measured: Vec<Value> = series(&phased)
        .into_iter()
        .filter(|p| p["changes"].as_u64() > Some(0))
        .collect();
    assert!(!measured.is_empty());
    // Every measured change has a deploy phase: its count is the bucket's.
    for point in &measured {
        assert_eq!(
            point["breakdown"]["deploy"]["count"], point["changes"],
            "{point}"
        );
    }
    // Asking for the phases changes nothing else.
    let mut without = phased.clone();
    for point in without["lead_time"]["series"]
        .as_array_mut()
        .expect("series")
    {
        point.as_object_mut().expect("point").remove("breakdown");
    }
    assert_eq!(without["lead_time"]["series"], plain["lead_time"]["series"]);
    assert_eq!(
        phased["lead_time"]["median_seconds"],
        plain["lead_time"]["median_seconds"]
    );
}

#[tokio::test]
async fn healthz_answers_ok() {
    let _runner = support::process_wide_sync().await;
    let server = demo_server().await;
    let (status, body) = get(&server, "/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert!(body["data_version"].is_i64(), "{body}");
    // No sync running in this process, none recorded in this store.
    let sync = &body["sync"];
    assert_eq!(sync["running"], false, "{body}");
    for field in ["finished_at", "ok", "repositories", "failed"] {
        assert!(
            sync.get(field).is_some_and(Value::is_null),
            "{field}: {body}"
        );
    }
}

#[tokio::test]
async fn explain_lists_the_rows_behind_the_figures() {
    let server = demo_server().await;
    let query = "team=payments&from=2026-05-01&to=2026-11-01";
    let (_, m) = get(&server, &format!("/api/v1/metrics?{query}")).await;
    let (status, e) = get(&server, &format!("/api/v1/explain?{query}")).await;
    assert_eq!(status, 200, "{e}");
    let deployments = e["deployments"].as_array().expect("deployments");
    let succeeded = deployments
        .iter()
        .filter(|d| d["status"] == "success")
        .count();
    let failed: Vec<&Value> = deployments
        .iter()
        .filter(|d| d["status"] == "success" && d["failed"] == true)
        .collect();
    assert_eq!(
        succeeded as u64,
        m["deployment_frequency"]["deployments"]
            .as_u64()
            .expect("n")
    );
    assert_eq!(
        failed.len() as u64,
        m["change_failure_rate"]["failed"].as_u64().expect("n")
    );
    assert!(!failed.is_empty(), "the demo's payments team has failures");
    for d in &failed {
        let reasons = d["failures"].as_array().expect("failures");
        assert!(
            !reasons.is_empty(),
            "a failed deployment without a reason: {d}"
        );
        assert!(
            reasons
                .iter()
                .all(|r| r["reason"].as_str().is_some_and(|s| !s.is_empty()))
        );
    }
    let key = failed[0]["key"].as_str().expect("key");
    let (status, detail) = get(&server, &format!("/api/v1/explain/deployments/{key}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["deployment"]["key"], key);
    let (status, _) = get(&server, "/api/v1/explain/deployments/no-such-deployment").await;
    assert_eq!(status, 404);
}

/// With weekly series (as the tests above ask) and without (as the dashboard's grid asks).
#[tokio::test]
async fn metrics_scopes_answers_every_scope_exactly_as_the_single_route() {
    let server = demo_server().await;
    let (_, teams) = get(&server, "/api/v1/teams").await;
    let teams = teams.as_array().expect("array");
    for query in [
        "from=2026-08-01&to=2026-11-01&bucket=week",
        "from=2026-08-01&to=2026-11-01",
    ] {
        let (status, all) = get(&server, &format!("/api/v1/metrics/scopes?{query}")).await;
        assert_eq!(status, 200, "{query}: {all}");
        let (_, organisation) = get(&server, &format!("/api/v1/metrics?{query}")).await;
        assert_eq!(all["organisation"], organisation, "{query}");
        let scopes = all["scopes"].as_array().expect("scopes");
        assert_eq!(scopes.len(), teams.len(), "one per tribe and team");
        for (scope, team) in scopes.iter().zip(teams) {
            let slug = team["slug"].as_str().expect("slug");
            assert_eq!(scope["team"], slug, "in /api/v1/teams order");
            let (_, single) = get(&server, &format!("/api/v1/metrics?team={slug}&{query}")).await;
            assert_eq!(*scope, single, "{slug} {query}");
        }
    }
}

#[tokio::test]
async fn metrics_scopes_rejects_invalid_parameters_naming_them() {
    let server = demo_server().await;
    let cases = [
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=2026-02-31&to=2026-03-01", "from"),
        ("from=2026-01-01&to=2026-02-30", "to"),
        ("from=2026-01-01&to=2026-02-01&bucket=fortnight", "bucket"),
        ("team=checkout&from=2026-01-01&to=2026-02-01", "team"),
    ];
    for (query, parameter) in cases {
        let (status, body) = get(&server, &format!("/api/v1/metrics/scopes?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["parameter"], parameter, "{query}: {body}");
    }
}

/// The OpenAPI document passes a real OpenAPI validator (openapi-spec-validator, from PyPI; CI
/// installs it). Without it the test says SKIPPED, unless `DORABOARD_REQUIRE_EXTERNAL=1`.
#[tokio::test]
async fn the_openapi_document_is_valid() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert_ne!(
            std::env::var("DORABOARD_REQUIRE_EXTERNAL").as_deref(),
            Ok("1"),
            "DORABOARD_REQUIRE_EXTERNAL=1 but python3 -m openapi_spec_validator is missing \
             (pip install openapi-spec-validator)"
        );
        println!("SKIPPED: the_openapi_document_is_valid needs openapi-spec-validator");
        return;
    }
    let server = demo_server().await;
    let (status, doc) = get(&server, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).expect("write");
    let out = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("the validator runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every 4xx is the API's JSON error: an unknown route, a wrong method, a duplicated parameter.
#[tokio::test]
async fn every_client_error_answers_json() {
    let server = demo_server().await;
    let client = reqwest::Client::new();
    for (method, path, status) in [
        ("GET", "/api/v1/no-such-route", 404),
        ("POST", "/api/v1/metrics", 405),
        (
            "GET",
            "/api/v1/metrics?from=2026-01-01&from=2026-02-01&to=2026-03-01",
            400,
        ),
        ("GET", "/api/v1/metrics?from=2026-02-30", 400),
        ("GET", "/api/v1/explain/deployments/%FF", 400),
        ("GET", "/api/v1/charts/%FF.svg", 400),
        ("GET", "/assets/%FF.js", 400),
    ] {
        let response = client
            .request(
                method.parse().expect("method"),
                format!("{}{path}", server.base),
            )
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{method} {path}"
        );
        let body: Value = response.json().await.expect("a JSON body");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{method} {path}: {body}");
    }
}
