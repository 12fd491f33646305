//! CDEvents on `POST /api/v1/events`: a sample pipeline's CDEvents (every handled type) give the
//! same records and figures as the equivalent generic events; other types are answered 202 and
//! stored nowhere; a malformed CDEvent is refused naming its field; a re-sent one changes nothing.

use crate::events_support;

use events_support::{CONFIG, Server, TOKEN, sha};
use serde_json::{Value, json};

/// The shared organisation, with the pipeline's service and incident source mapped.
fn config() -> String {
    format!(
        "{CONFIG}\n[cdevents]\nservices = {{ \"service/shop\" = \"acme/shop\", \
         \"/pagerduty/shop\" = \"shop\" }}\n"
    )
}

/// A CDEvent in a CloudEvent (structured mode), as an SDK sends it.
fn cloud(id: &str, kind: &str, timestamp: &str, subject: Value, custom: Value) -> Value {
    let source = if kind.starts_with("incident") {
        "/pagerduty/shop"
    } else {
        "/argocd/prod"
    };
    let full_type = format!("dev.cdevents.{kind}.0.2.0");
    json!({
        "specversion": "1.0", "id": id, "source": source, "type": full_type,
        "datacontenttype": "application/json",
        "data": {
            "context": {"specversion": "0.4.1", "id": id, "source": source,
                "type": full_type, "timestamp": timestamp},
            "subject": subject,
            "customData": custom
        }
    })
}

fn service(sha_tag: &str) -> Value {
    json!({"id": "service/shop", "source": "/argocd/prod", "type": "service",
        "content": {"environment": {"id": "production", "source": "/argocd/prod"},
            "artifactId": format!("pkg:github/acme/shop@{}", sha(sha_tag))}})
}

fn incident(id: &str) -> Value {
    json!({"id": id, "source": "/pagerduty/shop", "type": "incident",
        "content": {"description": format!("Checkout errors ({id})"),
            "environment": {"id": "production"}}})
}

/// The pipeline: a change merged and deployed, an incident it caused (detected, resolved), an
/// upgrade, a rollback to the first sha, and an incident reported and still open.
fn pipeline() -> Vec<Value> {
    vec![
        cloud(
            "cd-change-42",
            "change.merged",
            "2026-03-02T10:00:00Z",
            json!({"id": "42", "source": "/github", "type": "change",
                "content": {"repository": {"id": "acme/shop", "source": "https://github.com"}}}),
            json!({"title": "Faster checkout", "author": "alice",
                "first_commit_at": "2026-03-01T09:00:00Z", "opened_at": "2026-03-01T12:00:00Z",
                "first_review_at": "2026-03-02T08:00:00Z", "sha": sha("42"),
                "commits": [sha("41"), sha("42")], "labels": ["feature"]}),
        ),
        cloud(
            "cd-deploy-1",
            "service.deployed",
            "2026-03-02T11:06:00Z",
            service("42"),
            json!({"started_at": "2026-03-02T11:00:00Z", "changes": ["acme/shop#42"]}),
        ),
        cloud(
            "cd-incident-1-open",
            "incident.detected",
            "2026-03-02T13:00:00Z",
            incident("INC-1"),
            json!({"deployment": "cd-deploy-1"}),
        ),
        cloud(
            "cd-incident-1-resolved",
            "incident.resolved",
            "2026-03-02T14:30:00Z",
            incident("INC-1"),
            Value::Null,
        ),
        cloud(
            "cd-deploy-2",
            "service.upgraded",
            "2026-03-03T10:00:00Z",
            service("43"),
            Value::Null,
        ),
        cloud(
            "cd-deploy-3",
            "service.rolledback",
            "2026-03-03T10:30:00Z",
            service("42"),
            Value::Null,
        ),
        cloud(
            "cd-incident-2",
            "incident.reported",
            "2026-03-04T09:00:00Z",
            incident("INC-2"),
            Value::Null,
        ),
    ]
}

/// The same pipeline as generic events.
fn generic() -> Vec<Value> {
    vec![
        json!({"type": "change", "id": "acme/shop#42", "repo": "acme/shop", "number": 42,
            "title": "Faster checkout", "author": "alice",
            "first_commit_at": "2026-03-01T09:00:00Z", "opened_at": "2026-03-01T12:00:00Z",
            "first_review_at": "2026-03-02T08:00:00Z", "merged_at": "2026-03-02T10:00:00Z",
            "merge_sha": sha("42"), "commits": [sha("41"), sha("42")], "labels": ["feature"]}),
        json!({"type": "deployment", "id": "cd-deploy-1", "repo": "acme/shop",
            "environment": "production", "sha": sha("42"), "status": "success",
            "started_at": "2026-03-02T11:00:00Z", "finished_at": "2026-03-02T11:06:00Z",
            "changes": ["acme/shop#42"]}),
        json!({"type": "incident", "id": "INC-1", "team": "shop",
            "title": "Checkout errors (INC-1)", "opened_at": "2026-03-02T13:00:00Z",
            "resolved_at": "2026-03-02T14:30:00Z", "deployment": "cd-deploy-1"}),
        json!({"type": "deployment", "id": "cd-deploy-2", "repo": "acme/shop",
            "environment": "production", "sha": sha("43"), "status": "success",
            "finished_at": "2026-03-03T10:00:00Z"}),
        json!({"type": "deployment", "id": "cd-deploy-3", "repo": "acme/shop",
            "environment": "production", "sha": sha("42"), "status": "success",
            "finished_at": "2026-03-03T10:30:00Z", "rollback": true}),
        json!({"type": "incident", "id": "INC-2", "team": "shop",
            "title": "Checkout errors (INC-2)", "opened_at": "2026-03-04T09:00:00Z"}),
    ]
}

