//! The raw event log and `replay`: a fresh store given only the log rebuilds the same records and
//! the same metrics, and a changed mapping takes effect on replay.

use crate::events_support;

use engine::config::Config;
use engine::store::Store;
use events_support::{CONFIG, Server, TOKEN, config, documented_events, pagerduty_delivery, sha};
use serde_json::{Value, json};

/// Everything a user could see of the store: counts, every record ingested, the metrics.
async fn snapshot(store: &Store, config: &Config) -> Value {
    let mut records = Vec::new();
    for key in ["acme/shop#42", "acme/shop#43"] {
        records.push(json!(store.change(key).await.expect("read")));
    }
    for key in ["jenkins-shop-1187", "argo-search-1", "argo-search-2"] {
        records.push(json!(store.deployment(key).await.expect("read")));
    }
    for key in [
        "PD-Q1W2E3",
        "pagerduty:QTEAM",
        "pagerduty:QREPO",
        "pagerduty:QNEW",
    ] {
        records.push(json!(store.incident(key).await.expect("read")));
    }
    let mut metrics = Vec::new();
    for team in [Some("shop"), Some("search"), Some("commerce"), None] {
        let m = events_support::metrics(store, config, team, "2026-03-01", "2026-04-01").await;
        metrics.push(serde_json::to_value(m).expect("json"));
    }
    json!({
        "counts": store.counts().await.expect("counts"),
        "records": records,
        "metrics": metrics,
    })
}

/// Ingests through every path: the events API, a file import, PagerDuty webhooks (one service
/// mapped to a team, one to a repository, one unmapped, deliveries out of order and redelivered).
async fn ingest_everything(server: &Server) {
    let (status, answer) = server
        .post_events(Some(TOKEN), documented_events().join("\n"))
        .await;
    assert_eq!(status, 200, "{answer}");
    // A newer version of the incident: resolved later.
    let later = documented_events()[2].replace("14:30:00Z", "15:00:00Z");
    assert_eq!(server.post_events(Some(TOKEN), later).await.0, 200);

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("search.ndjson");
    let lines = [
        json!({"type": "change", "id": "acme/shop#43", "repo": "acme/shop",
            "first_commit_at": "2026-03-03T09:00:00Z", "merged_at": "2026-03-03T10:00:00Z",
            "merge_sha": sha("43"), "reverts": "acme/shop#42"}),
        json!({"type": "deployment", "id": "argo-search-1", "repo": "acme/search",
            "environment": "production", "sha": sha("s1"), "status": "success",
            "finished_at": "2026-03-04T10:00:00Z"}),
        json!({"type": "deployment", "id": "argo-search-2", "repo": "acme/search",
            "environment": "production", "sha": sha("s2"), "status": "failure",
            "finished_at": "2026-03-04T12:00:00Z"}),
    ];
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&file, text.join("\n")).expect("write");
    collector::ingest::import_file(&server.store, &server.config, &file)
        .await
        .expect("imported");

    for (event, kind, incident, service, at) in [
        (
            "T1",
            "incident.triggered",
            "QTEAM",
            "PSHOP01",
            "2026-03-05T10:00:01Z",
        ),
        (
            "T3",
            "incident.resolved",
            "QTEAM",
            "PSHOP01",
            "2026-03-05T11:00:00Z",
        ),
        (
            "T2",
            "incident.reopened",
            "QTEAM",
            "PSHOP01",
            "2026-03-05T10:30:00Z",
        ),
        (
            "R1",
            "incident.triggered",
            "QREPO",
            "PREPO01",
            "2026-03-05T10:00:01Z",
        ),
        (
            "R2",
            "incident.acknowledged",
            "QREPO",
            "PREPO01",
            "2026-03-05T10:01:00Z",
        ),
        (
            "N1",
            "incident.triggered",
            "QNEW",
            "PNEW001",
            "2026-03-05T10:00:01Z",
        ),
        (
            "N2",
            "incident.resolved",
            "QNEW",
            "PNEW001",
            "2026-03-05T10:20:00Z",
        ),
        (
            "N2",
            "incident.resolved",
            "QNEW",
            "PNEW001",
            "2026-03-05T10:20:00Z",
        ),
    ] {
        let body = pagerduty_delivery(event, kind, incident, service, at);
        assert_eq!(server.deliver(&body).await.0, 200);
    }
}

/// A fresh store holding only a copy of `from`'s raw event log, in arrival order.
async fn copy_of_the_log(from: &Store) -> Store {
    let to = Store::connect("sqlite::memory:").await.expect("store");
    copy_log(from, &to).await;
    to
}

