//! CSV exports of every table the dashboard shows, for spreadsheets and slides. Same parameters
//! as the JSON routes (`team`, `from`, `to`, `bucket`); quoting and escaping by the `csv` crate.
//!
//! | route | one row per |
//! |---|---|
//! | `/api/v1/metrics.csv` | scope: the one asked for, then its tribes and teams (organisation: every tribe and team; tribe: its teams); with `bucket`: bucket of the scope asked for |
//! | `/api/v1/targets.csv` | team and target |
//! | `/api/v1/explain/changes.csv` | change first shipped in the period, slowest first |
//! | `/api/v1/explain/deployments.csv` | deployment attempt, oldest first, with failure evidence |
//! | `/api/v1/explain/incidents.csv` | incident opened in the period |
//!
//! The three `explain` exports carry the whole list, up to 100,000 rows: a longer one is refused
//! (400 naming `limit`) unless paged with `limit` and `offset`; `X-Total-Count` gives the list's
//! length.
//!
//! Durations are decimal hours (two decimals), rates are ratios 0..1 (four decimals), times are
//! RFC 3339 in UTC; an empty cell means "nothing measured". The first row is always the header,
//! so an empty period still answers a well-formed file.

use crate::error::ApiError;
use crate::params::MAX_CSV_ROWS;
use crate::params::{BucketParam, PageParams, PeriodParams, Query, TeamParam};
use crate::server::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use engine::config::{Scope, ScopeKind};
use engine::duration::{self, Style};
use engine::explain::{ExplainTotals, Explanation};
use engine::metrics::MetricsReport;
use engine::model::Timestamp;
use engine::period::Period;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(metrics_csv))
        .routes(routes!(targets_csv))
        .routes(routes!(changes_csv))
        .routes(routes!(deployments_csv))
        .routes(routes!(incidents_csv))
}

/// The header of `/api/v1/metrics.csv`, in both of its shapes.
pub const METRICS_HEADER: &[&str] = &[
    "team",
    "name",
    "kind",
    "from",
    "to",
    "measured_to",
    "partial",
    "deployments",
    "deployments_per_week",
    "failed_attempts",
    "lead_time_changes",
    "lead_time_median_hours",
    "lead_time_p90_hours",
    "failed_deployments",
    "change_failure_rate",
    "restore_samples",
    "time_to_restore_median_hours",
    "rework_deployments",
    "rework_rate",
    "deployment_frequency_tier",
    "lead_time_tier",
    "change_failure_rate_tier",
    "time_to_restore_tier",
    "dora_score_overall",
    "dora_score_throughput",
    "dora_score_stability",
    "dora_score_deployment_frequency",
    "dora_score_lead_time",
    "dora_score_change_failure_rate",
    "dora_score_time_to_restore",
    "dora_score_rework_rate",
    "benchmark",
    "benchmark_overall_mean",
    "benchmark_standing_sd",
];

/// The columns of the DORA Quick Check scores, after the tiers: the scores (two decimals, empty
/// when not scored), the benchmark's id and overall mean, and the scope's standing against it in
/// standard deviations. Rated per period only, like the tiers.
fn score_cells(r: &MetricsReport) -> Vec<String> {
    let two = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.2}"));
    let s = &r.dora_score;
    let b = &s.benchmark;
    let mut cells: Vec<String> = s.named().iter().map(|(_, v)| two(*v)).collect();
    cells.push(format!("{} {}", b.id, b.edition));
    cells.push(two(Some(b.overall.mean)));
    cells.push(two(b.standing.as_ref().and_then(|st| st.overall)));
    cells
}

/// A CSV body as a download named after what it holds; a page of a longer list says how long
/// the list is (`X-Total-Count`).
pub struct CsvFile {
    name: String,
    body: Vec<u8>,
    total: Option<usize>,
}

impl IntoResponse for CsvFile {
    fn into_response(self) -> Response {
        let mut response = self.body.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", self.name)) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
        if let Some(total) = self.total {
            headers.insert("x-total-count", HeaderValue::from(total));
        }
        response
    }
}

