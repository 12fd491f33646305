//! What can go wrong in the store. Callers map these to their own boundary: the API answers 500
//! (and logs the detail), the CLI prints the message.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no backend doraboard supports. Only the scheme is kept, never the rest of
    /// the URL (it may hold a password).
    #[error(
        "unsupported database URL scheme `{scheme}`: expected `sqlite:` (e.g. sqlite://doraboard.db, sqlite::memory:) or `postgres://`"
    )]
    UnsupportedScheme { scheme: String },

    /// The database could not be opened or reached.
    #[error("cannot connect to the {backend} database: {source}")]
    Connect {
        backend: &'static str,
        #[source]
        source: sqlx::Error,
    },

    /// Another process holds the SQLite database past the busy timeout: a first load
    /// (`store/first_load.rs`) does until it ends.
    #[error(
        "the SQLite database is locked by another process (an import into an empty store keeps it \
         until it is done): try again when it has finished"
    )]
    HeldByALoad,

    /// The schema could not be brought up to date.
    #[error("cannot migrate the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// A query failed (connection lost, constraint violated, lock timeout...).
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),

    /// A stored value does not decode (a bad timestamp, JSON list or enum name): the database
    /// was written by something else, or by an incompatible version.
    #[error("stored {what} of `{key}` is unreadable: {detail}")]
    Corrupt {
        what: &'static str,
        key: String,
        detail: String,
    },

    /// A value handed to the store is not one it can keep.
    #[error("invalid {what} `{value}`: {detail}")]
    Invalid {
        what: &'static str,
        value: String,
        detail: String,
    },
}

impl StoreError {
    /// The error for a URL of an unknown scheme, showing the scheme only when it looks like one.
    pub(crate) fn unsupported_scheme(scheme: &str) -> Self {
        let looks_like_scheme = !scheme.is_empty()
            && scheme.len() <= 20
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        StoreError::UnsupportedScheme {
            scheme: if looks_like_scheme {
                scheme.to_string()
            } else {
                "(none)".to_string()
            },
        }
    }

    pub(crate) fn corrupt(what: &'static str, key: &str, detail: impl ToString) -> Self {
        StoreError::Corrupt {
            what,
            key: key.to_string(),
            detail: detail.to_string(),
        }
    }
}
