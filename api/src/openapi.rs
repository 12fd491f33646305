//! The OpenAPI 3.1 document of the HTTP API, generated from the code with utoipa and served at
//! `GET /api/v1/openapi.json`.
//!
//! Handlers carry `#[utoipa::path]`; the response bodies derive `ToSchema` where they are
//! defined (the engine's report types, this crate's own). A route added to the router must be
//! listed in [`ApiDoc`] too: `tests/it/exports_api.rs` asks the server for every route of the
//! interface contract and fails when one that answers is missing from the document.

use crate::server::AppState;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}

/// Every error answers this shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The query parameter at fault (400 only).
    pub parameter: Option<String>,
    pub message: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "doraboard",
        description = "DORA metrics for engineering leaders: deployment frequency, lead time for changes, change failure rate, time to restore service and rework rate, per team, tribe and organisation, with the rows behind every figure.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        crate::routes::healthz,
        crate::sync_status::sync_status,
        crate::routes::teams,
        crate::routes::setup,
        crate::routes::metrics,
        crate::routes::metrics_scopes,
        crate::routes::explain,
        crate::routes::explain_deployment,
        crate::targets::targets,
        crate::annotations::create,
        crate::annotations::list,
        crate::annotations::remove,
        crate::exports::metrics_csv,
        crate::exports::targets_csv,
        crate::exports::changes_csv,
        crate::exports::deployments_csv,
        crate::exports::incidents_csv,
        crate::prometheus::metrics,
        openapi_json,
        crate::charts::chart,
        crate::report::report,
        crate::ingest::post_events,
        crate::ingest::post_pagerduty,
        crate::webhooks::post_github,
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

/// The document, built once per call (cheap: no I/O).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = Object))
)]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_builds_and_names_the_metrics_schema() {
        let json = serde_json::to_value(document()).expect("serializes");
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

    #[test]
    fn the_metrics_schema_documents_the_dora_score() {
        let json = serde_json::to_value(document()).expect("serializes");
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

    #[test]
    fn healthz_documents_the_sync_outcome() {
        let json = serde_json::to_value(document()).expect("serializes");
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