/// `doraboard-{what}-{scope}-{from}-{to}.csv`, with only safe characters.
fn file_name(what: &str, scope: &Scope, period: Period) -> String {
    let slug = scope.slug.as_deref().unwrap_or("organisation");
    let safe: String = slug
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("doraboard-{what}-{safe}-{}-{}.csv", period.from, period.to)
}

/// Writes rows of plain strings; the csv crate quotes what needs quoting.
struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    fn new(header: &[&str]) -> Result<Self, ApiError> {
        let mut table = Self {
            writer: csv::Writer::from_writer(Vec::new()),
        };
        table.row(header.iter().map(|s| s.to_string()).collect())?;
        Ok(table)
    }

    fn row(&mut self, cells: Vec<String>) -> Result<(), ApiError> {
        self.writer.write_record(&cells).map_err(csv_error)
    }

    fn finish(self) -> Result<Vec<u8>, ApiError> {
        self.writer
            .into_inner()
            .map_err(|e| csv_error(csv::Error::from(e.into_error())))
    }
}

fn csv_error(e: csv::Error) -> ApiError {
    ApiError::Internal(engine::query::QueryError::Config(
        engine::config::ConfigError::Invalid {
            origin: "CSV export".into(),
            key: String::new(),
            message: e.to_string(),
        },
    ))
}

/// A `..._hours` cell: the duration in hours, empty without one.
fn hours(seconds: Option<i64>) -> String {
    seconds.map_or_else(String::new, |s| duration::format(s as f64, Style::Hours))
}

fn ratio(r: Option<f64>) -> String {
    r.map_or_else(String::new, |r| format!("{r:.4}"))
}

