//! `/api/v1/annotations`: the dated notes drawn on the charts ([`engine::annotations`]).
//!
//! - `POST` adds one (the ingestion token, like `/api/v1/events`): `{"date", "title", "team"?,
//!   "scope"?}`, answered 201 with the stored annotation and its id. Anything invalid is a 400
//!   naming the field, and nothing is stored.
//! - `GET ?from&to[&team]` lists those dated in the period (read protection applies): without
//!   `team` every annotation, the configuration's too; with it those the scope's charts show.
//! - `DELETE /{id}` removes a stored one (the ingestion token); the configuration's are
//!   read-only.

use crate::error::{ApiError, body_bytes};
use crate::ingest::IngestAuth;
use crate::params::{Path, PeriodParams, Query, TeamParam};
use crate::server::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use engine::annotations::{
    self, Annotation, AnnotationError, ListError, NewAnnotation, Reach, in_period,
};
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Largest body `POST /api/v1/annotations` reads: a date, a title and a slug fit many times.
pub const BODY_LIMIT: usize = 4 * 1024;

/// The annotation routes; writes need one of `auth`'s tokens.
pub fn router(auth: IngestAuth) -> OpenApiRouter<AppState> {
    let auth = Arc::new(auth);
    let writes = OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(remove))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .route_layer(middleware::from_fn_with_state(auth, require_token));
    OpenApiRouter::new().routes(routes!(list)).merge(writes)
}

/// Whether a request is an annotation write, which the ingestion token authorises instead of
/// read protection.
pub(crate) fn is_write(method: &axum::http::Method, path: &str) -> bool {
    let ours = path == "/api/v1/annotations" || path.starts_with("/api/v1/annotations/");
    ours && method != axum::http::Method::GET && method != axum::http::Method::HEAD
}

async fn require_token(
    State(auth): State<Arc<IngestAuth>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if !auth.has_tokens() {
        return Err(ApiError::Unavailable(
            "annotation writes are disabled: set the environment variable named by \
             api.ingest_token_env to one or more bearer tokens and restart"
                .to_string(),
        ));
    }
    match auth.admits(request.headers()) {
        None => Err(ApiError::Unauthorized(
            "missing bearer token: send `Authorization: Bearer <token>` (an ingestion token)"
                .to_string(),
        )),
        Some(false) => Err(ApiError::Unauthorized("invalid token".to_string())),
        Some(true) => Ok(next.run(request).await),
    }
}

/// The body of `POST /api/v1/annotations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnotationBody {
    /// The day it marks (ISO 8601 date).
    #[schema(format = Date, example = "2026-03-10")]
    pub date: String,
    /// One line, at most 80 characters.
    #[schema(example = "New CI system")]
    pub title: String,
    /// A team or tribe slug; omitted: the organisation.
    #[schema(example = "checkout")]
    pub team: Option<String>,
    /// `own` (default) or `inherit`: also on the tribe's and organisation's charts.
    #[schema(example = "inherit")]
    pub scope: Option<String>,
}

/// The fields a body may have, as `ApiError` names them.
const FIELDS: [&str; 4] = ["date", "title", "team", "scope"];

fn field(name: &str) -> &'static str {
    FIELDS.into_iter().find(|f| *f == name).unwrap_or("body")
}

/// The body read into [`AnnotationBody`]: a 400 names the field at fault (a missing, unknown or
/// mistyped one), or `body` when it is not a JSON object at all.
fn parse_body(bytes: &[u8]) -> Result<AnnotationBody, ApiError> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let named = message.split('`').nth(1).unwrap_or_default();
        let at = if path == "." { named } else { path.as_str() };
        let parameter = field(at);
        let message = if parameter == "body" && !at.is_empty() {
            format!("{message} (fields: {})", FIELDS.join(", "))
        } else {
            message
        };
        ApiError::bad(parameter, message)
    })
}

fn new_annotation(state: &AppState, body: &AnnotationBody) -> Result<NewAnnotation, ApiError> {
    let date = chrono::NaiveDate::parse_from_str(body.date.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::bad(
            "date",
            format!("`{}` is not a date: expected YYYY-MM-DD", body.date),
        )
    })?;
    let scope = match body.scope.as_deref() {
        None => Reach::Own,
        Some(text) => Reach::parse(text).map_err(|m| ApiError::bad("scope", m))?,
    };
    NewAnnotation::new(
        &state.config,
        date,
        &body.title,
        body.team.as_deref(),
        scope,
    )
    .map_err(|AnnotationError { field, message }| ApiError::bad(field, message))
}

