//! Push ingestion over HTTP: generic events from any CI or incident tool, and PagerDuty webhooks.
//!
//! - `POST /api/v1/events`: one JSON event, or NDJSON (one per line), behind a bearer token. The
//!   body is validated whole before anything is stored: one bad event refuses the request (400
//!   naming the line and the field) and stores nothing. One CDEvent (CloudEvents JSON) is taken
//!   too ([`collector::cdevents`]); a CDEvents type doraboard does not use is answered 202.
//! - `POST /api/v1/webhooks/pagerduty`: PagerDuty V3 webhooks, signed (`X-PagerDuty-Signature`).
//!
//! Both are idempotent: a re-sent event or redelivered webhook is recognised in the raw event log
//! and changes nothing. A 2xx means the event is stored; the metrics include it milliseconds
//! later (the touched repositories are reanalyzed in the background), or at once with
//! `POST /api/v1/events?wait=true`.
//!
//! Tokens (`api.ingest_token_env` names the variable): one or more, comma-separated, each the
//! token itself or `sha256:<hex digest of the token>` ([`Tokens`]). A token grants nothing but
//! ingestion. With no token configured, ingestion is refused (503), as
//! is PagerDuty without its secret.

use crate::error::{IngestError, body_bytes};
use crate::params::Query;
use crate::server::AppState;
use crate::tokens::{self, Schemes, Tokens};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use collector::cdevents;
use collector::events::ndjson::parse_body;
use collector::events::{EventContext, Warning, logged};
use collector::ingest::{IngestReport, Ingestor, Settle};
use collector::pagerduty::{self, Handling};
use collector::telemetry;
use engine::config::{Config, Secret};
use engine::model::Source;
use engine::store::Counter;
use engine::store::events::{LoggedEvent, NewRawEvent};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Largest body `POST /api/v1/events` reads (a batch of NDJSON events).
pub const EVENTS_BODY_LIMIT: usize = 10 * 1024 * 1024;
/// Largest webhook body read.
pub const WEBHOOK_BODY_LIMIT: usize = 5 * 1024 * 1024;

/// Who may ingest: the bearer tokens, and the PagerDuty signing secret.
#[derive(Clone, Default)]
pub struct IngestAuth {
    tokens: Tokens,
    pagerduty_secret: Option<Secret>,
}

impl std::fmt::Debug for IngestAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestAuth")
            .field("tokens", &self.tokens)
            .field("pagerduty_secret", &self.pagerduty_secret.is_some())
            .finish()
    }
}

impl IngestAuth {
    /// The tokens and secret the environment holds, under the names the configuration gives.
    pub fn from_config(config: &Config) -> Self {
        IngestAuth::new(
            config.ingest_token().as_ref(),
            config.pagerduty_webhook_secret(),
        )
    }

    /// `tokens`: comma-separated tokens or `sha256:<hex>` digests of tokens ([`Tokens`]). A
    /// malformed list disables event ingestion (503), with the reason logged.
    pub fn new(tokens: Option<&Secret>, pagerduty_secret: Option<Secret>) -> Self {
        let tokens = tokens
            .map(Tokens::parse)
            .transpose()
            .unwrap_or_else(|error| {
                tracing::error!(%error, "api.ingest_token_env: event ingestion is disabled");
                None
            })
            .unwrap_or_default();
        IngestAuth {
            tokens,
            pagerduty_secret: pagerduty_secret.filter(|s| !s.expose().is_empty()),
        }
    }