fn time(t: Option<Timestamp>) -> String {
    t.map_or_else(String::new, |t| {
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    })
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// The row of one scope's report.
fn scope_row(r: &MetricsReport) -> Vec<String> {
    let tier = |t: Option<engine::tiers::Tier>| opt(t.map(|t| t.as_str()));
    vec![
        r.team.clone().unwrap_or_default(),
        r.name.clone(),
        r.kind.clone(),
        r.from.to_string(),
        r.to.to_string(),
        r.measured_to.to_string(),
        String::new(),
        r.deployment_frequency.deployments.to_string(),
        format!("{:.2}", r.deployment_frequency.per_week),
        r.deployment_frequency.failed_attempts.to_string(),
        r.lead_time.changes.to_string(),
        hours(r.lead_time.median_seconds),
        hours(r.lead_time.p90_seconds),
        r.change_failure_rate.failed.to_string(),
        ratio(r.change_failure_rate.rate),
        (r.time_to_restore.incidents + r.time_to_restore.rollbacks).to_string(),
        hours(r.time_to_restore.median_seconds),
        r.rework_rate.rework.to_string(),
        ratio(r.rework_rate.rate),
        tier(r.deployment_frequency.tier),
        tier(r.lead_time.tier),
        tier(r.change_failure_rate.tier),
        tier(r.time_to_restore.tier),
    ]
    .into_iter()
    .chain(score_cells(r))
    .collect()
}

/// One row per bucket of a report computed with a bucket (tiers and scores are rated per period
/// only: their cells stay empty).
fn bucket_rows(r: &MetricsReport) -> Vec<Vec<String>> {
    let team = r.team.clone().unwrap_or_default();
    let df = &r.deployment_frequency.series;
    (0..df.len())
        .map(|i| {
            let lt = r.lead_time.series.get(i);
            let cfr = r.change_failure_rate.series.get(i);
            let ttr = r.time_to_restore.series.get(i);
            let rw = r.rework_rate.series.get(i);
            let mut row = vec![
                team.clone(),
                r.name.clone(),
                r.kind.clone(),
                df[i].start.to_string(),
                df[i].end.to_string(),
                df[i].end.to_string(),
                df[i].partial.to_string(),
                df[i].deployments.to_string(),
                format!("{:.2}", df[i].per_week),
                String::new(),
                opt(lt.map(|p| p.changes)),
                hours(lt.and_then(|p| p.median_seconds)),
                hours(lt.and_then(|p| p.p90_seconds)),
                opt(cfr.map(|p| p.count)),
                ratio(cfr.and_then(|p| p.rate)),
                opt(ttr.map(|p| p.samples)),
                hours(ttr.and_then(|p| p.median_seconds)),
                opt(rw.map(|p| p.count)),
                ratio(rw.and_then(|p| p.rate)),
            ];
            // The tiers' and scores' cells.
            row.resize(METRICS_HEADER.len(), String::new());
            row
        })
        .collect()
}

/// The scopes a metrics export without bucket lists: the one asked for, then those under it.
fn scopes_under(state: &AppState, scope: &Scope) -> Vec<Scope> {
    let mut out = vec![scope.clone()];
    match scope.kind {
        ScopeKind::Organisation => out.extend(state.config.scopes()),
        ScopeKind::Tribe => out.extend(crate::targets::team_scopes(state, scope)),
        ScopeKind::Team => {}
    }
    out
}

/// The five metrics as CSV: one row per scope, or per bucket with `bucket`.
#[utoipa::path(
    get,
    path = "/api/v1/metrics.csv",
    tag = "exports",
    params(TeamParam, PeriodParams, BucketParam),
    responses(
        (status = 200, description = "Without `bucket`: one row per scope (the one asked for, then its tribes and teams). With `bucket`: one row per bucket. Durations in hours, rates 0..1.", content_type = "text/csv", body = String),
        (status = 400, description = "An invalid parameter, named", body = crate::error::ErrorBody),
    )
)]
pub async fn metrics_csv(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
    Query(bucket): Query<BucketParam>,
) -> Result<CsvFile, ApiError> {
    let period = dates.period()?;
    let bucket = bucket.bucket(&period)?;
    let scope = crate::routes::scope(&state, &team)?;
    let mut table = Table::new(METRICS_HEADER)?;
    if bucket.is_some() {
        let report =
            engine::query::metrics_for_scope(&state.store, &state.config, &scope, period, bucket)
                .await?;
        for row in bucket_rows(&report) {
            table.row(row)?;
        }
    } else {
        for report in
            crate::routes::reports(&state, &scopes_under(&state, &scope), period, None).await?
        {
            table.row(scope_row(&report))?;
        }
    }
    Ok(CsvFile {
        name: file_name("metrics", &scope, period),
        body: table.finish()?,
        total: None,
    })
}

/// Each team's standing against its KPI targets, one row per team and target.
#[utoipa::path(
    get,
    path = "/api/v1/targets.csv",
    tag = "exports",
    params(TeamParam, PeriodParams, BucketParam),
    responses(
        (status = 200, description = "One row per team and target; durations in hours, rates 0..1", content_type = "text/csv", body = String),
        (status = 400, description = "An invalid parameter, named", body = crate::error::ErrorBody),
    )
)]
pub async fn targets_csv(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
    Query(bucket): Query<BucketParam>,
) -> Result<CsvFile, ApiError> {
    let period = dates.period()?;
    let bucket = bucket.bucket(&period)?;
    let scope = crate::routes::scope(&state, &team)?;
    let mut table = Table::new(&[
        "team",
        "name",
        "tribe",
        "metric",
        "direction",
        "unit",
        "target",
        "value",
        "status",
        "previous_value",
        "previous_status",
        "buckets_measured",
        "buckets_met",
    ])?;
    let number = |unit: &str, v: f64| match unit {
        "seconds" => duration::format(v, Style::Hours),
        "ratio" => format!("{v:.4}"),
        _ => format!("{v:.2}"),
    };
    let status = |s: crate::targets::Status| match s {
        crate::targets::Status::Met => "met",
        crate::targets::Status::Missed => "missed",
        crate::targets::Status::NoData => "no_data",
    };
    for team in crate::targets::team_scopes(&state, &scope) {
        let report =
            engine::query::metrics_for_scope(&state.store, &state.config, &team, period, bucket)
                .await?;
        let standing = crate::targets::team_standing(&team, &report);
        for t in &standing.targets {
            let unit = if t.unit == "seconds" { "hours" } else { t.unit };
            table.row(vec![
                standing.team.clone(),
                standing.name.clone(),
                standing.tribe.clone().unwrap_or_default(),
                t.metric.to_string(),
                match t.direction {
                    crate::targets::Direction::AtMost => "at_most".into(),
                    crate::targets::Direction::AtLeast => "at_least".into(),
                },
                unit.to_string(),
                number(t.unit, t.target),
                t.value.map_or_else(String::new, |v| number(t.unit, v)),
                status(t.status).to_string(),
                t.previous_value
                    .map_or_else(String::new, |v| number(t.unit, v)),
                status(t.previous_status).to_string(),
                opt(t.buckets_measured),
                opt(t.buckets_met),
            ])?;
        }
    }
    Ok(CsvFile {
        name: file_name("targets", &scope, period),
        body: table.finish()?,
        total: None,
    })
}

