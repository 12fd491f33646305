//! Bounded ingestion: with `[api] max_pending_deliveries` deliveries in flight, the next one is
//! refused at once with 503, `Retry-After` and a JSON error, and nothing of it is stored; the
//! delivery in flight is acknowledged once stored, and the place it held is free again.

use crate::events_support;

use events_support::{CONFIG, Server, TOKEN, pagerduty_delivery, sha};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn deployment(id: &str) -> String {
    json!({"type": "deployment", "id": id, "repo": "acme/shop", "environment": "production",
        "sha": sha(id), "status": "success", "finished_at": "2026-03-02T11:06:00Z"})
    .to_string()
}

#[tokio::test]
async fn a_saturated_server_refuses_with_503_and_stores_nothing_it_refused() {
    let server = Server::start(&format!("{CONFIG}\n[api]\nmax_pending_deliveries = 1\n")).await;
    assert_eq!(server.ingestor.capacity(), 1);

    // One delivery in flight: its body is still arriving, so it holds the only place.
    let held = deployment("held");
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut connection = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {TOKEN}\r\n\
         content-type: application/x-ndjson\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        held.len()
    );
    let (first, rest) = held.split_at(10);
    connection
        .write_all(format!("{head}{first}").as_bytes())
        .await
        .expect("write");
    while server.ingestor.in_flight() == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    // Beyond the bound: refused at once, events and webhooks alike, and nothing stored.
    let refused = server
        .client
        .post(format!("{}/api/v1/events", server.base))
        .bearer_auth(TOKEN)
        .body(deployment("refused"))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: serde_json::Value = refused.json().await.expect("a JSON error");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("max_pending_deliveries"), "{body}");
    let (status, body) = server
        .deliver(&pagerduty_delivery(
            "E-refused",
            "incident.triggered",
            "Q-REFUSED",
            "PSHOP01",
            "2026-03-05T10:00:00Z",
        ))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        server.store.raw_event_count(None).await.expect("count"),
        0,
        "nothing refused is stored"
    );
    assert!(
        server
            .store
            .deployment("refused")
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        server
            .store
            .incident("Q-REFUSED")
            .await
            .expect("read")
            .is_none()
    );

    // The delivery in flight completes: acknowledged once stored.
    connection.write_all(rest.as_bytes()).await.expect("write");
    let mut answer = String::new();
    connection.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        server
            .store
            .deployment("held")
            .await
            .expect("read")
            .is_some(),
        "acknowledged, so stored"
    );

    // Its place is free again: the refused delivery, retried, is stored.
    let (status, body) = server.post_events(Some(TOKEN), deployment("refused")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.ingestor.in_flight(), 0);
    assert_eq!(
        server.ingestor.foreground(),
        0,
        "every delivery answered: reanalyses wait for nothing"
    );
    assert_eq!(server.store.raw_event_count(None).await.expect("count"), 2);
}
