//! `POST /api/v1/webhooks/github`: GitHub deliveries, verified with `X-Hub-Signature-256` and
//! idempotent on `X-GitHub-Delivery`.
//!
//! Each delivery is verified (401, nothing stored, when the signature is missing or wrong; 503
//! when no secret is configured), read (400 naming the problem; 413 over
//! [`WEBHOOK_BODY_LIMIT`]), normalized with the poller's functions
//! ([`collector::webhooks::github`]), then its raw body and record are written in one
//! transaction by the [`Ingestor`]; the metrics follow in the background. Answers:
//!
//! - 200 `{"status": "pong"}` for `ping`;
//! - 200 `{"status": "stored" | "deleted" | "duplicate", "kind", "key"}` for a delivery that made
//!   a record, or deleted the incident of that key (an issue that lost the incident label, or
//!   was deleted or transferred); `duplicate`: a redelivery, which changes nothing;
//! - 202 `{"status": "logged" | "duplicate", "reason"}` for a delivery kept in the raw log
//!   without a record (the next poll derives what it needs);
//! - 202 `{"status": "ignored", "reason"}` for everything else: nothing stored.

use crate::error::IngestError;
use crate::ingest::WEBHOOK_BODY_LIMIT;
use crate::server::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Json, http::header::CONTENT_TYPE};
use collector::events::kind;
use collector::ingest::{Ingestor, Settle};
use collector::telemetry;
use collector::webhooks::github::{self, Handling, Settings};
use engine::config::Secret;
use engine::store::Counter;
use engine::store::events::{EventRecord, LoggedEvent, NewRawEvent};
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(Clone)]
struct GithubState {
    ingestor: Ingestor,
    secret: Option<Arc<Secret>>,
    /// The environment variable holding the secret, named in the 503 when it is unset.
    secret_env: Arc<str>,
    settings: Arc<Settings>,
}

/// The route, with the secret read from the environment variable the configuration names
/// (`webhooks.github_secret_env`).
/// `ingestor` is shared with the other ingestion routes (one write queue).
pub fn router<S: Clone + Send + Sync + 'static>(
    state: &AppState,
    ingestor: Ingestor,
) -> OpenApiRouter<S> {
    router_with(state, state.config.github_webhook_secret(), ingestor)
}

/// The route with an explicit secret and ingestor (tests, load tools).
pub fn router_with<S: Clone + Send + Sync + 'static>(
    state: &AppState,
    secret: Option<Secret>,
    ingestor: Ingestor,
) -> OpenApiRouter<S> {
    let admission = axum::middleware::from_fn_with_state(ingestor.clone(), crate::ingest::admit);
    let state = GithubState {
        ingestor,
        secret: secret.filter(|s| !s.expose().is_empty()).map(Arc::new),
        secret_env: state.config.webhooks.github_secret_env.as_str().into(),
        settings: Arc::new(Settings::from_config(&state.config)),
    };
    OpenApiRouter::new()
        .routes(routes!(post_github))
        .layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT))
        .route_layer(admission)
        .with_state(state)
}

