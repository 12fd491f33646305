//! `GET /metrics`: the Prometheus text exposition format (version 0.0.4).
//!
//! Two kinds of series:
//! - the five DORA metrics of the organisation, every tribe and every team, as gauges over a
//!   rolling window of the **last 30 days** (the 30 whole UTC days up to and including today, the
//!   same as `GET /api/v1/metrics?from=<today-29>&to=<tomorrow>`), labelled `team` (the slug;
//!   empty for the organisation) and `kind` (`organisation`, `tribe` or `team`). A figure with
//!   nothing to measure (no incidents, so no restore time) is left out rather than written as NaN,
//!   the Prometheus convention for "no value". Tiers and KPI targets are gauges too, so a
//!   dashboard can colour them and an alert can fire on a missed target; so is each metric's
//!   trend against the 30 days before (1 better, 0 about the same, -1 worse); so are the DORA
//!   Quick Check scores (0-10) and the benchmark's mean they are compared with;
//! - the service's own counters, as the store holds them (every process adds to the same ones,
//!   see `collector::telemetry`): sync runs, requests to GitHub, the rate-limit budget left,
//!   webhook deliveries, ingested events.
//!
//! Every family has its `# HELP` and `# TYPE` lines; label values are escaped (`\\`, `\"`, `\n`).

use crate::error::ApiError;
use crate::server::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{Duration, Utc};
use engine::config::Scope;
use engine::metric_key::MetricKey;
use engine::metrics::MetricsReport;
use engine::period::Period;
use engine::present::Trend;
use engine::store::{Counter, ServiceCounters};
use std::fmt::Write as _;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// The rolling window of the DORA gauges, in days.
pub const WINDOW_DAYS: i64 = 30;

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The window the gauges cover: the last [`WINDOW_DAYS`] whole days, today included.
pub fn window(today: chrono::NaiveDate) -> Period {
    let to = today + Duration::days(1);
    Period {
        from: to - Duration::days(WINDOW_DAYS),
        to,
    }
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The samples of one family: labels and value.
type Samples<'a> = Vec<(Vec<(&'a str, String)>, f64)>;

/// A text exposition under construction.
#[derive(Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// Writes a family: its header once, then its finite samples.
    fn family(&mut self, name: &str, kind: &str, help: &str, samples: Samples<'_>) {
        let _ = writeln!(self.text, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            if !value.is_finite() {
                continue;
            }
            self.text.push_str(name);
            if !labels.is_empty() {
                let inner: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                    .collect();
                let _ = write!(self.text, "{{{}}}", inner.join(","));
            }
            let _ = writeln!(self.text, " {value}");
        }
    }

    /// A family without labels and one sample.
    fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help, vec![(Vec::new(), value)]);
    }

    pub fn finish(self) -> String {
        self.text
    }
}

/// A gauge over every scope's report: `value` picks the figure (None: no sample).
struct Gauge {
    name: &'static str,
    help: &'static str,
    value: fn(&MetricsReport) -> Option<f64>,
}

const GAUGES: &[Gauge] = &[
    Gauge {
        name: "doraboard_deployments",
        help: "Successful production deployments in the last 30 days.",
        value: |r| Some(r.deployment_frequency.deployments as f64),
    },
    Gauge {
        name: "doraboard_deployments_per_week",
        help: "Deployment frequency: successful production deployments per week over the last 30 days.",
        value: |r| Some(r.deployment_frequency.per_week),
    },
    Gauge {
        name: "doraboard_failed_deployment_attempts",
        help: "Deployment attempts that did not reach production in the last 30 days (not counted as deployments).",
        value: |r| Some(r.deployment_frequency.failed_attempts as f64),
    },
    Gauge {
        name: "doraboard_lead_time_changes",
        help: "Changes first deployed in the last 30 days (the lead time sample).",
        value: |r| Some(r.lead_time.changes as f64),
    },
    Gauge {
        name: "doraboard_lead_time_median_seconds",
        help: "Lead time for changes: median seconds from first commit to production, last 30 days.",
        value: |r| r.lead_time.median_seconds.map(|s| s as f64),
    },
    Gauge {
        name: "doraboard_lead_time_p90_seconds",
        help: "Lead time for changes: 90th percentile in seconds, last 30 days.",
        value: |r| r.lead_time.p90_seconds.map(|s| s as f64),
    },
    Gauge {
        name: "doraboard_failed_deployments",
        help: "Deployments in the last 30 days that caused a failure (incident, rollback, revert or hotfix).",
        value: |r| Some(r.change_failure_rate.failed as f64),
    },
    Gauge {
        name: "doraboard_change_failure_rate",
        help: "Change failure rate: failed deployments / deployments (0..1), last 30 days.",
        value: |r| r.change_failure_rate.rate,
    },
    Gauge {
        name: "doraboard_time_to_restore_median_seconds",
        help: "Time to restore service: median seconds from failure to recovery (incidents and rollbacks), last 30 days.",
        value: |r| r.time_to_restore.median_seconds.map(|s| s as f64),
    },
    Gauge {
        name: "doraboard_time_to_restore_samples",
        help: "Resolved incidents and rollbacks behind the time to restore, last 30 days.",
        value: |r| Some((r.time_to_restore.incidents + r.time_to_restore.rollbacks) as f64),
    },
    Gauge {
        name: "doraboard_open_incidents",
        help: "Incidents opened in the last 30 days and not resolved yet.",
        value: |r| Some(r.time_to_restore.open_incidents as f64),
    },
    Gauge {
        name: "doraboard_rework_rate",
        help: "Rework rate (DORA 2024): unplanned deployments (revert, hotfix, rollback) / deployments (0..1), last 30 days.",
        value: |r| r.rework_rate.rate,
    },
];

