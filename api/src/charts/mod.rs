//! Charts of the metrics, as SVG for the web page and the report and as PNG for slides:
//! `GET /api/v1/charts/{chart}.svg` and `.png`.
//!
//! - [`model`]: what a chart says (title, caption, categories, series, tier bands), no pixels;
//! - [`build`]: metrics and explanations into charts, pure;
//! - [`render`]: one plotters renderer for SVG, PNG and regions of the slide;
//! - [`format`](mod@format): numbers and dates as people say them, shared with the report;
//! - [`markers`]: the annotations a chart shows, and where their lines fall;
//! - [`font`]: the bundled font, so text renders without system fonts.
//!
//! The handler here parses the parameters (those of `/api/v1/metrics`, plus `compare`, `width`
//! and `height`), answers `304 Not Modified` when the client's ETag still holds (the ETag hashes
//! the parameters, the store's data version, the configuration that shapes the figures and the
//! annotations drawn), and otherwise computes, draws (on a blocking thread), marks the
//! annotations ([`markers`]) and answers.

pub mod build;
pub mod font;
pub mod format;
pub mod markers;
pub mod model;
pub mod render;

pub use model::{Chart, ChartKind, Marker, MetricGroup, MetricKey};

use crate::error::ApiError;
use crate::etag;
use crate::params::{BucketParam, Path, PeriodParams, Query};
use crate::server::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::config::{Config, Scope};
use engine::explain::Page;
use engine::period::{Bucket, Period};
use engine::query::QueryError;
use engine::store::Store;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Size of a chart when the request gives none.
pub const DEFAULT_SIZE: (u32, u32) = (960, 540);
/// Smallest and largest sizes a request may ask for, in pixels.
pub const MIN_SIZE: (u32, u32) = (320, 200);
pub const MAX_SIZE: (u32, u32) = (3840, 2160);
/// At most this many teams or tribes on one chart (the palette has seven distinct colours).
pub const MAX_SCOPES: usize = 6;
/// Changes whenever the drawing changes, so ETags of old pictures stop matching.
const RENDER_VERSION: &str = "charts-1";

/// The chart routes, merged into the API's router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(chart))
}

/// The query parameters of a chart: those of `/api/v1/metrics` (the bucket defaulting to a
/// week), plus what to compare and the size.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChartParams {
    /// A team or tribe slug; omitted (and no `compare`): the whole organisation.
    #[param(example = "checkout")]
    pub team: Option<String>,
    /// First day of the period (ISO 8601 date, inclusive), in the scope's time zone. Default: 90
    /// days before `to`.
    #[param(format = Date, example = "2026-08-01")]
    pub from: Option<String>,
    /// The day after the period (exclusive). Default: tomorrow (UTC).
    #[param(format = Date, example = "2026-11-01")]
    pub to: Option<String>,
    /// Series bucket: `day`, `week` (the default for charts), `month` or `quarter`.
    #[param(example = "month")]
    pub bucket: Option<String>,
    /// More teams or tribes on the same chart, comma-separated.
    #[param(example = "checkout,payments")]
    pub compare: Option<String>,
    /// Width in pixels, 320 to 3840 (default 960; an SVG scales).
    #[param(value_type = Option<u32>)]
    pub width: Option<String>,
    /// Height in pixels, 200 to 2160 (default 540).
    #[param(value_type = Option<u32>)]
    pub height: Option<String>,
}

/// The two picture formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml; charset=utf-8",
            Format::Png => "image/png",
        }
    }
}

/// A chart request, validated.
#[derive(Debug, Clone)]
pub struct ChartRequest {
    pub kind: ChartKind,
    /// The scopes drawn, in legend order (at least one).
    pub scopes: Vec<Scope>,
    pub period: Period,
    pub bucket: Bucket,
}

/// What a chart handler can fail with: an API error, or a drawing that failed (a 500).
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Render(#[from] render::RenderError),
}

impl From<QueryError> for ChartError {
    fn from(e: QueryError) -> Self {
        ChartError::Api(ApiError::Internal(e))
    }
}

impl IntoResponse for ChartError {
    fn into_response(self) -> Response {
        match self {
            ChartError::Api(e) => e.into_response(),
            ChartError::Render(e) => {
                tracing::error!(error = %e, "chart rendering failed");
                crate::error::internal_error()
            }
        }
    }
}

