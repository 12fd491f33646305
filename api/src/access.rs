//! Optional read protection (`[api] read_token_env`). When the configuration names a variable,
//! every route but `/healthz` and the ingestion routes (which keep their own authentication)
//! needs one of its tokens: `Authorization: Bearer <token>`, or HTTP Basic with the token as the
//! password and any user name, so that a browser prompts for it and then sends it with every
//! request of the dashboard (its API calls, charts, report, CSV downloads). A refusal is a 401
//! with a JSON error and `WWW-Authenticate` offering both schemes. Tokens never reach the logs:
//! the request span holds the method and route only.

use crate::error::ApiError;
use crate::tokens::{self, Schemes, Tokens};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::config::{Config, ConfigError};
use std::sync::Arc;

/// Who may read.
#[derive(Debug, Clone, Default)]
pub enum ReadAccess {
    /// Anyone who reaches the server (no `read_token_env`).
    #[default]
    Open,
    /// Holders of one of these tokens.
    Tokens(Arc<Tokens>),
}

impl ReadAccess {
    /// From the variable `api.read_token_env` names; an error names the key and the variable
    /// when it is unset, empty or malformed (never its value).
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let Some(secret) = config.read_token()? else {
            return Ok(ReadAccess::Open);
        };
        let var = config.api.read_token_env.clone().unwrap_or_default();
        Tokens::parse(&secret)
            .map(|tokens| ReadAccess::Tokens(Arc::new(tokens)))
            .map_err(|e| ConfigError::Invalid {
                origin: format!("environment variable {var}"),
                key: "api.read_token_env".to_string(),
                message: e.to_string(),
            })
    }
}

/// The middleware: lets exempt routes and holders of a token through, answers 401 otherwise.
pub async fn require(State(access): State<ReadAccess>, request: Request, next: Next) -> Response {
    let ReadAccess::Tokens(tokens) = &access else {
        return next.run(request).await;
    };
    if crate::routes::keeps_own_rules(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    match tokens::presented(request.headers(), Schemes::BearerOrBasic) {
        Some(token) if tokens.accepts(&token) => next.run(request).await,
        Some(_) => {
            tracing::info!("refused a read: the token is not one of api.read_token_env's");
            unauthorized("invalid token")
        }
        None => unauthorized(
            "this server is protected: send `Authorization: Bearer <token>`, or sign in with the \
             token as the password (any user name)",
        ),
    }
}

fn unauthorized(message: &str) -> Response {
    ApiError::ReadRefused(message.to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::{StatusCode, header};
    use axum::routing::{get, post};
    use engine::config::Secret;
    use tower::ServiceExt;

    #[expect(
        clippy::disallowed_methods,
        reason = "a stand-in router for the middleware under test, not the API's"
    )]
    fn app(access: ReadAccess) -> Router {
        Router::new()
            .route("/api/v1/teams", get(|| async { "teams" }))
            .route("/healthz", get(|| async { "ok" }))
            .route("/api/v1/events", post(|| async { "stored" }))
            .route("/api/v1/webhooks/github", post(|| async { "stored" }))
            .layer(axum::middleware::from_fn_with_state(access, require))
    }

    fn protected() -> ReadAccess {
        ReadAccess::Tokens(Arc::new(
            Tokens::parse(&Secret::new("r34d, other")).expect("tokens"),
        ))
    }

    async fn status(
        app: &Router,
        method: &str,
        path: &str,
        authorization: Option<&str>,
    ) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        app.clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("an answer")
    }

    #[tokio::test]
    async fn reads_need_a_token_by_bearer_or_basic_and_exempt_routes_do_not() {
        let app = app(protected());
        let refused = status(&app, "GET", "/api/v1/teams", None).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let challenges: Vec<&str> = refused
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .map(|v| v.to_str().expect("ascii"))
            .collect();
        assert_eq!(
            challenges,
            [
                r#"Basic realm="doraboard", charset="UTF-8""#,
                r#"Bearer realm="doraboard""#
            ]
        );
        assert_eq!(
            refused.headers()[header::CONTENT_TYPE],
            "application/json",
            "a JSON error"
        );
        let wrong = status(&app, "GET", "/api/v1/teams", Some("Bearer nope")).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let bearer = status(&app, "GET", "/api/v1/teams", Some("Bearer other")).await;
        assert_eq!(bearer.status(), StatusCode::OK);
        // "cto:r34d"
        let basic = status(&app, "GET", "/api/v1/teams", Some("Basic Y3RvOnIzNGQ=")).await;
        assert_eq!(basic.status(), StatusCode::OK);
        for (method, path) in [
            ("GET", "/healthz"),
            ("POST", "/api/v1/events"),
            ("POST", "/api/v1/webhooks/github"),
        ] {
            let answer = status(&app, method, path, None).await;
            assert_eq!(answer.status(), StatusCode::OK, "{path}");
        }
    }

    #[tokio::test]
    async fn an_open_server_needs_nothing() {
        let answer = status(&app(ReadAccess::Open), "GET", "/api/v1/teams", None).await;
        assert_eq!(answer.status(), StatusCode::OK);
    }

    #[test]
    fn configuration_errors_name_the_key_and_never_the_value() {
        let config = Config::from_toml_str(
            "[api]\nread_token_env = \"DORABOARD_TEST_READ_TOKEN_UNSET\"",
            "test",
        )
        .expect("config");
        let unset = ReadAccess::from_config(&config).expect_err("unset");
        assert!(unset.to_string().contains("api.read_token_env"), "{unset}");
        assert!(matches!(
            ReadAccess::from_config(&Config::default()),
            Ok(ReadAccess::Open)
        ));
        let debug = format!("{:?}", protected());
        assert!(!debug.contains("r34d"), "{debug}");
    }
}
