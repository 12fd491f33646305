//! The executive report: one printable page for a CTO to put in front of the executive team,
//! and a 1920x1080 slide with the same headline.
//!
//! - [`Report`] and [`build`]: every figure the page shows, gathered once from the engine (the
//!   same `metrics_for_scope` the metrics API answers with, so the two never disagree);
//! - [`narrative`]: the sentences, the biggest improvement and risk, the caveats;
//! - [`score`]: the DORA Quick Check score beside its benchmark;
//! - [`html`]: the page (`GET /api/v1/report`, `doraboard report --out FILE.html`);
//! - [`slide`]: the PNG slide (`doraboard report --out FILE.png`), drawn with the chart renderer.
//!
//! What is on the page and how the sentences are chosen: `docs/report.md`.

pub mod html;
pub mod narrative;
pub mod score;
pub mod slide;

use crate::charts::build::{MetricChartInput, metric_chart};
use crate::charts::{self, Chart, ChartError, MetricKey};
use crate::error::ApiError;
use crate::etag;
use crate::params::{PeriodParams, Query, TeamParam};
use crate::server::AppState;
use crate::targets::TeamStanding;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::config::{Config, Scope, ScopeKind};
use engine::metrics::MetricsReport;
use engine::period::{Bucket, Period};
use engine::query::{QueryError, metrics_for_scope};
use engine::store::Store;
use narrative::Highlight;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The four keys drawn as small trend charts on the page, in DORA's grouped order (rework rate
/// is in the figures).
pub const TREND_CHARTS: [MetricKey; 4] = [
    MetricKey::LeadTime,
    MetricKey::DeploymentFrequency,
    MetricKey::TimeToRestore,
    MetricKey::ChangeFailureRate,
];

/// At most this many sentences about individual teams beyond the highlights.
const TEAM_SENTENCES: usize = 4;

/// A tribe with its teams, as the table shows them.
#[derive(Debug, Clone)]
pub struct Group {
    /// None for the teams that belong to no tribe.
    pub tribe: Option<MetricsReport>,
    pub teams: Vec<MetricsReport>,
}

/// Everything on the report, computed; [`html::render`] and [`slide::render`] only lay it out.
#[derive(Debug, Clone)]
pub struct Report {
    /// The headline scope's figures (with its series, cut in [`Report::bucket`]).
    pub headline: MetricsReport,
    pub kind: ScopeKind,
    pub period: Period,
    pub bucket: Bucket,
    /// Tribes and their teams inside the scope (empty for a team's report).
    pub groups: Vec<Group>,
    /// Small trend charts of [`TREND_CHARTS`].
    pub charts: Vec<Chart>,
    /// What the headline figures say, one sentence each.
    pub sentences: Vec<String>,
    /// Sentences about the teams whose figures moved most.
    pub team_sentences: Vec<String>,
    pub improvement: Option<Highlight>,
    pub risk: Option<Highlight>,
    /// KPI targets of the teams in scope that set some.
    pub targets: Vec<TeamStanding>,
    pub caveats: Vec<String>,
    /// The tier table in force ("2024", ...).
    pub tiers: String,
    pub small_sample: usize,
    /// The annotations of the period the scope shows ([`engine::annotations`]), by date: listed
    /// on the page and drawn on its charts.
    pub annotations: Vec<engine::annotations::Annotation>,
}

impl Report {
    /// Every team report in the scope, in table order.
    pub fn teams(&self) -> Vec<&MetricsReport> {
        self.groups.iter().flat_map(|g| &g.teams).collect()
    }

    /// "Organisation", "Commerce tribe", "Checkout team".
    pub fn scope_title(&self) -> String {
        match self.kind {
            ScopeKind::Organisation => "Organisation".into(),
            ScopeKind::Tribe => format!("{} tribe", self.headline.name),
            ScopeKind::Team => format!("{} team", self.headline.name),
        }
    }

    /// The period before the part measured, of equal length: what every trend compares with.
    pub fn previous_period(&self) -> Period {
        self.headline.measured().previous()
    }
}

/// The bucket the trend charts use for a period: days for a month or less, weeks up to about
/// half a year, months beyond.
pub fn bucket_for(period: &Period) -> Bucket {
    match period.days() {
        0..=31 => Bucket::Day,
        32..=190 => Bucket::Week,
        _ => Bucket::Month,
    }
}

