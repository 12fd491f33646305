//! doraboard's HTTP side: the JSON API under `/api/v1`, health and the dashboard.
//!
//! - [`routes`]: the router, one handler per route of the interface contract;
//! - [`error`]: the API's errors, which to use where, and the one body they all answer;
//! - [`etag`]: the ETags, `304`s and cache headers of the dashboard, charts and report;
//! - [`params`]: query parameters parsed into validated types before they reach the engine;
//! - [`server`]: binding, request tracing and graceful shutdown;
//! - [`access`]: optional read protection by token (`[api] read_token_env`);
//! - [`tokens`]: access tokens as configured (clear or digests), compared in constant time;
//! - [`limits`]: how many answers are computed at once, and for how long, before a 503;
//! - [`dashboard`]: the web page at `/` and its embedded assets from `web/`;
//! - [`targets`]: each team's standing against its KPI targets;
//! - [`exports`]: CSV downloads of every table;
//! - [`prometheus`]: `GET /metrics` in the Prometheus text format;
//! - [`sync_status`]: `GET /api/v1/sync/status`, the last GitHub sync as the store recorded it;
//! - [`annotations`]: `/api/v1/annotations`, the dated notes drawn on the charts;
//! - [`ingest`]: `POST /api/v1/events` and `POST /api/v1/webhooks/pagerduty` (push ingestion);
//! - [`webhooks`]: `POST /api/v1/webhooks/github`, normalized like the GitHub poller;
//! - [`openapi`]: the OpenAPI document at `/api/v1/openapi.json`;
//! - [`charts`]: the metrics as SVG and PNG charts (one renderer for web, report and slides);
//! - [`report`]: the executive report, as a printable HTML page and a PNG slide;
//! - [`digest`]: the report's summary sent to chat webhooks and by email, on a schedule.

pub mod access;
pub mod annotations;
pub mod charts;
pub mod dashboard;
pub mod digest;
pub mod error;
pub mod etag;
pub mod exports;
pub mod ingest;
pub mod limits;
pub mod openapi;
pub mod params;
pub mod prometheus;
pub mod report;
pub mod routes;
pub mod server;
pub mod sync_status;
pub mod targets;
pub mod tokens;
pub mod webhooks;

pub use server::{AppState, serve};
