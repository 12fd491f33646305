//! Every error the API answers, and the one body they all answer with:
//! `{"error": {"message": "...", ...}}` ([`ErrorBody`]), so a client reads any refusal the same
//! way. Which error to use where:
//!
//! - [`ApiError`]: the read routes (metrics, charts, report, explain, exports, targets), the
//!   annotations, the router's fallbacks and the middleware in front of them (read protection in
//!   [`access`](crate::access), answer limits in [`limits`](crate::limits)). An engine error
//!   ([`QueryError`]) becomes a 500 through `?`; a bad query parameter or body field is
//!   [`ApiError::bad`], which names it in `parameter`.
//! - [`IngestError`]: the ingestion routes (`POST /api/v1/events`, the GitHub and PagerDuty
//!   webhooks). Every refusal is counted (`doraboard_webhook_rejected_total` in `/metrics`);
//!   invalid events are named by `line` and `field`, all of them listed in `errors`.
//! - A body read whole goes through `body_bytes`, whose `BodyError` becomes either of them
//!   (413 over the route's limit, else 400), so every route refuses a body alike.
//!
//! Status codes by cause: 400 bad input (named), 401 authentication (with `WWW-Authenticate`),
//! 404 / 405 unknown address or method, 413 a body over the route's limit, 503 not configured or
//! busy (busy with `Retry-After`), 500 anything else: logged in full, shown only as
//! [`INTERNAL_MESSAGE`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use collector::events::EventError;
use engine::query::QueryError;
use engine::store::{Counter, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// What a 500 tells the client; the cause goes to the log.
pub const INTERNAL_MESSAGE: &str = "internal error; the server log has the details";

/// How long a client refused for load is asked to wait, in seconds.
const RETRY_AFTER_SECONDS: u64 = 1;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong. Only `message` is always there; the other fields appear when they apply.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// For a person: what was wrong and, when it can be fixed, how.
    pub message: String,
    /// The query parameter or body field at fault (a 400 of the read routes or annotations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Ingestion: the field of the first invalid event, when one field is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Ingestion: the line (from 1) of the first invalid event in an NDJSON body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Ingestion: every invalid event found, the first of which is `message`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<EventProblem>,
}

/// One invalid event of an ingestion body.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventProblem {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl ErrorDetail {
    fn message(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }
}

/// Headers an error answer carries besides its body.
#[derive(Clone, Copy)]
enum Extra {
    None,
    /// `WWW-Authenticate: Bearer`: a machine's write.
    Bearer,
    /// `WWW-Authenticate` offering Basic first (browsers take the first scheme they support),
    /// then Bearer: a read of a protected server.
    BasicOrBearer,
    /// `Retry-After`: refused for load; nothing of the request was done.
    RetryAfter,
}

/// The one place an error answer is put together.
fn answer(status: StatusCode, error: ErrorDetail, extra: Extra) -> Response {
    let mut response = (status, Json(ErrorBody { error })).into_response();
    let headers = response.headers_mut();
    match extra {
        Extra::None => {}
        Extra::Bearer => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        Extra::BasicOrBearer => {
            headers.append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="doraboard", charset="UTF-8""#),
            );
            headers.append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="doraboard""#),
            );
        }
        Extra::RetryAfter => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
    }
    response
}

/// A 500 for a failure outside the engine and the store (drawing a chart), whose cause the
/// caller has logged.
pub(crate) fn internal_error() -> Response {
    answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorDetail::message(INTERNAL_MESSAGE),
        Extra::None,
    )
}

/// An error of the read routes, annotations and the middleware before them. Each variant
/// documents the status it answers.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a query parameter or body field is missing or invalid, named in `parameter`.
    #[error("{parameter}: {message}")]
    BadParameter {
        parameter: &'static str,
        message: String,
    },
    /// 404: the named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists, not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 401 with `WWW-Authenticate: Bearer`: a write without a valid ingestion token.
    #[error("{0}")]
    Unauthorized(String),
    /// 401 with `WWW-Authenticate` offering Basic and Bearer: a read of a server protected by
    /// `[api] read_token_env` without one of its tokens.
    #[error("{0}")]
    ReadRefused(String),
    /// 413: the body is over the route's limit.
    #[error("{0}")]
    TooLarge(String),
    /// 503: the route is disabled until something is configured (named in the message).
    #[error("{0}")]
    Unavailable(String),
    /// 503 with `Retry-After`: the server is at its answer limits; retry shortly.
    #[error("{0}")]
    Busy(String),
    /// 500: anything else; logged in full, shown as [`INTERNAL_MESSAGE`].
    #[error(transparent)]
    Internal(#[from] QueryError),
}

