//! One open transaction on either backend, for work that reads its own writes as it goes (push
//! ingestion, the streamed reanalysis of a repository). Dropping it without
//! [`Transaction::commit`] rolls everything back.

use super::codec::{RowExt, Statement, Value};
use super::{Backend, Store, StoreError};
use sqlx::AssertSqlSafe;
use std::sync::Arc;

pub(crate) struct Transaction {
    tx: Tx,
    store: Store,
    /// The texts its writes bound, kept until [`KEPT_TEXTS`] of them are freed at once on a
    /// blocking thread (see [`Transaction::execute`]).
    kept: Vec<Arc<str>>,
}

/// How many bound texts a transaction keeps before freeing them on a blocking thread: a batch or
/// two of an import's.
const KEPT_TEXTS: usize = 1 << 16;

enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Expands `$body` for the transaction's backend with `$conn` bound to its connection.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut $tx {
            Tx::Sqlite($conn) => $body,
            Tx::Postgres($conn) => $body,
        }
    };
}

impl Store {
    /// Opens a transaction. On SQLite it holds the database's write lock from its first write
    /// until it ends: other writers wait (up to the busy timeout) meanwhile.
    pub(crate) async fn begin(&self) -> Result<Transaction, StoreError> {
        let tx = match &self.backend {
            Backend::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Backend::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        Ok(Transaction {
            tx,
            store: self.clone(),
            kept: Vec::new(),
        })
    }
}

impl Transaction {
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.tx, Tx::Postgres(_))
    }

    /// How this transaction's backend keeps shas (`store/sha_form.rs`).
    pub(crate) fn sha_form(&self) -> super::sha_form::ShaForm {
        super::sha_form::ShaForm::of(self.is_postgres())
    }

    /// Runs one write; returns the rows it affected.
    ///
    /// Its texts are kept here and freed later on a blocking thread: sqlx frees a statement's
    /// parameters on SQLite's thread once it ran, which took a seventh of that thread's time in
    /// an import (where that thread is what the writing waits on).
    pub(crate) async fn execute(&mut self, statement: Statement) -> Result<u64, StoreError> {
        let statement = self.store.adapt(statement);
        let affected = on_tx!(self.tx, |conn| {
            bound_query!(statement, |text: &Arc<str>| self
                .kept
                .push(Arc::clone(text)))
            .execute(&mut **conn)
            .await?
            .rows_affected()
        });
        if self.kept.len() >= KEPT_TEXTS {
            free_elsewhere(std::mem::take(&mut self.kept));
        }
        Ok(affected)
    }

    /// Runs writes in order; returns the rows each one affected.
    pub(crate) async fn execute_all(
        &mut self,
        statements: Vec<Statement>,
    ) -> Result<Vec<u64>, StoreError> {
        let mut affected = Vec::with_capacity(statements.len());
        for statement in statements {
            affected.push(self.execute(statement).await?);
        }
        Ok(affected)
    }

    /// Runs one read and decodes every row it returns.
    pub(crate) async fn fetch_all<T>(
        &mut self,
        statement: Statement,
        decode: impl Fn(&dyn RowExt) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let statement = self.store.adapt(statement);
        on_tx!(self.tx, |conn| {
            super::decode_each(bound_query!(statement).fetch(&mut **conn), &decode).await
        })
    }

    /// Runs one read and decodes its first row, if any.
    pub(crate) async fn fetch_optional<T>(
        &mut self,
        statement: Statement,
        decode: impl Fn(&dyn RowExt) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let statement = self.store.adapt(statement);
        on_tx!(self.tx, |conn| {
            let row = bound_query!(statement).fetch_optional(&mut **conn).await?;
            row.as_ref().map(|row| decode(row)).transpose()
        })
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Undoes every write (as dropping it does), for a caller with work to do after it.
    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    /// Makes every write visible at once.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// Frees `leftovers` on a blocking thread (inline outside a Tokio runtime): hundreds of thousands
/// of small allocations, whose freeing would otherwise hold up a busier thread.
pub(crate) fn free_elsewhere<T: Send + 'static>(leftovers: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn_blocking(move || drop(leftovers))),
        Err(_) => drop(leftovers),
    }
}
