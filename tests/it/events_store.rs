//! The store's push-ingestion writes (`engine::store::events`) on both backends: SQLite always,
//! PostgreSQL when `TEST_POSTGRES_URL` is set (skips say so; `DORABOARD_REQUIRE_EXTERNAL=1`
//! makes them fail).

use chrono::{DateTime, Utc};
use engine::model::{Deployment, DeploymentStatus, Incident, IncidentCause, RepoSlug, Source};
use engine::store::Store;
use engine::store::events::{
    EventRecord, IncidentTransition, IncidentUpdate, LoggedEvent, NewRawEvent,
};

/// Declares each test once per backend.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = engine::store::testing::TestStore::sqlite().await;
                    super::$name(db.store.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let test = concat!("events_store::", stringify!($name));
                    if let Some(db) = engine::store::testing::TestStore::postgres(test).await {
                        super::$name(db.store.clone()).await;
                        db.finish().await;
                    }
                }
            )*
        }
    };
}

both_backends!(
    redeliveries_are_skipped_and_later_versions_win,
    incident_updates_merge_in_any_order,
    a_transaction_of_many_batches_is_all_or_nothing,
    the_log_reads_back_in_arrival_order,
    batches_logged_as_blocks_read_back_as_they_arrived,
    a_block_of_several_sources_reads_back_each_events_source,
    incidents_naming_a_deployment_touch_its_repository,
);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a test time")
        .with_timezone(&Utc)
}

fn repo(slug: &str) -> RepoSlug {
    slug.parse().expect("a test repository")
}

fn deployment(key: &str, status: DeploymentStatus) -> Deployment {
    Deployment {
        key: key.into(),
        repo: repo("acme/shop"),
        environment: "production".into(),
        sha: "a".repeat(40),
        status,
        started_at: None,
        finished_at: at("2026-03-02T11:06:00Z"),
        source: Source::Webhook,
        rollback: false,
        declared_changes: None,
        declared_commits: None,
    }
}

fn event(delivery: &str, record: EventRecord) -> LoggedEvent {
    LoggedEvent {
        raw: Some(NewRawEvent {
            source: "events".into(),
            delivery_id: delivery.into(),
            body: format!("{{\"delivery\": \"{delivery}\"}}"),
        }),
        record: Some(record),
    }
}

fn incident(key: &str) -> Incident {
    Incident {
        key: key.into(),
        repo: None,
        team: Some("shop".into()),
        title: "Checkout errors".into(),
        opened_at: at("2026-03-05T10:00:00Z"),
        resolved_at: None,
        source: Source::Webhook,
        cause: None,
    }
}

fn update(key: &str, transition: IncidentTransition) -> EventRecord {
    EventRecord::IncidentUpdate(IncidentUpdate {
        incident: incident(key),
        transition,
    })
}

async fn redeliveries_are_skipped_and_later_versions_win(store: Store) {
    let v1 = deployment("d1", DeploymentStatus::Failure);
    let v2 = deployment("d1", DeploymentStatus::Success);
    let (outcome, commit) = store
        .ingest(vec![
            event("d1@v1", EventRecord::Deployment(v1.clone())),
            event("d1@v2", EventRecord::Deployment(v2.clone())),
            event("d1@v1", EventRecord::Deployment(v1.clone())),
        ])
        .await
        .expect("ingested");
    assert_eq!(outcome.new, [true, true, false]);
    assert_eq!(outcome.deployments, 1);
    assert_eq!(commit.repos, [repo("acme/shop")]);
    let stored = store.deployment("d1").await.expect("read").expect("stored");
    assert_eq!(stored.status, DeploymentStatus::Success);

    // The older version redelivered later changes nothing, not even the data version.
    let version = store.data_version().await.expect("version");
    let (outcome, commit) = store
        .ingest(vec![event("d1@v1", EventRecord::Deployment(v1))])
        .await
        .expect("ingested");
    assert_eq!(outcome.new, [false]);
    assert!(commit.repos.is_empty());
    assert_eq!(store.deployment("d1").await.expect("read"), Some(v2));
    assert_eq!(store.data_version().await.expect("version"), version);
    assert_eq!(store.raw_event_count(Some("events")).await.expect("raw"), 2);
}

