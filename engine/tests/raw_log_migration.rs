//! Migration 0015: the raw event log of a store written by the previous version (bodies as text,
//! bodies packed alone, bodies in a block whose rows hold the delivery ids) reads back the same,
//! its redeliveries are still recognised, and new events follow it, on both backends.

use engine::store::Store;
use engine::store::events::{LoggedEvent, NewRawEvent, RawEvent};
use flate2::Compression;
use flate2::write::DeflateEncoder;
use sqlx::migrate::Migrator;
use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

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

fn migrations(backend: &str) -> String {
    format!("{}/../migrations/{backend}", env!("CARGO_MANIFEST_DIR"))
}

/// The migrations before 0015.
async fn previous_migrator(backend: &str) -> Migrator {
    let mut migrator = Migrator::new(Path::new(&migrations(backend)))
        .await
        .expect("the migrations folder reads");
    migrator.migrations = Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|m| m.version < 15)
            .cloned()
            .collect(),
    );
    migrator
}

#[tokio::test]
async fn sqlite_raw_log_of_the_previous_version_reads_back_and_deduplicates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let options = url
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .expect("url")
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("pool");
    previous_migrator("sqlite")
        .await
        .run(&pool)
        .await
        .expect("0001-0014");
    for sql in old_rows() {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    pool.close().await;
    let store = Store::connect(&url).await.expect("migrates");
    check_migrated(&store).await;
}

#[tokio::test]
async fn postgres_raw_log_of_the_previous_version_reads_back_and_deduplicates() {
    let Some(test) = engine::store::testing::TestStore::postgres("raw_log_migration").await else {
        return;
    };
    // A schema of our own, migrated only to 0014, then reopened by the current version.
    let url = std::env::var("TEST_POSTGRES_URL").expect("set when TestStore opened");
    let schema = format!("raw_log_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&url).await.expect("admin");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&admin)
    .await
    .expect("drop");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("schema");
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options[search_path]={schema}");
    let pool = sqlx::PgPool::connect(&scoped).await.expect("pool");
    previous_migrator("postgres")
        .await
        .run(&pool)
        .await
        .expect("0001-0014");
    for sql in old_rows() {
        // PostgreSQL's byte strings are written '\x..', SQLite's X'..'; text is text.
        let sql = sql.replace("X'", "'\\x");
        let sql = sql.replace("'old text'", "convert_to('old text', 'UTF8')");
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    pool.close().await;
    let store = Store::connect(&scoped).await.expect("migrates");
    check_migrated(&store).await;
    store.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
    test.finish().await;
}
