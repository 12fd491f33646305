//! The routes of the interface contract. Handlers parse their parameters, ask the engine's
//! query layer, and answer JSON; they hold no metric logic of their own.

use crate::error::ApiError;
use crate::params::{BucketParam, PageParams, Path, PeriodParams, PhasesParam, Query, TeamParam};
use crate::server::AppState;
use axum::extract::State;
use axum::{Json, Router};
use engine::config::{ConfigError, Scope};
use engine::metrics::MetricsReport;
use engine::period::{Bucket, Period};
use serde::Serialize;
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Every route; `auth` authorises ingestion and annotation writes.
///
/// Each API route is registered with `routes!`, which takes its path and method from the
/// handler's `#[utoipa::path]`: the router and the OpenAPI document it serves come from this
/// one registration. Only the dashboard's pages and assets are routed outside the document.
pub fn router(
    state: AppState,
    ingestor: collector::ingest::Ingestor,
    auth: crate::ingest::IngestAuth,
) -> Router {
    let (api, document) = OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(teams))
        .routes(routes!(setup))
        .routes(routes!(metrics))
        .routes(routes!(metrics_scopes))
        .routes(routes!(explain))
        .routes(routes!(explain_deployment))
        .routes(routes!(crate::sync_status::sync_status))
        .merge(crate::targets::router())
        .merge(crate::exports::router())
        .merge(crate::prometheus::router())
        .merge(crate::openapi::router())
        .merge(crate::charts::router())
        .merge(crate::report::router())
        .merge(crate::annotations::router(auth.clone()))
        .merge(crate::ingest::router_with(&state, auth, ingestor.clone()))
        .merge(crate::webhooks::router(&state, ingestor))
        .split_for_parts();
    api.merge(crate::dashboard::router())
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(crate::openapi::serving(document))
        .with_state(state)
}

/// The routes that keep their own rules, outside read protection and the answer limits: health
/// (a monitor must always get through), ingestion (its own authentication and write queue) and
/// annotation writes (the ingestion token).
pub(crate) fn keeps_own_rules(method: &axum::http::Method, path: &str) -> bool {
    path == "/healthz"
        || path == "/api/v1/events"
        || path.starts_with("/api/v1/webhooks/")
        || crate::annotations::is_write(method, path)
}

/// Every unknown address answers the API's JSON 404, pointing at the documentation.
async fn no_route(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "no route {method} {}: the API is documented at /api/v1/openapi.json",
        uri.path()
    ))
}

/// A known address asked with the wrong method: JSON 405 (axum adds the `Allow` header).
async fn wrong_method(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "{} does not answer {method}: see /api/v1/openapi.json",
        uri.path()
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    status: &'static str,
    data_version: i64,
    sync: HealthSync,
}

/// The GitHub sync at a glance (in full at `GET /api/v1/sync/status`). A failed sync leaves the
/// server healthy: monitors alert on `ok`, not on the status code.
#[derive(Serialize, utoipa::ToSchema)]
struct HealthSync {
    /// A sync is running in this process now.
    running: bool,
    /// When the last sync (by any process sharing the store) finished; null before the first.
    #[schema(value_type = Option<String>, format = DateTime)]
    finished_at: Option<engine::model::Timestamp>,
    /// Every repository of the last sync synced; null before the first one.
    ok: Option<bool>,
    /// Repositories the last sync covered.
    repositories: Option<usize>,
    /// Of which failed.
    failed: Option<usize>,
}

impl From<crate::sync_status::SyncStatus> for HealthSync {
    fn from(status: crate::sync_status::SyncStatus) -> Self {
        let last = status.last;
        HealthSync {
            running: status.running,
            finished_at: last.as_ref().map(|l| l.finished_at),
            ok: last.as_ref().map(|l| l.ok),
            repositories: last.as_ref().map(|l| l.repositories),
            failed: last.as_ref().map(|l| l.failed),
        }
    }
}

