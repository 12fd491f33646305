//! Plain words from figures: the sentences a CEO reads aloud, the biggest improvement and the
//! biggest risk of the period, and the caveats a careful reader needs. Pure functions of
//! [`MetricsReport`]s, so every sentence follows from numbers the API also answers.
//!
//! How sentences are chosen is documented for readers in `docs/report.md`.

use crate::charts::MetricKey;
use crate::charts::format;
use engine::metrics::MetricsReport;
use engine::period::Period;
use engine::present::Kind;
use engine::tiers::Tier;

/// Smoothing added to both rates before comparing them as a ratio, so that 0% -> 3% is not an
/// infinite change.
const RATE_SMOOTHING: f64 = 0.05;
/// A change must score at least this much (a log ratio, about 15 %) to be called out.
pub const NOTABLE: f64 = 0.15;

/// One metric of one scope: this period, the previous one, tiers and samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub metric: MetricKey,
    /// Raw: deployments per week, seconds, or a rate 0..1. None when nothing was measured.
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub tier: Option<Tier>,
    pub samples: usize,
    pub previous_samples: usize,
    pub small_sample: bool,
    pub previous_small_sample: bool,
    /// The figures as the engine rounds them for every view (the metrics JSON's `shown`).
    pub shown: Option<String>,
    pub previous_shown: Option<String>,
}

/// Which way a figure moved, judged by what is good for the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Better,
    Worse,
    Same,
    /// No figure for one of the two periods.
    Unknown,
}

impl Trend {
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Better => "better",
            Trend::Worse => "worse",
            Trend::Same => "same",
            Trend::Unknown => "unknown",
        }
    }
}

/// The figure of `metric` in `report` (which must carry its previous period).
pub fn figure(report: &MetricsReport, metric: MetricKey) -> Figure {
    match metric {
        MetricKey::DeploymentFrequency => {
            let f = &report.deployment_frequency;
            let p = f.previous.as_deref();
            Figure {
                metric,
                value: Some(f.per_week),
                previous: p.map(|p| p.per_week),
                tier: f.tier,
                samples: f.deployments,
                previous_samples: p.map_or(0, |p| p.deployments),
                small_sample: f.small_sample,
                previous_small_sample: p.is_none_or(|p| p.small_sample),
                shown: f.shown.clone(),
                previous_shown: p.and_then(|p| p.shown.clone()),
            }
        }
        MetricKey::LeadTime => {
            let f = &report.lead_time;
            let p = f.previous.as_deref();
            Figure {
                metric,
                value: f.median_seconds.map(|s| s as f64),
                previous: p.and_then(|p| p.median_seconds).map(|s| s as f64),
                tier: f.tier,
                samples: f.changes,
                previous_samples: p.map_or(0, |p| p.changes),
                small_sample: f.small_sample,
                previous_small_sample: p.is_none_or(|p| p.small_sample),
                shown: f.shown.clone(),
                previous_shown: p.and_then(|p| p.shown.clone()),
            }
        }
        MetricKey::ChangeFailureRate => {
            let f = &report.change_failure_rate;
            let p = f.previous.as_deref();
            Figure {
                metric,
                value: f.rate,
                previous: p.and_then(|p| p.rate),
                tier: f.tier,
                samples: f.deployments,
                previous_samples: p.map_or(0, |p| p.deployments),
                small_sample: f.small_sample,
                previous_small_sample: p.is_none_or(|p| p.small_sample),
                shown: f.shown.clone(),
                previous_shown: p.and_then(|p| p.shown.clone()),
            }
        }
        MetricKey::TimeToRestore => {
            let f = &report.time_to_restore;
            let p = f.previous.as_deref();
            Figure {
                metric,
                value: f.median_seconds.map(|s| s as f64),
                previous: p.and_then(|p| p.median_seconds).map(|s| s as f64),
                tier: f.tier,
                samples: f.incidents + f.rollbacks,
                previous_samples: p.map_or(0, |p| p.incidents + p.rollbacks),
                small_sample: f.small_sample,
                previous_small_sample: p.is_none_or(|p| p.small_sample),
                shown: f.shown.clone(),
                previous_shown: p.and_then(|p| p.shown.clone()),
            }
        }
        MetricKey::ReworkRate => {
            let f = &report.rework_rate;
            let p = f.previous.as_deref();
            Figure {
                metric,
                value: f.rate,
                previous: p.and_then(|p| p.rate),
                tier: None,
                samples: f.deployments,
                previous_samples: p.map_or(0, |p| p.deployments),
                small_sample: f.small_sample,
                previous_small_sample: p.is_none_or(|p| p.small_sample),
                shown: f.shown.clone(),
                previous_shown: p.and_then(|p| p.shown.clone()),
            }
        }
    }
}