/// Copies `from`'s raw event log into `to`, in arrival order.
async fn copy_log(from: &Store, to: &Store) {
    let mut after = 0;
    loop {
        let page = from.raw_events_after(after, 3).await.expect("read the log");
        let Some(last) = page.last() else { break };
        after = last.id;
        for event in page {
            assert!(
                to.insert_raw_event(&event.source, &event.delivery_id, &event.body)
                    .await
                    .expect("copy")
            );
        }
    }
}

/// Replays the log of `server`'s store into `fresh` (holding only a copy of that log), twice:
/// the records and metrics come out as the server's.
async fn replaying_gives_the_same_records_and_metrics(server: &Server, fresh: &Store) {
    let original = snapshot(&server.store, &server.config).await;
    let report = collector::replay::replay(fresh, &server.config)
        .await
        .expect("replayed");
    assert_eq!(report.events, 14);
    assert_eq!(
        report.replayed.to_string(),
        "2 changes, 3 deployments, 9 incidents"
    );
    assert!(report.skipped.is_empty(), "{report:?}");
    assert_eq!(snapshot(fresh, &server.config).await, original);

    // Replaying again over the rebuilt records changes nothing.
    collector::replay::replay(fresh, &server.config)
        .await
        .expect("replayed");
    assert_eq!(snapshot(fresh, &server.config).await, original);
}

/// The same replay into a PostgreSQL store.
#[tokio::test]
async fn replaying_the_log_into_a_fresh_postgres_store_gives_the_same_records_and_metrics() {
    let Some(test) = engine::store::testing::TestStore::postgres("replay_postgres").await else {
        return;
    };
    let server = Server::start(CONFIG).await;
    ingest_everything(&server).await;
    server.settled().await;
    copy_log(&server.store, &test.store).await;
    replaying_gives_the_same_records_and_metrics(&server, &test.store).await;
    assert_eq!(
        engine::store::testing::postgres_analyzed(&test.store, "deployment_row").await,
        Some(true),
        "the replay analyzed what it wrote before deriving"
    );
    test.finish().await;
}

#[tokio::test]
async fn replaying_the_log_into_a_fresh_store_gives_the_same_records_and_metrics() {
    let server = Server::start(CONFIG).await;
    ingest_everything(&server).await;
    server.settled().await;
    let original = snapshot(&server.store, &server.config).await;
    assert_eq!(original["counts"]["incidents"], 4, "{original}");
    assert_eq!(original["counts"]["deployments"], 3, "{original}");
    assert_eq!(
        server.store.raw_event_count(None).await.expect("raw"),
        4 + 3 + 7,
        "4 events posted, 3 imported, 7 distinct PagerDuty deliveries"
    );

    let fresh = copy_of_the_log(&server.store).await;
    replaying_gives_the_same_records_and_metrics(&server, &fresh).await;
}

#[tokio::test]
async fn a_changed_mapping_takes_effect_on_replay() {
    let server = Server::start(CONFIG).await;
    ingest_everything(&server).await;
    let unmapped = server
        .store
        .incident("pagerduty:QNEW")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!((unmapped.repo, unmapped.team), (None, None));
    let search = |store: &Store, config: &Config| {
        let (store, config) = (store.clone(), config.clone());
        async move {
            events_support::metrics(&store, &config, Some("search"), "2026-03-01", "2026-04-01")
                .await
                .time_to_restore
                .incidents
        }
    };
    assert_eq!(search(&server.store, &server.config).await, 0);

    let mapped = config(&CONFIG.replace(
        "PREPO01 = \"acme/shop\"",
        "PREPO01 = \"acme/shop\", PNEW001 = \"search\"",
    ));
    let report = collector::replay::replay(&server.store, &mapped)
        .await
        .expect("replayed");
    assert!(report.skipped.is_empty(), "{report:?}");
    let incident = server
        .store
        .incident("pagerduty:QNEW")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(incident.team.as_deref(), Some("search"));
    assert_eq!(search(&server.store, &mapped).await, 1);
    assert_eq!(server.store.counts().await.expect("counts").incidents, 4);
}

#[tokio::test]
async fn events_that_no_longer_validate_are_skipped_and_reported() {
    let server = Server::start(CONFIG).await;
    let incident = json!({"type": "incident", "id": "OG-9", "team": "search",
        "opened_at": "2026-03-06T10:00:00Z"});
    assert_eq!(
        server
            .post_events(Some(TOKEN), incident.to_string())
            .await
            .0,
        200
    );
    let without_search = config(&CONFIG.replace(
        "[[teams]]\nslug = \"search\"\nname = \"Search\"\nrepos = [\"acme/search\"]\n",
        "",
    ));
    let report = collector::replay::replay(&server.store, &without_search)
        .await
        .expect("replayed");
    assert_eq!(report.skipped.get("events"), Some(&1), "{report:?}");
    assert!(report.problems[0].contains("`team`"), "{report:?}");
}