/// Serves only this route until `shutdown` completes (tests and load tools, which cannot set
/// the process environment the full app reads).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: &AppState,
    secret: Option<Secret>,
    ingestor: Ingestor,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app: Router = router_with(state, secret, ingestor).into();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// GitHub webhooks, signed with `X-Hub-Signature-256`; idempotent on `X-GitHub-Delivery`.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/github",
    operation_id = "github_webhook",
    tag = "ingestion",
    request_body(content = Object, description = "A GitHub webhook payload; the event type is in `X-GitHub-Event`", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored (a record), deleted (the incident of an issue that lost the incident label, or was deleted or transferred), recognised as a redelivery, or a ping answered"),
        (status = 202, description = "Logged without a record, or ignored (event, action, repository or environment not used)"),
        (status = 400, description = "Malformed JSON or a payload missing what its event needs"),
        (status = 401, description = "Bad or missing signature"),
        (status = 413, description = "The body is over 5 MiB"),
        (status = 503, description = "GitHub webhooks are disabled: no webhook secret is configured"),
    )
)]
async fn post_github(
    State(state): State<GithubState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), IngestError> {
    let body = crate::error::body_bytes(body, WEBHOOK_BODY_LIMIT)?;
    let Some(secret) = &state.secret else {
        return Err(crate::ingest::not_configured(
            "GitHub webhooks",
            &state.secret_env,
            "webhooks.github_secret_env",
            "the webhook's secret",
        ));
    };
    github::verify_signature(
        secret.expose().as_bytes(),
        &body,
        header(&headers, github::SIGNATURE_HEADER),
    )
    .map_err(|e| IngestError::Unauthorized(e.to_string()))?;
    let event = header(&headers, github::EVENT_HEADER).ok_or_else(|| {
        IngestError::Malformed("the X-GitHub-Event header is missing".to_string())
    })?;
    if let Some(kind) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
        && kind.starts_with("application/x-www-form-urlencoded")
    {
        return Err(IngestError::Malformed(
            "form-encoded deliveries are not read: set the hook's content type to \
             application/json"
                .to_string(),
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|e| IngestError::Malformed(format!("the body is not UTF-8: {e}")))?;
    let value = github::parse(&body).map_err(|e| IngestError::Malformed(e.to_string()))?;
    let mut handling = github::normalize(event, &value, &state.settings)
        .map_err(|e| IngestError::Malformed(e.to_string()))?;
    if let Handling::Record(record) = &handling {
        // A change is written as it comes: the store keeps what a poll filled in
        // (`Store::upsert_changes`, one conditional write). A deployment is checked here.
        let stored = match &**record {
            EventRecord::Deployment(d) => state
                .ingestor
                .store()
                .deployment(&d.key)
                .await?
                .map(EventRecord::Deployment),
            _ => None,
        };
        if !github::replaces(record, stored.as_ref()) {
            handling = Handling::Logged(format!(
                "{} {} is already stored, with what the poller adds: kept",
                kind(record),
                record_key(record)
            ));
        }
    }
    let answer = match handling {
        Handling::Ping => (
            StatusCode::OK,
            json!({"status": "pong", "zen": value.get("zen")}),
        ),
        Handling::Ignored(reason) => (
            StatusCode::ACCEPTED,
            json!({"status": "ignored", "event": event, "reason": reason}),
        ),
        handling => {
            let delivery_id = header(&headers, github::DELIVERY_HEADER).ok_or_else(|| {
                IngestError::Malformed("the X-GitHub-Delivery header is missing".to_string())
            })?;
            let (status, mut answer) = match &handling {
                Handling::Record(record) => (
                    StatusCode::OK,
                    json!({"kind": kind(record), "key": record_key(record)}),
                ),
                Handling::Logged(reason) => (StatusCode::ACCEPTED, json!({"reason": reason})),
                Handling::Ping | Handling::Ignored(_) => (StatusCode::ACCEPTED, json!({})),
            };
            let fresh = match &handling {
                Handling::Record(record)
                    if matches!(**record, EventRecord::IncidentDeletion(_)) =>
                {
                    "deleted"
                }
                Handling::Record(_) => "stored",
                _ => "logged",
            };
            let report = state
                .ingestor
                .ingest(
                    vec![LoggedEvent {
                        raw: Some(NewRawEvent {
                            source: github::SOURCE.to_string(),
                            delivery_id: delivery_id.to_string(),
                            body: text.to_string(),
                        }),
                        record: handling.into_record(),
                    }],
                    Settle::Stored,
                )
                .await?;
            answer["status"] = json!(if report.duplicates > 0 {
                "duplicate"
            } else {
                fresh
            });
            answer["event"] = json!(event);
            (status, answer)
        }
    };
    telemetry::bump(Counter::WebhookDeliveries);
    Ok((answer.0, Json(answer.1)))
}

fn record_key(record: &EventRecord) -> &str {
    match record {
        EventRecord::Change(c) => &c.key,
        EventRecord::Deployment(d) => &d.key,
        EventRecord::Incident(i) => &i.key,
        EventRecord::IncidentUpdate(u) => &u.incident.key,
        EventRecord::IncidentDeletion(d) => &d.key,
    }
}
