//! The API's error type. Each variant documents the status it answers; a 500 never shows the
//! client its cause (that goes to the log), a 400 always names the parameter and why.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a query parameter is missing or invalid.
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
    /// 413: the body is over the route's limit.
    #[error("{0}")]
    TooLarge(String),
    /// 503: the route is disabled until something is configured (named in the message).
    #[error("{0}")]
    Unavailable(String),
    /// 500: anything else; logged in full, shown as a generic message.
    #[error(transparent)]
    Internal(#[from] engine::query::QueryError),
}

impl ApiError {
    pub fn bad(parameter: &'static str, message: impl Into<String>) -> Self {
        Self::BadParameter {
            parameter,
            message: message.into(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'a str>,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, parameter, message) = match &self {
            Self::BadParameter { parameter, message } => {
                (StatusCode::BAD_REQUEST, Some(*parameter), message.clone())
            }
            Self::NotFound(message) => (StatusCode::NOT_FOUND, None, message.clone()),
            Self::MethodNotAllowed(message) => {
                (StatusCode::METHOD_NOT_ALLOWED, None, message.clone())
            }
            Self::Unauthorized(message) => (StatusCode::UNAUTHORIZED, None, message.clone()),
            Self::TooLarge(message) => (StatusCode::PAYLOAD_TOO_LARGE, None, message.clone()),
            Self::Unavailable(message) => (StatusCode::SERVICE_UNAVAILABLE, None, message.clone()),
            Self::Internal(error) => {
                tracing::error!(error = %error, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "internal error; the server log has the details".to_string(),
                )
            }
        };
        let body = ErrorBody {
            error: ErrorDetail { parameter, message },
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
