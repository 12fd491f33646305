//! Benchmark scores: each metric on DORA's Quick Check scale of 0 to 10, their averages, and
//! where the scope stands against a published benchmark.
//!
//! [`score`] is a pure function from a report's figures ([`ScoreInputs`]) and a [`Benchmark`] to
//! a [`DoraScore`]. A figure becomes the Quick Check answer it amounts to ([`answers`]), scored by
//! the Quick Check's rule; throughput averages lead time, deployment frequency and failed
//! deployment recovery time, stability the change fail rate and (from 2025) the rework rate, and
//! the overall score all of them. A metric with no data or too small a sample is not scored (its
//! score is `None` with the reason); the averages are taken over the metrics scored, as the Quick
//! Check averages the questions answered, and need at least one of each group. `docs/metrics.md`
//! ("Benchmark scores") has the rules and a worked example.

pub mod answers;
pub mod benchmarks;

use crate::metrics::{
    ChangeFailureRate, DeploymentFrequency, LeadTime, MetricsReport, ReworkRate, TimeToRestore,
};
use crate::period::Period;
use crate::tiers::{DAY_SECONDS, SIX_MONTHS_SECONDS};
use answers::{Question, answer_score, duration_answer, frequency_answer, percent_score};
pub use benchmarks::{Benchmark, BenchmarkError, Standing, Stat};
use serde::Serialize;

/// A figure to score, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    Value(f64),
    Unscored(String),
}

/// The figures a score is made of, taken from a report by [`ScoreInputs::of`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreInputs {
    /// Deployments per week.
    pub deployment_frequency: Measure,
    /// Median lead time, seconds.
    pub lead_time: Measure,
    /// Failed deployments / deployments, a fraction of 1.
    pub change_failure_rate: Measure,
    /// Median failed deployment recovery time, seconds.
    pub time_to_restore: Measure,
    /// Unplanned deployments / deployments, a fraction of 1.
    pub rework_rate: Measure,
}

impl ScoreInputs {
    /// A report's headline figures, measured over `period`. A figure flagged as a small sample (fewer samples than
    /// `metrics.small_sample`) is not scored; deployment frequency is a count, not an estimate,
    /// so it is scored from one deployment up, and with none when the period is at least six
    /// months long (then the answer is "less than once per six months" for certain).
    pub fn of(
        period: Period,
        df: &DeploymentFrequency,
        lead_time: &LeadTime,
        cfr: &ChangeFailureRate,
        ttr: &TimeToRestore,
        rework: &ReworkRate,
    ) -> ScoreInputs {
        let small = |count: usize, what: &str| {
            Measure::Unscored(format!(
                "too small a sample: {count} {what}, fewer than metrics.small_sample"
            ))
        };
        let sampled = |value: Option<f64>, small_sample: bool, count: usize, what: &str| match value
        {
            None => Measure::Unscored(format!("no {what} in the period")),
            Some(_) if small_sample => small(count, what),
            Some(v) => Measure::Value(v),
        };
        let period_seconds = period.days() as f64 * DAY_SECONDS;
        let deployment_frequency = if df.deployments > 0 || period_seconds >= SIX_MONTHS_SECONDS {
            Measure::Value(df.per_week)
        } else {
            Measure::Unscored("no deployments in the period".to_string())
        };
        ScoreInputs {
            deployment_frequency,
            lead_time: sampled(
                lead_time.median_seconds.map(|s| s as f64),
                lead_time.small_sample,
                lead_time.changes,
                "changes",
            ),
            change_failure_rate: sampled(
                cfr.rate,
                cfr.small_sample,
                cfr.deployments,
                "deployments",
            ),
            time_to_restore: sampled(
                ttr.median_seconds.map(|s| s as f64),
                ttr.small_sample,
                ttr.incidents + ttr.rollbacks,
                "recoveries (resolved incidents and rollbacks)",
            ),
            rework_rate: sampled(
                rework.rate,
                rework.small_sample,
                rework.deployments,
                "deployments",
            ),
        }
    }
}

/// One metric's score.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MetricScore {
    /// 0 to 10, 10 best; `None` when not scored (see `reason`).
    pub score: Option<f64>,
    /// The Quick Check answer (1 worst .. 6 best) the figure amounts to; time-based metrics only.
    pub answer: Option<u8>,
    /// The answer's wording: "Less than one day".
    pub answer_text: Option<String>,
    /// Why there is no score: no data, or too small a sample.
    pub reason: Option<String>,
}

impl MetricScore {
    fn unscored(reason: impl Into<String>) -> MetricScore {
        MetricScore {
            score: None,
            answer: None,
            answer_text: None,
            reason: Some(reason.into()),
        }
    }

