//! The digest: a short summary of the last full week or month, sent to Slack-compatible
//! webhooks and by email, by `doraboard digest` and by `serve` on `digest.schedule`.
//!
//! - [`Digest`] and [`Digest::from_report`]: what the summary says, taken from the executive
//!   report ([`crate::report`]) so the two never disagree;
//! - [`slack`]: the Block Kit message; [`email`]: the HTML email with the slide attached;
//! - [`channels`]: the channels of `[digest]`, checked, and delivery with retries;
//! - [`schedule`]: `serve`'s schedule, sending each period once across replicas.
//!
//! What the message says and how: `docs/digest.md`.

pub mod channels;
pub mod email;
pub mod schedule;
pub mod slack;

use crate::charts::{MetricKey, format};
use crate::report::Report;
use crate::report::narrative::{self, Figure, Highlight, Trend};
use chrono::{Datelike, Days, Months, NaiveDate};
use engine::config::{DigestPeriod, ScopeKind};
use engine::period::Period;
use engine::present::Kind;

/// One of the five figures, as the digest lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub metric: MetricKey,
    /// "8.2 a week", "1.2 days", "6.1%", or "no data".
    pub shown: String,
    /// The previous period's figure, rounded the same way.
    pub previous: Option<String>,
    pub trend: Trend,
    /// How much it moved, as the dashboard's arrow says it ("12%", "1.5 pts").
    pub change: Option<String>,
    /// Measured on fewer samples than `metrics.small_sample`: said, so it is read with care.
    pub small_sample: bool,
    /// The figure's benchmark score on DORA's Quick Check scale, 0 to 10 (10 best).
    pub score: Option<f64>,
}

impl Line {
    fn of(f: &Figure, score: Option<f64>) -> Line {
        let kind = match f.metric {
            MetricKey::ChangeFailureRate | MetricKey::ReworkRate => Kind::Rate,
            MetricKey::DeploymentFrequency => Kind::PerWeek,
            MetricKey::LeadTime | MetricKey::TimeToRestore => Kind::Duration,
        };
        Line {
            metric: f.metric,
            shown: f.words().unwrap_or_else(|| "no data".into()),
            previous: f.previous_words(),
            trend: f.trend(),
            change: engine::present::change(kind, f.value, f.previous),
            small_sample: f.small_sample && f.value.is_some(),
            score,
        }
    }

    /// The figure and its trend in words: "8.2 a week, up 12% from 7.3 a week last week: better",
    /// then "(small sample)" when it rests on few samples, and its score ("· score 8.3 / 10").
    pub fn words(&self, last: &str) -> String {
        let mut said = self.trend_words(last);
        if self.small_sample {
            said.push_str(" (small sample)");
        }
        if let Some(score) = self.score {
            said.push_str(&format!(" · score {score:.1} / 10"));
        }
        said
    }

    fn trend_words(&self, last: &str) -> String {
        let shown = &self.shown;
        match (&self.previous, &self.change, self.trend) {
            (Some(was), _, Trend::Same) => {
                format!("{shown}, about the same as {last} ({was})")
            }
            (Some(was), Some(change), trend @ (Trend::Better | Trend::Worse)) => {
                let up = match (trend, self.metric.higher_is_better()) {
                    (Trend::Better, higher) => higher,
                    (_, higher) => !higher,
                };
                let way = if up { "up" } else { "down" };
                format!(
                    "{shown}, {way} {change} from {was} {last}: {}",
                    trend.as_str()
                )
            }
            _ => format!("{shown}, nothing to compare with {last}"),
        }
    }
}

/// Everything the digest says.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    /// "Organisation", "Commerce tribe", "Checkout team".
    pub scope_title: String,
    /// The team or tribe (`None`: the organisation).
    pub team: Option<String>,
    pub period: Period,
    /// "last week", "last month": what every trend compares with.
    pub last: String,
    pub lines: Vec<Line>,
    /// The biggest improvement and the biggest risk, a sentence each (see [`highlights`]).
    pub improvement: Option<String>,
    pub risk: Option<String>,
    /// The report of the period on the dashboard, when `digest.dashboard_url` is set.
    pub link: Option<String>,
    /// The overall benchmark score against the configured benchmark, as the report says it
    /// ("7.4 / 10, industry average 4.5").
    pub score: Option<String>,
}

