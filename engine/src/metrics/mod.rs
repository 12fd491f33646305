//! The DORA metrics as pure functions: [`facts`] in, a [`MetricsReport`] out.
//!
//! Every figure carries its sample count, a small-sample flag, the same figure for the previous
//! period of equal length (its trend), its tier where DORA publishes one, and optionally a series
//! over buckets cut in the scope's own time zone. `docs/metrics.md` defines each figure with a
//! worked example; `tests/it/conformance.rs` runs those examples.

pub mod change_index;
pub mod facts;
pub mod ownership;
pub mod range_counts;
pub mod ranks;
pub mod rows;
pub mod selections;
pub mod stats;

use crate::filters::{FilterCounts, NoiseFilters};
use crate::period::{Bucket, Period, Span, local_midnight, spans};
use crate::present::{Kind, Trend, change, shown, trend};
use crate::score::{Benchmark, DoraScore, ScoreInputs, score};
use crate::tiers::{Bands, Tier};
use change_index::{ChangeIndex, Elapsed};
use chrono::Duration;
use chrono_tz::Tz;
use facts::MetricInputs;
use range_counts::RangeCounts;
use rows::{ChangeRow, DeploymentRow, FactView, OwnedRows, Timed, in_window};
use serde::Serialize;
use stats::{Summary, summarize};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// How to compute: the period, the series' bucket, the zone to cut days in, and the yardsticks.
#[derive(Debug, Clone)]
pub struct MetricsRequest<'a> {
    pub period: Period,
    pub bucket: Option<Bucket>,
    pub time_zone: Tz,
    pub bands: &'a Bands,
    pub filters: &'a NoiseFilters,
    /// Fewer samples than this flag a figure as a small sample.
    pub small_sample: usize,
    /// Whether each bucket of the lead-time series carries its phase breakdown: four more order
    /// statistics per bucket that only the breakdown chart reads, so computed when asked.
    pub phases_per_bucket: bool,
    /// What the Quick Check scores are compared with (`metrics.benchmark`).
    pub benchmark: &'a Benchmark,
}

/// Who the figures are for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScopeLabel {
    /// The team or tribe slug; None for the whole organisation.
    pub team: Option<String>,
    pub name: String,
    /// "organisation", "tribe" or "team".
    pub kind: String,
}

/// The five metrics for one scope and period: the metrics JSON of the interface contract.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MetricsReport {
    pub team: Option<String>,
    pub name: String,
    pub kind: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// Where measuring stopped (exclusive): `to`, or the day after today when the period reaches
    /// into the future; every figure, rate and series covers `[from, measured_to)` only.
    pub measured_to: chrono::NaiveDate,
    pub bucket: Option<Bucket>,
    pub time_zone: String,
    /// Which tier table rated the figures.
    pub tiers: String,
    pub deployment_frequency: DeploymentFrequency,
    pub lead_time: LeadTime,
    pub change_failure_rate: ChangeFailureRate,
    pub time_to_restore: TimeToRestore,
    pub rework_rate: ReworkRate,
    /// The figures on DORA's Quick Check scale of 0 to 10, against the configured benchmark.
    pub dora_score: DoraScore,
}

impl MetricsReport {
    /// The period measured: `[from, measured_to)`.
    pub fn measured(&self) -> Period {
        Period {
            from: self.from,
            to: self.measured_to,
        }
    }

    /// The previous period's figures as a report of their own, their series in this report's
    /// buckets (by position in the period); `None` when there is no earlier data.
    pub fn previous_report(&self) -> Option<MetricsReport> {
        let before = self.measured().previous();
        let mut report = MetricsReport {
            from: before.from,
            to: before.to,
            measured_to: before.to,
            deployment_frequency: (**self.deployment_frequency.previous.as_ref()?).clone(),
            lead_time: (**self.lead_time.previous.as_ref()?).clone(),
            change_failure_rate: (**self.change_failure_rate.previous.as_ref()?).clone(),
            time_to_restore: (**self.time_to_restore.previous.as_ref()?).clone(),
            rework_rate: (**self.rework_rate.previous.as_ref()?).clone(),
            ..self.clone()
        };
        report.dora_score = self.dora_score.rescored(&report);
        Some(report)
    }
}