    /// Whether any ingestion token is configured (none: the routes they guard answer 503).
    pub(crate) fn has_tokens(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// Whether the request's bearer token is one of the ingestion tokens; `None` when it
    /// presents none.
    pub(crate) fn admits(&self, headers: &HeaderMap) -> Option<bool> {
        tokens::presented(headers, Schemes::Bearer).map(|token| self.tokens.accepts(&token))
    }
}

#[derive(Clone)]
struct IngestState {
    ingestor: Ingestor,
    auth: Arc<IngestAuth>,
    events: Arc<EventContext>,
    services: Arc<BTreeMap<String, String>>,
    cdevent_services: Arc<BTreeMap<String, String>>,
    /// The environment variables that enable ingestion, named in the 503 when they are unset.
    token_env: Arc<str>,
    pagerduty_env: Arc<str>,
}

/// The ingestion routes with these credentials (the app reads them from the environment under
/// the names the configuration gives), writing through `ingestor` (one per process, shared with
/// the GitHub webhook route: one write queue). Tests and load tools keep a clone of the ingestor
/// to wait until it has [`Ingestor::settled`].
pub fn router_with<S: Clone + Send + Sync + 'static>(
    state: &AppState,
    auth: IngestAuth,
    ingestor: Ingestor,
) -> OpenApiRouter<S> {
    let state = IngestState {
        ingestor,
        auth: Arc::new(auth),
        events: Arc::new(EventContext::new(&state.config, Source::Webhook)),
        services: Arc::new(state.config.pagerduty.services.clone()),
        cdevent_services: Arc::new(state.config.cdevents.services.clone()),
        token_env: state.config.api.ingest_token_env.as_str().into(),
        pagerduty_env: state.config.webhooks.pagerduty_secret_env.as_str().into(),
    };
    let admission = middleware::from_fn_with_state(state.ingestor.clone(), admit);
    // The token is checked first: a stranger never takes a place in flight.
    let events = OpenApiRouter::new()
        .routes(routes!(post_events))
        .layer(DefaultBodyLimit::max(EVENTS_BODY_LIMIT))
        .route_layer(admission.clone())
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    let webhooks = OpenApiRouter::new()
        .routes(routes!(post_pagerduty))
        .layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT))
        .route_layer(admission);
    events.merge(webhooks).with_state(state)
}

/// Serves only the ingestion routes, with explicit credentials, until `shutdown` completes: for
/// tests and load tools, which cannot set the process environment the full app reads.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: &AppState,
    auth: IngestAuth,
    ingestor: Ingestor,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app: Router = router_with(state, auth, ingestor).into();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Takes a place among the deliveries in flight for the whole request, before its body is read
/// (every ingestion route): beyond `[api] max_pending_deliveries`, a 503 that stored nothing.
pub(crate) async fn admit(
    State(ingestor): State<Ingestor>,
    request: Request,
    next: Next,
) -> Result<Response, IngestError> {
    let Some(admission) = ingestor.admit() else {
        tracing::warn!(
            max = ingestor.capacity(),
            "refused a delivery: every ingestion place is taken"
        );
        return Err(IngestError::Busy(format!(
            "ingestion is saturated: {} deliveries are in flight, its limit \
             ([api] max_pending_deliveries); nothing of this one was stored, retry shortly",
            ingestor.capacity()
        )));
    };
    let response = next.run(request).await;
    drop(admission);
    Ok(response)
}

/// The 503 of a disabled ingestion route: says which environment variable to set (and the
/// configuration key naming it), never its value.
pub(crate) fn not_configured(what: &str, variable: &str, key: &str, holds: &str) -> IngestError {
    IngestError::NotConfigured(format!(
        "{what} is disabled: set the environment variable {variable} (named by {key}) to {holds} \
         and restart"
    ))
}

/// Refuses requests without a configured bearer token, before their body is read.
async fn require_token(
    State(state): State<IngestState>,
    request: Request,
    next: Next,
) -> Result<Response, IngestError> {
    if state.auth.tokens.is_empty() {
        return Err(not_configured(
            "event ingestion",
            &state.token_env,
            "api.ingest_token_env",
            "one or more bearer tokens",
        ));
    }
    match tokens::presented(request.headers(), Schemes::Bearer) {
        None => Err(IngestError::Unauthorized(
            "missing bearer token: send `Authorization: Bearer <token>`".to_string(),
        )),
        Some(token) if !state.auth.tokens.accepts(&token) => {
            Err(IngestError::Unauthorized("invalid token".to_string()))
        }
        Some(_) => Ok(next.run(request).await),
    }
}

