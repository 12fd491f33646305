//! Migration 0026: the deliveries a store logged before digests (source and delivery id as text)
//! are still recognised as redeliveries once it keeps digests, on both backends: SQLite's store
//! converts them when it opens (a page at a time), PostgreSQL's migration in SQL.

use crate::old_store;
use engine::store::Store;
use engine::store::events::{LoggedEvent, NewRawEvent};

/// More deliveries than the conversion reads at once, and one whose source is not ASCII.
const OLD_ROWS: &[&str] = &[
    "INSERT INTO raw_delivery (source, delivery_id) \
     SELECT 'import', 'i-' || x FROM (WITH RECURSIVE n(x) AS \
     (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 12000) SELECT x FROM n) AS numbers",
    "INSERT INTO raw_delivery (source, delivery_id) VALUES ('pägerduty', 'ü-1')",
];

fn raw(source: &str, id: &str) -> LoggedEvent {
    LoggedEvent {
        raw: Some(NewRawEvent {
            source: source.into(),
            delivery_id: id.into(),
            body: "{}".into(),
        }),
        record: None,
    }
}

async fn check_migrated(store: &Store) {
    for (source, id) in [
        ("import", "i-1"),
        ("import", "i-12000"),
        ("pägerduty", "ü-1"),
    ] {
        assert!(
            !store
                .insert_raw_event(source, id, "again")
                .await
                .expect("insert"),
            "{source} {id} logged before is a redelivery"
        );
    }
    let (outcome, _) = store
        .ingest(vec![
            raw("import", "i-5000"),
            raw("import", "i-5001"),
            raw("import", "i-12001"),
            raw("pagerduty", "ü-1"),
        ])
        .await
        .expect("a batch");
    assert_eq!(outcome.new, vec![false, false, true, true]);
    assert!(
        !store
            .insert_raw_event("import", "i-12001", "again")
            .await
            .expect("insert"),
        "a delivery logged after the migration is recognised too"
    );
}

#[tokio::test]
async fn sqlite_deliveries_logged_before_digests_are_still_redeliveries() {
    old_store::on_sqlite(26, OLD_ROWS, check_migrated).await;
}

#[tokio::test]
async fn postgres_deliveries_logged_before_digests_are_still_redeliveries() {
    old_store::on_postgres("delivery_digests_migration", 26, OLD_ROWS, check_migrated).await;
}