/// Computes the report of `scope` for `period`.
pub async fn build(
    store: &Store,
    config: &Config,
    scope: &Scope,
    period: Period,
) -> Result<Report, QueryError> {
    let bucket = bucket_for(&period);
    let headline = metrics_for_scope(store, config, scope, period, Some(bucket)).await?;
    // The previous period's series sits in this period's buckets, by position.
    let previous = headline.previous_report();

    // Tribes and teams inside the scope.
    let mut groups = Vec::new();
    let teams_in = |tribe: Option<&str>| -> Vec<Scope> {
        config
            .teams
            .iter()
            .filter(|t| t.tribe.as_deref() == tribe)
            .filter(|t| scope.teams.contains(&t.slug))
            .filter_map(|t| config.scope(Some(&t.slug)).ok())
            .collect()
    };
    if scope.kind != ScopeKind::Team {
        let tribes: Vec<Option<&str>> = config
            .tribes
            .iter()
            .filter(|t| {
                scope.kind == ScopeKind::Organisation || scope.slug.as_deref() == Some(&t.slug)
            })
            .map(|t| Some(t.slug.as_str()))
            .chain((scope.kind == ScopeKind::Organisation).then_some(None))
            .collect();
        for tribe in tribes {
            let members = teams_in(tribe);
            if members.is_empty() && tribe.is_none() {
                continue;
            }
            let tribe_report = match tribe {
                Some(slug) => {
                    let s = config.scope(Some(slug)).map_err(QueryError::from)?;
                    Some(metrics_for_scope(store, config, &s, period, None).await?)
                }
                None => None,
            };
            let mut teams = Vec::with_capacity(members.len());
            for member in &members {
                teams.push(metrics_for_scope(store, config, member, period, None).await?);
            }
            groups.push(Group {
                tribe: tribe_report,
                teams,
            });
        }
    }

    // Small trend charts, annotated.
    let bands = config.metrics.bands();
    let annotations =
        engine::annotations::for_scopes(store, config, &[scope], period.from, period.to).await?;
    let charts = TREND_CHARTS
        .iter()
        .map(|&metric| {
            let mut chart = metric_chart(&MetricChartInput {
                metric,
                reports: std::slice::from_ref(&headline),
                previous: previous.as_ref(),
                bands,
                small_sample: config.metrics.small_sample,
                bucket,
            });
            charts::markers::annotate(&mut chart, &annotations, &period, bucket);
            chart
        })
        .collect();

    // Words.
    let sentences = narrative::headline_sentences(&headline, &period);
    let team_reports: Vec<&MetricsReport> = groups.iter().flat_map(|g| &g.teams).collect();
    let candidates: Vec<&MetricsReport> = if team_reports.is_empty() {
        vec![&headline]
    } else {
        team_reports.clone()
    };
    let (improvement, risk) = narrative::highlights(&candidates, &period);
    let team_sentences = if team_reports.is_empty() {
        Vec::new()
    } else {
        narrative::notable_changes(&team_reports, &period, TEAM_SENTENCES + 2)
            .into_iter()
            .filter(|h| Some(h) != improvement.as_ref() && Some(h) != risk.as_ref())
            .take(TEAM_SENTENCES)
            .map(|h| h.sentence)
            .collect()
    };

    // Targets: the teams in scope that set some.
    let mut targets = Vec::new();
    let team_scopes: Vec<Scope> = match scope.kind {
        ScopeKind::Team => vec![scope.clone()],
        _ => config
            .teams
            .iter()
            .filter(|t| scope.teams.contains(&t.slug))
            .filter_map(|t| config.scope(Some(&t.slug)).ok())
            .collect(),
    };
    for team_scope in &team_scopes {
        let report = if scope.kind == ScopeKind::Team {
            Some(&headline)
        } else {
            team_reports
                .iter()
                .copied()
                .find(|r| r.team == team_scope.slug)
        };
        if let Some(report) = report {
            let standing = crate::targets::team_standing(team_scope, report);
            if !standing.targets.is_empty() {
                targets.push(standing);
            }
        }
    }

    let caveats = narrative::caveats(&headline, config.metrics.small_sample);
    Ok(Report {
        tiers: headline.tiers.clone(),
        kind: scope.kind,
        period,
        bucket,
        groups,
        charts,
        sentences,
        team_sentences,
        improvement,
        risk,
        targets,
        caveats,
        small_sample: config.metrics.small_sample,
        annotations,
        headline,
    })
}

/// The report routes, merged into the API's router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report))
}

/// The executive report: one printable page (HTML) for the organisation, or a team or tribe.
#[utoipa::path(
    get,
    path = "/api/v1/report",
    tag = "report",
    params(TeamParam, PeriodParams),
    responses(
        (status = 200, description = "The report as a printable HTML page; carries an ETag and answers 304 to If-None-Match", content_type = "text/html", body = String),
        (status = 304, description = "Not modified"),
        (status = 400, description = "An invalid parameter, named", body = crate::error::ErrorBody),
    )
)]
async fn report(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
    headers: HeaderMap,
) -> Result<Response, ChartError> {
    let period = dates.period()?;
    let scope = charts::resolve_scope(&state.config, team.team(), "team")?;
    let version = state.store.data_version().await.map_err(QueryError::from)?;
    let annotations = charts::markers::for_scopes_of(
        &state.store,
        &state.config,
        std::slice::from_ref(&scope),
        &period,
    )
    .await?;
    let tag = etag::of(&[
        "report-1",
        env!("CARGO_PKG_VERSION"),
        &version.to_string(),
        scope.slug.as_deref().unwrap_or_default(),
        &period.from.to_string(),
        &period.to.to_string(),
        &charts::config_fingerprint(&state.config),
        &charts::markers::fingerprint(&annotations),
    ]);
    let cache = etag::cache_headers(&tag, etag::REUSE_FOR_A_MINUTE);
    if etag::not_modified(&headers, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let report = build(&state.store, &state.config, &scope, period)
        .await
        .map_err(ApiError::from)?;
    let page = tokio::task::spawn_blocking(move || html::render(&report))
        .await
        .map_err(|e| ChartError::Render(charts::render::RenderError::from_join(e)))??;
    let mut response = (StatusCode::OK, cache, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(response)
}
