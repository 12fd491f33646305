//! `POST /api/v1/webhooks/pagerduty` end to end: signed and unsigned V3 deliveries in
//! PagerDuty's shape, what lands in the store, and time to restore.

use crate::events_support;

use events_support::{CONFIG, PD_SECRET, Server, pagerduty_delivery, sha};
use serde_json::json;

const KEY: &str = "pagerduty:Q2W3E4R5";

fn delivery(event_id: &str, event_type: &str, service: &str, at: &str) -> String {
    pagerduty_delivery(event_id, event_type, "Q2W3E4R5", service, at)
}

#[tokio::test]
async fn an_incident_lifecycle_becomes_one_incident_of_the_mapped_team() {
    let server = Server::start(CONFIG).await;
    let (status, answer) = server
        .deliver(&delivery(
            "E1",
            "incident.triggered",
            "PSHOP01",
            "2026-03-05T10:00:01Z",
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, json!({"status": "stored", "incident": KEY}));
    let incident = server
        .store
        .incident(KEY)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(incident.team.as_deref(), Some("shop"));
    assert_eq!(incident.repo, None);
    assert_eq!(incident.title, "Payments are failing");
    assert_eq!(incident.opened_at.to_rfc3339(), "2026-03-05T10:00:00+00:00");
    assert_eq!(incident.resolved_at, None);

    for (id, kind, at) in [
        ("E2", "incident.acknowledged", "2026-03-05T10:05:00Z"),
        ("E3", "incident.resolved", "2026-03-05T10:45:00Z"),
    ] {
        let (status, answer) = server.deliver(&delivery(id, kind, "PSHOP01", at)).await;
        assert_eq!(status, 200, "{kind}: {answer}");
    }
    let incident = server
        .store
        .incident(KEY)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        incident.resolved_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-05T10:45:00+00:00")
    );
    let m = server
        .metrics(Some("shop"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(m.time_to_restore.incidents, 1);
    assert_eq!(m.time_to_restore.median_seconds, Some(45 * 60));
    let tribe = server
        .metrics(Some("commerce"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(tribe.time_to_restore.incidents, 1, "rolls up to the tribe");

    // Reopened, then resolved again an hour later: restored at the last resolution.
    server
        .deliver(&delivery(
            "E4",
            "incident.reopened",
            "PSHOP01",
            "2026-03-05T11:00:00Z",
        ))
        .await;
    let reopened = server
        .store
        .incident(KEY)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(reopened.resolved_at, None);
    let m = server
        .metrics(Some("shop"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(
        m.time_to_restore.incidents, 0,
        "an open incident is not counted"
    );
    server
        .deliver(&delivery(
            "E5",
            "incident.resolved",
            "PSHOP01",
            "2026-03-05T11:40:00Z",
        ))
        .await;
    let m = server
        .metrics(Some("shop"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(m.time_to_restore.median_seconds, Some(100 * 60));
    assert_eq!(server.store.counts().await.expect("counts").incidents, 1);
    assert_eq!(
        server
            .store
            .raw_event_count(Some("pagerduty"))
            .await
            .expect("raw"),
        5
    );
}

#[tokio::test]
async fn deliveries_out_of_order_give_the_same_incident() {
    let server = Server::start(CONFIG).await;
    // Resolved, reopened (before that resolution), triggered: still resolved at 10:45.
    for (id, kind, at) in [
        ("E3", "incident.resolved", "2026-03-05T10:45:00Z"),
        ("E2", "incident.reopened", "2026-03-05T10:30:00Z"),
        ("E1", "incident.triggered", "2026-03-05T10:00:01Z"),
        ("E0", "incident.resolved", "2026-03-05T10:20:00Z"),
    ] {
        assert_eq!(
            server.deliver(&delivery(id, kind, "PSHOP01", at)).await.0,
            200
        );
    }
    let incident = server
        .store
        .incident(KEY)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        incident.resolved_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-05T10:45:00+00:00")
    );
}

#[tokio::test]
async fn unsigned_or_badly_signed_deliveries_are_refused_and_store_nothing() {
    let server = Server::start(CONFIG).await;
    let body = delivery(
        "E1",
        "incident.triggered",
        "PSHOP01",
        "2026-03-05T10:00:01Z",
    );
    let wrong = collector::pagerduty::sign(b"not-the-secret", body.as_bytes());
    let tampered = collector::pagerduty::sign(PD_SECRET.as_bytes(), b"another body");
    for signature in [None, Some(wrong), Some(tampered), Some("v1=".to_string())] {
        let (status, answer) = server.post_pagerduty(signature.clone(), &body).await;
        assert_eq!(status, 401, "{signature:?}: {answer}");
    }
    assert_eq!(server.store.raw_event_count(None).await.expect("raw"), 0);
    assert_eq!(server.store.counts().await.expect("counts").incidents, 0);

    // During a secret rotation PagerDuty lists several signatures: one good one is enough.
    let good = collector::pagerduty::sign(PD_SECRET.as_bytes(), body.as_bytes());
    let old = collector::pagerduty::sign(b"old-secret", body.as_bytes());
    let (status, _) = server
        .post_pagerduty(Some(format!("{old},{good}")), &body)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_redelivered_webhook_changes_nothing() {
    let server = Server::start(CONFIG).await;
    let body = delivery("E1", "incident.resolved", "PSHOP01", "2026-03-05T10:45:00Z");
    assert_eq!(server.deliver(&body).await.0, 200);
    server.settled().await;
    let counts = server.store.counts().await.expect("counts");
    let version = server.store.data_version().await.expect("version");
    let (status, answer) = server.deliver(&body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "duplicate");
    server.settled().await;
    assert_eq!(server.store.counts().await.expect("counts"), counts);
    assert_eq!(server.store.raw_event_count(None).await.expect("raw"), 1);
    assert_eq!(server.store.data_version().await.expect("version"), version);
}

#[tokio::test]
async fn an_incident_of_a_service_mapped_to_a_repository_fails_its_last_deployment() {
    let server = Server::start(CONFIG).await;
    let deploy = json!({"type": "deployment", "id": "argo-shop-5", "repo": "acme/shop",
        "environment": "production", "sha": sha("5"), "status": "success",
        "finished_at": "2026-03-05T09:00:00Z"});
    let (status, _) = server
        .post_events(Some(events_support::TOKEN), deploy.to_string())
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .deliver(&delivery(
            "E1",
            "incident.triggered",
            "PREPO01",
            "2026-03-05T10:00:01Z",
        ))
        .await;
    assert_eq!(status, 200);
    let m = server
        .metrics(Some("shop"), "2026-03-01", "2026-04-01")
        .await;
    assert_eq!(
        (
            m.change_failure_rate.deployments,
            m.change_failure_rate.failed
        ),
        (1, 1),
        "attributed within the window"
    );
}

#[tokio::test]
async fn pings_other_events_and_malformed_bodies() {
    let server = Server::start(CONFIG).await;
    let ping = json!({"event": {"id": "01PING", "event_type": "pagey.ping",
        "resource_type": "pagey", "occurred_at": "2026-03-05T10:00:00Z",
        "agent": null, "client": null, "data": {"message": "Hello from your friend Pagey!",
        "type": "ping"}}})
    .to_string();
    assert_eq!(
        server.deliver(&ping).await,
        (200, json!({"status": "pong"}))
    );
    let annotated = json!({"event": {"id": "01NOTE", "event_type": "incident.annotated",
        "resource_type": "incident", "occurred_at": "2026-03-05T10:00:00Z",
        "data": {"incident": {"id": "Q2W3E4R5", "type": "incident_reference"},
        "id": "PWL7QXS", "content": "Restarted the pods", "type": "incident_note"}}})
    .to_string();
    let (status, answer) = server.deliver(&annotated).await;
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = server.deliver("{\"not\": \"pagerduty\"}").await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(server.store.raw_event_count(None).await.expect("raw"), 0);
}
