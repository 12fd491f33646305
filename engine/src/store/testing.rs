//! Test support shared by every crate's tests: a fresh, empty store on either backend.
//!
//! PostgreSQL tests run when `TEST_POSTGRES_URL` points at a server, each in a schema of its own
//! so they can run in parallel. Without it they say they were skipped on stderr, and fail instead
//! when `DORABOARD_REQUIRE_EXTERNAL=1` (CI), so a missing server is never mistaken for a pass.

use super::Store;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Another handle on the same database, with in-process caches of its own: what a second API
/// replica (or a collector process) is to the first.
pub fn replica(store: &Store) -> Store {
    Store {
        backend: store.backend.clone(),
        id: super::next_store_id(),
    }
}

/// A store made for one test; [`TestStore::finish`] drops its PostgreSQL schema.
pub struct TestStore {
    pub store: Store,
    /// The database URL [`TestStore::store`] was opened with: what another process (a `serve`, a
    /// `collect`) is given to share it.
    pub url: String,
    schema: Option<(sqlx::PgPool, String)>,
}

impl TestStore {
    /// An in-memory SQLite store.
    pub async fn sqlite() -> TestStore {
        let url = "sqlite::memory:".to_string();
        let store = Store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("an in-memory SQLite store opens: {e}"));
        TestStore {
            store,
            url,
            schema: None,
        }
    }

    /// A PostgreSQL store in a fresh schema, or None (after saying so) when no server is
    /// configured and none is required.
    pub async fn postgres(test: &str) -> Option<TestStore> {
        let Ok(url) = std::env::var("TEST_POSTGRES_URL") else {
            let message = format!("SKIPPED: {test} needs PostgreSQL (set TEST_POSTGRES_URL)");
            if std::env::var("DORABOARD_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
                panic!("{message}");
            }
            // Straight to stderr, past the test harness's capture, so the skip is visible.
            let _ = writeln!(std::io::stderr(), "{message}");
            return None;
        };
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = chrono::Utc::now().timestamp_subsec_nanos();
        let schema = format!(
            "test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = sqlx::PgPool::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("TEST_POSTGRES_URL accepts connections: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .unwrap_or_else(|e| panic!("the test database lets us create a schema: {e}"));
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{separator}options[search_path]={schema}");
        let store = Store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("a PostgreSQL store opens in its own schema: {e}"));
        Some(TestStore {
            store,
            url,
            schema: Some((admin, schema)),
        })
    }

    /// Closes the store and drops its PostgreSQL schema (a failed test leaves it for autopsy).
    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin, schema)) = self.schema {
            let drop = format!("DROP SCHEMA {schema} CASCADE");
            if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&admin).await {
                let _ = writeln!(
                    std::io::stderr(),
                    "could not drop test schema {schema}: {e}"
                );
            }
        }
    }
}

/// Every derived row of the store (shipments, failure links, rework, incident links) as text,
/// sorted: two stores derived the same facts when these are equal.
pub async fn derived_rows(store: &Store) -> Vec<String> {
    use super::codec::Statement;
    let mut rows = Vec::new();
    for sql in [
        "SELECT 'shipment ' || d.key || ' ' || c.key AS line FROM deployment_change dc \
         JOIN deployment d ON d.id = dc.deployment_id JOIN change c ON c.id = dc.change_id",
        "SELECT 'failure ' || deployment || ' ' || kind || ' ' || evidence || ' ' || reason \
         || ' ' || COALESCE(CAST(restored_at AS TEXT), '-') AS line FROM failure_link",
        "SELECT 'rework ' || deployment || ' ' || reason AS line FROM rework",
        "SELECT 'incident ' || incident || ' ' || COALESCE(deployment, '-') || ' ' || reason \
         AS line FROM incident_link",
    ] {
        let lines = store
            .fetch_all(Statement::new(sql, vec![]), |row| Ok(row.text("line")?))
            .await
            .unwrap_or_else(|e| panic!("derived rows read back: {e}"));
        rows.extend(lines);
    }
    rows.sort();
    rows
}

/// A PostgreSQL session setting as the store's connections see it (`SHOW name`); None on SQLite.
pub async fn postgres_setting(store: &Store, name: &str) -> Option<String> {
    use super::codec::Statement;
    if store.backend_name() != "postgres" {
        return None;
    }
    let value = store
        .fetch_all(
            Statement::new(format!("SELECT current_setting('{name}') AS value"), vec![]),
            |row| Ok(row.text("value")?),
        )
        .await
        .unwrap_or_else(|e| panic!("{name} reads back: {e}"));
    value.into_iter().next()
}

/// SQLite's journal mode (`wal`, `delete`...) on one of the store's connections; None on
/// PostgreSQL.
pub async fn sqlite_journal_mode(store: &Store) -> Option<String> {
    use super::codec::Statement;
    if store.backend_name() != "sqlite" {
        return None;
    }
    store
        .fetch_optional(Statement::new("PRAGMA journal_mode", vec![]), |row| {
            Ok(row.text("journal_mode")?)
        })
        .await
        .unwrap_or_else(|e| panic!("the journal mode reads back: {e}"))
}

/// How many rows `table` holds.
pub async fn rows_in(store: &Store, table: &str) -> i64 {
    use super::codec::Statement;
    let count = store
        .fetch_optional(
            Statement::new(format!("SELECT COUNT(*) AS n FROM {table}"), vec![]),
            |row| Ok(row.int("n")?),
        )
        .await
        .unwrap_or_else(|e| panic!("{table} counts: {e}"));
    count.unwrap_or(0)
}

/// Whether `table` of the store's schema was analyzed on demand (`ANALYZE`, not autovacuum's),
/// on PostgreSQL (`None` on SQLite).
pub async fn postgres_analyzed(store: &Store, table: &str) -> Option<bool> {
    use super::codec::{Statement, Value};
    if store.backend_name() != "postgres" {
        return None;
    }
    let analyzed = store
        .fetch_optional(
            Statement::new(
                "SELECT (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed \
                 FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = $1",
                vec![Value::text(table)],
            ),
            |row| Ok(row.flag("analyzed")?),
        )
        .await
        .unwrap_or_else(|e| panic!("{table}'s statistics read: {e}"));
    Some(analyzed.unwrap_or(false))
}