impl ApiError {
    pub fn bad(parameter: &'static str, message: impl Into<String>) -> Self {
        Self::BadParameter {
            parameter,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, extra) = match &self {
            Self::BadParameter { .. } => (StatusCode::BAD_REQUEST, Extra::None),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, Extra::None),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, Extra::None),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, Extra::Bearer),
            Self::ReadRefused(_) => (StatusCode::UNAUTHORIZED, Extra::BasicOrBearer),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, Extra::None),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, Extra::None),
            Self::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, Extra::RetryAfter),
            Self::Internal(error) => {
                tracing::error!(error = %error, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, Extra::None)
            }
        };
        let detail = match self {
            Self::BadParameter { parameter, message } => ErrorDetail {
                parameter: Some(parameter.to_string()),
                ..ErrorDetail::message(message)
            },
            Self::NotFound(message)
            | Self::MethodNotAllowed(message)
            | Self::Unauthorized(message)
            | Self::ReadRefused(message)
            | Self::TooLarge(message)
            | Self::Unavailable(message)
            | Self::Busy(message) => ErrorDetail::message(message),
            Self::Internal(_) => ErrorDetail::message(INTERNAL_MESSAGE),
        };
        answer(status, detail, extra)
    }
}

/// Why a request body could not be read, for whichever error the route answers with.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Over the route's limit, in bytes: a 413.
    TooLarge(usize),
    /// Not read for another reason (a broken stream, say): a 400 saying why.
    Unreadable(String),
}

/// The body of a route that reads it whole (`Result<Bytes, BytesRejection>` as its extractor,
/// under a `DefaultBodyLimit` of `limit`), or why not.
pub(crate) fn body_bytes(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Bytes, BodyError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            BodyError::TooLarge(limit)
        } else {
            BodyError::Unreadable(rejection.body_text())
        }
    })
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge(limit) => {
                Self::TooLarge(format!("the body is larger than {limit} bytes"))
            }
            BodyError::Unreadable(message) => Self::bad("body", message),
        }
    }
}

impl From<BodyError> for IngestError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge(limit) => Self::TooLarge(limit),
            BodyError::Unreadable(message) => Self::Malformed(message),
        }
    }
}

