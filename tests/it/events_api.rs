//! `POST /api/v1/events` end to end: the real routes on 127.0.0.1, a real HTTP client, and what
//! lands in the store and in the metrics.

use crate::events_support;

use events_support::{CONFIG, Server, TOKEN, documented_events, sha};
use serde_json::json;

#[tokio::test]
async fn documented_events_land_in_the_store_and_the_metrics() {
    let server = Server::start(CONFIG).await;
    let (status, body) = server
        .post_events(Some(TOKEN), documented_events().join("\n"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["received"], 3, "{body}");
    assert_eq!(body["duplicates"], 0, "{body}");
    assert_eq!(
        body["stored"],
        json!({"changes": 1, "deployments": 1, "incidents": 1})
    );

    let store = &server.store;
    server.settled().await;
    let counts = store.counts().await.expect("counts");
    assert_eq!(
        (counts.changes, counts.deployments, counts.incidents),
        (1, 1, 1)
    );
    assert_eq!(
        counts.shipments, 1,
        "the deployment shipped its declared change"
    );
    assert_eq!(store.raw_event_count(Some("events")).await.expect("raw"), 3);

    let change = store
        .change("acme/shop#42")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(change.merge_sha, Some(sha("42")));
    assert_eq!(change.commits.len(), 2);
    let deployment = store
        .deployment("jenkins-shop-1187")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(deployment.source, engine::model::Source::Webhook);
    assert_eq!(
        deployment.declared_changes,
        Some(vec!["acme/shop#42".to_string()])
    );
    let incident = store
        .incident("PD-Q1W2E3")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        incident.cause,
        Some(engine::model::IncidentCause::Deployment(
            "jenkins-shop-1187".into()
        ))
    );

    let m = server
        .metrics(Some("shop"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(m.deployment_frequency.deployments, 1);
    assert_eq!(m.lead_time.changes, 1);
    // First commit 1 March 09:00, deployed 2 March 11:06.
    assert_eq!(m.lead_time.median_seconds, Some(26 * 3600 + 6 * 60));
    assert_eq!(
        (
            m.change_failure_rate.deployments,
            m.change_failure_rate.failed
        ),
        (1, 1)
    );
    assert_eq!(m.time_to_restore.incidents, 1);
    assert_eq!(m.time_to_restore.median_seconds, Some(5400));
}

#[tokio::test]
async fn a_single_pretty_printed_event_is_accepted() {
    let server = Server::start(CONFIG).await;
    let event = json!({"type": "deployment", "id": 77, "repo": "acme/search",
        "environment": "production", "sha": sha("s1"), "status": "failure",
        "finished_at": "2026-03-03T10:00:00+01:00"});
    let (status, body) = server
        .post_events(
            Some(TOKEN),
            serde_json::to_string_pretty(&event).expect("json"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let d = server
        .store
        .deployment("77")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(d.status, engine::model::DeploymentStatus::Failure);
    assert_eq!(d.finished_at.to_rfc3339(), "2026-03-03T09:00:00+00:00");
    let m = server
        .metrics(Some("search"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(m.deployment_frequency.deployments, 0);
    assert_eq!(m.deployment_frequency.failed_attempts, 1);
}

#[tokio::test]
async fn a_reposted_event_changes_nothing() {
    let server = Server::start(CONFIG).await;
    let body = documented_events().join("\n");
    assert_eq!(server.post_events(Some(TOKEN), body.clone()).await.0, 200);
    server.settled().await;
    let counts = server.store.counts().await.expect("counts");
    let version = server.store.data_version().await.expect("version");

    // The same events again, reformatted and with fields in another order.
    let reformatted: Vec<String> = documented_events()
        .iter()
        .rev()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("json");
            serde_json::to_string_pretty(&value).expect("json")
        })
        .collect();
    for body in [body, reformatted.join("\n")] {
        let (status, answer) = server.post_events(Some(TOKEN), body).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["duplicates"], 3, "{answer}");
        assert_eq!(
            answer["stored"],
            json!({"changes": 0, "deployments": 0, "incidents": 0})
        );
    }
    server.settled().await;
    assert_eq!(server.store.counts().await.expect("counts"), counts);
    assert_eq!(server.store.raw_event_count(None).await.expect("raw"), 3);
    assert_eq!(server.store.data_version().await.expect("version"), version);
}

#[tokio::test]
async fn a_new_version_of_an_event_replaces_the_old_one() {
    let server = Server::start(CONFIG).await;
    let open = json!({"type": "incident", "id": "OG-1", "team": "shop",
        "title": "Search is slow", "opened_at": "2026-03-10T08:00:00Z"});
    assert_eq!(
        server.post_events(Some(TOKEN), open.to_string()).await.0,
        200
    );
    let m = server
        .metrics(Some("shop"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(
        m.time_to_restore.incidents, 0,
        "an open incident is not counted"
    );

    let mut resolved = open.clone();
    resolved["resolved_at"] = json!("2026-03-10T09:00:00Z");
    let (status, answer) = server.post_events(Some(TOKEN), resolved.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["stored"]["incidents"], 1, "{answer}");
    assert_eq!(server.store.counts().await.expect("counts").incidents, 1);
    let m = server
        .metrics(Some("shop"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(m.time_to_restore.incidents, 1);
    assert_eq!(m.time_to_restore.median_seconds, Some(3600));
    assert_eq!(server.store.raw_event_count(None).await.expect("raw"), 2);
}

#[tokio::test]
async fn requests_without_the_right_token_are_refused_and_store_nothing() {
    let server = Server::start(CONFIG).await;
    let body = documented_events().join("\n");
    for token in [None, Some("wrong-token"), Some("")] {
        let (status, answer) = server.post_events(token, body.clone()).await;
        assert_eq!(status, 401, "{token:?}: {answer}");
        assert!(answer["error"]["message"].is_string(), "{answer}");
    }
    let response = server
        .client
        .post(format!("{}/api/v1/events", server.base))
        .header("authorization", format!("Basic {TOKEN}"))
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_eq!(server.store.raw_event_count(None).await.expect("raw"), 0);
    assert_eq!(server.store.counts().await.expect("counts").deployments, 0);
}

#[tokio::test]
async fn without_a_configured_token_ingestion_is_disabled() {
    let store = engine::store::Store::connect("sqlite::memory:")
        .await
        .expect("store");
    let server = Server::start_on(store, CONFIG, None).await;
    let (status, answer) = server
        .post_events(Some(""), documented_events().join("\n"))
        .await;
    assert_eq!(status, 503, "{answer}");
    // It names the variable to set, not only the configuration key.
    let message = answer["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("set the environment variable DORABOARD_INGEST_TOKEN"),
        "{message}"
    );
}

#[tokio::test]
async fn one_bad_line_refuses_the_whole_body_naming_the_line_and_field() {
    let server = Server::start(CONFIG).await;
    let mut lines = documented_events();
    lines.insert(
        1,
        json!({"type": "deployment", "id": "argo-9", "repo": "acme/shop",
            "environment": "production", "sha": sha("9"), "status": "success"})
        .to_string(),
    );
    let (status, answer) = server.post_events(Some(TOKEN), lines.join("\n")).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["line"], 2, "{answer}");
    assert_eq!(answer["error"]["field"], "finished_at", "{answer}");
    assert_eq!(
        answer["error"]["message"],
        "line 2: `finished_at`: missing: required for a deployment event"
    );
    assert_eq!(server.store.raw_event_count(None).await.expect("raw"), 0);
    assert_eq!(server.store.counts().await.expect("counts").changes, 0);

    let (status, answer) = server
        .post_events(
            Some(TOKEN),
            format!("{}\n{{\"type\": ", documented_events()[0]),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["line"], 2, "{answer}");
}

#[tokio::test]
async fn bodies_over_the_limit_answer_413() {
    let server = Server::start(CONFIG).await;
    let line = documented_events()[1].clone();
    let copies = api::ingest::EVENTS_BODY_LIMIT / line.len() + 2;
    let body = vec![line; copies].join("\n");
    let (status, answer) = server.post_events(Some(TOKEN), body).await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(server.store.raw_event_count(None).await.expect("raw"), 0);
}

#[tokio::test]
async fn rework_marks_and_explicit_causes_reach_the_metrics() {
    let server = Server::start(CONFIG).await;
    let change = |n: u32, merged: &str, extra: serde_json::Value| {
        let mut c = json!({"type": "change", "id": format!("acme/shop#{n}"), "repo": "acme/shop",
            "number": n, "title": format!("Change {n}"), "author": "bob",
            "first_commit_at": "2026-03-09T08:00:00Z", "merged_at": merged,
            "merge_sha": sha(&format!("c{n}"))});
        if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
            c.extend(extra.clone());
        }
        c.to_string()
    };
    let deploy = |id: &str, n: u32, finished: &str| {
        json!({"type": "deployment", "id": id, "repo": "acme/shop", "environment": "production",
            "sha": sha(&format!("c{n}")), "status": "success", "finished_at": finished,
            "commits": [sha(&format!("c{n}"))]})
        .to_string()
    };
    let events = [
        change(1, "2026-03-09T09:00:00Z", json!({})),
        deploy("gl-1", 1, "2026-03-09T10:00:00Z"),
        change(2, "2026-03-10T09:00:00Z", json!({"reverts": "acme/shop#1"})),
        deploy("gl-2", 2, "2026-03-10T10:00:00Z"),
        change(3, "2026-03-11T09:00:00Z", json!({"labels": ["hotfix"]})),
        deploy("gl-3", 3, "2026-03-11T10:00:00Z"),
        json!({"type": "incident", "id": "OG-7", "repo": "acme/shop",
            "opened_at": "2026-03-12T10:00:00Z", "resolved_at": "2026-03-12T10:30:00Z",
            "change": "acme/shop#3"})
        .to_string(),
    ];
    let (status, answer) = server.post_events(Some(TOKEN), events.join("\n")).await;
    assert_eq!(status, 200, "{answer}");
    let m = server
        .metrics(Some("shop"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(m.deployment_frequency.deployments, 3);
    // gl-1 was reverted by #2; gl-3 shipped #3, which the incident names.
    assert_eq!(
        m.change_failure_rate.failed, 2,
        "{:?}",
        m.change_failure_rate
    );
    // gl-2 ships a revert, gl-3 a hotfix.
    assert_eq!(m.rework_rate.rework, 2, "{:?}", m.rework_rate);
    server.settled().await;
    let detail = server
        .store
        .deployment_detail("gl-3")
        .await
        .expect("read")
        .expect("stored");
    assert!(
        detail.failures.iter().any(|f| f.evidence == "OG-7"),
        "{detail:?}"
    );
}

/// Events of a repository no team owns (`acme/unknown`) are stored all the same, and the answer
/// warns once per such repository; events of owned repositories bring no warning.
async fn unowned_repositories_are_stored_and_named_in_warnings(store: engine::store::Store) {
    let server = Server::start_on(store, CONFIG, Some(TOKEN)).await;
    let body = [
        json!({"type": "deployment", "id": "u-1", "repo": "acme/unknown", "environment": "production",
               "sha": sha("u1"), "status": "success", "finished_at": "2026-03-02T11:00:00Z"}),
        json!({"type": "deployment", "id": "u-2", "repo": "acme/unknown", "environment": "production",
               "sha": sha("u2"), "status": "success", "finished_at": "2026-03-03T11:00:00Z"}),
        json!({"type": "incident", "id": "u-inc", "repo": "acme/stray", "opened_at": "2026-03-03T12:00:00Z"}),
        json!({"type": "deployment", "id": "s-1", "repo": "acme/shop", "environment": "production",
               "sha": sha("s1"), "status": "success", "finished_at": "2026-03-02T11:00:00Z"}),
    ]
    .map(|e| e.to_string())
    .join("\n");
    let (status, answer) = server.post_events(Some(TOKEN), body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["received"], 4, "{answer}");
    assert_eq!(
        answer["stored"],
        json!({"changes": 0, "deployments": 3, "incidents": 1})
    );
    assert_eq!(
        answer["warnings"],
        json!([
            {"repo": "acme/stray", "message": "no team owns acme/stray: its events are stored but count in no team's figures until a team lists it"},
            {"repo": "acme/unknown", "message": "no team owns acme/unknown: its events are stored but count in no team's figures until a team lists it"},
        ])
    );
    server.settled().await;
    let stored = server.store.deployment("u-2").await.expect("read");
    assert_eq!(
        stored.map(|d| d.repo.to_string()).as_deref(),
        Some("acme/unknown")
    );
    assert!(
        server
            .store
            .incident("u-inc")
            .await
            .expect("read")
            .is_some()
    );
    // Stored, but no team's (nor the organisation's) figures count them.
    let org = server.metrics(None, "2026-03-01", "2026-04-01").await;
    assert_eq!(org.deployment_frequency.deployments, 1);

    let (status, answer) = server
        .post_events(Some(TOKEN), documented_events().join("\n"))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["warnings"], json!([]), "{answer}");
}

#[tokio::test]
async fn unowned_repositories_are_stored_and_named_in_warnings_on_sqlite() {
    let test = engine::store::testing::TestStore::sqlite().await;
    unowned_repositories_are_stored_and_named_in_warnings(test.store.clone()).await;
}

#[tokio::test]
async fn unowned_repositories_are_stored_and_named_in_warnings_on_postgres() {
    if let Some(test) = engine::store::testing::TestStore::postgres("unowned_warnings").await {
        unowned_repositories_are_stored_and_named_in_warnings(test.store.clone()).await;
        test.finish().await;
    }
}

/// `Acme/Shop` in the configuration.
const MIXED_CASE_CONFIG: &str = r#"
[collector]
since = "2026-01-01"

[[teams]]
slug = "shop"
name = "Shop"
repos = ["Acme/Shop"]
"#;

/// Repository names are case-insensitive: a change of `acme/shop`, its deployment as `ACME/shop`
/// and an incident of `ACME/SHOP` are the configured `Acme/Shop`'s, with no warning. Lead time:
/// first commit 09:00, deployed 11:00 the next day -> 26h; the incident an hour later fails it.
async fn repository_names_match_whatever_their_case(store: engine::store::Store) {
    let server = Server::start_on(store, MIXED_CASE_CONFIG, Some(TOKEN)).await;
    let body = [
        json!({"type": "change", "id": "acme/shop#7", "repo": "acme/shop", "number": 7,
               "first_commit_at": "2026-03-01T09:00:00Z", "merged_at": "2026-03-02T10:00:00Z",
               "merge_sha": sha("c7")}),
        json!({"type": "deployment", "id": "ci-7", "repo": "ACME/shop", "environment": "production",
               "sha": sha("c7"), "status": "success", "finished_at": "2026-03-02T11:00:00Z"}),
        json!({"type": "incident", "id": "inc-7", "repo": "ACME/SHOP",
               "opened_at": "2026-03-02T12:00:00Z", "resolved_at": "2026-03-02T12:30:00Z"}),
    ]
    .map(|e| e.to_string())
    .join("\n");
    let (status, answer) = server.post_events(Some(TOKEN), body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["warnings"], json!([]), "{answer}");
    server.settled().await;
    let deployment = server
        .store
        .deployment("ci-7")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(deployment.repo.to_string(), "acme/shop");
    let m = server
        .metrics(Some("shop"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(m.deployment_frequency.deployments, 1);
    assert_eq!(m.lead_time.changes, 1);
    assert_eq!(m.lead_time.median_seconds, Some(26 * 3600));
    assert_eq!(
        (m.change_failure_rate.failed, m.time_to_restore.incidents),
        (1, 1)
    );
    assert_eq!(m.time_to_restore.median_seconds, Some(1800));
}

#[tokio::test]
async fn repository_names_match_whatever_their_case_on_sqlite() {
    let test = engine::store::testing::TestStore::sqlite().await;
    repository_names_match_whatever_their_case(test.store.clone()).await;
}

#[tokio::test]
async fn repository_names_match_whatever_their_case_on_postgres() {
    if let Some(test) = engine::store::testing::TestStore::postgres("mixed_case").await {
        repository_names_match_whatever_their_case(test.store.clone()).await;
        test.finish().await;
    }
}

/// With `?wait=true`, an incident of acme/shop that names acme/search's deployment is in
/// acme/search's figures when the answer comes: the analysis that links it (acme/search's) has
/// run, not only acme/shop's.
#[tokio::test]
async fn waiting_covers_the_repository_an_incident_names() {
    let server = Server::start(CONFIG).await;
    let deployment = json!({"type": "deployment", "id": "se-1", "repo": "acme/search",
        "environment": "production", "sha": sha("se1"), "status": "success",
        "finished_at": "2026-03-02T11:00:00Z"});
    let (status, answer) = server
        .post_events(Some(TOKEN), deployment.to_string())
        .await;
    assert_eq!(status, 200, "{answer}");
    server.settled().await;
    let incident = json!({"type": "incident", "id": "inc-se", "repo": "acme/shop",
        "opened_at": "2026-03-02T12:00:00Z", "deployment": "se-1"});
    let response = server
        .client
        .post(format!("{}/api/v1/events?wait=true", server.base))
        .bearer_auth(TOKEN)
        .body(incident.to_string())
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let search = server
        .metrics(Some("search"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(
        (
            search.change_failure_rate.deployments,
            search.change_failure_rate.failed
        ),
        (1, 1)
    );
}
