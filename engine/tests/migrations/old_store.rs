//! A store as the previous version left it: migrated only up to (not including) a given
//! migration, with rows written into it as that version wrote them, then opened by the current
//! version, which migrates the rest.

use engine::store::Store;
use engine::store::testing::TestStore;
use sqlx::migrate::Migrator;
use std::path::Path;

/// Migrates `pool` with the migrations of `backend` before `version` and writes `rows` (SQL
/// statements) into it.
async fn fill<DB>(pool: &sqlx::Pool<DB>, backend: &str, version: i64, rows: &[impl AsRef<str>])
where
    DB: sqlx::Database,
    DB::Connection: sqlx::migrate::Migrate,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let folder = format!("{}/../migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    Migrator::new(Path::new(&folder))
        .await
        .expect("the migrations folder reads")
        .run_to(version - 1, pool)
        .await
        .unwrap_or_else(|e| panic!("the migrations before {version}: {e}"));
    for sql in rows.iter().map(AsRef::as_ref) {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// Runs `check` on a SQLite store (a file) left by the version before migration `version`
/// with `rows`, once the current version has opened it.
pub async fn on_sqlite(version: i64, rows: &[impl AsRef<str>], check: impl AsyncFnOnce(&Store)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let options = url
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .expect("url")
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("pool");
    fill(&pool, "sqlite", version, rows).await;
    pool.close().await;
    let store = Store::connect(&url).await.expect("migrates");
    check(&store).await;
}

/// [`on_sqlite`] on PostgreSQL, in a schema of its own named after `test`; skipped (saying so)
/// when no server is configured and none is required (see [`TestStore::postgres`]).
pub async fn on_postgres(
    test: &str,
    version: i64,
    rows: &[impl AsRef<str>],
    check: impl AsyncFnOnce(&Store),
) {
    let Some(test_store) = TestStore::postgres(test).await else {
        return;
    };
    let url = std::env::var("TEST_POSTGRES_URL").expect("set when TestStore opened");
    let schema = format!("{test}_{}", std::process::id());
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
    fill(&pool, "postgres", version, rows).await;
    pool.close().await;
    let store = Store::connect(&scoped).await.expect("migrates");
    check(&store).await;
    store.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
    test_store.finish().await;
}
