//! A store whose schema is up to date opens without running the migrator (a quick check of what
//! is applied); any other schema still goes through it, which applies what is missing and
//! refuses a migration changed since it was applied, one that failed, or one this version does
//! not know (a store of a newer version).

use engine::store::Store;
use engine::store::testing::TestStore;

/// Runs `sql` against the database of `url` (with the store's schema on PostgreSQL).
async fn run(url: &str, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(url).await.expect("pool");
        sqlx::query(sql).execute(&pool).await.expect("runs");
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.expect("pool");
        sqlx::query(sql).execute(&pool).await.expect("runs");
        pool.close().await;
    }
}

/// Opens the store of `url` again, expecting it to refuse with a message holding `says`.
async fn refused(url: &str, says: &str) {
    match Store::connect(url).await {
        Ok(_) => panic!("a store that should be refused opened ({says})"),
        Err(e) => assert!(e.to_string().contains(says), "{e}"),
    }
}

/// Sets `set` on the latest migration applied to the store of `url`.
async fn alter_latest(url: &str, set: &str) {
    run(
        url,
        &format!(
            "UPDATE _sqlx_migrations SET {set} \
             WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)"
        ),
    )
    .await;
}

/// Opens the store of `url`, expecting it up to date: no migration applied.
async fn opens_as_it_is(url: &str) {
    let (_, applied) = Store::connect_migrating(url).await.expect("opens");
    assert!(applied.is_empty(), "{applied:?}");
}

/// `url` names a store migrated once already.
async fn checks(url: &str) {
    opens_as_it_is(url).await;
    // Byte functions both backends share (SQLite's `||` would read the checksum as text).
    run(
        url,
        "CREATE TABLE saved_checksum AS SELECT version, checksum FROM _sqlx_migrations",
    )
    .await;
    alter_latest(url, "checksum = substr(checksum, 2)").await;
    refused(url, "modified").await;
    alter_latest(
        url,
        "checksum = (SELECT s.checksum FROM saved_checksum s \
         WHERE s.version = _sqlx_migrations.version)",
    )
    .await;
    opens_as_it_is(url).await;
    alter_latest(url, "success = false").await;
    refused(url, "partially applied").await;
    alter_latest(url, "success = true").await;
    run(
        url,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         SELECT 99990101000000, 'from a newer version', true, checksum, 0 FROM _sqlx_migrations \
         WHERE version = 1",
    )
    .await;
    refused(url, "99990101000000").await;
}

#[tokio::test]
async fn an_up_to_date_schema_opens_and_any_other_goes_through_the_migrator_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let (_, applied) = Store::connect_migrating(&url).await.expect("creates");
    assert!(!applied.is_empty());
    checks(&url).await;
}

#[tokio::test]
async fn an_up_to_date_schema_opens_and_any_other_goes_through_the_migrator_on_postgres() {
    if let Some(test) = TestStore::postgres("schema_up_to_date").await {
        checks(&test.url).await;
        test.finish().await;
    }
}