async fn incident_updates_merge_in_any_order(store: Store) {
    use IncidentTransition::{Open, Reopened, Resolved};
    let sequences = [
        vec![
            ("t", Open),
            ("r1", Resolved(at("2026-03-05T10:20:00Z"))),
            ("o", Reopened(at("2026-03-05T10:30:00Z"))),
            ("r2", Resolved(at("2026-03-05T10:45:00Z"))),
        ],
        vec![
            ("r2", Resolved(at("2026-03-05T10:45:00Z"))),
            ("o", Reopened(at("2026-03-05T10:30:00Z"))),
            ("r1", Resolved(at("2026-03-05T10:20:00Z"))),
            ("t", Open),
        ],
    ];
    for (n, sequence) in sequences.into_iter().enumerate() {
        let key = format!("pd:{n}");
        // One delivery per transaction, as webhooks arrive.
        for (delivery, transition) in sequence {
            store
                .ingest(vec![event(
                    &format!("{key}/{delivery}"),
                    update(&key, transition),
                )])
                .await
                .expect("ingested");
        }
        let stored = store.incident(&key).await.expect("read").expect("stored");
        assert_eq!(
            stored.resolved_at,
            Some(at("2026-03-05T10:45:00Z")),
            "{key}"
        );
        assert_eq!(stored.opened_at, at("2026-03-05T10:00:00Z"));
        assert_eq!(stored.team.as_deref(), Some("shop"));
    }
    // Reopened after its last resolution: open again. In one batch, in order.
    store
        .ingest(vec![
            event("x/t", update("pd:x", Open)),
            event("x/r", update("pd:x", Resolved(at("2026-03-05T10:20:00Z")))),
            event("x/o", update("pd:x", Reopened(at("2026-03-05T10:30:00Z")))),
        ])
        .await
        .expect("ingested");
    let stored = store.incident("pd:x").await.expect("read").expect("stored");
    assert_eq!(stored.resolved_at, None);

    // Several incidents in one batch, some updated more than once, interleaved: stored as if
    // each update had arrived on its own.
    let interleaved = [
        ("1", Open),
        ("2", Resolved(at("2026-03-05T10:20:00Z"))),
        ("3", Reopened(at("2026-03-05T10:30:00Z"))),
        ("1", Resolved(at("2026-03-05T10:40:00Z"))),
        ("2", Reopened(at("2026-03-05T10:30:00Z"))),
        ("4", Resolved(at("2026-03-05T10:40:00Z"))),
        ("1", Reopened(at("2026-03-05T10:30:00Z"))),
        ("2", Resolved(at("2026-03-05T10:50:00Z"))),
        ("4", Reopened(at("2026-03-05T10:45:00Z"))),
    ];
    store
        .ingest(
            interleaved
                .iter()
                .enumerate()
                .map(|(n, (incident, transition))| {
                    event(
                        &format!("batch/{n}"),
                        update(&format!("pd:b{incident}"), *transition),
                    )
                })
                .collect(),
        )
        .await
        .expect("ingested");
    for (n, (incident, transition)) in interleaved.iter().enumerate() {
        store
            .ingest(vec![event(
                &format!("alone/{n}"),
                update(&format!("pd:a{incident}"), *transition),
            )])
            .await
            .expect("ingested");
    }
    for incident in ["1", "2", "3", "4"] {
        let batched = store
            .incident(&format!("pd:b{incident}"))
            .await
            .expect("read");
        let alone = store
            .incident(&format!("pd:a{incident}"))
            .await
            .expect("read");
        let (batched, alone) = (batched.expect("stored"), alone.expect("stored"));
        assert_eq!(
            (batched.opened_at, batched.resolved_at),
            (alone.opened_at, alone.resolved_at),
            "incident {incident}"
        );
    }
    // Worked by hand: 1 resolved at 10:40, its reopening at 10:30 older; 2 reopened after its
    // first resolution, then resolved again; 3 reopened, never resolved; 4 reopened after its
    // resolution.
    for (incident, resolved) in [
        ("pd:b1", Some(at("2026-03-05T10:40:00Z"))),
        ("pd:b2", Some(at("2026-03-05T10:50:00Z"))),
        ("pd:b3", None),
        ("pd:b4", None),
    ] {
        let stored = store
            .incident(incident)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(stored.resolved_at, resolved, "{incident}");
    }

    // A resolution that knows only its own time, before or after the opening event: the incident
    // opened at the earliest time reported.
    let resolution = |opened: &str| {
        let mut incident = incident("cd:y");
        incident.opened_at = at(opened);
        EventRecord::IncidentUpdate(IncidentUpdate {
            incident,
            transition: Resolved(at("2026-03-05T11:00:00Z")),
        })
    };
    for (delivery, record) in [
        ("y/r", resolution("2026-03-05T11:00:00Z")),
        ("y/t", update("cd:y", Open)),
        ("y/r2", resolution("2026-03-05T11:00:00Z")),
    ] {
        store
            .ingest(vec![event(delivery, record)])
            .await
            .expect("ingested");
        let stored = store.incident("cd:y").await.expect("read").expect("stored");
        assert_eq!(stored.resolved_at, Some(at("2026-03-05T11:00:00Z")));
        let opened = if delivery == "y/r" {
            "2026-03-05T11:00:00Z"
        } else {
            "2026-03-05T10:00:00Z"
        };
        assert_eq!(stored.opened_at, at(opened), "{delivery}");
    }
}

