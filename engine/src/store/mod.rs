//! The normalized store: every record doraboard ingests, and the facts [`crate::analysis`]
//! derives from them, in SQLite (the embedded default) or PostgreSQL (shared by several
//! processes).
//!
//! One [`Store`] serves both backends with one implementation: each query's SQL is written once
//! (both drivers accept `$1` placeholders) and [`Store`] runs it on whichever pool it holds. Only
//! the migrations differ per backend (`migrations/sqlite`, `migrations/postgres`, same versions).
//! Writes are batched into multi-row statements; every write call is one transaction and bumps
//! [`Store::data_version`].
//!
//! - `records`: upserts of changes, deployments and incidents on their natural keys, and the
//!   deletion of incidents their source no longer has.
//! - `derived`: re-running the analysis of a repository and replacing its derived rows.
//! - `facts`: the set-based reads the metrics and `explain` need.
//! - `rows`: the narrow reads of whole repositories behind [`crate::facts_cache`]; `held`: their
//!   stored copy, so a process that starts need not read them again.
//! - `annotations`: the dated notes drawn on charts.
//! - `meta`: teams, sync state, raw events, counters.
//! - `sync_runs`: the finished GitHub syncs and each repository's outcome, by any process;
//!   `counters`: the service's counters of its own work (`GET /metrics`), shared likewise.
//! - `digest`: the claims that send each scheduled digest once.
//! - `codec`: how values map to columns (Unix seconds, JSON lists) and back.
//!
//! Timestamps are stored as Unix seconds (UTC): sub-second precision is dropped on write.

mod annotations;
mod bulk;
mod change_key;
mod codec;
mod counters;
mod delivery_key;
mod derived;
mod digest;
mod error;
mod facts;
mod first_load;
pub mod github;
mod held;
mod meta;
mod packed;
mod records;
mod rows;
mod sha_form;
mod sync_runs;
#[doc(hidden)]
pub mod testing;

pub use counters::{Counter, Gauge, Observation, ServiceCounters};
pub use derived::ReanalyzeReport;
pub use digest::DigestClaim;
pub use error::StoreError;
pub use facts::{DeploymentDetail, IncidentLinkDetail};
pub use held::PackedCopy;
pub use meta::{StoreCounts, SyncState, TeamRow};
pub use records::DeletedIncidents;
pub use rows::RepoRows;
pub use sync_runs::{RepoReport, SYNC_RUNS_KEPT, SyncReport};

use codec::{RowExt, Statement, Value};
use sqlx::migrate::{Migrate, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Brings the schema up to date on `conn`, returning the migrations it applied. Holds the
/// migrator's lock from reading what is applied to the end, so a process migrating at the same
/// time is not counted as ours (the lock is re-entrant: `run_direct` takes it again).
async fn migrate<C: Migrate>(migrator: &Migrator, conn: &mut C) -> Result<Vec<String>, StoreError> {
    if up_to_date(migrator, conn).await {
        return Ok(Vec::new());
    }
    if migrator.locking {
        conn.lock().await?;
    }
    conn.ensure_migrations_table(&migrator.table_name).await?;
    let before: std::collections::BTreeSet<i64> = conn
        .list_applied_migrations(&migrator.table_name)
        .await?
        .into_iter()
        .map(|m| m.version)
        .collect();
    migrator.run_direct(None, conn, false).await?;
    if migrator.locking {
        conn.unlock().await?;
    }
    Ok(migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !before.contains(&m.version))
        .map(|m| format!("{:04} {}", m.version, m.description))
        .collect())
}

/// Whether the schema holds every migration, as it is, and nothing else: the usual start, told in
/// two reads instead of the dozen statements (the lock taken and released twice) of a migrator's
/// run, 4 ms of each process's start on PostgreSQL. Anything else (no migrations table yet, one
/// missing, changed, failed or unknown) goes through the migrator, which applies or refuses.
async fn up_to_date<C: Migrate>(migrator: &Migrator, conn: &mut C) -> bool {
    let Ok(applied) = conn.list_applied_migrations(&migrator.table_name).await else {
        return false;
    };
    if !matches!(conn.dirty_version(&migrator.table_name).await, Ok(None)) {
        return false;
    }
    let applied: BTreeMap<i64, &[u8]> = applied.iter().map(|m| (m.version, &*m.checksum)).collect();
    let expected: BTreeMap<i64, &[u8]> = migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| (m.version, &*m.checksum))
        .collect();
    applied == expected
}

/// Connections of a file database: WAL lets readers run beside the one writer.
const SQLITE_FILE_CONNECTIONS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 10;

/// A handle on the database; cloning it is cheap and shares the connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    /// Tells stores of one process apart (caches key on it with the data version).
    id: u64,
}

/// The next [`Store::id`].
static NEXT_STORE_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_store_id() -> u64 {
    NEXT_STORE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Expands the same body for each backend, with `$pool` bound to that backend's pool, so every
/// query is written once.
macro_rules! on_backend {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($pool) => $body,
            Backend::Postgres($pool) => $body,
        }
    };
}