impl Digest {
    /// The digest of `report`, linking to the dashboard at `dashboard_url`.
    pub fn from_report(report: &Report, dashboard_url: Option<&str>) -> Digest {
        let (improvement, risk) = highlights(report);
        let team = report.headline.team.clone();
        let (score, metric_scores) = scores(report);
        Digest {
            scope_title: report.scope_title(),
            link: dashboard_url.map(|url| report_link(url, team.as_deref(), &report.period)),
            team,
            period: report.period,
            last: format::previous_period_phrase(&report.period),
            lines: MetricKey::GROUPED
                .into_iter()
                .zip(metric_scores)
                .map(|(m, score)| Line::of(&narrative::figure(&report.headline, m), score))
                .collect(),
            improvement: improvement.map(|h| h.sentence),
            risk: risk.map(|h| h.sentence),
            score,
        }
    }

    /// "Delivery digest · Organisation · 23 – 29 Nov 2026".
    pub fn title(&self) -> String {
        format!(
            "Delivery digest · {} · {}",
            self.scope_title,
            format::period(&self.period)
        )
    }

    /// The improvement sentence, or what to say when nothing improved notably.
    pub fn improvement_words(&self) -> String {
        self.improvement
            .clone()
            .unwrap_or_else(|| format!("No figure improved notably on {}.", self.last))
    }

    /// The risk sentence, or what to say when nothing got notably worse.
    pub fn risk_words(&self) -> String {
        self.risk
            .clone()
            .unwrap_or_else(|| format!("No figure got notably worse than {}.", self.last))
    }

    /// The digest as plain text: `--dry-run` prints it, and it is the message's fallback text
    /// (notifications, and chat servers that do not draw blocks).
    pub fn text(&self) -> String {
        let mut out = format!("{}\n", self.title());
        if let Some(score) = &self.score {
            out.push_str(&format!("DORA score: {score}\n"));
        }
        for line in &self.lines {
            out.push_str(&format!(
                "• {}: {}\n",
                line.metric.title(),
                line.words(&self.last)
            ));
        }
        out.push_str(&format!(
            "Biggest improvement: {}\n",
            self.improvement_words()
        ));
        out.push_str(&format!("Biggest risk: {}\n", self.risk_words()));
        if let Some(link) = &self.link {
            out.push_str(&format!("Report: {link}\n"));
        }
        out
    }
}

/// The benchmark scores of the report's scope (the metrics answer's `dora_score`): the overall
/// one as the report says it, and each metric's (in [`MetricKey::GROUPED`] order).
fn scores(report: &Report) -> (Option<String>, [Option<f64>; 5]) {
    let s = &report.headline.dora_score;
    let metric = |m: MetricKey| match m {
        MetricKey::DeploymentFrequency => s.deployment_frequency.score,
        MetricKey::LeadTime => s.lead_time.score,
        MetricKey::ChangeFailureRate => s.change_failure_rate.score,
        MetricKey::TimeToRestore => s.time_to_restore.score,
        MetricKey::ReworkRate => s.rework_rate.score,
    };
    (s.headline(), MetricKey::GROUPED.map(metric))
}

/// The biggest improvement and the biggest risk. For a tribe or the organisation, the report's
/// own (across its teams, never both on one team: `docs/report.md`); for a team, its own
/// figures' largest notable moves each way, since it has no other team to give one to.
pub fn highlights(report: &Report) -> (Option<Highlight>, Option<Highlight>) {
    if report.kind != ScopeKind::Team {
        return (report.improvement.clone(), report.risk.clone());
    }
    let ranked = narrative::ranked_changes(&[&report.headline], &report.period);
    let best = ranked.first().filter(|h| h.score >= narrative::NOTABLE);
    let worst = ranked.last().filter(|h| h.score <= -narrative::NOTABLE);
    (best.cloned(), worst.cloned())
}

/// The link to the period's report on the dashboard.
pub fn report_link(dashboard_url: &str, team: Option<&str>, period: &Period) -> String {
    let base = dashboard_url.trim_end_matches('/');
    let team = team.map(|t| format!("&team={t}")).unwrap_or_default();
    format!(
        "{base}/api/v1/report?from={}&to={}{team}",
        period.from, period.to
    )
}