/// Why an ingestion request was refused. Each variant documents the status it answers.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// 401, with `WWW-Authenticate: Bearer`: no token, a wrong one, or a bad signature.
    #[error("{0}")]
    Unauthorized(String),
    /// 400: events that do not validate; the first is the message, all are listed.
    #[error("{}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<EventError>),
    /// 400: a body that is not what the endpoint reads.
    #[error("{0}")]
    Malformed(String),
    /// 413: the body is over the limit.
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// 503: this ingestion is not configured (no token, no secret).
    #[error("{0}")]
    NotConfigured(String),
    /// 503, with `Retry-After`: `[api] max_pending_deliveries` deliveries are in flight; nothing
    /// of this one was read or stored.
    #[error("{0}")]
    Busy(String),
    /// 500: the store failed; logged in full, shown as [`INTERNAL_MESSAGE`].
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        collector::telemetry::bump(Counter::WebhookRejected);
        let (status, extra) = match &self {
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, Extra::Bearer),
            Self::Invalid(_) | Self::Malformed(_) => (StatusCode::BAD_REQUEST, Extra::None),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, Extra::None),
            Self::NotConfigured(_) => (StatusCode::SERVICE_UNAVAILABLE, Extra::None),
            Self::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, Extra::RetryAfter),
            Self::Store(e) => {
                tracing::error!(error = %e, "ingestion failed");
                (StatusCode::INTERNAL_SERVER_ERROR, Extra::None)
            }
        };
        let detail = match &self {
            Self::Invalid(errors) => {
                let first = errors.first();
                ErrorDetail {
                    field: first.and_then(|e| e.field.clone()),
                    line: first.and_then(|e| e.line),
                    errors: errors
                        .iter()
                        .map(|e| EventProblem {
                            message: e.message.clone(),
                            field: e.field.clone(),
                            line: e.line,
                        })
                        .collect(),
                    ..ErrorDetail::message(self.to_string())
                }
            }
            Self::Store(_) => ErrorDetail::message(INTERNAL_MESSAGE),
            other => ErrorDetail::message(other.to_string()),
        };
        answer(status, detail, extra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use serde_json::{Value, json};

    async fn body(response: Response) -> Value {
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[tokio::test]
    async fn every_error_answers_one_shape_with_only_the_fields_that_apply() {
        let bad = ApiError::bad("from", "not a date").into_response();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            body(bad).await,
            json!({"error": {"message": "not a date", "parameter": "from"}})
        );

        let invalid = IngestError::Invalid(vec![
            EventError {
                line: Some(2),
                field: Some("finished_at".to_string()),
                message: "missing".to_string(),
            },
            EventError {
                line: Some(3),
                field: None,
                message: "not JSON".to_string(),
            },
        ]);
        let message = invalid.to_string();
        let invalid = invalid.into_response();
        assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            body(invalid).await,
            json!({"error": {
                "message": message, "field": "finished_at", "line": 2,
                "errors": [
                    {"message": "missing", "field": "finished_at", "line": 2},
                    {"message": "not JSON", "line": 3},
                ],
            }})
        );

        let busy = IngestError::Busy("full".to_string()).into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
        assert_eq!(body(busy).await, json!({"error": {"message": "full"}}));
    }

    #[tokio::test]
    async fn an_unread_body_answers_alike_on_every_route() {
        let too_large = || BodyError::TooLarge(4096);
        let expected = json!({"error": {"message": "the body is larger than 4096 bytes"}});
        for response in [
            ApiError::from(too_large()).into_response(),
            IngestError::from(too_large()).into_response(),
        ] {
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
            assert_eq!(body(response).await, expected);
        }
        let unreadable = || BodyError::Unreadable("stream ended".to_string());
        let read = ApiError::from(unreadable()).into_response();
        assert_eq!(read.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            body(read).await,
            json!({"error": {"message": "stream ended", "parameter": "body"}})
        );
        let ingest = IngestError::from(unreadable()).into_response();
        assert_eq!(ingest.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            body(ingest).await,
            json!({"error": {"message": "stream ended"}})
        );
    }

    #[tokio::test]
    async fn refusals_carry_the_headers_their_status_asks_for() {
        let write = ApiError::Unauthorized("invalid token".to_string()).into_response();
        assert_eq!(write.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(write.headers()[header::WWW_AUTHENTICATE], "Bearer");

        let read = ApiError::ReadRefused("invalid token".to_string()).into_response();
        assert_eq!(read.status(), StatusCode::UNAUTHORIZED);
        let offered: Vec<_> = read
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .map(|v| v.to_str().expect("ASCII").to_string())
            .collect();
        assert!(offered[0].starts_with("Basic"), "{offered:?}");
        assert!(offered[1].starts_with("Bearer"), "{offered:?}");

        let internal = IngestError::Store(StoreError::Invalid {
            what: "id",
            value: "x".to_string(),
            detail: "disk".to_string(),
        })
        .into_response();
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body(internal).await,
            json!({"error": {"message": INTERNAL_MESSAGE}})
        );
    }

    #[tokio::test]
    async fn the_openapi_document_describes_this_body() {
        let json = crate::openapi::tests::served().await;
        let schemas = &json["components"]["schemas"];
        let detail = &schemas["ErrorDetail"]["properties"];
        for field in ["message", "parameter", "field", "line", "errors"] {
            assert!(detail[field].is_object(), "ErrorDetail.{field}: {detail}");
        }
        assert_eq!(schemas["ErrorDetail"]["required"], json!(["message"]));
        assert!(schemas["EventProblem"].is_object(), "{schemas}");
        let bad = &json["paths"]["/api/v1/metrics"]["get"]["responses"]["400"];
        assert_eq!(
            bad["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
            "{bad}"
        );
    }
}