/// Adds an annotation.
#[utoipa::path(post, path = "/api/v1/annotations", tag = "annotations", operation_id = "create_annotation",
    request_body(content = AnnotationBody, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored; the answer is the annotation with its id", body = Annotation),
        (status = 400, description = "An invalid or unknown field, named in `parameter`; nothing is stored", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or wrong bearer token (an ingestion token)", body = crate::error::ErrorBody),
        (status = 413, description = "The body is over 4 KiB", body = crate::error::ErrorBody),
        (status = 503, description = "No ingestion token is configured", body = crate::error::ErrorBody),
    ))]
async fn create(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let bytes = body_bytes(body, BODY_LIMIT)?;
    let new = new_annotation(&state, &parse_body(&bytes)?)?;
    let stored = state
        .store
        .add_annotation(&new)
        .await
        .map_err(engine::query::QueryError::from)?;
    tracing::info!(id = stored.id, date = %stored.date, "annotation added");
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// Lists the annotations of a period. With `team`, only the annotations its charts show (its
/// own, its tribe's, the organisation's, and for a tribe or the organisation those of its teams
/// marked `inherit`); without it, every annotation.
#[utoipa::path(get, path = "/api/v1/annotations", tag = "annotations", operation_id = "list_annotations",
    params(TeamParam, PeriodParams),
    responses(
        (status = 200, description = "The annotations dated in the period, by date (at most 500); the configuration's have a null id", body = Vec<Annotation>),
        (status = 400, description = "An invalid parameter, named; or more than 500 annotations in the period", body = crate::error::ErrorBody),
    ))]
async fn list(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
) -> Result<Json<Vec<Annotation>>, ApiError> {
    let period = dates.period()?;
    let listed = match team.team() {
        None => in_period(&state.store, &state.config, period.from, period.to).await,
        Some(_) => {
            let scope = crate::routes::scope(&state, &team)?;
            annotations::for_scopes(
                &state.store,
                &state.config,
                &[&scope],
                period.from,
                period.to,
            )
            .await
        }
    };
    listed.map(Json).map_err(list_error)
}

/// Too many is the caller's to fix (a shorter period); a store failure is a 500.
pub(crate) fn list_error(e: ListError) -> ApiError {
    match e {
        too_many @ ListError::TooMany { .. } => ApiError::bad("from", too_many.to_string()),
        ListError::Store(e) => ApiError::Internal(e.into()),
    }
}

/// Removes a stored annotation.
#[utoipa::path(delete, path = "/api/v1/annotations/{id}", tag = "annotations", operation_id = "delete_annotation",
    params(("id" = i64, Path, description = "The annotation's id, as `POST` answered it")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "The id is not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or wrong bearer token (an ingestion token)", body = crate::error::ErrorBody),
        (status = 404, description = "No stored annotation has this id (the configuration's cannot be removed here)", body = crate::error::ErrorBody),
    ))]
async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad("id", format!("`{id}` is not an annotation id")))?;
    let removed = state
        .store
        .delete_annotation(id)
        .await
        .map_err(engine::query::QueryError::from)?;
    if !removed {
        return Err(ApiError::NotFound(format!("no annotation with id {id}")));
    }
    tracing::info!(id, "annotation removed");
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(body: &str) -> &'static str {
        match parse_body(body.as_bytes()) {
            Err(ApiError::BadParameter { parameter, .. }) => parameter,
            other => panic!("expected a 400 for {body}: {other:?}"),
        }
    }

    #[test]
    fn body_errors_name_the_field() {
        assert_eq!(parameter(r#"{"title": "x"}"#), "date");
        assert_eq!(parameter(r#"{"date": "2026-03-10"}"#), "title");
        assert_eq!(parameter(r#"{"date": "2026-03-10", "title": 5}"#), "title");
        assert_eq!(
            parameter(r#"{"date": "2026-03-10", "title": "x", "team": ["a"]}"#),
            "team"
        );
        assert_eq!(
            parameter(r#"{"date": "2026-03-10", "title": "x", "colour": "red"}"#),
            "body"
        );
        assert_eq!(parameter("not json"), "body");
        assert!(parse_body(br#"{"date": "2026-03-10", "title": "x"}"#).is_ok());
    }

    #[test]
    fn writes_are_told_from_reads() {
        use axum::http::Method;
        assert!(is_write(&Method::POST, "/api/v1/annotations"));
        assert!(is_write(&Method::DELETE, "/api/v1/annotations/3"));
        assert!(!is_write(&Method::GET, "/api/v1/annotations"));
        assert!(!is_write(&Method::POST, "/api/v1/annotationsx"));
    }
}