/// The tier (elite 1, high 2, medium 3, low 4) of each rated metric.
fn tiers(r: &MetricsReport) -> [(MetricKey, Option<engine::tiers::Tier>); 4] {
    [
        (MetricKey::DeploymentFrequency, r.deployment_frequency.tier),
        (MetricKey::LeadTime, r.lead_time.tier),
        (MetricKey::ChangeFailureRate, r.change_failure_rate.tier),
        (MetricKey::TimeToRestore, r.time_to_restore.tier),
    ]
}

/// The trend of each metric: the same `trend` the JSON answer carries.
fn trends(r: &MetricsReport) -> [(MetricKey, Option<Trend>); 5] {
    [
        (MetricKey::DeploymentFrequency, r.deployment_frequency.trend),
        (MetricKey::LeadTime, r.lead_time.trend),
        (MetricKey::ChangeFailureRate, r.change_failure_rate.trend),
        (MetricKey::TimeToRestore, r.time_to_restore.trend),
        (MetricKey::ReworkRate, r.rework_rate.trend),
    ]
}

/// A trend as a number an alert can compare: better 1, the same 0, worse -1.
fn trend_number(t: Trend) -> f64 {
    match t {
        Trend::Better => 1.0,
        Trend::Same => 0.0,
        Trend::Worse => -1.0,
    }
}

fn tier_number(t: engine::tiers::Tier) -> f64 {
    match t {
        engine::tiers::Tier::Elite => 1.0,
        engine::tiers::Tier::High => 2.0,
        engine::tiers::Tier::Medium => 3.0,
        engine::tiers::Tier::Low => 4.0,
    }
}

/// Renders the DORA gauges of `reports` (each with its scope) and the service counters.
pub fn render(
    reports: &[(Scope, MetricsReport)],
    counters: &ServiceCounters,
    data_version: i64,
) -> String {
    let mut out = Exposition::default();
    let scope_labels = |s: &Scope| -> Vec<(&'static str, String)> {
        vec![
            ("team", s.slug.clone().unwrap_or_default()),
            ("kind", s.kind.as_str().to_string()),
        ]
    };
    out.single(
        "doraboard_window_seconds",
        "gauge",
        "Length of the rolling window the DORA gauges cover (the last 30 days).",
        (WINDOW_DAYS * 86_400) as f64,
    );
    for gauge in GAUGES {
        let samples = reports
            .iter()
            .filter_map(|(s, r)| (gauge.value)(r).map(|v| (scope_labels(s), v)))
            .collect();
        out.family(gauge.name, "gauge", gauge.help, samples);
    }
    let mut tier_samples = Vec::new();
    for (s, r) in reports {
        for (metric, tier) in tiers(r) {
            if let Some(tier) = tier {
                let mut labels = scope_labels(s);
                labels.push(("metric", metric.to_string()));
                labels.push(("tier", tier.as_str().to_string()));
                tier_samples.push((labels, tier_number(tier)));
            }
        }
    }
    out.family(
        "doraboard_tier",
        "gauge",
        "DORA performance tier of a metric over the last 30 days: 1 elite, 2 high, 3 medium, 4 low (also in the tier label).",
        tier_samples,
        );
    let mut trend_samples = Vec::new();
    for (s, r) in reports {
        for (metric, trend) in trends(r) {
            if let Some(trend) = trend {
                let mut labels = scope_labels(s);
                labels.push(("metric", metric.to_string()));
                labels.push(("trend", trend.as_str().to_string()));
                trend_samples.push((labels, trend_number(trend)));
            }
        }
    }
    out.family(
        "doraboard_trend",
        "gauge",
        "How a metric moved against the 30 days before, judged by what is good for it (the trend of GET /api/v1/metrics, rule in docs/metrics.md): 1 better, 0 about the same, -1 worse (also in the trend label); absent without earlier data.",
        trend_samples,
    );
    let (mut scores, mut benchmarks) = (Vec::new(), Vec::new());
    for (s, r) in reports {
        let b = &r.dora_score.benchmark;
        let mut benchmark = scope_labels(s);
        benchmark.push(("benchmark", b.id.clone()));
        benchmark.push(("edition", b.edition.to_string()));
        for (name, score) in r.dora_score.named() {
            if let Some(score) = score {
                let mut labels = benchmark.clone();
                labels.push(("score", name.to_string()));
                scores.push((labels, score));
            }
        }
        benchmark.push(("name", b.name.clone()));
        benchmarks.push((benchmark, b.overall.mean));
    }
    out.family(
        "doraboard_dora_score",
        "gauge",
        "DORA Quick Check score (0-10, 10 best) over the last 30 days: overall, throughput, stability or one metric (score label); absent when not scored (no data or a small sample).",
        scores,
    );
    out.family(
        "doraboard_dora_score_benchmark",
        "gauge",
        "Mean overall Quick Check score of the benchmark the scores are compared with (DORA, dora.dev Quick Check benchmarks, CC BY 4.0).",
        benchmarks,
    );
    let (mut targets, mut met) = (Vec::new(), Vec::new());
    for (s, r) in reports {
        for t in crate::targets::standing(&s.targets, r) {
            let mut labels = scope_labels(s);
            labels.push(("metric", t.metric.to_string()));
            targets.push((labels.clone(), t.target));
            match t.status {
                crate::targets::Status::Met => met.push((labels, 1.0)),
                crate::targets::Status::Missed => met.push((labels, 0.0)),
                crate::targets::Status::NoData => {}
            }
        }
    }
    out.family(
        "doraboard_kpi_target",
        "gauge",
        "A team's KPI target, in the unit of the matching gauge (per week, seconds, or ratio).",
        targets,
    );
    out.family(
        "doraboard_kpi_target_met",
        "gauge",
        "1 when the team meets its KPI target over the last 30 days, 0 when it misses it (absent: nothing measured).",
        met,
        );
    render_telemetry(&mut out, counters, data_version);
    out.finish()
}