/// What `POST /api/v1/events` answers.
#[derive(Debug, Serialize)]
pub struct EventsResponse {
    #[serde(flatten)]
    pub report: IngestReport,
    /// One per repository of the events that no team owns: stored, but in no team's figures.
    pub warnings: Vec<Warning>,
}

/// `POST /api/v1/events?wait=true`: answer once the metrics include the events, rather than
/// once they are stored.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// `true` (also `1`, `yes` or empty): answer once the metrics include the events; `false`
    /// (also `0`, `no`; the default): once they are stored.
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    pub wait: Option<String>,
}

/// Generic events (change, deployment, incident) from CI or incident tools: one JSON object, or
/// NDJSON with one per line. Idempotent on each event's `id`. Also one CDEvent (CloudEvents JSON,
/// structured mode), idempotent on its `context.id`.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    operation_id = "events",
    tag = "ingestion",
    params(EventsParams),
    request_body(content = String, description = "One event as JSON, or NDJSON (one event per line)", content_type = "application/x-ndjson"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every event is stored (re-sent ones change nothing): `received`, `duplicates`, `stored` (by kind), and `warnings`, one `{repo, message}` per repository of the events that no team owns (stored, but in no team's figures)", body = Object),
        (status = 202, description = "A CDEvent of a type doraboard does not use: `{\"status\": \"ignored\", \"type\": ...}`, stored nowhere", body = Object),
        (status = 400, description = "An event is invalid: the line and field are named, nothing is stored", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or wrong bearer token"),
        (status = 503, description = "Ingestion is disabled: no token is configured"),
    )
)]
async fn post_events(
    State(state): State<IngestState>,
    Query(params): Query<EventsParams>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, IngestError> {
    let settle = match params
        .wait
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("false" | "0" | "no") => Settle::Stored,
        Some("" | "true" | "1" | "yes") => Settle::Analysed,
        Some(other) => {
            return Err(IngestError::Malformed(format!(
                "wait: expected true or false, found `{other}`"
            )));
        }
    };
    let body = body_bytes(body, EVENTS_BODY_LIMIT)?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| IngestError::Malformed(format!("the body is not UTF-8: {e}")))?;
    let ctx = &state.events;
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
        && cdevents::is_cdevent(&value)
    {
        return post_cdevent(&state, &value, text, settle).await;
    }
    let parsed = parse_body(text, ctx).map_err(IngestError::Invalid)?;
    let warnings = ctx
        .unowned(parsed.iter().map(|(record, _)| record))
        .iter()
        .map(Warning::unowned)
        .collect();
    let events: Vec<LoggedEvent> = parsed
        .into_iter()
        .map(|(record, raw)| logged(record, raw, ctx))
        .collect();
    let report = state.ingestor.ingest(events, settle).await?;
    telemetry::bump(Counter::WebhookDeliveries);
    telemetry::add(Counter::EventsIngested, report.stored.total() as u64);
    Ok(Json(EventsResponse { report, warnings }).into_response())
}

/// One CDEvent: stored under its `context.id` like a generic event, or answered 202 when its
/// type is not one doraboard uses.
async fn post_cdevent(
    state: &IngestState,
    value: &serde_json::Value,
    text: &str,
    settle: Settle,
) -> Result<Response, IngestError> {
    let ctx = &state.events;
    let handling = cdevents::parse(value, ctx, &state.cdevent_services)
        .map_err(|e| IngestError::Invalid(vec![e]))?;
    telemetry::bump(Counter::WebhookDeliveries);
    let (id, record) = match handling {
        cdevents::Handling::Ignored(kind) => {
            let body = json!({"status": "ignored", "type": kind});
            return Ok((StatusCode::ACCEPTED, Json(body)).into_response());
        }
        cdevents::Handling::Record { id, record } => (id, record),
    };
    let warnings = ctx
        .unowned([&record])
        .iter()
        .map(Warning::unowned)
        .collect();
    let event = LoggedEvent {
        raw: Some(NewRawEvent {
            source: cdevents::SOURCE.to_string(),
            delivery_id: id,
            body: text.trim().to_string(),
        }),
        record: Some(record),
    };
    let report = state.ingestor.ingest(vec![event], settle).await?;
    telemetry::add(Counter::EventsIngested, report.stored.total() as u64);
    Ok(Json(EventsResponse { report, warnings }).into_response())
}

