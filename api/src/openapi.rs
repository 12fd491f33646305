//! The OpenAPI 3.1 document of the HTTP API, generated from the code with utoipa and served at
//! `GET /api/v1/openapi.json`.
//!
//! Handlers carry `#[utoipa::path]`, their query parameter structs derive `IntoParams` and the
//! response bodies `ToSchema` where they are defined (the engine's report types, this crate's
//! own). The router registers each route with utoipa-axum's `routes!`, which collects the
//! document from those very handlers (see `crate::routes::router`); [`ApiDoc`] adds what no
//! handler says: the title, the tags and the security scheme.

use crate::error::{ErrorBody, ErrorDetail};
use crate::server::AppState;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "doraboard",
        description = "DORA metrics for engineering leaders: deployment frequency, lead time for changes, change failure rate, time to restore service and rework rate, per team, tribe and organisation, with the rows behind every figure.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerScheme),
    tags(
        (name = "charts", description = "The metrics as SVG and PNG charts"),
        (name = "metrics", description = "The five DORA metrics, targets and the rows behind them"),
        (name = "exports", description = "CSV downloads of every table"),
        (name = "report", description = "The executive report"),
        (name = "annotations", description = "Dated notes drawn on the charts and listed in the report"),
        (name = "ingestion", description = "Events and webhooks pushed by other tools"),
        (name = "operations", description = "Health and monitoring"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme the ingestion routes' `security` names (the ingestion token), so
/// the requirement refers to a defined scheme as OpenAPI asks.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
    }
}

/// The document the router collected, as `GET /api/v1/openapi.json` serves it.
#[derive(Clone)]
pub(crate) struct Document(Arc<utoipa::openapi::OpenApi>);

/// The layer handing the router's `document` to [`openapi_json`], with this build's version and
/// axum's catch-all parameters (`{*key}`) written as OpenAPI path parameters (`{key}`).
pub(crate) fn serving(mut document: utoipa::openapi::OpenApi) -> Extension<Document> {
    document.info.version = env!("CARGO_PKG_VERSION").to_string();
    document.paths.paths = std::mem::take(&mut document.paths.paths)
        .into_iter()
        .map(|(path, item)| (path.replace("{*", "{"), item))
        .collect();
    Extension(Document(Arc::new(document)))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = Object))
)]
async fn openapi_json(Extension(document): Extension<Document>) -> Response {
    Json(document.0.as_ref()).into_response()
}

#[cfg(test)]
pub(crate) mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use serde_json::Value;
    use std::sync::Arc;
    use tower::ServiceExt;

    /// The application's router over an empty store and configuration.
    async fn app() -> Router {
        let store = engine::store::Store::connect("sqlite::memory:")
            .await
            .expect("store");
        let config = engine::config::Config::from_toml_str("", "test.toml").expect("config");
        let ingestor = collector::ingest::Ingestor::new(store.clone(), &config);
        let state = crate::server::AppState {
            store,
            config: Arc::new(config),
            read_access: crate::access::ReadAccess::Open,
        };
        crate::routes::router(state, ingestor, crate::ingest::IngestAuth::new(None, None))
    }

    /// What `router` answers `method path`: the status and the body.
    async fn ask(router: &Router, method: Method, path: &str) -> (StatusCode, String) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .expect("request");
        let response = router.clone().oneshot(request).await.expect("answer");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// The document the router serves.
    pub(crate) async fn served() -> Value {
        let (status, body) = ask(&app().await, Method::GET, "/api/v1/openapi.json").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_str(&body).expect("json")
    }

    /// Every operation of the document is a route the router answers with its handler, not
    /// with the fallback's "no route" 404 or the 405 of a method it does not route.
    #[tokio::test]
    async fn every_documented_operation_is_routed() {
        let router = app().await;
        let json = served().await;
        let paths = json["paths"].as_object().expect("paths");
        let mut operations = 0;
        for (path, item) in paths {
            // Each path parameter filled in, as a client would (a catch-all takes slashes).
            let concrete = path
                .replace("{key}", "acme/shop/deployments/1")
                .replace("{file}", "lead_time.svg")
                .replace("{id}", "1");
            assert!(!concrete.contains('{'), "{path}: a parameter left unfilled");
            for method in item.as_object().expect("path item").keys() {
                let method: Method = method.to_uppercase().parse().expect("method");
                let (status, body) = ask(&router, method.clone(), &concrete).await;
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path}: {body}"
                );
                assert!(!body.contains("no route"), "{method} {path}: {body}");
                operations += 1;
            }
        }
        // The 24 operations of this writing: a document that lost routes fails here too.
        assert!(operations >= 24, "only {operations} operations documented");
    }

    #[tokio::test]
    async fn the_document_builds_and_names_the_metrics_schema() {
        let json = served().await;
        assert!(json["paths"]["/api/v1/metrics"]["get"].is_object());
        assert!(json["components"]["schemas"]["MetricsReport"].is_object());
        let names = |path: &str| -> Vec<String> {
            json["paths"][path]["get"]["parameters"]
                .as_array()
                .expect("parameters")
                .iter()
                .map(|p| p["name"].as_str().expect("name").to_string())
                .collect()
        };
        assert_eq!(
            names("/api/v1/metrics"),
            ["team", "from", "to", "bucket", "phases_per_bucket"]
        );
        assert_eq!(names("/api/v1/metrics/scopes"), ["from", "to", "bucket"]);
        assert!(json["components"]["schemas"]["ScopesReport"].is_object());
    }

    #[tokio::test]
    async fn the_metrics_schema_documents_the_dora_score() {
        let json = served().await;
        let schemas = &json["components"]["schemas"];
        assert!(schemas["MetricsReport"]["properties"]["dora_score"].is_object());
        let score = &schemas["DoraScore"]["properties"];
        for field in [
            "overall",
            "throughput",
            "stability",
            "lead_time",
            "benchmark",
        ] {
            assert!(score[field].is_object(), "DoraScore.{field}: {score}");
        }
        let benchmark = &schemas["Benchmark"]["properties"];
        for field in ["name", "edition", "overall", "standing"] {
            assert!(
                benchmark[field].is_object(),
                "Benchmark.{field}: {benchmark}"
            );
        }
    }

    #[tokio::test]
    async fn healthz_documents_the_sync_outcome() {
        let json = served().await;
        let schemas = &json["components"]["schemas"];
        let health = &schemas["Health"]["properties"];
        for field in ["status", "data_version", "sync"] {
            assert!(health[field].is_object(), "Health.{field}: {health}");
        }
        let sync = &schemas["HealthSync"]["properties"];
        for field in ["running", "finished_at", "ok", "repositories", "failed"] {
            assert!(sync[field].is_object(), "HealthSync.{field}: {sync}");
        }
        assert!(json["paths"]["/api/v1/sync/status"]["get"].is_object());
        let status = &schemas["SyncStatus"]["properties"];
        for field in ["running", "started_at", "last"] {
            assert!(status[field].is_object(), "SyncStatus.{field}: {status}");
        }
        let last = &schemas["SyncSummary"]["properties"];
        for field in [
            "started_at",
            "finished_at",
            "ok",
            "repositories",
            "failed",
            "records",
            "requests",
            "not_modified",
            "failures",
        ] {
            assert!(last[field].is_object(), "SyncSummary.{field}: {last}");
        }
    }
}