fn is_rate(metric: MetricKey) -> bool {
    matches!(metric, MetricKey::ChangeFailureRate | MetricKey::ReworkRate)
}

/// A value rounded the way every view shows it: "8.2", "1.2 days", "6.1%".
fn number(metric: MetricKey, value: f64) -> String {
    match metric {
        MetricKey::DeploymentFrequency => format::per_week(value),
        MetricKey::LeadTime | MetricKey::TimeToRestore => format::duration(value),
        MetricKey::ChangeFailureRate | MetricKey::ReworkRate => format::percent(value),
    }
}

/// A shown figure in a sentence: "8.2 a week", "1.2 days", "6.1%".
fn in_words(metric: MetricKey, text: String) -> String {
    match metric {
        MetricKey::DeploymentFrequency => format!("{text} a week"),
        _ => text,
    }
}

/// A figure split for a headline tile: the big number and the unit under it.
pub fn tile_parts(f: &Figure) -> (String, String) {
    let Some(text) = f.text() else {
        return ("–".into(), "no data".into());
    };
    match f.metric {
        MetricKey::DeploymentFrequency => (text, "deployments a week".into()),
        MetricKey::LeadTime | MetricKey::TimeToRestore => {
            if text == "under a minute" {
                return ("< 1".into(), "minute".into());
            }
            match text.split_once(' ') {
                Some((number, unit)) => (number.into(), unit.into()),
                None => (text, String::new()),
            }
        }
        MetricKey::ChangeFailureRate | MetricKey::ReworkRate => (
            text.trim_end_matches('%').to_string(),
            "% of deployments".into(),
        ),
    }
}

impl Figure {
    /// The figure as every view shows it: the engine's tier-safe rounding.
    pub fn text(&self) -> Option<String> {
        self.shown
            .clone()
            .or_else(|| self.value.map(|v| number(self.metric, v)))
    }

    /// The previous period's figure, rounded the same way.
    pub fn previous_text(&self) -> Option<String> {
        self.previous_shown
            .clone()
            .or_else(|| self.previous.map(|v| number(self.metric, v)))
    }

    /// [`Figure::text`] in a sentence: "8.2 a week", "1.2 days", "6.1%".
    pub fn words(&self) -> Option<String> {
        self.text().map(|t| in_words(self.metric, t))
    }

    /// [`Figure::previous_text`] in a sentence.
    pub fn previous_words(&self) -> Option<String> {
        self.previous_text().map(|t| in_words(self.metric, t))
    }
    /// How much better (positive) or worse (negative) the figure got: a log ratio, with rates
    /// smoothed. None without both figures.
    pub fn score(&self) -> Option<f64> {
        let (now, before) = (self.value?, self.previous?);
        let ratio = if is_rate(self.metric) {
            (before + RATE_SMOOTHING) / (now + RATE_SMOOTHING)
        } else if self.metric.higher_is_better() {
            if before <= 0.0 || now <= 0.0 {
                return (now != before).then_some(if now > before { 1.0 } else { -1.0 });
            }
            now / before
        } else {
            if before <= 0.0 || now <= 0.0 {
                return None;
            }
            before / now
        };
        Some(ratio.ln())
    }

    /// Better, worse or about the same as the previous period, by the engine's one rule
    /// ([`engine::present::trend`]).
    pub fn trend(&self) -> Trend {
        let kind = if is_rate(self.metric) {
            Kind::Rate
        } else if self.metric.higher_is_better() {
            Kind::PerWeek
        } else {
            Kind::Duration
        };
        match engine::present::trend(kind, self.value, self.previous) {
            Some(engine::present::Trend::Better) => Trend::Better,
            Some(engine::present::Trend::Worse) => Trend::Worse,
            Some(engine::present::Trend::Same) => Trend::Same,
            None => Trend::Unknown,
        }
    }