    fn answered(question: Question, answer: u8) -> MetricScore {
        MetricScore {
            score: Some(answer_score(f64::from(answer))),
            answer: Some(answer),
            answer_text: Some(question.answer_text(answer).to_string()),
            reason: None,
        }
    }

    fn percent(rate: f64) -> MetricScore {
        MetricScore {
            score: Some(percent_score(rate * 100.0)),
            answer: None,
            answer_text: None,
            reason: None,
        }
    }
}

/// The scope's scores on the Quick Check scale and the benchmark they are compared with.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DoraScore {
    /// The mean of the metric scores; `None` with `reason` when not scored.
    pub overall: Option<f64>,
    /// The mean of lead time, deployment frequency and failed deployment recovery time.
    pub throughput: Option<f64>,
    /// The mean of change fail rate and rework rate (change fail rate alone in 2024).
    pub stability: Option<f64>,
    /// Why there is no overall score.
    pub reason: Option<String>,
    pub deployment_frequency: MetricScore,
    pub lead_time: MetricScore,
    pub change_failure_rate: MetricScore,
    pub time_to_restore: MetricScore,
    pub rework_rate: MetricScore,
    /// The benchmark (10 best throughout) with the scope's standing against it.
    pub benchmark: Benchmark,
}

impl DoraScore {
    /// The score of `report`'s figures against this score's benchmark (for the previous period).
    pub fn rescored(&self, report: &MetricsReport) -> DoraScore {
        let inputs = ScoreInputs::of(
            report.measured(),
            &report.deployment_frequency,
            &report.lead_time,
            &report.change_failure_rate,
            &report.time_to_restore,
            &report.rework_rate,
        );
        score(&inputs, &self.benchmark)
    }