/// A `sqlx::query` of a [`Statement`] with its parameters bound, for whichever backend the
/// surrounding `on_backend!` arm is expanding. With `keep`, a closure, each bound text is shown
/// to it (`tx::Transaction::execute` keeps them, so that SQLite's thread is not the one that
/// frees them).
macro_rules! bound_query {
    ($statement:expr) => {
        bound_query!($statement, |_: &std::sync::Arc<str>| {})
    };
    ($statement:expr, $keep:expr) => {{
        let Statement { sql, params } = $statement;
        let keep: &mut dyn FnMut(&std::sync::Arc<str>) = &mut $keep;
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for param in params {
            query = match param {
                Value::Text(v) => {
                    if let Some(text) = &v {
                        keep(text);
                    }
                    query.bind(v)
                }
                Value::Int(v) => query.bind(v),
                Value::Bool(v) => query.bind(v),
                Value::Bytes(v) => query.bind(v),
            };
        }
        query
    }};
}

impl Store {
    /// Opens the database a URL names and brings its schema up to date.
    ///
    /// `sqlite://path` (created if missing), `sqlite::memory:` (one connection: an in-memory
    /// database lives per connection), or `postgres://` / `postgresql://`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Ok(Self::connect_migrating(url).await?.0)
    }

    /// [`Store::connect`], saying which migrations it applied ("0012 add foo" each, oldest
    /// first; empty when the schema was up to date).
    pub async fn connect_migrating(url: &str) -> Result<(Store, Vec<String>), StoreError> {
        Self::connect_with(url, SQLITE_FILE_CONNECTIONS).await
    }

    /// [`Store::connect`] for a process that only loads data (`doraboard import`): one
    /// connection to a SQLite file, which lets a first load write its pages once (see
    /// `store/first_load.rs`). The same as [`Store::connect`] on PostgreSQL.
    pub async fn connect_for_bulk_load(url: &str) -> Result<Store, StoreError> {
        Ok(Self::connect_with(url, 1).await?.0)
    }

    async fn connect_with(
        url: &str,
        sqlite_connections: u32,
    ) -> Result<(Store, Vec<String>), StoreError> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        let store = match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Self::connect_sqlite(url, sqlite_connections).await?,
            "postgres" | "postgresql" => Self::connect_postgres(url).await?,
            _ => return Err(StoreError::unsupported_scheme(scheme)),
        };
        let applied = match &store.backend {
            Backend::Sqlite(pool) => {
                migrate(&SQLITE_MIGRATIONS, &mut *pool.acquire().await?).await?
            }
            Backend::Postgres(pool) => {
                migrate(&POSTGRES_MIGRATIONS, &mut *pool.acquire().await?).await?
            }
        };
        store.key_text_deliveries().await?;
        Ok((store, applied))
    }

    async fn connect_sqlite(url: &str, connections: u32) -> Result<Store, StoreError> {
        let connect_error = |source| StoreError::Connect {
            backend: "SQLite",
            source,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect_error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every commit reaches the disk before it returns: an acknowledged delivery survives
            // a power loss too, not only a crash of the process (WAL's NORMAL does not).
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = if in_memory {
            // The database disappears with its last connection: keep exactly one, forever.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
        } else {
            SqlitePoolOptions::new()
                .max_connections(connections)
                .connect_with(options)
                .await
        }
        .map_err(|source| {
            if first_load::held_elsewhere(&source) {
                StoreError::HeldByALoad
            } else {
                connect_error(source)
            }
        })?;
        Ok(Store {
            backend: Backend::Sqlite(pool),
            id: next_store_id(),
        })
    }

    async fn connect_postgres(url: &str) -> Result<Store, StoreError> {
        let connect_error = |source| StoreError::Connect {
            backend: "PostgreSQL",
            source,
        };
        // No JIT compilation: our statements are short lookups whose estimated cost (a subquery
        // that could scan every change, rarely run) crosses the JIT threshold, and compiling
        // them took half a second per statement where running them takes milliseconds (a
        // derivation on the 100,000-deployment benchmark: 2.4 s with JIT).
        // Notices stay on the server: the migrator's `CREATE TABLE IF NOT EXISTS` otherwise
        // printed "relation already exists, skipping" twice on every command's start.
        let options = PgConnectOptions::from_str(url)
            .map_err(connect_error)?
            .options([("jit", "off"), ("client_min_messages", "warning")]);
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        Ok(Store {
            backend: Backend::Postgres(pool),
            id: next_store_id(),
        })
    }

    /// A store on a connection of its own to the same SQLite file, for work beside this store's
    /// (an import reads row copies while it derives), to [`Store::close`] when done. The file
    /// must be in WAL mode by then (not during a first load). `None` where this store serves as
    /// well: PostgreSQL, whose pool has connections enough, and an in-memory database, which no
    /// other connection can see.
    pub async fn side_store(&self) -> Result<Option<Store>, StoreError> {
        let pool = match &self.backend {
            Backend::Postgres(_) => return Ok(None),
            Backend::Sqlite(pool) => pool,
        };
        // SQLite names no file for an in-memory database.
        let file: Vec<String> =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_all(pool)
                .await?;
        if file.iter().all(String::is_empty) {
            return Ok(None);
        }
        let side = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with((*pool.connect_options()).clone())
            .await
            .map_err(|source| StoreError::Connect {
                backend: "SQLite",
                source,
            })?;
        Ok(Some(Store {
            backend: Backend::Sqlite(side),
            id: next_store_id(),
        }))
    }

    /// This store's identity within the process: with [`Store::data_version`], a cache key.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Which backend this store runs on: `"sqlite"` or `"postgres"` (for logs and `/health`).
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// How this store keeps shas (`store/sha_form.rs`).
    pub(crate) fn sha_form(&self) -> sha_form::ShaForm {
        sha_form::ShaForm::of(self.is_postgres())
    }

    /// Whether the store is PostgreSQL, for the SQL the backends spell differently.
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Closes every connection; pending queries finish first.
    pub async fn close(&self) {
        on_backend!(self, |pool| pool.close().await)
    }

    /// The statement as this backend runs it fastest (see [`codec::anonymous_placeholders`]).
    fn adapt(&self, statement: Statement) -> Statement {
        match self.backend {
            Backend::Sqlite(_) => match codec::anonymous_placeholders_remembered(&statement.sql) {
                Some(sql) => Statement::new(sql, statement.params),
                None => statement,
            },
            Backend::Postgres(_) => statement,
        }
    }

    /// Runs one read and decodes every row it returns.
    async fn fetch_all<T>(
        &self,
        statement: Statement,
        decode: fn(&dyn RowExt) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let statement = self.adapt(statement);
        on_backend!(self, |pool| {
            decode_each(bound_query!(statement).fetch(pool), decode).await
        })
    }

    /// Runs one read and hands each row to `visit` as it arrives: what a read of many rows keeps
    /// is up to `visit`, not a value per row.
    async fn for_each_row(
        &self,
        statement: Statement,
        visit: impl FnMut(&dyn RowExt) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let statement = self.adapt(statement);
        on_backend!(self, |pool| {
            visit_each(bound_query!(statement).fetch(pool), visit).await
        })
    }

    /// Runs one read that returns at most one row.
    async fn fetch_optional<T>(
        &self,
        statement: Statement,
        decode: fn(&dyn RowExt) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let statement = self.adapt(statement);
        on_backend!(self, |pool| {
            let row = bound_query!(statement).fetch_optional(pool).await?;
            row.as_ref().map(|row| decode(row)).transpose()
        })
    }

    /// Runs writes in one transaction, all or nothing; returns the rows each one affected.
    async fn transaction(&self, statements: Vec<Statement>) -> Result<Vec<u64>, StoreError> {
        let mut tx = self.begin().await?;
        let affected = tx.execute_all(statements).await?;
        tx.commit().await?;
        Ok(affected)
    }
}

