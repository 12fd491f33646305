//! Migration 0031: the deliveries a store logged before digests (source and id as text) move to
//! digests when the store is opened, page by page, so their redeliveries are still recognised
//! and new deliveries are logged, on both backends.

use crate::old_store;
use engine::store::Store;
use engine::store::events::{LoggedEvent, NewRawEvent};
use engine::store::testing::rows_in;

/// More deliveries than one page of the conversion (500), from two sources.
const OLD: usize = 1_201;

fn old_id(n: usize) -> String {
    format!("change:acme/shop#{n}@{n:024x}")
}

fn old_rows() -> Vec<String> {
    let values: Vec<String> = (0..OLD)
        .map(|n| {
            let source = if n % 3 == 0 { "github" } else { "import" };
            format!("('{source}', '{}')", old_id(n))
        })
        .collect();
    vec![format!(
        "INSERT INTO raw_delivery (source, delivery_id) VALUES {}",
        values.join(", ")
    )]
}

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
    assert_eq!(rows_in(store, "raw_delivery").await, OLD as i64);
    let (outcome, _) = store
        .ingest(vec![
            raw("import", &old_id(1)),
            raw("import", &old_id(700)),
            raw("import", &old_id(1_199)),
            raw("github", &old_id(1_200)),
            raw("import", &old_id(3)),
            raw("import", "new-1"),
        ])
        .await
        .expect("a batch");
    assert_eq!(
        outcome.new,
        [false, false, false, false, true, true],
        "old deliveries of every page recognised, by source and id"
    );
    assert!(
        !store
            .insert_raw_event("github", &old_id(600), "again")
            .await
            .expect("insert")
    );
    assert_eq!(rows_in(store, "raw_delivery").await, OLD as i64 + 2);
}

#[tokio::test]
async fn sqlite_deliveries_move_to_digests() {
    old_store::on_sqlite(31, &old_rows(), check_migrated).await;
}

#[tokio::test]
async fn postgres_deliveries_move_to_digests() {
    old_store::on_postgres(
        "delivery_digests_migration",
        31,
        &old_rows(),
        check_migrated,
    )
    .await;
}