async fn a_transaction_of_many_batches_is_all_or_nothing(store: Store) {
    let batch = |from: usize| {
        (from..from + 600)
            .map(|i| {
                event(
                    &format!("d{i}"),
                    EventRecord::Deployment(deployment(
                        &format!("d{i}"),
                        DeploymentStatus::Success,
                    )),
                )
            })
            .collect::<Vec<_>>()
    };
    let mut tx = store.begin_ingest().await.expect("begin");
    tx.write(batch(0)).await.expect("first batch");
    tx.write(batch(600)).await.expect("second batch");
    drop(tx);
    assert_eq!(store.counts().await.expect("counts").deployments, 0);
    assert_eq!(store.raw_event_count(None).await.expect("raw"), 0);

    let mut tx = store.begin_ingest().await.expect("begin");
    tx.write(batch(0)).await.expect("first batch");
    let second = tx.write(batch(300)).await.expect("second batch");
    assert_eq!(second.new.iter().filter(|n| **n).count(), 300);
    tx.commit().await.expect("commit");
    assert_eq!(store.counts().await.expect("counts").deployments, 900);
    assert_eq!(store.raw_event_count(None).await.expect("raw"), 900);
}

async fn the_log_reads_back_in_arrival_order(store: Store) {
    for i in 0..5 {
        store
            .ingest(vec![LoggedEvent {
                raw: Some(NewRawEvent {
                    source: if i % 2 == 0 { "events" } else { "pagerduty" }.into(),
                    delivery_id: format!("delivery-{i}"),
                    body: format!("{{\"n\": {i}}}"),
                }),
                record: None,
            }])
            .await
            .expect("logged");
    }
    let first = store.raw_events_after(0, 3).await.expect("page");
    let rest = store.raw_events_after(first[2].id, 3).await.expect("page");
    let bodies: Vec<String> = first.iter().chain(&rest).map(|e| e.body.clone()).collect();
    assert_eq!(
        bodies,
        (0..5)
            .map(|i| format!("{{\"n\": {i}}}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(rest[1].source, "events");
    assert_eq!(
        store.raw_event_count(Some("pagerduty")).await.expect("raw"),
        2
    );
}

/// A batch's bodies are kept as one block: they read back in order, page after page, with
/// redeliveries left out and single events kept on their own.
async fn batches_logged_as_blocks_read_back_as_they_arrived(store: Store) {
    let raw = |id: &str, body: &str| LoggedEvent {
        raw: Some(NewRawEvent {
            source: "events".into(),
            delivery_id: id.into(),
            body: body.into(),
        }),
        record: None,
    };
    let first: Vec<LoggedEvent> = (0..4)
        .map(|i| raw(&format!("a{i}"), &format!("{{\"a\": {i}}}")))
        .collect();
    store.ingest(first).await.expect("first batch");
    let (second, _) = store
        .ingest(vec![
            raw("a1", "{\"again\": 1}"),
            raw("b0", "{\"b\": 0}"),
            raw("a2", "{\"again\": 2}"),
            raw("b1", "{\"b\": 1}"),
        ])
        .await
        .expect("second batch");
    assert_eq!(second.new, vec![false, true, false, true]);
    store
        .ingest(vec![raw("c0", "{\"c\": 0}")])
        .await
        .expect("single event");

    let mut bodies = Vec::new();
    let mut after = 0;
    loop {
        let page = store.raw_events_after(after, 3).await.expect("page");
        let Some(last) = page.last() else { break };
        after = last.id;
        bodies.extend(page.into_iter().map(|e| (e.delivery_id, e.body)));
    }
    let expected: Vec<(String, String)> = [
        ("a0", "{\"a\": 0}"),
        ("a1", "{\"a\": 1}"),
        ("a2", "{\"a\": 2}"),
        ("a3", "{\"a\": 3}"),
        ("b0", "{\"b\": 0}"),
        ("b1", "{\"b\": 1}"),
        ("c0", "{\"c\": 0}"),
    ]
    .iter()
    .map(|(id, body)| (id.to_string(), body.to_string()))
    .collect();
    assert_eq!(bodies, expected);
}

/// A block's events are logged as one row per run of one source: each reads back with its own
/// source, counted as many times as it holds events, page after page from any event.
async fn a_block_of_several_sources_reads_back_each_events_source(store: Store) {
    let raw = |source: &str, id: &str| LoggedEvent {
        raw: Some(NewRawEvent {
            source: source.into(),
            delivery_id: id.into(),
            body: format!("{{\"{id}\": true}}"),
        }),
        record: None,
    };
    let sources = [
        "events",
        "pagerduty",
        "pagerduty",
        "events",
        "events",
        "github",
    ];
    let batch = sources
        .iter()
        .enumerate()
        .map(|(i, source)| raw(source, &format!("m{i}")))
        .collect();
    store.ingest(batch).await.expect("batch");
    store
        .ingest(vec![raw("events", "after")])
        .await
        .expect("single event");

    assert_eq!(store.raw_event_count(None).await.expect("raw"), 7);
    assert_eq!(store.raw_event_count(Some("events")).await.expect("raw"), 4);
    assert_eq!(
        store.raw_event_count(Some("pagerduty")).await.expect("raw"),
        2
    );
    for page_size in [1, 2, 4, 7] {
        let mut read = Vec::new();
        let mut after = 0;
        loop {
            let page = store
                .raw_events_after(after, page_size)
                .await
                .expect("page");
            assert!(page.len() <= page_size as usize);
            let Some(last) = page.last() else { break };
            after = last.id;
            read.extend(page.into_iter().map(|e| (e.source, e.delivery_id)));
        }
        let expected: Vec<(String, String)> = sources
            .iter()
            .enumerate()
            .map(|(i, source)| (source.to_string(), format!("m{i}")))
            .chain([("events".to_string(), "after".to_string())])
            .collect();
        assert_eq!(read, expected, "pages of {page_size}");
    }
}

async fn incidents_naming_a_deployment_touch_its_repository(store: Store) {
    store
        .ingest(vec![event(
            "d",
            EventRecord::Deployment(deployment("jenkins-9", DeploymentStatus::Success)),
        )])
        .await
        .expect("ingested");
    let mut team_incident = incident("OG-1");
    team_incident.cause = Some(IncidentCause::Deployment("jenkins-9".into()));
    let (_, commit) = store
        .ingest(vec![event("i", EventRecord::Incident(team_incident))])
        .await
        .expect("ingested");
    assert_eq!(commit.repos, [repo("acme/shop")]);
}