#[tokio::test]
async fn a_pipelines_cdevents_give_the_records_and_figures_of_its_generic_events() {
    let config = config();
    let cd = Server::start(&config).await;
    for event in pipeline() {
        let (status, body) = cd.post_events(Some(TOKEN), event.to_string()).await;
        assert_eq!(status, 200, "{event}: {body}");
        assert_eq!(body["duplicates"], 0, "{body}");
    }
    let plain = Server::start(&config).await;
    let lines: Vec<String> = generic().iter().map(Value::to_string).collect();
    let (status, body) = plain.post_events(Some(TOKEN), lines.join("\n")).await;
    assert_eq!(status, 200, "{body}");

    cd.settled().await;
    plain.settled().await;
    let (a, b) = (&cd.store, &plain.store);
    let change = a.change("acme/shop#42").await.expect("read");
    assert!(change.is_some());
    assert_eq!(change, b.change("acme/shop#42").await.expect("read"));
    for key in ["cd-deploy-1", "cd-deploy-2", "cd-deploy-3"] {
        let deployment = a.deployment(key).await.expect("read");
        assert!(deployment.is_some(), "{key}");
        assert_eq!(deployment, b.deployment(key).await.expect("read"), "{key}");
    }
    for key in ["INC-1", "INC-2"] {
        let incident = a.incident(key).await.expect("read");
        assert!(incident.is_some(), "{key}");
        assert_eq!(incident, b.incident(key).await.expect("read"), "{key}");
    }
    assert_eq!(
        a.counts().await.expect("counts"),
        b.counts().await.expect("counts")
    );
    assert_eq!(a.raw_event_count(Some("cdevents")).await.expect("raw"), 7);

    let figures = cd.metrics(Some("shop"), "2026-03-01", "2026-04-01").await;
    assert_eq!(
        figures,
        plain
            .metrics(Some("shop"), "2026-03-01", "2026-04-01")
            .await
    );
    // By hand: three deployments; change 42 first committed 1 March 09:00, shipped 2 March
    // 11:06; INC-1 open 13:00 to 14:30 (INC-2 is still open).
    assert_eq!(figures.deployment_frequency.deployments, 3);
    assert_eq!(figures.lead_time.median_seconds, Some(26 * 3600 + 6 * 60));
    assert_eq!(figures.time_to_restore.incidents, 1);

    // Replaying the log normalizes the logged CDEvents again, to the same records.
    let replayed = collector::replay::replay(a, &cd.config)
        .await
        .expect("replay");
    assert!(replayed.skipped.is_empty(), "{replayed:?}");
    assert_eq!(replayed.replayed.total(), 7);
    for key in ["INC-1", "INC-2"] {
        assert_eq!(
            a.incident(key).await.expect("read"),
            b.incident(key).await.expect("read"),
            "{key}"
        );
    }
    assert_eq!(
        cd.metrics(Some("shop"), "2026-03-01", "2026-04-01").await,
        figures
    );
}

#[tokio::test]
async fn a_resent_cdevent_changes_nothing() {
    let server = Server::start(&config()).await;
    let event = &pipeline()[1];
    assert_eq!(
        server.post_events(Some(TOKEN), event.to_string()).await.0,
        200
    );
    server.settled().await;
    let version = server.store.data_version().await.expect("version");
    // Pretty-printed this time: the same context.id.
    let text = serde_json::to_string_pretty(event).expect("json");
    let (status, body) = server.post_events(Some(TOKEN), text).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["duplicates"], 1, "{body}");
    server.settled().await;
    assert_eq!(server.store.data_version().await.expect("version"), version);
    assert_eq!(
        server
            .store
            .raw_event_count(Some("cdevents"))
            .await
            .expect("raw"),
        1
    );
}

#[tokio::test]
async fn other_cdevents_are_accepted_and_stored_nowhere() {
    let server = Server::start(&config()).await;
    let event = cloud(
        "cd-pipeline-9",
        "pipelinerun.finished",
        "2026-03-02T11:00:00Z",
        json!({"id": "run-9", "content": {"pipelineName": "build", "outcome": "success"}}),
        Value::Null,
    );
    let (status, body) = server.post_events(Some(TOKEN), event.to_string()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "ignored");
    assert_eq!(body["type"], "dev.cdevents.pipelinerun.finished.0.2.0");
    assert_eq!(server.store.raw_event_count(None).await.expect("raw"), 0);
}

#[tokio::test]
async fn a_malformed_cdevent_is_refused_naming_the_field() {
    let server = Server::start(&config()).await;
    let mut event = pipeline()[1].clone();
    event["data"]["subject"]["content"]["environment"] = json!({});
    let (status, body) = server.post_events(Some(TOKEN), event.to_string()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["field"], "subject.content.environment.id",
        "{body}"
    );
    let mut event = pipeline()[0].clone();
    event["data"]["context"]
        .as_object_mut()
        .expect("context")
        .remove("timestamp");
    let (status, body) = server.post_events(Some(TOKEN), event.to_string()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "context.timestamp", "{body}");
    assert_eq!(server.store.raw_event_count(None).await.expect("raw"), 0);
}