    /// Whether the value went up, down or stayed (for the arrow): 1, -1 or 0.
    pub fn direction(&self) -> i8 {
        match (self.trend(), self.value, self.previous) {
            (Trend::Same | Trend::Unknown, _, _) => 0,
            (_, Some(now), Some(before)) if now > before => 1,
            _ => -1,
        }
    }

    /// Both periods measured on enough samples to compare them.
    pub fn comparable(&self) -> bool {
        self.value.is_some()
            && self.previous.is_some()
            && !self.small_sample
            && !self.previous_small_sample
    }
}

/// "up from 4.0 days last quarter", "about the same as last quarter", or nothing without a
/// previous figure.
fn change_phrase(f: &Figure, last: &str) -> String {
    let (Some(before), Some(was)) = (f.previous, f.previous_words()) else {
        return format!("with no earlier data to compare with {last}");
    };
    match f.trend() {
        Trend::Same => format!("about the same as {last}"),
        _ if f.value.is_some_and(|v| v > before) => format!("up from {was} {last}"),
        _ => format!("down from {was} {last}"),
    }
}

fn tier_phrase(tier: Option<Tier>) -> String {
    tier.map_or_else(String::new, |t| format!(" — DORA {t} performer"))
}

/// The possessive of a name: "Checkout's", "Sales'".
fn possessive(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}

/// One sentence about one figure of one scope, named `subject`; `with_tier` ends it with the
/// figure's DORA tier (the headline sentences do; a highlight, read as "biggest risk", does not,
/// so a risk never ends on "— DORA high performer").
pub fn sentence(subject: &str, f: &Figure, last: &str, with_tier: bool) -> Option<String> {
    let value = f.value?;
    let said = f.words()?;
    // "The organisation" opens a sentence; inside one it is "the organisation".
    let inner = if subject == "The organisation" {
        "the organisation"
    } else {
        subject
    };
    let change = change_phrase(f, last);
    let tier = if with_tier {
        tier_phrase(f.tier)
    } else {
        String::new()
    };
    Some(match f.metric {
        MetricKey::DeploymentFrequency => format!(
            "{subject} deployed to production {} times, {}, {change}{tier}.",
            format::count(f.samples),
            said
        ),
        MetricKey::LeadTime if f.trend() == Trend::Worse => format!(
            "{subject} now takes {} to ship a change, {change}{tier}.",
            said
        ),
        MetricKey::LeadTime => format!("{subject} now ships a change in {}, {change}{tier}.", said),
        MetricKey::ChangeFailureRate => format!(
            "{} of {} deployments caused a failure in production ({} of {}), {change}{tier}.",
            said,
            possessive(inner),
            format::count(((value * f.samples as f64).round()) as usize),
            format::count(f.samples)
        ),
        MetricKey::TimeToRestore => format!(
            "When {inner} had a failure, service was restored in a median of {}, {change}{tier}.",
            said
        ),
        MetricKey::ReworkRate => format!(
            "{} of {} deployments were unplanned fixes (reverts, hotfixes, rollbacks), {change}.",
            said,
            possessive(inner)
        ),
    })
}

/// The sentences about the report's own scope, one per metric (time to restore says so when
/// nothing needed restoring).
pub fn headline_sentences(report: &MetricsReport, period: &Period) -> Vec<String> {
    let last = format::previous_period_phrase(period);
    let subject = subject(report);
    let mut out = Vec::new();
    let deployments = report.deployment_frequency.deployments;
    if deployments == 0 {
        out.push(format!(
            "{subject} made no production deployments in this period, so there is nothing to \
             measure yet."
        ));
        return out;
    }
    for metric in MetricKey::ALL {
        let f = figure(report, metric);
        match sentence(&subject, &f, &last, true) {
            Some(s) => out.push(s),
            None if metric == MetricKey::TimeToRestore => out.push(format!(
                "{subject} had no incidents or rollbacks to recover from in this period."
            )),
            None if metric == MetricKey::LeadTime => out.push(format!(
                "No change reached production through {} deployments in this period.",
                possessive(&subject.to_lowercase_first())
            )),
            None => {}
        }
    }
    out
}