/// PagerDuty V3 webhooks (incidents), signed with `X-PagerDuty-Signature`; idempotent.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/pagerduty",
    operation_id = "pagerduty_webhook",
    tag = "ingestion",
    request_body(content = Object, description = "A PagerDuty V3 webhook payload", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, or recognised as a redelivery"),
        (status = 401, description = "Bad or missing signature"),
        (status = 503, description = "PagerDuty webhooks are disabled: no signing secret is configured"),
    )
)]
async fn post_pagerduty(
    State(state): State<IngestState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), IngestError> {
    let body = body_bytes(body, WEBHOOK_BODY_LIMIT)?;
    let Some(secret) = &state.auth.pagerduty_secret else {
        return Err(not_configured(
            "PagerDuty webhooks",
            &state.pagerduty_env,
            "webhooks.pagerduty_secret_env",
            "the webhook's signing secret",
        ));
    };
    let signature = headers
        .get(pagerduty::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    pagerduty::verify_signature(secret.expose().as_bytes(), &body, signature)
        .map_err(|e| IngestError::Unauthorized(e.to_string()))?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| IngestError::Malformed(format!("the body is not UTF-8: {e}")))?;
    let event = pagerduty::parse(&body).map_err(|e| IngestError::Malformed(e.to_string()))?;
    let handling = pagerduty::normalize(&event, &state.services)
        .map_err(|e| IngestError::Malformed(e.to_string()))?;
    let answer = match handling {
        Handling::Ping => (StatusCode::OK, json!({"status": "pong"})),
        Handling::Ignored => (
            StatusCode::ACCEPTED,
            json!({"status": "ignored", "event_type": event.event_type}),
        ),
        Handling::Incident(update) => {
            if update.incident.repo.is_none() && update.incident.team.is_none() {
                tracing::warn!(
                    service = pagerduty::service_id(&event).unwrap_or("-"),
                    incident = %update.incident.key,
                    "PagerDuty service is not in [pagerduty] services: the incident has no team \
                     (map the service, then run `doraboard replay`)"
                );
            }
            let key = update.incident.key.clone();
            let report = state
                .ingestor
                .ingest(
                    vec![LoggedEvent {
                        raw: Some(NewRawEvent {
                            source: pagerduty::SOURCE.to_string(),
                            delivery_id: event.id.clone(),
                            body: text.to_string(),
                        }),
                        record: Handling::Incident(update).into_record(),
                    }],
                    Settle::Stored,
                )
                .await?;
            let status = if report.duplicates > 0 {
                "duplicate"
            } else {
                "stored"
            };
            (StatusCode::OK, json!({"status": status, "incident": key}))
        }
    };
    telemetry::bump(Counter::WebhookDeliveries);
    Ok((answer.0, Json(answer.1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_token_list_disables_ingestion() {
        let auth = IngestAuth::new(Some(&Secret::new("good, sha256:nothex")), None);
        assert!(auth.tokens.is_empty());
        assert!(
            IngestAuth::new(Some(&Secret::new("good")), None)
                .tokens
                .accepts("good")
        );
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let auth = IngestAuth::new(Some(&Secret::new("t0k3n")), Some(Secret::new("s3cr3t")));
        let text = format!("{auth:?}");
        assert!(
            !text.contains("t0k3n") && !text.contains("s3cr3t"),
            "{text}"
        );
    }
}