/// `chart.svg` -> the chart and its format; anything else is a 404 that lists the charts.
pub fn parse_file(file: &str) -> Result<(ChartKind, Format), ApiError> {
    let not_found = || {
        let names: Vec<&str> = ChartKind::all()
            .into_iter()
            .map(ChartKind::as_str)
            .collect();
        ApiError::NotFound(format!(
            "no chart `{file}`; charts are {} as .svg or .png",
            names.join(", ")
        ))
    };
    let (name, ext) = file.rsplit_once('.').ok_or_else(not_found)?;
    let format = match ext {
        "svg" => Format::Svg,
        "png" => Format::Png,
        _ => return Err(not_found()),
    };
    let kind = name.parse().map_err(|()| not_found())?;
    Ok((kind, format))
}

/// Resolves one slug to a scope, answering 400 naming `parameter` with the known slugs.
pub fn resolve_scope(
    config: &Config,
    slug: Option<&str>,
    parameter: &'static str,
) -> Result<Scope, ApiError> {
    config.scope(slug).map_err(|_| {
        let known: Vec<&str> = config
            .tribes
            .iter()
            .map(|t| t.slug.as_str())
            .chain(config.teams.iter().map(|t| t.slug.as_str()))
            .collect();
        ApiError::bad(
            parameter,
            format!(
                "`{}` is not a team or tribe; known: {}",
                slug.unwrap_or_default(),
                known.join(", ")
            ),
        )
    })
}

fn size(
    value: Option<&str>,
    parameter: &'static str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ApiError> {
    let Some(text) = value.filter(|v| !v.is_empty()) else {
        return Ok(default);
    };
    let bad = || {
        ApiError::bad(
            parameter,
            format!(
                "`{text}` is not a size: expected a whole number of pixels from {min} to {max}"
            ),
        )
    };
    let n: u32 = text.parse().map_err(|_| bad())?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(bad())
    }
}

impl ChartParams {
    /// The slug of `team`, if one is given.
    fn team(&self) -> Option<&str> {
        self.team.as_deref().filter(|t| !t.is_empty())
    }

    /// Width and height in pixels, within [`MIN_SIZE`] and [`MAX_SIZE`].
    pub fn size(&self) -> Result<(u32, u32), ApiError> {
        Ok((
            size(
                self.width.as_deref(),
                "width",
                DEFAULT_SIZE.0,
                MIN_SIZE.0,
                MAX_SIZE.0,
            )?,
            size(
                self.height.as_deref(),
                "height",
                DEFAULT_SIZE.1,
                MIN_SIZE.1,
                MAX_SIZE.1,
            )?,
        ))
    }

    /// Validates everything but the size into a [`ChartRequest`].
    pub fn request(&self, config: &Config, kind: ChartKind) -> Result<ChartRequest, ApiError> {
        let period = PeriodParams {
            from: self.from.clone(),
            to: self.to.clone(),
        }
        .period()?;
        let bucket = BucketParam {
            bucket: self.bucket.clone(),
        }
        .bucket(&period)?
        .unwrap_or(Bucket::Week);
        let mut scopes = Vec::new();
        let compare: Vec<&str> = self
            .compare
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if self.team().is_some() || compare.is_empty() {
            scopes.push(resolve_scope(config, self.team(), "team")?);
        }
        for slug in compare {
            let scope = resolve_scope(config, Some(slug), "compare")?;
            if !scopes.iter().any(|s| s.slug == scope.slug) {
                scopes.push(scope);
            }
        }
        if scopes.len() > 1 && !matches!(kind, ChartKind::Metric(_)) {
            return Err(ApiError::bad(
                "compare",
                format!(
                    "{} draws one team or tribe; compare works on the five metric charts",
                    kind.as_str()
                ),
            ));
        }
        if scopes.len() > MAX_SCOPES {
            return Err(ApiError::bad(
                "compare",
                format!("at most {MAX_SCOPES} teams or tribes fit on one chart"),
            ));
        }
        Ok(ChartRequest {
            kind,
            scopes,
            period,
            bucket,
        })
    }
}

