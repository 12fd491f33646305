//! Migration 0015: the raw event log of a store written by the previous version (bodies as text,
//! bodies packed alone, bodies in a block whose rows hold the delivery ids) reads back the same,
//! its redeliveries are still recognised, and new events follow it, on both backends.

use crate::old_store;
use engine::store::Store;
use engine::store::events::{LoggedEvent, NewRawEvent, RawEvent};
use flate2::Compression;
use flate2::write::DeflateEncoder;
use std::io::Write;

/// A block as the previous version packed it: each body's length (4 bytes, little-endian) and
/// bytes, deflated.
fn old_block(bodies: &[&str]) -> Vec<u8> {
    let mut plain = Vec::new();
    for body in bodies {
        plain.extend_from_slice(&u32::try_from(body.len()).expect("small").to_le_bytes());
        plain.extend_from_slice(body.as_bytes());
    }
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(&plain).expect("in memory");
    encoder.finish().expect("in memory")
}

/// A blob literal as SQLite writes it (`X'..'`).
fn blob(bytes: &[u8]) -> String {
    let digits: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("X'{digits}'")
}

/// A row's reference to a place in a block: 0xFE, the block id and the rank, little-endian.
fn old_reference(block: i64, rank: u32) -> String {
    let mut bytes = vec![0xFE];
    bytes.extend_from_slice(&block.to_le_bytes());
    bytes.extend_from_slice(&rank.to_le_bytes());
    blob(&bytes)
}

/// What the previous version's log holds: a webhook as text, then an import's block of two.
fn old_rows() -> Vec<String> {
    let block = old_block(&[r#"{"n": 2}"#, r#"{"n": 3}"#]);
    vec![
        "INSERT INTO raw_event (source, delivery_id, received_at, body) \
         VALUES ('github', 'd-1', 1772352000, 'old text')"
            .to_string(),
        format!("INSERT INTO raw_block (body) VALUES ({})", blob(&block)),
        format!(
            "INSERT INTO raw_event (source, delivery_id, received_at, body) VALUES \
             ('import', 'i-2', 1772352001, {}), ('import', 'i-3', 1772352001, {})",
            old_reference(1, 0),
            old_reference(1, 1)
        ),
    ]
}

fn raw(source: &str, id: &str, body: &str) -> LoggedEvent {
    LoggedEvent {
        raw: Some(NewRawEvent {
            source: source.into(),
            delivery_id: id.into(),
            body: body.into(),
        }),
        record: None,
    }
}

async fn check_migrated(store: &Store) {
    let log = |events: Vec<RawEvent>| {
        events
            .into_iter()
            .map(|e| (e.source, e.delivery_id, e.body))
            .collect::<Vec<_>>()
    };
    let old = vec![
        (
            "github".to_string(),
            "d-1".to_string(),
            "old text".to_string(),
        ),
        ("import".into(), "i-2".into(), r#"{"n": 2}"#.into()),
        ("import".into(), "i-3".into(), r#"{"n": 3}"#.into()),
    ];
    assert_eq!(log(store.raw_events_after(0, 10).await.expect("read")), old);

    assert!(
        !store
            .insert_raw_event("github", "d-1", "again")
            .await
            .expect("insert"),
        "a redelivery of an event logged before is recognised"
    );
    let (outcome, _) = store
        .ingest(vec![
            raw("import", "i-3", "again"),
            raw("import", "i-4", r#"{"n": 4}"#),
            raw("import", "i-5", r#"{"n": 5}"#),
        ])
        .await
        .expect("a batch");
    assert_eq!(outcome.new, vec![false, true, true]);
    assert!(
        store
            .insert_raw_event("github", "d-6", "new text")
            .await
            .expect("insert")
    );

    let all = store.raw_events_after(0, 10).await.expect("read");
    let last_old = all[2].id;
    assert!(all[3..].iter().all(|e| e.id > last_old), "ids keep growing");
    let mut expected = old;
    expected.extend([
        ("import".into(), "i-4".into(), r#"{"n": 4}"#.into()),
        ("import".into(), "i-5".into(), r#"{"n": 5}"#.into()),
        ("github".into(), "d-6".into(), "new text".into()),
    ]);
    assert_eq!(log(all), expected);
    assert_eq!(store.raw_event_count(Some("import")).await.expect("n"), 4);
}

#[tokio::test]
async fn sqlite_raw_log_of_the_previous_version_reads_back_and_deduplicates() {
    old_store::on_sqlite(15, &old_rows(), check_migrated).await;
}

#[tokio::test]
async fn postgres_raw_log_of_the_previous_version_reads_back_and_deduplicates() {
    // PostgreSQL's byte strings are written '\x..', SQLite's X'..'; text is text.
    let rows: Vec<String> = old_rows()
        .into_iter()
        .map(|sql| {
            sql.replace("X'", "'\\x")
                .replace("'old text'", "convert_to('old text', 'UTF8')")
        })
        .collect();
    old_store::on_postgres("raw_log_migration", 15, &rows, check_migrated).await;
}
