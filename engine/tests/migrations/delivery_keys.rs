//! Migration 0034: `raw_delivery` keeps 16-byte keys instead of the source and delivery id as
//! text. A store written before it keeps recognising every delivery it logged, whether the move
//! of its texts to keys is to come (opened after the migration) or was interrupted (texts left
//! beside keys already moved), over several of the move's transactions, on both backends.

use crate::old_store;
use engine::store::Store;
use engine::store::events::{LoggedEvent, NewRawEvent};
use engine::store::testing::rows_in;

/// More than two of the move's transactions (50,000 each).
const LOGGED: i64 = 120_001;

/// `LOGGED` imported deliveries, `i-1` to `i-120001`, and a webhook's, `d-1`, as text.
fn old_rows(table: &str) -> Vec<String> {
    vec![
        format!(
            "INSERT INTO {table} (source, delivery_id) WITH RECURSIVE n(i) AS \
             (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {LOGGED}) \
             SELECT 'import', 'i-' || i FROM n"
        ),
        format!("INSERT INTO {table} (source, delivery_id) VALUES ('github', 'd-1')"),
    ]
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

async fn check_moved(store: &Store) {
    assert_eq!(
        rows_in(store, "raw_delivery_text").await,
        0,
        "every text moved"
    );
    assert_eq!(rows_in(store, "raw_delivery").await, LOGGED + 1, "as keys");
    assert!(
        !store
            .insert_raw_event("github", "d-1", "again")
            .await
            .expect("insert"),
        "a webhook's redelivery is recognised"
    );
    let (outcome, _) = store
        .ingest(vec![
            raw("import", "i-1"),
            raw("import", "i-60000"),
            raw("import", &format!("i-{LOGGED}")),
            raw("import", &format!("i-{}", LOGGED + 1)),
            raw("github", "i-2"),
        ])
        .await
        .expect("a batch");
    assert_eq!(
        outcome.new,
        [false, false, false, true, true],
        "the first, a middle and the last imported delivery are recognised, new ones are not, \
         and a delivery id is told apart by its source"
    );
    assert!(
        store
            .insert_raw_event("github", "d-2", "new")
            .await
            .expect("insert")
    );
}

#[tokio::test]
async fn sqlite_deliveries_logged_as_text_are_recognised_as_keys() {
    old_store::on_sqlite(34, &old_rows("raw_delivery"), check_moved).await;
}

#[tokio::test]
async fn postgres_deliveries_logged_as_text_are_recognised_as_keys() {
    let rows = old_rows("raw_delivery");
    old_store::on_postgres("delivery_keys_migration", 34, &rows, check_moved).await;
}

/// A move interrupted: the migration applied, texts left in `raw_delivery_text` (the store
/// opened after it moves them).
#[tokio::test]
async fn sqlite_an_interrupted_move_goes_on() {
    old_store::on_sqlite(35, &old_rows("raw_delivery_text"), check_moved).await;
}

#[tokio::test]
async fn postgres_an_interrupted_move_goes_on() {
    let rows = old_rows("raw_delivery_text");
    old_store::on_postgres("delivery_keys_interrupted", 35, &rows, check_moved).await;
}