/// The explanation behind an export: the page `limit` and `offset` ask for, or, without
/// `limit`, the whole list `rows` picks, refused (400) when longer than [`MAX_CSV_ROWS`] rather
/// than cut silently.
async fn explanation(
    state: &AppState,
    team: &TeamParam,
    dates: &PeriodParams,
    paging: &PageParams,
    what: &str,
    rows: fn(&ExplainTotals) -> usize,
) -> Result<(Scope, Period, Explanation), ApiError> {
    let period = dates.period()?;
    let (page, paged) = paging.page(MAX_CSV_ROWS)?;
    let scope = crate::routes::scope(state, team)?;
    let explained =
        engine::explain::explain(&state.store, &state.config, &scope, period, page).await?;
    let total = rows(&explained.totals);
    if !paged && total > MAX_CSV_ROWS {
        return Err(ApiError::bad(
            "limit",
            format!(
                "the period holds {total} {what}, more than the {MAX_CSV_ROWS} rows one export \
                 carries: ask for a shorter period or one team, or page with `limit` and `offset`"
            ),
        ));
    }
    Ok((scope, period, explained))
}

/// The changes first shipped in the period, slowest first, with their phases.
#[utoipa::path(
    get,
    path = "/api/v1/explain/changes.csv",
    tag = "exports",
    params(TeamParam, PeriodParams, PageParams),
    responses(
        (status = 200, description = "One row per change first shipped in the period, slowest first; `excluded` names the noise filter that left it out of lead time", content_type = "text/csv", body = String),
        (status = 400, description = "An invalid parameter, named", body = crate::error::ErrorBody),
    )
)]
pub async fn changes_csv(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
    Query(paging): Query<PageParams>,
) -> Result<CsvFile, ApiError> {
    let (scope, period, explained) =
        explanation(&state, &team, &dates, &paging, "changes", |t| t.changes).await?;
    let host = crate::dashboard::code_host_url(&state.config.github.api_url);
    let mut table = Table::new(&[
        "key",
        "repo",
        "number",
        "url",
        "title",
        "author",
        "bot",
        "excluded",
        "first_commit_at",
        "opened_at",
        "first_review_at",
        "merged_at",
        "deployed_at",
        "deployment",
        "lead_time_hours",
        "coding_hours",
        "pickup_hours",
        "review_hours",
        "deploy_hours",
    ])?;
    for c in &explained.changes {
        let f = &c.fact;
        let repo = f.repo.to_string();
        table.row(vec![
            f.key.clone(),
            repo.clone(),
            opt(f.number),
            crate::dashboard::change_url(&host, &repo, f.number).unwrap_or_default(),
            f.title.clone(),
            f.author.clone(),
            f.bot.to_string(),
            c.excluded.unwrap_or_default().to_string(),
            time(Some(f.first_commit_at)),
            time(f.opened_at),
            time(f.first_review_at),
            time(Some(f.merged_at)),
            time(Some(f.deployed_at)),
            f.deployment.clone(),
            hours(Some(c.lead_time_seconds)),
            hours(c.coding_seconds),
            hours(c.pickup_seconds),
            hours(c.review_seconds),
            hours(Some(c.deploy_seconds)),
        ])?;
    }
    Ok(CsvFile {
        name: file_name("changes", &scope, period),
        body: table.finish()?,
        total: Some(explained.totals.changes),
    })
}

