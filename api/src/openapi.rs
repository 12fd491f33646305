//! The OpenAPI 3.1 document of the HTTP API, generated from the code with utoipa and served at
//! `GET /api/v1/openapi.json`.
//!
//! Handlers carry `#[utoipa::path]`; the response bodies derive `ToSchema` where they are
//! defined (the engine's report types, this crate's own). A route added to the router must be
//! listed in [`ApiDoc`] too: `tests/it/exports_api.rs` asks the server for every route of the
//! interface contract and fails when one that answers is missing from the document.

use crate::error::{ErrorBody, ErrorDetail};
use crate::server::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::{IntoParams, OpenApi};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}

/// The query parameters shared by the metrics-like routes: `team`, then [`PeriodQuery`].
pub struct MetricsQuery;

impl IntoParams for MetricsQuery {
    fn into_params(
        parameter_in: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        let mut params = TeamQuery::into_params(&parameter_in);
        params.extend(PeriodQuery::into_params(&parameter_in));
        params
    }
}

/// `team`, apart so that routes covering every scope can leave it out.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "read only by the derived IntoParams, for the document"
)]
pub struct TeamQuery {
    /// A team or tribe slug; omitted: the whole organisation.
    team: Option<String>,
}

/// The period and bucket parameters of the metrics-like routes.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "read only by the derived IntoParams, for the document"
)]
pub struct PeriodQuery {
    /// First day of the period (ISO 8601 date, inclusive), in the scope's time zone. Default: 90
    /// days before `to`.
    #[param(format = Date, example = "2026-08-01")]
    from: Option<String>,
    /// The day after the period (exclusive). Default: tomorrow (UTC).
    #[param(format = Date, example = "2026-11-01")]
    to: Option<String>,
    /// Series bucket: `day`, `week` (ISO, Monday first), `month` or `quarter`; omitted: no series.
    #[param(example = "week")]
    bucket: Option<String>,
}

/// The lead-time series' per-bucket phases, which only `GET /api/v1/metrics` offers.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "read only by the derived IntoParams, for the document"
)]
pub struct PhasesQuery {
    /// `true`: each bucket of `lead_time.series` carries its `breakdown` (coding, pickup, review,
    /// deploy), as the lead-time breakdown chart draws it; needs `bucket`. Default `false`: four
    /// more order statistics per bucket, computed only when asked.
    #[param(example = true)]
    phases_per_bucket: Option<bool>,
}

/// Paging of the lists behind the figures (`/api/v1/explain` and its CSV exports).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "read only by the derived IntoParams, for the document"
)]
pub struct PageQuery {
    /// Rows of each list: 1 to 10,000 for `/api/v1/explain` (default 10,000), 1 to 100,000 for
    /// a CSV export (default: the whole list, refused with a 400 when it is longer than that).
    limit: Option<u32>,
    /// Rows skipped first, for the next page. Default 0.
    offset: Option<u32>,
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
        charts,
        report,
        events,
        pagerduty_webhook,
        github_webhook,
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

// ---- routes served by other modules, documented here ---------------------------------------------
// These functions only carry the documentation of a route whose handler lives in a module that
// does not depend on utoipa; they are never called.

/// A chart of the metrics, as SVG (for the web and the report) or PNG (for slides).
#[utoipa::path(
    get,
    path = "/api/v1/charts/{file}",
    tag = "charts",
    params(
        ("file" = String, Path, description = "`{chart}.svg` or `{chart}.png`; `{chart}` is a metrics JSON key (`deployment_frequency`, `lead_time`, `change_failure_rate`, `time_to_restore`, `rework_rate`), `lead_time_breakdown` or `lead_time_distribution`", example = "lead_time.svg"),
        MetricsQuery,
        ("compare" = Option<String>, Query, description = "More teams or tribes on the same chart, comma-separated", example = "checkout,payments"),
        ("width" = Option<u32>, Query, description = "Width in pixels (PNG; SVG scales)"),
        ("height" = Option<u32>, Query, description = "Height in pixels"),
    ),
    responses(
        (status = 200, description = "The chart; carries an ETag and answers 304 to If-None-Match", content_type = "image/svg+xml", body = String),
        (status = 304, description = "Not modified"),
        (status = 400, description = "An invalid parameter, named", body = ErrorBody),
        (status = 404, description = "No such chart", body = ErrorBody),
    )
)]
#[expect(dead_code, reason = "only its #[utoipa::path] documents the route")]
fn charts() {}

/// The executive report: one printable page (HTML) for the organisation, or a team or tribe.
#[utoipa::path(
    get,
    path = "/api/v1/report",
    tag = "report",
    params(
        ("team" = Option<String>, Query, description = "A team or tribe slug; omitted: the whole organisation"),
        ("from" = Option<String>, Query, format = Date, description = "First day of the period (inclusive)"),
        ("to" = Option<String>, Query, format = Date, description = "The day after the period (exclusive)"),
    ),
    responses(
        (status = 200, description = "The report as a printable HTML page", content_type = "text/html", body = String),
        (status = 400, description = "An invalid parameter, named", body = ErrorBody),
    )
)]
#[expect(dead_code, reason = "only its #[utoipa::path] documents the route")]
fn report() {}

/// Generic events (change, deployment, incident) from CI or incident tools: one JSON object, or
/// NDJSON with one per line. Idempotent on each event's `id`. Also one CDEvent (CloudEvents JSON,
/// structured mode), idempotent on its `context.id`.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    tag = "ingestion",
    request_body(content = String, description = "One event as JSON, or NDJSON (one event per line)", content_type = "application/x-ndjson"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every event is stored (re-sent ones change nothing): `received`, `duplicates`, `stored` (by kind), and `warnings`, one `{repo, message}` per repository of the events that no team owns (stored, but in no team's figures)", body = Object),
        (status = 202, description = "A CDEvent of a type doraboard does not use: `{\"status\": \"ignored\", \"type\": ...}`, stored nowhere", body = Object),
        (status = 400, description = "An event is invalid: the line and field are named, nothing is stored", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token"),
        (status = 503, description = "Ingestion is disabled: no token is configured"),
    )
)]
#[expect(dead_code, reason = "only its #[utoipa::path] documents the route")]
fn events() {}

/// PagerDuty V3 webhooks (incidents), signed with `X-PagerDuty-Signature`; idempotent.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/pagerduty",
    tag = "ingestion",
    request_body(content = Object, description = "A PagerDuty V3 webhook payload", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, or recognised as a redelivery"),
        (status = 401, description = "Bad or missing signature"),
        (status = 503, description = "PagerDuty webhooks are disabled: no signing secret is configured"),
    )
)]
#[expect(dead_code, reason = "only its #[utoipa::path] documents the route")]
fn pagerduty_webhook() {}

/// GitHub webhooks, signed with `X-Hub-Signature-256`; idempotent on `X-GitHub-Delivery`.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/github",
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
#[expect(dead_code, reason = "only its #[utoipa::path] documents the route")]
fn github_webhook() {}

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