/// Decodes rows as they arrive: a driver's rows hold a copy of every value (about a kilobyte a
/// row), so collecting them all before decoding would hold a large repository's whole history
/// twice over (hundreds of megabytes for 150,000 changes).
async fn decode_each<'r, R: RowExt + 'r, T>(
    rows: impl futures_util::Stream<Item = Result<R, sqlx::Error>> + Unpin + 'r,
    decode: impl Fn(&dyn RowExt) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut decoded = Vec::new();
    visit_each(rows, |row| {
        decoded.push(decode(row)?);
        Ok(())
    })
    .await?;
    Ok(decoded)
}

/// Hands each row to `visit` as it arrives.
async fn visit_each<'r, R: RowExt + 'r>(
    mut rows: impl futures_util::Stream<Item = Result<R, sqlx::Error>> + Unpin + 'r,
    mut visit: impl FnMut(&dyn RowExt) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    use futures_util::TryStreamExt;
    while let Some(row) = rows.try_next().await? {
        visit(&row)?;
    }
    Ok(())
}

/// Reads the columns of a row of either backend, so decoders are written once.
macro_rules! impl_row_ext {
    ($($row:ty),*) => {$(
        impl RowExt for $row {
            fn text(&self, column: &str) -> Result<String, sqlx::Error> {
                self.try_get(column)
            }
            fn str(&self, column: &str) -> Result<&str, sqlx::Error> {
                self.try_get(column)
            }
            fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(column)
            }
            fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
                self.try_get(column)
            }
            fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(column)
            }
            fn flag(&self, column: &str) -> Result<bool, sqlx::Error> {
                self.try_get(column)
            }
            fn bytes(&self, column: &str) -> Result<&[u8], sqlx::Error> {
                self.try_get(column)
            }
            fn is_blob(&self, column: &str) -> Result<bool, sqlx::Error> {
                use sqlx::{TypeInfo, ValueRef};
                let value = self.try_get_raw(column)?;
                Ok(!value.is_null() && value.type_info().name() == "BLOB")
            }
        }
    )*};
}

impl_row_ext!(sqlx::sqlite::SqliteRow, sqlx::postgres::PgRow);

// Declared after the macros above, which they use.
pub mod events;
mod tx;