/// The last full period before `today` (a date in the organisation's time zone): the ISO week
/// (Monday to Sunday) or the calendar month that ended before it.
pub fn last_full(kind: DigestPeriod, today: NaiveDate) -> Period {
    let (from, to) = match kind {
        DigestPeriod::Week => {
            let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
            (monday - Days::new(7), monday)
        }
        DigestPeriod::Month => {
            let first = today.with_day(1).unwrap_or(today);
            (first - Months::new(1), first)
        }
    };
    Period { from, to }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    /// A digest of a scope whose name needs escaping everywhere it is shown.
    pub(super) fn sample() -> Digest {
        Digest {
            scope_title: "R&D <core> team".into(),
            team: Some("rnd".into()),
            period: last_full(DigestPeriod::Week, day("2026-12-03")),
            last: "last week".into(),
            lines: vec![line(
                MetricKey::DeploymentFrequency,
                "8.2 a week",
                Some("7.3 a week"),
                Trend::Better,
            )],
            improvement: Some("R&D <core> deployed more.".into()),
            risk: None,
            score: Some("7.4 / 10, industry average 4.5".into()),
            link: Some(
                "https://dora.example.com/api/v1/report?from=2026-11-23&to=2026-11-30".into(),
            ),
        }
    }

    #[test]
    fn the_last_full_week_runs_monday_to_monday_before_today() {
        // Thursday 3 December 2026: the week of Monday 23 November.
        let p = last_full(DigestPeriod::Week, day("2026-12-03"));
        assert_eq!((p.from, p.to), (day("2026-11-23"), day("2026-11-30")));
        // On a Monday, the week that ended the night before.
        let p = last_full(DigestPeriod::Week, day("2026-11-30"));
        assert_eq!((p.from, p.to), (day("2026-11-23"), day("2026-11-30")));
    }

    #[test]
    fn the_last_full_month_is_the_calendar_month_before_today() {
        let p = last_full(DigestPeriod::Month, day("2026-03-01"));
        assert_eq!((p.from, p.to), (day("2026-02-01"), day("2026-03-01")));
        let p = last_full(DigestPeriod::Month, day("2026-01-31"));
        assert_eq!((p.from, p.to), (day("2025-12-01"), day("2026-01-01")));
    }

    #[test]
    fn the_link_names_the_period_and_the_team() {
        let p = last_full(DigestPeriod::Week, day("2026-12-03"));
        assert_eq!(
            report_link("https://dora.example.com/", Some("checkout"), &p),
            "https://dora.example.com/api/v1/report?from=2026-11-23&to=2026-11-30&team=checkout"
        );
        assert_eq!(
            report_link("https://dora.example.com", None, &p),
            "https://dora.example.com/api/v1/report?from=2026-11-23&to=2026-11-30"
        );
    }

    fn line(metric: MetricKey, shown: &str, previous: Option<&str>, trend: Trend) -> Line {
        Line {
            metric,
            shown: shown.into(),
            previous: previous.map(Into::into),
            trend,
            change: previous.map(|_| "12%".into()),
            small_sample: false,
            score: None,
        }
    }

    #[test]
    fn a_line_says_which_way_the_figure_moved_and_whether_that_is_good() {
        let l = line(
            MetricKey::DeploymentFrequency,
            "8.2 a week",
            Some("7.3 a week"),
            Trend::Better,
        );
        assert_eq!(
            l.words("last week"),
            "8.2 a week, up 12% from 7.3 a week last week: better"
        );
        let l = line(
            MetricKey::LeadTime,
            "2 days",
            Some("1.8 days"),
            Trend::Worse,
        );
        assert_eq!(
            l.words("last week"),
            "2 days, up 12% from 1.8 days last week: worse"
        );
        let l = line(
            MetricKey::LeadTime,
            "1.6 days",
            Some("1.8 days"),
            Trend::Better,
        );
        assert_eq!(
            l.words("last week"),
            "1.6 days, down 12% from 1.8 days last week: better"
        );
        let l = line(MetricKey::ReworkRate, "5%", Some("5.1%"), Trend::Same);
        assert_eq!(
            l.words("last month"),
            "5%, about the same as last month (5.1%)"
        );
        let mut l = line(MetricKey::TimeToRestore, "2 hours", None, Trend::Unknown);
        l.small_sample = true;
        assert_eq!(
            l.words("last week"),
            "2 hours, nothing to compare with last week (small sample)"
        );
        let mut l = line(
            MetricKey::LeadTime,
            "20 hours",
            Some("1.8 days"),
            Trend::Better,
        );
        l.score = Some(8.33);
        assert_eq!(
            l.words("last week"),
            "20 hours, down 12% from 1.8 days last week: better · score 8.3 / 10"
        );
        let l = line(MetricKey::TimeToRestore, "no data", None, Trend::Unknown);
        assert_eq!(
            l.words("last week"),
            "no data, nothing to compare with last week"
        );
    }
}