/// "The organisation", or the tribe's or team's name.
pub fn subject(report: &MetricsReport) -> String {
    if report.team.is_none() {
        "The organisation".into()
    } else {
        report.name.clone()
    }
}

/// A notable change of one metric of one team or tribe.
#[derive(Debug, Clone, PartialEq)]
pub struct Highlight {
    pub team: Option<String>,
    pub name: String,
    pub figure: Figure,
    pub score: f64,
    /// The sentence to read aloud.
    pub sentence: String,
}

/// Every comparable change of every metric of `reports`, best first.
pub fn ranked_changes(reports: &[&MetricsReport], period: &Period) -> Vec<Highlight> {
    let last = format::previous_period_phrase(period);
    let mut out: Vec<Highlight> = reports
        .iter()
        .flat_map(|r| MetricKey::ALL.into_iter().map(move |m| (*r, figure(r, m))))
        .filter(|(_, f)| f.comparable())
        .filter_map(|(r, f)| {
            let score = f.score()?;
            let sentence = sentence(&r.name, &f, &last, false)?;
            Some(Highlight {
                team: r.team.clone(),
                name: r.name.clone(),
                figure: f,
                score,
                sentence,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.figure.metric.as_str().cmp(b.figure.metric.as_str()))
    });
    out
}

/// The biggest improvement and the biggest risk among `reports` (teams, usually), each only if
/// it moved notably on enough data, and never the same scope: when one team holds both, the
/// larger move keeps it and the other highlight goes to the next team.
pub fn highlights(
    reports: &[&MetricsReport],
    period: &Period,
) -> (Option<Highlight>, Option<Highlight>) {
    let ranked = ranked_changes(reports, period);
    let improvements = || ranked.iter().filter(|h| h.score >= NOTABLE);
    let risks = || ranked.iter().rev().filter(|h| h.score <= -NOTABLE);
    let (best, worst) = (improvements().next(), risks().next());
    let (best, worst) = match (best, worst) {
        (Some(b), Some(w)) if b.team == w.team => {
            if b.score >= -w.score {
                (Some(b), risks().find(|h| h.team != b.team))
            } else {
                (improvements().find(|h| h.team != w.team), Some(w))
            }
        }
        pair => pair,
    };
    (best.cloned(), worst.cloned())
}

/// The other notable changes worth a sentence (beyond the two highlights), largest first.
pub fn notable_changes(
    reports: &[&MetricsReport],
    period: &Period,
    limit: usize,
) -> Vec<Highlight> {
    let mut ranked: Vec<Highlight> = ranked_changes(reports, period)
        .into_iter()
        .filter(|h| h.score.abs() >= NOTABLE)
        .collect();
    ranked.sort_by(|a, b| {
        b.score
            .abs()
            .total_cmp(&a.score.abs())
            .then_with(|| a.name.cmp(&b.name))
    });
    // One sentence per team: its largest change.
    let mut seen = std::collections::BTreeSet::new();
    ranked
        .into_iter()
        .filter(|h| seen.insert(h.name.clone()))
        .take(limit)
        .collect()
}

/// What a careful reader should know before quoting the figures of `report`.
pub fn caveats(report: &MetricsReport, small_sample: usize) -> Vec<String> {
    let mut out = Vec::new();
    let subject = subject(report);
    for metric in MetricKey::ALL {
        let f = figure(report, metric);
        if f.value.is_some() && f.small_sample {
            out.push(format!(
                "{} for {} rests on {} sample{} (fewer than {small_sample}): read it as an \
                 indication, not a trend.",
                metric.title(),
                subject.to_lowercase_first(),
                f.samples,
                if f.samples == 1 { "" } else { "s" }
            ));
        }
    }
    if let Some(note) = &report.change_failure_rate.tier_note {
        out.push(format!("Change fail rate tiers: {note}"));
    }
    let ttr = &report.time_to_restore;
    if ttr.open_incidents > 0 {
        out.push(format!(
            "{} incident{} opened in the period {} still open: listed, not counted in time to \
             restore.",
            ttr.open_incidents,
            if ttr.open_incidents == 1 { "" } else { "s" },
            if ttr.open_incidents == 1 { "is" } else { "are" }
        ));
    }
    let unattributed = report.change_failure_rate.unattributed_incidents;
    if unattributed > 0 {
        out.push(format!(
            "{unattributed} incident{} had no deployment to blame (outages not caused by a \
             change) and {} not in the change failure rate.",
            if unattributed == 1 { "" } else { "s" },
            if unattributed == 1 { "is" } else { "are" }
        ));
    }
    let excluded = report.lead_time.excluded.total();
    if excluded > 0 {
        out.push(format!(
            "{} change{} by bots or matching the noise filters {} left out of lead time.",
            format::count(excluded),
            if excluded == 1 { "" } else { "s" },
            if excluded == 1 { "was" } else { "were" }
        ));
    }
    if report.deployment_frequency.failed_attempts > 0 {
        out.push(format!(
            "{} deployment attempt{} failed before reaching production; they are not counted as \
             deployments.",
            format::count(report.deployment_frequency.failed_attempts),
            if report.deployment_frequency.failed_attempts == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    out
}

trait LowerFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowerFirst for String {
    /// "The organisation" -> "the organisation"; names stay as they are.
    fn to_lowercase_first(&self) -> String {
        if self == "The organisation" {
            "the organisation".into()
        } else {
            self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(metric: MetricKey, value: Option<f64>, previous: Option<f64>) -> Figure {
        Figure {
            metric,
            value,
            previous,
            tier: Some(Tier::High),
            samples: 40,
            previous_samples: 40,
            small_sample: false,
            previous_small_sample: false,
            shown: None,
            previous_shown: None,
        }
    }

    #[test]
    fn lower_lead_time_is_better_and_more_deployments_are_better() {
        let lead = fig(MetricKey::LeadTime, Some(86_400.0), Some(4.0 * 86_400.0));
        assert_eq!(lead.trend(), Trend::Better);
        assert_eq!(lead.direction(), -1);
        assert!(lead.score().expect("score") > 1.0);
        let freq = fig(MetricKey::DeploymentFrequency, Some(2.0), Some(8.0));
        assert_eq!(freq.trend(), Trend::Worse);
        assert_eq!(freq.direction(), -1);
        let cfr = fig(MetricKey::ChangeFailureRate, Some(0.104), Some(0.10));
        assert_eq!(cfr.trend(), Trend::Same);
        assert_eq!(cfr.direction(), 0);
        assert_eq!(
            fig(MetricKey::LeadTime, None, Some(1.0)).trend(),
            Trend::Unknown
        );
    }

    #[test]
    fn sentences_say_the_value_the_change_and_the_tier() {
        let lead = fig(
            MetricKey::LeadTime,
            Some(1.2 * 86_400.0),
            Some(4.0 * 86_400.0),
        );
        assert_eq!(
            sentence("Checkout", &lead, "last quarter", true).expect("sentence"),
            "Checkout now ships a change in 1.2 days, down from 4.0 days last quarter — DORA \
             high performer."
        );
        let worse = fig(
            MetricKey::LeadTime,
            Some(4.0 * 86_400.0),
            Some(1.2 * 86_400.0),
        );
        assert!(
            sentence("Email", &worse, "last month", true)
                .expect("sentence")
                .starts_with(
                    "Email now takes 4.0 days to ship a change, up from 1.2 days last month"
                )
        );
        let cfr = fig(MetricKey::ChangeFailureRate, Some(0.25), Some(0.1));
        assert_eq!(
            sentence("Payments", &cfr, "last quarter", true).expect("sentence"),
            "25.0% of Payments' deployments caused a failure in production (10 of 40), up from \
             10.0% last quarter — DORA high performer."
        );
        // As a highlight ("biggest risk") it names no tier.
        assert_eq!(
            sentence("Payments", &cfr, "last quarter", false).expect("sentence"),
            "25.0% of Payments' deployments caused a failure in production (10 of 40), up from \
             10.0% last quarter."
        );
    }

    #[test]
    fn small_samples_are_never_called_out() {
        let mut f = fig(MetricKey::TimeToRestore, Some(100.0), Some(10_000.0));
        assert!(f.comparable());
        f.previous_small_sample = true;
        assert!(!f.comparable());
    }
}