/// The service's counters as stored by every process (see `collector::telemetry`).
fn render_telemetry(out: &mut Exposition, counters: &ServiceCounters, data_version: i64) {
    for counter in Counter::ALL {
        let (name, help) = match counter {
            Counter::SyncRuns => (
                "doraboard_sync_runs_total",
                "Completed sync runs (scheduled or doraboard collect).",
            ),
            Counter::SyncFailures => (
                "doraboard_sync_failures_total",
                "Sync runs in which at least one repository failed.",
            ),
            Counter::GithubRequests => (
                "doraboard_github_requests_total",
                "HTTP requests sent to GitHub, conditional ones included.",
            ),
            Counter::GithubNotModified => (
                "doraboard_github_not_modified_total",
                "GitHub requests answered 304 Not Modified (free of rate limit).",
            ),
            Counter::WebhookDeliveries => (
                "doraboard_webhook_deliveries_total",
                "Webhook deliveries accepted and stored.",
            ),
            Counter::WebhookRejected => (
                "doraboard_webhook_rejected_total",
                "Webhook deliveries refused (bad signature, malformed, too large).",
            ),
            Counter::EventsIngested => (
                "doraboard_events_ingested_total",
                "Generic events ingested through POST /api/v1/events or doraboard import.",
            ),
        };
        out.single(name, "counter", help, counters.get(counter) as f64);
    }
    out.family(
        "doraboard_github_rate_limit_remaining",
        "gauge",
        "The last x-ratelimit-remaining GitHub reported (absent until one is seen).",
        counters
            .gauge(engine::store::Gauge::GithubRateLimitRemaining)
            .map(|remaining| (Vec::new(), remaining as f64))
            .into_iter()
            .collect(),
    );
    out.single(
        "doraboard_data_version",
        "gauge",
        "The store's data version: grows whenever ingestion changes the data.",
        data_version as f64,
    );
}

/// The Prometheus scrape.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "prometheus_metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4: the five metrics of the organisation, every tribe and every team over the last 30 days as gauges, plus the service's counters", content_type = "text/plain", body = String),
    )
)]
pub async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let period = window(Utc::now().date_naive());
    let mut scopes = vec![
        state
            .config
            .scope(None)
            .map_err(engine::query::QueryError::from)?,
    ];
    scopes.extend(state.config.scopes());
    // One read for every scope, and cached answers while their repositories are unchanged.
    let reports = crate::routes::reports(&state, &scopes, period, None).await?;
    let reports: Vec<(Scope, MetricsReport)> = scopes.into_iter().zip(reports).collect();
    let data_version = state
        .store
        .data_version()
        .await
        .map_err(engine::query::QueryError::from)?;
    let counters = state
        .store
        .service_counters()
        .await
        .map_err(engine::query::QueryError::from)?;
    Ok((
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        render(&reports, &counters, data_version),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("two\nlines"), "two\\nlines");
    }

    #[test]
    fn the_window_is_thirty_whole_days_ending_today() {
        let today = Period::parse_date("2026-03-31").expect("date");
        let w = window(today);
        assert_eq!(w.days(), 30);
        assert_eq!(w.to.to_string(), "2026-04-01");
    }

    #[test]
    fn a_family_without_value_keeps_its_header_and_no_sample() {
        let mut out = Exposition::default();
        out.family(
            "x",
            "gauge",
            "help",
            vec![(vec![("team", "a".into())], f64::NAN)],
        );
        assert_eq!(out.finish(), "# HELP x help\n# TYPE x gauge\n");
    }
}
