//! Bounded work under load: at most `[api] max_concurrent_answers` answers are computed at once,
//! each within `[api] answer_timeout`. A request beyond the limit is refused at once with `503`,
//! `Retry-After` and a JSON error, instead of queueing: under a burst the server keeps answering
//! what it can, and its memory stays bounded by the answers in flight.
//!
//! `/healthz` and the ingestion routes (events and webhooks, bounded by `[api]
//! max_pending_deliveries` instead) are not limited here: a monitor must always get through, and deliveries must never be
//! refused for the readers' sake.

use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use collector::ingest::Ingestor;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The limits every read request passes through.
#[derive(Clone)]
pub struct AnswerLimits {
    permits: Arc<Semaphore>,
    max: usize,
    timeout: Duration,
    /// Told of each answer being computed, so that its background reanalyses wait for it.
    ingestor: Option<Ingestor>,
}

impl AnswerLimits {
    pub fn new(max_concurrent: usize, timeout: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent)),
            max: max_concurrent,
            timeout,
            ingestor: None,
        }
    }

    /// Answers hold back `ingestor`'s reanalyses while they are computed
    /// ([`Ingestor::answering`]).
    pub fn yielded_to_by(mut self, ingestor: Ingestor) -> Self {
        self.ingestor = Some(ingestor);
        self
    }
}

/// The middleware: a permit, then the handler within the time limit.
pub async fn limit(State(limits): State<AnswerLimits>, request: Request, next: Next) -> Response {
    if crate::routes::keeps_own_rules(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(_permit) = limits.permits.clone().try_acquire_owned() else {
        tracing::warn!(
            max = limits.max,
            "refused a request: every answer slot is busy"
        );
        return busy(format!(
            "the server is computing {} answers already, its limit ([api] max_concurrent_answers); retry shortly",
            limits.max
        ));
    };
    let _answering = limits.ingestor.as_ref().map(Ingestor::answering);
    match tokio::time::timeout(limits.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout = ?limits.timeout, "abandoned an answer that took too long");
            busy(format!(
                "the answer took longer than {} s ([api] answer_timeout) and was abandoned; ask for a shorter period or retry later",
                limits.timeout.as_secs()
            ))
        }
    }
}

fn busy(message: String) -> Response {
    ApiError::Busy(message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::{StatusCode, header};
    use axum::routing::get;
    use tokio::sync::Notify;
    use tower::ServiceExt;

    /// `/held` answers once `release` is notified, after notifying `started`; `/never` never
    /// answers.
    #[expect(
        clippy::disallowed_methods,
        reason = "a stand-in router for the middleware under test, not the API's"
    )]
    fn app(limits: AnswerLimits, started: Arc<Notify>, release: Arc<Notify>) -> Router {
        Router::new()
            .route(
                "/held",
                get(move || async move {
                    started.notify_one();
                    release.notified().await;
                    "done"
                }),
            )
            .route("/never", get(std::future::pending::<&str>))
            .route("/healthz", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(limits, limit))
    }

    fn get_request(path: &str) -> Request {
        Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("a request")
    }

    #[tokio::test]
    async fn a_request_beyond_the_limit_is_refused_with_retry_after_and_health_gets_through() {
        let (started, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let limits = AnswerLimits::new(1, Duration::from_secs(3600));
        let app = app(limits, started.clone(), release.clone());
        let first = tokio::spawn(app.clone().oneshot(get_request("/held")));
        started.notified().await;
        let refused = app
            .clone()
            .oneshot(get_request("/held"))
            .await
            .expect("an answer");
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        let health = app
            .clone()
            .oneshot(get_request("/healthz"))
            .await
            .expect("an answer");
        assert_eq!(health.status(), StatusCode::OK);
        release.notify_one();
        let served = first.await.expect("joined").expect("an answer");
        assert_eq!(served.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn reanalyses_wait_for_an_answer_while_it_is_computed() {
        let store = engine::store::Store::connect("sqlite::memory:")
            .await
            .expect("store");
        let config = engine::config::Config::from_toml_str("", "test.toml").expect("config");
        let ingestor = Ingestor::new(store, &config);
        let (started, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let limits =
            AnswerLimits::new(4, Duration::from_secs(3600)).yielded_to_by(ingestor.clone());
        let app = app(limits, started.clone(), release.clone());
        let answer = tokio::spawn(app.clone().oneshot(get_request("/held")));
        started.notified().await;
        assert_eq!(ingestor.foreground(), 1, "the answer is being computed");
        let health = app
            .oneshot(get_request("/healthz"))
            .await
            .expect("an answer");
        assert_eq!(health.status(), StatusCode::OK);
        assert_eq!(ingestor.foreground(), 1, "a health check is not waited for");
        release.notify_one();
        let served = answer.await.expect("joined").expect("an answer");
        assert_eq!(served.status(), StatusCode::OK);
        assert_eq!(ingestor.foreground(), 0, "answered: nothing to wait for");
    }

    #[tokio::test]
    async fn an_answer_past_the_time_limit_is_abandoned_with_a_503() {
        let notify = Arc::new(Notify::new());
        let limits = AnswerLimits::new(4, Duration::from_millis(20));
        let response = app(limits, notify.clone(), notify)
            .oneshot(get_request("/never"))
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
