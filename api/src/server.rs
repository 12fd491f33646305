//! Serving: shared state, request tracing with request ids, and graceful shutdown.
//!
//! The listener and the shutdown signal are injected, so tests bind `127.0.0.1:0` and stop the
//! server when they are done.

use crate::access::{self, ReadAccess};
use crate::limits::{self, AnswerLimits};
use axum::Router;
use axum::http::{HeaderName, Request};
use collector::ingest::Ingestor;
use engine::config::{Config, ConfigError};
use engine::store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    /// Who may read, resolved from the environment once ([`AppState::new`]).
    pub read_access: ReadAccess,
}

impl AppState {
    /// The state, with read access from the variable the configuration names: an error when
    /// it is unset, empty or malformed.
    pub fn new(store: Store, config: Config) -> Result<Self, ConfigError> {
        let read_access = ReadAccess::from_config(&config)?;
        Ok(AppState {
            store,
            config: Arc::new(config),
            read_access,
        })
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: routes plus tracing by route template and request ids. `ingestor`
/// writes what the ingestion routes receive.
pub fn app(state: AppState, ingestor: Ingestor) -> Router {
    let auth = crate::ingest::IngestAuth::from_config(&state.config);
    app_with_auth(state, ingestor, auth)
}

/// [`app`] with explicit ingestion credentials (tests: no environment variable to set).
pub fn app_with_auth(
    state: AppState,
    ingestor: Ingestor,
    auth: crate::ingest::IngestAuth,
) -> Router {
    let api = &state.config.api;
    let limits = AnswerLimits::new(
        api.max_concurrent_answers,
        api.answer_timeout
            .to_std()
            .unwrap_or(Duration::from_secs(30)),
    )
    .yielded_to_by(ingestor.clone());
    let read_access = state.read_access.clone();
    // Outermost first: who may read, then how many answers at once, so a refused reader never
    // holds an answer slot.
    crate::routes::router(state, ingestor, auth)
        .layer(axum::middleware::from_fn_with_state(limits, limits::limit))
        .layer(axum::middleware::from_fn_with_state(
            read_access,
            access::require,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let route = request
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "unmatched".into());
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_string();
                tracing::info_span!("request", method = %request.method(), route, request_id = id)
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let ingestor = Ingestor::new(state.store.clone(), &state.config);
    // What a killed process left queued, or another process queued, is derived in the
    // background: the server listens at once, whatever the size of the history.
    let resume = ingestor.resume_queued();
    // Likewise the rows questions read are loaded and indexed in the background: the first
    // dashboard views then neither read every record nor scan every change.
    let warm = tokio::spawn({
        let (store, config) = (state.store.clone(), Arc::clone(&state.config));
        async move {
            if let Err(e) = engine::query::warm_up(&store, &config).await {
                tracing::warn!(error = %e, "warming up the rows questions read failed");
            }
        }
    });
    // The service counters this process counts reach the store every few seconds, and once more
    // on the way out (see `collector::telemetry`).
    let flusher = collector::telemetry::spawn_flusher(state.store.clone());
    let store = state.store.clone();
    let served = axum::serve(listener, app(state, ingestor))
        .with_graceful_shutdown(shutdown)
        .await;
    resume.abort();
    warm.abort();
    flusher.abort();
    collector::telemetry::flush_or_warn(&store).await;
    engine::facts_cache::store_due_copies(&store).await;
    served
}