/// Liveness plus a cheap store round trip, and the last sync's outcome.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive; the store answers and has this data version. `sync` tells how the last GitHub sync went (a failed one still answers 200)", body = Health)))]
async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let data_version = state
        .store
        .data_version()
        .await
        .map_err(engine::query::QueryError::from)?;
    Ok(Json(Health {
        status: "ok",
        data_version,
        sync: crate::sync_status::read(&state.store).await?.into(),
    }))
}

/// What is left to set up before there is anything to measure.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Setup {
    /// The steps, in order; empty once teams are configured and data has come in.
    pub steps: Vec<String>,
}

/// First run: what to do before the figures mean anything (the dashboard shows these steps
/// instead of rating an empty organisation).
#[utoipa::path(get, path = "/api/v1/setup", tag = "operations",
    responses((status = 200, description = "The steps left before there is anything to measure; empty when none", body = Setup)))]
async fn setup(State(state): State<AppState>) -> Result<Json<Setup>, ApiError> {
    let steps = engine::query::first_steps(&state.store, &state.config).await?;
    Ok(Json(Setup { steps }))
}

/// One entry of `GET /api/v1/teams`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TeamEntry {
    pub slug: String,
    pub name: String,
    /// "team" or "tribe".
    pub kind: &'static str,
    pub parent: Option<String>,
    pub repos: Vec<String>,
    pub time_zone: String,
}

/// Teams and tribes, tribes first, each in config order.
#[utoipa::path(get, path = "/api/v1/teams", tag = "metrics",
    responses((status = 200, description = "Teams and tribes, tribes first", body = Vec<TeamEntry>)))]
async fn teams(State(state): State<AppState>) -> Result<Json<Vec<TeamEntry>>, ApiError> {
    let config = &state.config;
    let mut out = Vec::new();
    for tribe in &config.tribes {
        let scope = config.scope(Some(&tribe.slug)).map_err(internal)?;
        out.push(TeamEntry {
            slug: tribe.slug.clone(),
            name: tribe.name.clone(),
            kind: "tribe",
            parent: None,
            repos: scope.repos.iter().map(ToString::to_string).collect(),
            time_zone: scope.time_zone.name().to_string(),
        });
    }
    for team in &config.teams {
        out.push(TeamEntry {
            slug: team.slug.clone(),
            name: team.name.clone(),
            kind: "team",
            parent: team.tribe.clone(),
            repos: team.repos.iter().map(ToString::to_string).collect(),
            time_zone: team.time_zone.name().to_string(),
        });
    }
    Ok(Json(out))
}

fn internal(e: ConfigError) -> ApiError {
    ApiError::Internal(e.into())
}

/// Resolves the `team` parameter, answering 400 with the known slugs when it names none.
pub(crate) fn scope(state: &AppState, team: &TeamParam) -> Result<Scope, ApiError> {
    crate::charts::resolve_scope(&state.config, team.team(), "team")
}

/// The five metrics with previous-period figures and tiers.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics",
    params(TeamParam, PeriodParams, BucketParam, PhasesParam),
    responses(
        (status = 200, description = "The five metrics of the scope and period, with the previous period's figures, tiers and (with `bucket`) series", body = MetricsReport),
        (status = 400, description = "An invalid parameter, named", body = crate::error::ErrorBody),
    ))]
async fn metrics(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
    Query(bucket): Query<BucketParam>,
    Query(phases): Query<PhasesParam>,
) -> Result<Json<MetricsReport>, ApiError> {
    let period = dates.period()?;
    let bucket = bucket.bucket(&period)?;
    let question = engine::query::Question {
        period,
        bucket,
        phases_per_bucket: phases.phases_per_bucket(bucket)?,
    };
    let scope = scope(&state, &team)?;
    let report = engine::query::answer_one(&state.store, &state.config, &scope, question).await?;
    Ok(Json(report))
}

