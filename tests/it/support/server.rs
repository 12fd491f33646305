//! A real doraboard server on 127.0.0.1 with a free port, over the demo organisation.

use chrono::NaiveDate;
use std::sync::Arc;

/// The fixed end of the demo year most tests use, so their figures never move.
pub const DEMO_END: &str = "2026-11-01";

/// A running server; it stops when dropped.
pub struct Server {
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// The demo organisation whose year ends on [`DEMO_END`].
pub async fn demo_server() -> Server {
    let end = engine::period::Period::parse_date(DEMO_END).expect("demo end date");
    demo_server_ending(end).await
}

/// The demo organisation whose year ends on `end`.
pub async fn demo_server_ending(end: NaiveDate) -> Server {
    demo_server_with(end, api::access::ReadAccess::Open).await
}

/// The demo organisation whose year ends on `end`, readable by holders of `tokens` only (as
/// `api.read_token_env` would name them).
pub async fn protected_demo_server(end: NaiveDate, tokens: &str) -> Server {
    let tokens = api::tokens::Tokens::parse(&engine::config::Secret::new(tokens)).expect("tokens");
    demo_server_with(end, api::access::ReadAccess::Tokens(Arc::new(tokens))).await
}

async fn demo_server_with(end: NaiveDate, read_access: api::access::ReadAccess) -> Server {
    let store = engine::store::Store::connect("sqlite::memory:")
        .await
        .expect("store");
    let config = collector::demo::seed(&store, end).await.expect("demo");
    serve_with(store, config, read_access).await
}

/// The API over `store` and `config`, open to every reader, on a free port of 127.0.0.1.
pub async fn serve(store: engine::store::Store, config: engine::config::Config) -> Server {
    serve_with(store, config, api::access::ReadAccess::Open).await
}

async fn serve_with(
    store: engine::store::Store,
    config: engine::config::Config,
    read_access: api::access::ReadAccess,
) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = api::AppState {
        store,
        config: Arc::new(config),
        read_access,
    };
    tokio::spawn(api::serve(listener, state, async {
        let _ = stopped.await;
    }));
    Server { base, _stop: stop }
}

/// The demo organisation whose year ends on `end`, taking `ingest_token` for ingestion and
/// annotation writes, and readable by holders of `read_tokens` only when given.
pub async fn annotating_demo_server(
    end: NaiveDate,
    read_tokens: Option<&str>,
    ingest_token: &str,
) -> Server {
    let store = engine::store::Store::connect("sqlite::memory:")
        .await
        .expect("store");
    let config = collector::demo::seed(&store, end).await.expect("demo");
    let read_access = match read_tokens {
        None => api::access::ReadAccess::Open,
        Some(tokens) => api::access::ReadAccess::Tokens(Arc::new(
            api::tokens::Tokens::parse(&engine::config::Secret::new(tokens)).expect("tokens"),
        )),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let ingestor = collector::ingest::Ingestor::new(store.clone(), &config);
    let auth = api::ingest::IngestAuth::new(Some(&engine::config::Secret::new(ingest_token)), None);
    let state = api::AppState {
        store,
        config: Arc::new(config),
        read_access,
    };
    let app = api::server::app_with_auth(state, ingestor, auth);
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Server { base, _stop: stop }
}