/// Every deployment attempt of the period, oldest first, with why it counts as failed.
#[utoipa::path(
    get,
    path = "/api/v1/explain/deployments.csv",
    tag = "exports",
    params(TeamParam, PeriodParams, PageParams),
    responses(
        (status = 200, description = "One row per deployment attempt, oldest first; `failure_kinds` and `failure_reasons` give the evidence of a failed deployment, joined by ` | `", content_type = "text/csv", body = String),
        (status = 400, description = "An invalid parameter, named", body = crate::error::ErrorBody),
    )
)]
pub async fn deployments_csv(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
    Query(paging): Query<PageParams>,
) -> Result<CsvFile, ApiError> {
    let (scope, period, explained) =
        explanation(&state, &team, &dates, &paging, "deployments", |t| {
            t.deployments
        })
        .await?;
    let mut table = Table::new(&[
        "key",
        "repo",
        "environment",
        "sha",
        "finished_at",
        "status",
        "failed",
        "rework",
        "failure_kinds",
        "failure_reasons",
        "rework_reasons",
    ])?;
    for d in &explained.deployments {
        let f = &d.fact;
        let kinds: Vec<&str> = d.failures.iter().map(|l| l.kind.as_str()).collect();
        let reasons: Vec<&str> = d.failures.iter().map(|l| l.reason.as_str()).collect();
        table.row(vec![
            f.key.clone(),
            f.repo.to_string(),
            f.environment.clone(),
            f.sha.clone(),
            time(Some(f.finished_at)),
            f.status.as_str().to_string(),
            f.failed.to_string(),
            f.rework.to_string(),
            kinds.join(" | "),
            reasons.join(" | "),
            d.rework_reasons.join(" | "),
        ])?;
    }
    Ok(CsvFile {
        name: file_name("deployments", &scope, period),
        body: table.finish()?,
        total: Some(explained.totals.deployments),
    })
}

/// The incidents opened in the period, with their duration and the deployment they are blamed on.
#[utoipa::path(
    get,
    path = "/api/v1/explain/incidents.csv",
    tag = "exports",
    params(TeamParam, PeriodParams, PageParams),
    responses(
        (status = 200, description = "One row per incident opened in the period; `duration_hours` is empty while it is open", content_type = "text/csv", body = String),
        (status = 400, description = "An invalid parameter, named", body = crate::error::ErrorBody),
    )
)]
pub async fn incidents_csv(
    State(state): State<AppState>,
    Query(team): Query<TeamParam>,
    Query(dates): Query<PeriodParams>,
    Query(paging): Query<PageParams>,
) -> Result<CsvFile, ApiError> {
    let (scope, period, explained) =
        explanation(&state, &team, &dates, &paging, "incidents", |t| t.incidents).await?;
    let mut table = Table::new(&[
        "key",
        "repo",
        "team",
        "title",
        "opened_at",
        "resolved_at",
        "state",
        "duration_hours",
        "deployment",
        "reason",
    ])?;
    for link in &explained.incidents {
        let i = &link.incident;
        let duration = i
            .resolved_at
            .map(|r| (r - i.opened_at).num_seconds().max(0));
        table.row(vec![
            i.key.clone(),
            opt(i.repo.as_ref()),
            i.team.clone().unwrap_or_default(),
            i.title.clone(),
            time(Some(i.opened_at)),
            time(i.resolved_at),
            if i.resolved_at.is_some() {
                "resolved"
            } else {
                "open"
            }
            .to_string(),
            hours(duration),
            link.deployment.clone().unwrap_or_default(),
            link.reason.clone().unwrap_or_default(),
        ])?;
    }
    Ok(CsvFile {
        name: file_name("incidents", &scope, period),
        body: table.finish()?,
        total: Some(explained.totals.incidents),
    })
}