/// Builds the chart a request asks for from the store.
pub async fn chart_for(
    store: &Store,
    config: &Config,
    request: &ChartRequest,
) -> Result<Chart, QueryError> {
    let ChartRequest {
        kind,
        scopes,
        period,
        bucket,
    } = request;
    let first = &scopes[0];
    match kind {
        ChartKind::Metric(metric) => {
            let mut reports = Vec::with_capacity(scopes.len());
            for scope in scopes {
                reports.push(
                    engine::query::metrics_for_scope(store, config, scope, *period, Some(*bucket))
                        .await?,
                );
            }
            // One scope: its previous period, in this period's buckets by position.
            let previous = match reports.as_slice() {
                [only] => only.previous_report(),
                _ => None,
            };
            Ok(build::metric_chart(&build::MetricChartInput {
                metric: *metric,
                reports: &reports,
                previous: previous.as_ref(),
                bands: config.metrics.bands(),
                small_sample: config.metrics.small_sample,
                bucket: *bucket,
            }))
        }
        ChartKind::LeadTimeBreakdown => {
            let question = engine::query::Question {
                phases_per_bucket: true,
                ..engine::query::Question::figures(*period, Some(*bucket))
            };
            let report = engine::query::answer_one(store, config, first, question).await?;
            Ok(build::breakdown_chart(&report, *bucket))
        }
        ChartKind::LeadTimeDistribution => {
            let explained =
                engine::explain::explain(store, config, first, *period, Page::ALL).await?;
            Ok(build::distribution_chart(&explained, first.time_zone))
        }
    }
}

/// What of the configuration shapes figures and pictures (never its secrets' names or the
/// database URL): teams, tribes, tiers, filters, the environment measured.
pub fn config_fingerprint(config: &Config) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        config.teams,
        config.tribes,
        config.metrics,
        config.filters,
        config.deployments.environment,
        config.incidents.attribution_window
    )
}

/// A chart of the metrics, as SVG (for the web and the report) or PNG (for slides).
#[utoipa::path(
    get,
    path = "/api/v1/charts/{file}",
    operation_id = "charts",
    tag = "charts",
    params(
        ("file" = String, Path, description = "`{chart}.svg` or `{chart}.png`; `{chart}` is a metrics JSON key (`deployment_frequency`, `lead_time`, `change_failure_rate`, `time_to_restore`, `rework_rate`), `lead_time_breakdown` or `lead_time_distribution`", example = "lead_time.svg"),
        ChartParams,
    ),
    responses(
        (status = 200, description = "The chart; carries an ETag and answers 304 to If-None-Match", content_type = "image/svg+xml", body = String),
        (status = 304, description = "Not modified"),
        (status = 400, description = "An invalid parameter, named", body = crate::error::ErrorBody),
        (status = 404, description = "No such chart", body = crate::error::ErrorBody),
    )
)]
async fn chart(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(params): Query<ChartParams>,
    headers: HeaderMap,
) -> Result<Response, ChartError> {
    let (kind, format) = parse_file(&file)?;
    let request = params.request(&state.config, kind)?;
    let (width, height) = params.size()?;
    let version = state.store.data_version().await.map_err(QueryError::from)?;
    let annotations = markers::for_scopes_of(
        &state.store,
        &state.config,
        &request.scopes,
        &request.period,
    )
    .await?;
    let slugs: Vec<String> = request
        .scopes
        .iter()
        .map(|s| s.slug.clone().unwrap_or_default())
        .collect();
    let tag = etag::of(&[
        RENDER_VERSION,
        env!("CARGO_PKG_VERSION"),
        &version.to_string(),
        &file,
        &slugs.join(","),
        &request.period.from.to_string(),
        &request.period.to.to_string(),
        request.bucket.as_str(),
        &format!("{width}x{height}"),
        &config_fingerprint(&state.config),
        &markers::fingerprint(&annotations),
    ]);
    let cache = etag::cache_headers(&tag, etag::REUSE_FOR_A_MINUTE);
    if etag::not_modified(&headers, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let mut chart = chart_for(&state.store, &state.config, &request).await?;
    markers::annotate(&mut chart, &annotations, &request.period, request.bucket);
    let body = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, render::RenderError> {
        match format {
            Format::Svg => render::svg(&chart, width, height).map(String::into_bytes),
            Format::Png => render::png(&chart, width, height),
        }
    })
    .await
    .map_err(|e| ChartError::Render(render::RenderError::from_join(e)))??;
    let mut response = (StatusCode::OK, cache, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    Ok(response)
}