    /// Every score by name: the averages (`overall`, `throughput`, `stability`), then each
    /// metric by its metrics JSON key; the order the CSV and `/metrics` list them in.
    pub fn named(&self) -> [(&'static str, Option<f64>); 8] {
        [
            ("overall", self.overall),
            ("throughput", self.throughput),
            ("stability", self.stability),
            ("deployment_frequency", self.deployment_frequency.score),
            ("lead_time", self.lead_time.score),
            ("change_failure_rate", self.change_failure_rate.score),
            ("time_to_restore", self.time_to_restore.score),
            ("rework_rate", self.rework_rate.score),
        ]
    }

    /// "7.4 / 10, industry average 6.7" — how the report and slide say it; `None` without a
    /// score.
    pub fn headline(&self) -> Option<String> {
        let overall = self.overall?;
        Some(format!(
            "{overall:.1} / 10, {} average {:.1}",
            self.benchmark.name, self.benchmark.overall.mean
        ))
    }
}

/// Scores `inputs` and places them against `benchmark`.
pub fn score(inputs: &ScoreInputs, benchmark: &Benchmark) -> DoraScore {
    let timed = |m: &Measure, q: Question, answer: fn(f64) -> u8| match m {
        Measure::Value(v) => MetricScore::answered(q, answer(*v)),
        Measure::Unscored(why) => MetricScore::unscored(why.clone()),
    };
    let rate = |m: &Measure| match m {
        Measure::Value(v) => MetricScore::percent(*v),
        Measure::Unscored(why) => MetricScore::unscored(why.clone()),
    };
    let deployment_frequency = timed(
        &inputs.deployment_frequency,
        Question::DeployFrequency,
        frequency_answer,
    );
    let lead_time = timed(&inputs.lead_time, Question::LeadTime, duration_answer);
    let time_to_restore = timed(
        &inputs.time_to_restore,
        Question::FailureRecovery,
        duration_answer,
    );
    let change_failure_rate = rate(&inputs.change_failure_rate);
    let rework_rate = if benchmark.metrics.rework_rate.is_some() {
        rate(&inputs.rework_rate)
    } else {
        MetricScore::unscored(format!(
            "not in the {} edition of the Quick Check",
            benchmark.edition
        ))
    };
    let scores = |ms: &[&MetricScore]| -> Vec<f64> { ms.iter().filter_map(|m| m.score).collect() };
    let through = scores(&[&lead_time, &deployment_frequency, &time_to_restore]);
    let stable = scores(&[&change_failure_rate, &rework_rate]);
    let throughput = mean(&through);
    let stability = mean(&stable);
    let (overall, reason) = match (throughput, stability) {
        (Some(_), Some(_)) => (mean(&[through, stable].concat()), None),
        (None, _) => (
            None,
            Some("no throughput metric could be scored".to_string()),
        ),
        (_, None) => (
            None,
            Some("no stability metric could be scored".to_string()),
        ),
    };
    let mut benchmark = benchmark.clone();
    benchmark.standing = Some(standing(&benchmark, overall, throughput, stability));
    DoraScore {
        overall,
        throughput,
        stability,
        reason,
        deployment_frequency,
        lead_time,
        change_failure_rate,
        time_to_restore,
        rework_rate,
        benchmark,
    }
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// How many of the benchmark's standard deviations `value` lies from its mean.
fn deviations(value: Option<f64>, stat: Option<Stat>) -> Option<f64> {
    let (v, s) = (value?, stat?);
    (s.std > 0.0).then(|| (v - s.mean) / s.std)
}

fn standing(
    b: &Benchmark,
    overall: Option<f64>,
    throughput: Option<f64>,
    stability: Option<f64>,
) -> Standing {
    let z = deviations(overall, Some(b.overall));
    Standing {
        overall: z,
        throughput: deviations(throughput, b.throughput),
        stability: deviations(stability, b.stability),
        text: z.map(|z| standing_text(z, &b.name)),
    }
}

/// "1.1 standard deviations above Retail/Consumer/e-Commerce", to one decimal.
fn standing_text(z: f64, name: &str) -> String {
    let shown = format!("{:.1}", z.abs());
    if shown == "0.0" {
        return format!("level with {name}");
    }
    let unit = if shown == "1.0" {
        "standard deviation"
    } else {
        "standard deviations"
    };
    let side = if z > 0.0 { "above" } else { "below" };
    format!("{shown} {unit} {side} {name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiers::HOUR_SECONDS;

    fn all_2025() -> &'static Benchmark {
        Benchmark::find("industry:all", 2025).expect("benchmark")
    }

    fn inputs(df: f64, lead: f64, cfr: f64, ttr: f64, rework: f64) -> ScoreInputs {
        ScoreInputs {
            deployment_frequency: Measure::Value(df),
            lead_time: Measure::Value(lead),
            change_failure_rate: Measure::Value(cfr),
            time_to_restore: Measure::Value(ttr),
            rework_rate: Measure::Value(rework),
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    // The Quick Check's own expectations, from `data-service.test.ts` in dora-team/dora.dev
    // (commit fcaf07b4): every best answer (6, 6, 6, 0 %, 0 %) averages 10 overall, in
    // throughput and in stability, for 2025 (five metrics) and 2024 (four).
    #[test]
    fn the_quick_checks_own_best_answers_average_ten() {
        let best = inputs(100.0, 60.0, 0.0, 60.0, 0.0);
        for edition in [2024, 2025] {
            let b = Benchmark::find("industry:all", edition).expect("benchmark");
            let s = score(&best, b);
            assert_eq!(s.overall, Some(10.0), "{edition}");
            assert_eq!(s.throughput, Some(10.0), "{edition}");
            assert_eq!(s.stability, Some(10.0), "{edition}");
            assert_eq!(s.lead_time.score, Some(10.0));
            assert_eq!(s.change_failure_rate.score, Some(10.0));
        }
    }

    // The worked example of docs/metrics.md ("Benchmark scores").
    #[test]
    fn the_worked_example() {
        let s = score(
            &inputs(
                12.0,                // 12 a week: daily, not hourly -> answer 5 -> 8
                20.0 * HOUR_SECONDS, // less than one day -> 5 -> 8
                0.08,                // 10 - 8/10 = 9.2
                3.0 * DAY_SECONDS,   // one day to one week -> 4 -> 6
                0.05,                // 10 - 5/10 = 9.5
            ),
            Benchmark::find("industry:consumer", 2025).expect("consumer"),
        );
        assert_eq!(s.deployment_frequency.answer, Some(5));
        assert_eq!(
            s.lead_time.answer_text.as_deref(),
            Some("Less than one day")
        );
        assert!(close(s.change_failure_rate.score, 9.2));
        assert!(close(s.time_to_restore.score, 6.0));
        assert!(close(s.rework_rate.score, 9.5));
        // (8 + 8 + 6) / 3 and (9.2 + 9.5) / 2
        assert!(close(s.throughput, 22.0 / 3.0));
        assert!(close(s.stability, 9.35));
        // (8 + 8 + 9.2 + 6 + 9.5) / 5 = 8.14; consumer: mean 7.06, std 1.1
        assert!(close(s.overall, 8.14));
        let standing = s.benchmark.standing.as_ref().expect("standing");
        assert!(close(standing.overall, (8.14 - 7.06) / 1.1));
        assert_eq!(
            standing.text.as_deref(),
            Some("1.0 standard deviation above Retail/Consumer/e-Commerce")
        );
        // Throughput against 6.3 (std 2.0), stability against 10 - 1.8 (std 1.7).
        assert!(close(standing.throughput, (22.0 / 3.0 - 6.3) / 2.0));
        assert!(close(standing.stability, (9.35 - 8.2) / 1.7));
        assert_eq!(
            s.headline().as_deref(),
            Some("8.1 / 10, Retail/Consumer/e-Commerce average 7.1")
        );
    }

    #[test]
    fn an_unscored_metric_is_left_out_of_the_averages_with_its_reason() {
        let mut i = inputs(12.0, 20.0 * HOUR_SECONDS, 0.08, 0.0, 0.05);
        i.time_to_restore = Measure::Unscored("no recoveries in the period".into());
        let s = score(&i, all_2025());
        assert_eq!(s.time_to_restore.score, None);
        assert_eq!(
            s.time_to_restore.reason.as_deref(),
            Some("no recoveries in the period")
        );
        assert!(close(s.throughput, 8.0));
        assert!(close(s.overall, (8.0 + 8.0 + 9.2 + 9.5) / 4.0));
    }

    #[test]
    fn without_a_whole_group_there_is_no_overall_score() {
        let mut i = inputs(12.0, 20.0 * HOUR_SECONDS, 0.08, 3600.0, 0.05);
        i.change_failure_rate = Measure::Unscored("too small a sample".into());
        i.rework_rate = Measure::Unscored("too small a sample".into());
        let s = score(&i, all_2025());
        assert_eq!((s.overall, s.stability), (None, None));
        assert_eq!(
            s.reason.as_deref(),
            Some("no stability metric could be scored")
        );
        let standing = s.benchmark.standing.expect("standing");
        assert_eq!((standing.overall, standing.text), (None, None));
        assert!(standing.throughput.is_some());
    }

    #[test]
    fn the_2024_edition_scores_four_metrics() {
        let s = score(
            &inputs(12.0, 20.0 * HOUR_SECONDS, 0.08, 3.0 * DAY_SECONDS, 0.5),
            Benchmark::find("industry:all", 2024).expect("2024"),
        );
        assert_eq!(s.rework_rate.score, None);
        assert!(close(s.stability, 9.2));
        assert!(close(s.overall, (8.0 + 8.0 + 9.2 + 6.0) / 4.0));
        // 2024 publishes no group figures: no standing for them.
        let standing = s.benchmark.standing.expect("standing");
        assert_eq!((standing.throughput, standing.stability), (None, None));
    }

    /// The score of a report computed over no facts at all from `from` to `to`.
    fn empty_report_score(from: &str, to: &str) -> DoraScore {
        use crate::filters::NoiseFilters;
        use crate::metrics::rows::FactView;
        use crate::metrics::{MetricsRequest, ScopeLabel, compute_view};
        let day = |s| Period::parse_date(s).expect("date");
        let bands = crate::tiers::Bands::latest();
        let request = MetricsRequest {
            period: Period::new(day(from), day(to)).expect("period"),
            bucket: None,
            time_zone: chrono_tz::UTC,
            bands: &bands,
            filters: &NoiseFilters::default(),
            small_sample: 10,
            phases_per_bucket: false,
            benchmark: all_2025(),
        };
        let label = ScopeLabel {
            team: None,
            name: "Organisation".into(),
            kind: "organisation".into(),
        };
        compute_view(&FactView::default(), label, &request).dora_score
    }

    #[test]
    fn no_deployments_score_only_over_six_months_or_more() {
        let quarter = empty_report_score("2026-01-01", "2026-04-01");
        assert_eq!(quarter.deployment_frequency.score, None);
        assert_eq!(
            quarter.deployment_frequency.reason.as_deref(),
            Some("no deployments in the period")
        );
        assert_eq!(
            quarter.lead_time.reason.as_deref(),
            Some("no changes in the period")
        );
        assert_eq!(quarter.overall, None);
        // 182 days: six months (26 weeks) with no deployment is "less than once per six months".
        let half = empty_report_score("2026-01-01", "2026-07-02");
        assert_eq!(half.deployment_frequency.answer, Some(1));
        assert_eq!(half.deployment_frequency.score, Some(0.0));
        assert_eq!(half.throughput, Some(0.0));
        assert_eq!(
            half.reason.as_deref(),
            Some("no stability metric could be scored")
        );
    }

    #[test]
    fn the_standing_reads_below_and_level_too() {
        assert_eq!(standing_text(-2.04, "X"), "2.0 standard deviations below X");
        assert_eq!(standing_text(0.04, "X"), "level with X");
        assert_eq!(standing_text(-0.96, "X"), "1.0 standard deviation below X");
    }
}