/// How often the scope reached production.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeploymentFrequency {
    pub deployments: usize,
    pub per_week: f64,
    pub per_day: f64,
    /// Local days with at least one deployment, and their share of the period's days.
    pub active_days: usize,
    pub active_days_share: f64,
    /// ISO weeks (touching the period) with at least one deployment, and their share.
    pub active_weeks: usize,
    pub active_weeks_share: f64,
    /// Deployment attempts that failed to reach production: shown, never counted as deployments.
    pub failed_attempts: usize,
    /// Fewer deployments than `metrics.small_sample`: read the figure with care.
    pub small_sample: bool,
    pub tier: Option<Tier>,
    /// The headline figure as every view shows it (see [`crate::present`]); `None` when there is
    /// no figure.
    pub shown: Option<String>,
    /// Better, worse or the same as the previous period (see [`crate::present::trend`]); `None`
    /// without a figure in both.
    pub trend: Option<Trend>,
    /// How much the figure moved since the previous period, as the dashboard's arrow says it
    /// (see [`crate::present::change`]): "3.9%", "12%", "1.5 pts", "from zero"; `None` without a
    /// figure in both.
    pub change: Option<String>,
    /// The same figures for the period before, its series in this period's buckets; left out
    /// when that period holds no record at all (no earlier data).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub previous: Option<Box<DeploymentFrequency>>,
    pub series: Vec<FrequencyPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FrequencyPoint {
    pub start: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
    /// The period cuts this bucket (see [`Span::partial`]): drawn apart, never counted towards a
    /// target.
    pub partial: bool,
    pub deployments: usize,
    pub per_week: f64,
}

/// Time from a change's first commit to production, and where that time went.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeadTime {
    pub changes: usize,
    pub median_seconds: Option<i64>,
    pub p75_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    pub small_sample: bool,
    pub breakdown: Breakdown,
    /// Changes shipped in the period that the noise filters left out, by filter.
    pub excluded: FilterCounts,
    pub tier: Option<Tier>,
    /// The headline figure as every view shows it (see [`crate::present`]); `None` when there is
    /// no figure.
    pub shown: Option<String>,
    /// Better, worse or the same as the previous period (see [`crate::present::trend`]); `None`
    /// without a figure in both.
    pub trend: Option<Trend>,
    /// How much the figure moved since the previous period, as the dashboard's arrow says it
    /// (see [`crate::present::change`]): "3.9%", "12%", "1.5 pts", "from zero"; `None` without a
    /// figure in both.
    pub change: Option<String>,
    /// The same figures for the period before, its series in this period's buckets; left out
    /// when that period holds no record at all (no earlier data).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub previous: Option<Box<LeadTime>>,
    pub series: Vec<LeadTimePoint>,
}

/// The phases of lead time, each summarised over the changes that have it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, utoipa::ToSchema)]
pub struct Breakdown {
    /// First commit -> pull request opened.
    pub coding: PhaseSummary,
    /// Opened -> first review by someone else.
    pub pickup: PhaseSummary,
    /// First review -> merged.
    pub review: PhaseSummary,
    /// Merged -> deployed.
    pub deploy: PhaseSummary,
}