/// The reports of several scopes, each exactly as `GET /api/v1/metrics` answers it (same query,
/// same cache), all from one read of the store. Behind `/api/v1/metrics/scopes`,
/// `/api/v1/metrics.csv` and `/metrics`.
pub(crate) async fn reports(
    state: &AppState,
    scopes: &[Scope],
    period: Period,
    bucket: Option<Bucket>,
) -> Result<Vec<MetricsReport>, ApiError> {
    Ok(
        engine::query::metrics_for_scopes(&state.store, &state.config, scopes, period, bucket)
            .await?,
    )
}

/// The answer of `GET /api/v1/metrics/scopes`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScopesReport {
    /// What `GET /api/v1/metrics` answers without `team`.
    pub organisation: MetricsReport,
    /// What `GET /api/v1/metrics?team=SLUG` answers, for every tribe and team in the order of
    /// `GET /api/v1/teams`.
    pub scopes: Vec<MetricsReport>,
}

/// The organisation and every tribe and team in one answer, so the overview makes one request
/// rather than one per scope.
#[utoipa::path(get, path = "/api/v1/metrics/scopes", tag = "metrics",
    params(PeriodParams, BucketParam),
    responses(
        (status = 200, description = "The organisation's report and one per tribe and team (in `/api/v1/teams` order), each exactly what `/api/v1/metrics` answers for that scope and these parameters", body = ScopesReport),
        (status = 400, description = "An invalid parameter, named (`team` is not taken)", body = crate::error::ErrorBody),
    ))]
async fn metrics_scopes(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
    Query(bucket): Query<BucketParam>,
) -> Result<Json<ScopesReport>, ApiError> {
    // Read only to be refused rather than ignored (so not documented): a caller sending it
    // expects a narrower answer than it gets.
    if team.team().is_some() {
        return Err(ApiError::bad(
            "team",
            "not taken here: the answer covers every scope; ask /api/v1/metrics?team=SLUG for one",
        ));
    }
    let period = dates.period()?;
    let bucket = bucket.bucket(&period)?;
    let mut scopes = vec![state.config.scope(None).map_err(internal)?];
    scopes.extend(state.config.scopes());
    let mut scopes = reports(&state, &scopes, period, bucket).await?;
    // One report per scope, in order: the organisation's comes first.
    let organisation = scopes.remove(0);
    Ok(Json(ScopesReport {
        organisation,
        scopes,
    }))
}

/// The rows behind the figures of a scope and period, a page of each list at a time.
#[utoipa::path(get, path = "/api/v1/explain", tag = "metrics",
    params(TeamParam, PeriodParams, PageParams),
    responses(
        (status = 200, description = "The deployments, changes (slowest first), incidents and rollbacks behind the figures: at most `limit` rows of each list from `offset`; `totals` gives each list's full length", body = engine::explain::Explanation),
        (status = 400, description = "An invalid parameter, named", body = crate::error::ErrorBody),
    ))]
async fn explain(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
    Query(paging): Query<PageParams>,
) -> Result<Json<engine::explain::Explanation>, ApiError> {
    let period = dates.period()?;
    let (page, _) = paging.page(crate::params::MAX_EXPLAIN_ROWS)?;
    let scope = scope(&state, &team)?;
    let explained =
        engine::explain::explain(&state.store, &state.config, &scope, period, page).await?;
    Ok(Json(explained))
}

/// One deployment: what it shipped, and every piece of evidence that it failed.
#[utoipa::path(get, path = "/api/v1/explain/deployments/{*key}", tag = "metrics",
    params(("key" = String, Path, description = "The deployment's key, slashes included", example = "acme/shop/deployments/42")),
    responses(
        (status = 200, description = "The deployment, the changes it shipped first, its failure evidence and rework marks", body = Object),
        (status = 404, description = "No deployment with this key", body = crate::error::ErrorBody),
    ))]
async fn explain_deployment(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<engine::store::DeploymentDetail>, ApiError> {
    state
        .store
        .deployment_detail(&key)
        .await
        .map_err(engine::query::QueryError::from)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no deployment with key `{key}`")))
}