impl Breakdown {
    /// The four phases, each summarised by `phase`.
    fn of(phase: impl Fn(Elapsed) -> Summary) -> Self {
        Self {
            coding: phase(Elapsed::Coding).into(),
            pickup: phase(Elapsed::Pickup).into(),
            review: phase(Elapsed::Review).into(),
            deploy: phase(Elapsed::Deploy).into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct PhaseSummary {
    pub count: usize,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

impl From<Summary> for PhaseSummary {
    fn from(s: Summary) -> Self {
        Self {
            count: s.count,
            median_seconds: s.median,
            p90_seconds: s.p90,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeadTimePoint {
    pub start: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
    /// The period cuts this bucket (see [`Span::partial`]): drawn apart, never counted towards a
    /// target.
    pub partial: bool,
    pub changes: usize,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    /// The phases of this bucket's changes, each over the changes that have it (the lead-time
    /// breakdown chart stacks their medians); only when asked
    /// ([`MetricsRequest::phases_per_bucket`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

/// Share of deployments that hurt production.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChangeFailureRate {
    pub deployments: usize,
    pub failed: usize,
    pub rate: Option<f64>,
    pub small_sample: bool,
    /// Incidents opened in the period with no deployment to blame: outages counted apart.
    pub unattributed_incidents: usize,
    pub tier: Option<Tier>,
    /// Set when the tier table's column is not in tier order (a higher rate can rate a better
    /// tier), citing the report: every view shows it beside the tier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier_note: Option<String>,
    /// The headline figure as every view shows it (see [`crate::present`]); `None` when there is
    /// no figure.
    pub shown: Option<String>,
    /// Better, worse or the same as the previous period (see [`crate::present::trend`]); `None`
    /// without a figure in both.
    pub trend: Option<Trend>,
    /// How much the figure moved since the previous period, as the dashboard's arrow says it
    /// (see [`crate::present::change`]): "3.9%", "12%", "1.5 pts", "from zero"; `None` without a
    /// figure in both.
    pub change: Option<String>,
    /// The same figures for the period before, its series in this period's buckets; left out
    /// when that period holds no record at all (no earlier data).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub previous: Option<Box<ChangeFailureRate>>,
    pub series: Vec<RatePoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RatePoint {
    pub start: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
    /// The period cuts this bucket (see [`Span::partial`]): drawn apart, never counted towards a
    /// target.
    pub partial: bool,
    pub deployments: usize,
    pub count: usize,
    pub rate: Option<f64>,
}

/// How long it took to restore service after a failure.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimeToRestore {
    /// Resolved incidents opened in the period.
    pub incidents: usize,
    /// Rollbacks of deployments that finished in the period.
    pub rollbacks: usize,
    /// Incidents opened in the period and still open: listed, not counted.
    pub open_incidents: usize,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    pub small_sample: bool,
    pub tier: Option<Tier>,
    /// The headline figure as every view shows it (see [`crate::present`]); `None` when there is
    /// no figure.
    pub shown: Option<String>,
    /// Better, worse or the same as the previous period (see [`crate::present::trend`]); `None`
    /// without a figure in both.
    pub trend: Option<Trend>,
    /// How much the figure moved since the previous period, as the dashboard's arrow says it
    /// (see [`crate::present::change`]): "3.9%", "12%", "1.5 pts", "from zero"; `None` without a
    /// figure in both.
    pub change: Option<String>,
    /// The same figures for the period before, its series in this period's buckets; left out
    /// when that period holds no record at all (no earlier data).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub previous: Option<Box<TimeToRestore>>,
    pub series: Vec<RestorePoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RestorePoint {
    pub start: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
    /// The period cuts this bucket (see [`Span::partial`]): drawn apart, never counted towards a
    /// target.
    pub partial: bool,
    pub samples: usize,
    pub median_seconds: Option<i64>,
}

/// Share of deployments that were unplanned (DORA 2024).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReworkRate {
    pub deployments: usize,
    pub rework: usize,
    pub rate: Option<f64>,
    pub small_sample: bool,
    /// The headline figure as every view shows it (see [`crate::present`]); `None` when there is
    /// no figure.
    pub shown: Option<String>,
    /// Better, worse or the same as the previous period (see [`crate::present::trend`]); `None`
    /// without a figure in both.
    pub trend: Option<Trend>,
    /// How much the figure moved since the previous period, as the dashboard's arrow says it
    /// (see [`crate::present::change`]): "3.9%", "12%", "1.5 pts", "from zero"; `None` without a
    /// figure in both.
    pub change: Option<String>,
    /// The same figures for the period before, its series in this period's buckets; left out
    /// when that period holds no record at all (no earlier data).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub previous: Option<Box<ReworkRate>>,
    pub series: Vec<RatePoint>,
}

/// Computes the report for `scope` from facts covering the period and the one before it.
pub fn compute(
    inputs: &MetricInputs,
    scope: ScopeLabel,
    request: &MetricsRequest,
) -> MetricsReport {
    let rows = OwnedRows::of(inputs, request.filters);
    compute_view(&rows.view(), scope, request)
}

/// [`compute`] on rows already made (the noise filters of `request` applied when they were).
pub fn compute_view(
    facts: &FactView,
    scope: ScopeLabel,
    request: &MetricsRequest,
) -> MetricsReport {
    let period = request.period;
    let spans = request
        .bucket
        .map(|b| spans(&period, b))
        .unwrap_or_default();
    // The previous period's buckets sit at the same positions in their period as this one's.
    let earlier = spans
        .iter()
        .map(|s| s.shifted_back(period.days()))
        .collect();
    let previous = Window::new(period.previous(), request.time_zone, earlier);
    let current = Window::new(period, request.time_zone, spans);
    // A previous period holding no record at all is missing data, not a period of zeros.
    let compared = previous.holds_any(facts);
    let (mut now, before) = if compared && facts.is_large() {
        // The previous period on a second thread: a large scope's figures take milliseconds.
        std::thread::scope(|threads| {
            let before = threads.spawn(|| Figures::of(&previous, facts, request));
            let now = Figures::of(&current, facts, request);
            let before = before
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (now, Some(before))
        })
    } else {
        let now = Figures::of(&current, facts, request);
        (
            now,
            compared.then(|| Figures::of(&previous, facts, request)),
        )
    };
    if let Some(before) = before {
        now.compare_with(before);
    }
    let Figures {
        deployment_frequency,
        lead_time,
        change_failure_rate,
        time_to_restore,
        rework_rate,
    } = now;
    let inputs = ScoreInputs::of(
        period,
        &deployment_frequency,
        &lead_time,
        &change_failure_rate,
        &time_to_restore,
        &rework_rate,
    );
    MetricsReport {
        team: scope.team,
        name: scope.name,
        kind: scope.kind,
        from: request.period.from,
        to: request.period.to,
        measured_to: request.period.to,
        bucket: request.bucket,
        time_zone: request.time_zone.name().to_string(),
        tiers: request.bands.name.clone(),
        deployment_frequency,
        lead_time,
        change_failure_rate,
        time_to_restore,
        rework_rate,
        dora_score: score(&inputs, request.benchmark),
    }
}

/// The five figures of one window.
struct Figures {
    deployment_frequency: DeploymentFrequency,
    lead_time: LeadTime,
    change_failure_rate: ChangeFailureRate,
    time_to_restore: TimeToRestore,
    rework_rate: ReworkRate,
}

impl Figures {
    fn of(w: &Window, facts: &FactView, request: &MetricsRequest) -> Self {
        Self {
            deployment_frequency: deployment_frequency(w, facts, request),
            lead_time: lead_time(w, facts, request),
            change_failure_rate: change_failure_rate(w, facts, request),
            time_to_restore: time_to_restore(w, facts, request),
            rework_rate: rework_rate(w, facts, request),
        }
    }

    /// Sets each figure's trend and change against the previous period's, which it keeps.
    fn compare_with(&mut self, before: Figures) {
        macro_rules! compare {
            ($metric:ident, $kind:expr, $value:expr) => {{
                let (now, before) = (&mut self.$metric, before.$metric);
                now.trend = trend($kind, $value(&*now), $value(&before));
                now.change = change($kind, $value(&*now), $value(&before));
                now.previous = Some(Box::new(before));
            }};
        }
        let seconds = |s: Option<i64>| s.map(|s| s as f64);
        compare!(
            deployment_frequency,
            Kind::PerWeek,
            |m: &DeploymentFrequency| Some(m.per_week)
        );
        compare!(lead_time, Kind::Duration, |m: &LeadTime| seconds(
            m.median_seconds
        ));
        compare!(change_failure_rate, Kind::Rate, |m: &ChangeFailureRate| m
            .rate);
        compare!(
            time_to_restore,
            Kind::Duration,
            |m: &TimeToRestore| seconds(m.median_seconds)
        );
        compare!(rework_rate, Kind::Rate, |m: &ReworkRate| m.rate);
    }
}

/// A period with its zone and buckets: decides which facts fall in it, and where. Local days and
/// buckets are turned into their first instants (Unix seconds) once, so placing a fact is a
/// binary search, not a time-zone conversion.
struct Window {
    period: Period,
    start: i64,
    end: i64,
    spans: Vec<Span>,
    /// The first instant of each span, then the end of the last one.
    span_starts: Vec<i64>,
    /// The first instant of each local day of the period, then the period's end.
    day_starts: Vec<i64>,
    /// Its deployments counted once (a window answers one [`FactView`]): three figures read them.
    tally: OnceLock<DeploymentTally>,
}

impl Window {
    fn new(period: Period, tz: Tz, spans: Vec<Span>) -> Self {
        let instant = |d| local_midnight(d, tz).timestamp();
        let mut span_starts: Vec<i64> = spans.iter().map(|s| instant(s.start)).collect();
        span_starts.extend(spans.last().map(|s| instant(s.end)));
        let day_starts = (0..=period.days())
            .map(|i| instant(period.from + Duration::days(i)))
            .collect();
        Self {
            period,
            start: period.start(tz).timestamp(),
            end: period.end(tz).timestamp(),
            spans,
            span_starts,
            day_starts,
            tally: OnceLock::new(),
        }
    }

    /// The window's deployments counted in one pass, the first time a figure asks.
    fn deployments(&self, facts: &FactView) -> &DeploymentTally {
        self.tally.get_or_init(|| DeploymentTally::of(self, facts))
    }

    /// The rows of every chunk that fall in the window.
    fn rows<'a: 'c, 'c, T: Timed>(
        &'c self,
        chunks: &'c [&'a [T]],
    ) -> impl Iterator<Item = &'a T> + 'c {
        let (start, end) = (self.start, self.end);
        chunks
            .iter()
            .flat_map(move |chunk| in_window(chunk, start, end))
    }

    /// Whether any deployment (or attempt), change, incident or rollback falls in the window.
    fn holds_any(&self, facts: &FactView) -> bool {
        self.rows(&facts.deployments).next().is_some()
            || self.rows(&facts.changes).next().is_some()
            || self.rows(&facts.incidents).next().is_some()
            || self.rows(&facts.rollbacks).next().is_some()
    }

    /// The bucket holding instant `at` (in the window), if the window has buckets.
    fn span_of(&self, at: i64) -> Option<usize> {
        bucket_of(
            &self.span_starts,
            self.span_starts.partition_point(|&s| s <= at),
        )
    }

    /// A sorted chunk's rows in the window as runs, each in one bucket or in none.
    fn runs<'a, T: Timed>(&self, chunk: &'a [T]) -> Vec<(Option<usize>, &'a [T])> {
        let chunk = in_window(chunk, self.start, self.end);
        if self.spans.is_empty() {
            return vec![(None, chunk)];
        }
        let cuts: Vec<usize> = self
            .span_starts
            .iter()
            .map(|&s| chunk.partition_point(|r| r.at() < s))
            .collect();
        let (first, last) = (cuts[0], cuts[cuts.len() - 1]);
        let mut runs = vec![(None, &chunk[..first])];
        runs.extend(
            cuts.windows(2)
                .enumerate()
                .map(|(i, cut)| (Some(i), &chunk[cut[0]..cut[1]])),
        );
        runs.push((None, &chunk[last..]));
        runs
    }

    /// Groups values by bucket, in bucket order: `items` yield (instant, value).
    fn per_span<V>(&self, items: impl Iterator<Item = (i64, V)>) -> Vec<Vec<V>> {
        let mut groups: Vec<Vec<V>> = (0..self.spans.len()).map(|_| Vec::new()).collect();
        if groups.is_empty() {
            return groups;
        }
        for (at, value) in items {
            if let Some(i) = self.span_of(at) {
                groups[i].push(value);
            }
        }
        groups
    }
}

fn weeks(days: i64) -> f64 {
    days as f64 / 7.0
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Successful deployments, and how many of them failed in production or needed rework.
#[derive(Debug, Clone, Copy, Default)]
struct DeploymentCounts {
    deployed: usize,
    failed: usize,
    rework: usize,
}

impl DeploymentCounts {
    fn add(&mut self, d: &DeploymentRow) {
        self.deployed += 1;
        self.failed += usize::from(d.failed);
        self.rework += usize::from(d.rework);
    }
}

/// The bucket of an instant, from how many of the buckets' boundaries `starts` (the last is the
/// end of the last bucket) are at or before it.
fn bucket_of(starts: &[i64], passed: usize) -> Option<usize> {
    (passed >= 1 && passed < starts.len()).then(|| passed - 1)
}

/// How many of some sorted boundaries are at or before each of a sequence of non-decreasing
/// instants: found by walking along the boundaries instead of a binary search per instant.
struct Walk<'a> {
    boundaries: &'a [i64],
    passed: usize,
}

impl<'a> Walk<'a> {
    fn along(boundaries: &'a [i64]) -> Self {
        Self {
            boundaries,
            passed: 0,
        }
    }

    /// `at` must not be earlier than the instant asked before.
    fn passed(&mut self, at: i64) -> usize {
        while self
            .boundaries
            .get(self.passed)
            .is_some_and(|&boundary| boundary <= at)
        {
            self.passed += 1;
        }
        self.passed
    }
}

/// A window's deployments counted in one pass over them: in all, per bucket and per local day.
/// Deployment frequency, change failure rate and rework rate all read it.
#[derive(Debug, Default)]
struct DeploymentTally {
    all: DeploymentCounts,
    per_span: Vec<DeploymentCounts>,
    /// Whether each local day of the period saw a successful deployment.
    active: Vec<bool>,
    /// Attempts that did not succeed (not deployments).
    failed_attempts: usize,
}

impl DeploymentTally {
    fn of(w: &Window, facts: &FactView) -> Self {
        let mut tally = Self {
            per_span: vec![DeploymentCounts::default(); w.spans.len()],
            active: vec![false; w.period.days().max(0) as usize],
            ..Self::default()
        };
        // Each chunk is sorted by time: its buckets and days are found by walking.
        for chunk in &facts.deployments {
            let (mut spans, mut days) = (Walk::along(&w.span_starts), Walk::along(&w.day_starts));
            for d in in_window(chunk, w.start, w.end) {
                if !d.success {
                    tally.failed_attempts += 1;
                    continue;
                }
                tally.all.add(d);
                if let Some(i) = bucket_of(&w.span_starts, spans.passed(d.at)) {
                    tally.per_span[i].add(d);
                }
                let day = days.passed(d.at).saturating_sub(1);
                if let Some(day) = tally.active.get_mut(day) {
                    *day = true;
                }
            }
        }
        tally
    }
}

fn deployment_frequency(w: &Window, facts: &FactView, req: &MetricsRequest) -> DeploymentFrequency {
    let tally = w.deployments(facts);
    let deployed = tally.all.deployed;
    let active_days: Vec<_> = tally
        .active
        .iter()
        .enumerate()
        .filter(|(_, on)| **on)
        .map(|(i, _)| w.period.from + Duration::days(i as i64))
        .collect();
    let active_weeks: BTreeSet<_> = active_days
        .iter()
        .map(|d| Bucket::Week.start_of(*d))
        .collect();
    let period_weeks = spans(&w.period, Bucket::Week).len();
    let per_week = deployed as f64 / weeks(w.period.days());
    let series = tally
        .per_span
        .iter()
        .zip(&w.spans)
        .map(|(counts, span)| FrequencyPoint {
            start: span.start,
            end: span.end,
            partial: span.partial,
            deployments: counts.deployed,
            per_week: counts.deployed as f64 / weeks(span.days()),
        })
        .collect();
    DeploymentFrequency {
        deployments: deployed,
        per_week,
        per_day: deployed as f64 / w.period.days() as f64,
        active_days: active_days.len(),
        active_days_share: ratio(active_days.len(), w.period.days() as usize).unwrap_or(0.0),
        active_weeks: active_weeks.len(),
        active_weeks_share: ratio(active_weeks.len(), period_weeks).unwrap_or(0.0),
        failed_attempts: tally.failed_attempts,
        small_sample: deployed < req.small_sample,
        tier: Some(req.bands.deployment_frequency(per_week)),
        shown: Some(shown(Kind::PerWeek, per_week, |v| {
            Some(req.bands.deployment_frequency(v))
        })),
        trend: None,
        change: None,
        previous: None,
        series,
    }
}

/// Seconds between two instants, never negative (clock skew between tools must not subtract).
fn seconds(from: i64, to: i64) -> f64 {
    (to - from).max(0) as f64
}

fn lead_time(w: &Window, facts: &FactView, req: &MetricsRequest) -> LeadTime {
    let figures = match &facts.change_indexes {
        Some(indexes) => LeadFigures::indexed(w, indexes, req.phases_per_bucket),
        None => LeadFigures::scanned(w, &facts.changes, req.phases_per_bucket),
    };
    let summary = figures.lead;
    LeadTime {
        changes: summary.count,
        median_seconds: summary.median,
        p75_seconds: summary.p75,
        p90_seconds: summary.p90,
        small_sample: summary.count < req.small_sample,
        breakdown: figures.breakdown,
        excluded: figures.excluded,
        tier: summary.median.map(|m| req.bands.lead_time(m as f64)),
        shown: summary
            .median
            .map(|m| shown(Kind::Duration, m as f64, |v| Some(req.bands.lead_time(v)))),
        trend: None,
        change: None,
        previous: None,
        series: figures.series,
    }
}

/// The lead-time figures of a window, however they were found.
struct LeadFigures {
    lead: Summary,
    breakdown: Breakdown,
    excluded: FilterCounts,
    series: Vec<LeadTimePoint>,
}

impl LeadFigures {
    /// `whole` summarises one stretch over the window, `series` each stretch of each bucket (in
    /// the order of [`Elapsed::ALL`]; only lead time unless `phases`).
    fn new(
        whole: impl Fn(Elapsed) -> Summary,
        series: Vec<[Summary; 5]>,
        w: &Window,
        phases: bool,
    ) -> Self {
        Self {
            lead: whole(Elapsed::Lead),
            breakdown: Breakdown::of(&whole),
            excluded: FilterCounts::default(),
            series: series
                .into_iter()
                .zip(&w.spans)
                .map(|(s, span)| LeadTimePoint {
                    start: span.start,
                    end: span.end,
                    partial: span.partial,
                    changes: s[Elapsed::Lead as usize].count,
                    median_seconds: s[Elapsed::Lead as usize].median,
                    p90_seconds: s[Elapsed::Lead as usize].p90,
                    breakdown: phases.then(|| Breakdown::of(|e| s[e as usize])),
                })
                .collect(),
        }
    }

    /// From the changes themselves, in two passes over them ([`RangeCounts`]), each split
    /// between two threads when there are many: a one-shot process (`doraboard metrics`) has
    /// the machine's cores to itself.
    fn scanned(w: &Window, chunks: &[&[ChangeRow]], phases: bool) -> Self {
        let chunks: Vec<&[ChangeRow]> = chunks
            .iter()
            .map(|chunk| in_window(chunk, w.start, w.end))
            .collect();
        let groups = StretchGroups {
            spans: w.spans.len(),
            phases,
        };
        let halves = halves(&chunks);
        let [(mut counts, mut excluded), (other, other_excluded)] =
            on_two_threads(&halves, |half| {
                let mut counts = RangeCounts::new(groups.len());
                groups.each_value(w, half, |g, v| counts.count(g, v));
                let mut excluded = FilterCounts::default();
                half.iter()
                    .flat_map(|chunk| chunk.iter().filter_map(ChangeRow::excluded))
                    .for_each(|reason| excluded.add(reason));
                (counts, excluded)
            });
        counts.add(&other, groups.counted());
        excluded += other_excluded;
        // Series points and phases show no p75.
        let wanted = counts.wanted(|g| {
            if g == groups.of(Elapsed::Lead, None) {
                &stats::SUMMARY_QUANTILES
            } else {
                &stats::POINT_QUANTILES
            }
        });
        let [mut gathered, other] = on_two_threads(&halves, |half| {
            let mut gathered = wanted.gathering();
            groups.each_value(w, half, |g, v| gathered.offer(g, v));
            gathered
        });
        gathered.add(other);
        let whole = Elapsed::ALL.map(|e| gathered.summary(groups.of(e, None)));
        let series = (0..groups.spans)
            .map(|i| Elapsed::ALL.map(|e| gathered.summary(groups.of(e, Some(i)))))
            .collect();
        Self {
            excluded,
            ..Self::new(|e| whole[e as usize], series, w, phases)
        }
    }

    /// From each repository's [`ChangeIndex`]: looks the ranks up, across repositories at once.
    fn indexed(w: &Window, indexes: &[&ChangeIndex], phases: bool) -> Self {
        let mut excluded = FilterCounts::default();
        for index in indexes {
            index
                .excluded(w.start, w.end)
                .into_iter()
                .for_each(|r| excluded.add(r));
        }
        let windows = |e: Elapsed, start: i64, end: i64| {
            let mut windows = Vec::with_capacity(indexes.len());
            for index in indexes {
                index.windows(e, start, end, &mut windows);
            }
            let len = windows.iter().map(|(_, positions)| positions.len()).sum();
            (len, windows)
        };
        // The ranks a summary reads, found in one descent of the windows. Series points and
        // phases show no p75.
        let summary = |len: usize, windows: &[_], with_p75: bool| {
            if len == 0 {
                return Summary::default();
            }
            let quantiles: &[f64] = if with_p75 {
                &stats::SUMMARY_QUANTILES
            } else {
                &stats::POINT_QUANTILES
            };
            let ranks = stats::quantile_ranks(len, quantiles);
            let values = selections::kth_smallest_kept(windows, &ranks);
            let at = |k| {
                ranks
                    .iter()
                    .position(|&r| r == k)
                    .and_then(|i| values[i])
                    .map_or(f64::NAN, |v| v as f64)
            };
            if with_p75 {
                Summary::of_ranks(len, at)
            } else {
                Summary::median_and_p90_of_ranks(len, at)
            }
        };
        // A bucket's instants, within the window (as `Window::per_span` places the scanned rows).
        let series = w
            .span_starts
            .windows(2)
            .map(|b| {
                Elapsed::ALL.map(|e| {
                    if e != Elapsed::Lead && !phases {
                        return Summary::default();
                    }
                    let (len, ws) = windows(e, b[0].max(w.start), b[1].min(w.end));
                    summary(len, &ws, false)
                })
            })
            .collect();
        let whole = |e| {
            let (len, ws) = windows(e, w.start, w.end);
            summary(len, &ws, e == Elapsed::Lead)
        };
        Self {
            excluded,
            ..Self::new(whole, series, w, phases)
        }
    }
}

/// The groups of values a scanned lead time summarises: each stretch over the window, and
/// each stretch shown per bucket (lead time, and the phases when asked) per bucket.
#[derive(Debug, Clone, Copy)]
struct StretchGroups {
    spans: usize,
    phases: bool,
}

impl StretchGroups {
    fn len(&self) -> usize {
        Elapsed::ALL.len() * (self.spans + 1)
    }

    fn per_span(&self, e: Elapsed) -> bool {
        e == Elapsed::Lead || self.phases
    }

    /// The group of stretch `e` over the window (None) or in bucket `span`.
    fn of(&self, e: Elapsed, span: Option<usize>) -> usize {
        e as usize * (self.spans + 1) + span.map_or(0, |i| i + 1)
    }

    /// The groups [`StretchGroups::each_value`] gives values to.
    fn counted(self) -> impl Iterator<Item = usize> {
        Elapsed::ALL.into_iter().flat_map(move |e| {
            let spans = if self.per_span(e) { self.spans } else { 0 };
            (0..=spans).map(move |i| self.of(e, i.checked_sub(1)))
        })
    }

    /// `value(group, seconds)` of each stretch of each change the filters keep in `chunks`.
    fn each_value(&self, w: &Window, chunks: &[&[ChangeRow]], mut value: impl FnMut(usize, u64)) {
        for &chunk in chunks {
            for (span, run) in w.runs(chunk) {
                // The groups of the run's values, by stretch: over the window, and in its bucket.
                let whole = Elapsed::ALL.map(|e| self.of(e, None));
                let in_span = Elapsed::ALL.map(|e| {
                    span.filter(|_| self.per_span(e))
                        .map(|i| self.of(e, Some(i)))
                });
                for c in run.iter().filter(|c| c.excluded().is_none()) {
                    for (i, v) in Elapsed::all_of(c).into_iter().enumerate() {
                        let Some(v) = v else { continue };
                        value(whole[i], v);
                        if let Some(g) = in_span[i] {
                            value(g, v);
                        }
                    }
                }
            }
        }
    }
}

/// From this many rows on, a pass over them is split between two threads.
const TWO_THREADS_FROM: usize = 8_000;

/// Sorted chunks cut into two halves of about as many rows, a chunk cut in two if need be.
fn halves<'a, T>(chunks: &[&'a [T]]) -> [Vec<&'a [T]>; 2] {
    let mut left = chunks.iter().map(|c| c.len()).sum::<usize>() / 2;
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for &chunk in chunks {
        let (a, b) = chunk.split_at(left.min(chunk.len()));
        left -= a.len();
        first.extend((!a.is_empty()).then_some(a));
        second.extend((!b.is_empty()).then_some(b));
    }
    [first, second]
}

/// `f` of each half, the second on another thread when the halves hold many rows.
fn on_two_threads<'a, T: Sync, R: Send>(
    halves: &[Vec<&'a [T]>; 2],
    f: impl Fn(&[&'a [T]]) -> R + Sync,
) -> [R; 2] {
    let rows: usize = halves.iter().flatten().map(|c| c.len()).sum();
    if rows < TWO_THREADS_FROM {
        return [f(&halves[0]), f(&halves[1])];
    }
    std::thread::scope(|threads| {
        let second = threads.spawn(|| f(&halves[1]));
        let first = f(&halves[0]);
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        [first, second]
    })
}

/// Rate points over buckets: `count` picks the deployments counted in the numerator.
fn rate_series(
    w: &Window,
    tally: &DeploymentTally,
    count: fn(&DeploymentCounts) -> usize,
) -> Vec<RatePoint> {
    tally
        .per_span
        .iter()
        .zip(&w.spans)
        .map(|(counts, span)| RatePoint {
            start: span.start,
            end: span.end,
            partial: span.partial,
            deployments: counts.deployed,
            count: count(counts),
            rate: ratio(count(counts), counts.deployed),
        })
        .collect()
}

fn change_failure_rate(w: &Window, facts: &FactView, req: &MetricsRequest) -> ChangeFailureRate {
    let tally = w.deployments(facts);
    let DeploymentCounts {
        deployed, failed, ..
    } = tally.all;
    let rate = ratio(failed, deployed);
    let unattributed_incidents = w.rows(&facts.incidents).filter(|i| !i.attributed).count();
    ChangeFailureRate {
        deployments: deployed,
        failed,
        rate,
        small_sample: deployed < req.small_sample,
        unattributed_incidents,
        tier: rate.map(|r| req.bands.change_failure_rate(r)),
        tier_note: rate.and_then(|_| {
            req.bands
                .non_monotonic_note(crate::metric_key::MetricKey::ChangeFailureRate)
        }),
        shown: rate.map(|r| shown(Kind::Rate, r, |v| Some(req.bands.change_failure_rate(v)))),
        trend: None,
        change: None,
        previous: None,
        series: rate_series(w, tally, |c| c.failed),
    }
}

/// A restore sample: when the failure started (for bucketing) and how long it lasted.
struct Restore {
    at: i64,
    seconds: f64,
}

fn time_to_restore(w: &Window, facts: &FactView, req: &MetricsRequest) -> TimeToRestore {
    let mut opened = 0;
    let mut samples: Vec<Restore> = w
        .rows(&facts.incidents)
        .inspect(|_| opened += 1)
        .filter_map(|i| {
            i.resolved_at.map(|r| Restore {
                at: i.opened_at,
                seconds: seconds(i.opened_at, r),
            })
        })
        .collect();
    let resolved = samples.len();
    samples.extend(w.rows(&facts.rollbacks).map(|r| Restore {
        at: r.failed_at,
        seconds: seconds(r.failed_at, r.restored_at),
    }));
    let rollbacks = samples.len() - resolved;
    let summary = summarize(samples.iter().map(|s| s.seconds).collect());
    let series = w
        .per_span(samples.iter().map(|s| (s.at, s.seconds)))
        .into_iter()
        .zip(&w.spans)
        .map(|(group, span)| {
            let s = summarize(group);
            RestorePoint {
                start: span.start,
                end: span.end,
                partial: span.partial,
                samples: s.count,
                median_seconds: s.median,
            }
        })
        .collect();
    TimeToRestore {
        incidents: resolved,
        rollbacks,
        open_incidents: opened - resolved,
        median_seconds: summary.median,
        p90_seconds: summary.p90,
        small_sample: summary.count < req.small_sample,
        tier: summary.median.map(|m| req.bands.time_to_restore(m as f64)),
        shown: summary.median.map(|m| {
            shown(Kind::Duration, m as f64, |v| {
                Some(req.bands.time_to_restore(v))
            })
        }),
        trend: None,
        change: None,
        previous: None,
        series,
    }
}

fn rework_rate(w: &Window, facts: &FactView, req: &MetricsRequest) -> ReworkRate {
    let tally = w.deployments(facts);
    let DeploymentCounts {
        deployed, rework, ..
    } = tally.all;
    let rate = ratio(rework, deployed);
    ReworkRate {
        deployments: deployed,
        rework,
        rate,
        small_sample: deployed < req.small_sample,
        // No published tiers: the usual rounding.
        shown: rate.map(|r| shown(Kind::Rate, r, |_| None)),
        trend: None,
        change: None,
        previous: None,
        series: rate_series(w, tally, |c| c.rework),
    }
}

#[cfg(test)]
mod tests {
    use super::halves;

    #[test]
    fn halves_hold_every_row_once_in_order_and_about_half_each() {
        let rows: Vec<u32> = (0..10).collect();
        let chunks: Vec<&[u32]> = vec![&rows[..7], &rows[7..7], &rows[7..]];
        let [first, second] = halves(&chunks);
        assert_eq!(
            first,
            vec![&rows[..5]],
            "the first chunk cut at the fifth row"
        );
        assert_eq!(second, vec![&rows[5..7], &rows[7..]], "no empty chunk kept");
        let [first, second] = halves::<u32>(&[]);
        assert!(first.is_empty() && second.is_empty());
    }
}
