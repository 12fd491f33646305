//! Presentation policy, in one place: how a figure is rounded when it is shown, and when a change
//! from the previous period reads as better, worse or about the same. The metrics JSON carries
//! both (`shown`, `trend`), so the dashboard, the report, the slide, the charts and the CLI say the
//! same thing about the same figure. `docs/metrics.md` ("How figures are shown") has the rules
//! with worked examples.

use crate::tiers::Tier;
use serde::Serialize;

/// Relative changes smaller than this (of the larger of the two figures) read as "about the same".
pub const SAME_RELATIVE: f64 = 0.05;
/// Changes of a rate smaller than this (one percentage point) read as "about the same".
pub const SAME_POINTS: f64 = 0.01;

/// What a figure measures, which decides how it is rounded and which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Deployments per week: higher is better.
    PerWeek,
    /// A duration in seconds: lower is better.
    Duration,
    /// A share of deployments, 0..=1: lower is better.
    Rate,
}

/// Which way a figure moved since the previous period, judged by what is good for the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    Better,
    Worse,
    Same,
}

impl Trend {
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Better => "better",
            Trend::Worse => "worse",
            Trend::Same => "same",
        }
    }
}

/// Better, worse or the same as `before`; `None` without both figures. Rates compare in
/// percentage points (under [`SAME_POINTS`] is the same), the others relatively (under
/// [`SAME_RELATIVE`] of the larger figure is the same).
pub fn trend(kind: Kind, now: Option<f64>, before: Option<f64>) -> Option<Trend> {
    let (now, before) = (now?, before?);
    let same = match kind {
        Kind::Rate => (now - before).abs() < SAME_POINTS,
        Kind::PerWeek | Kind::Duration => {
            let base = now.abs().max(before.abs());
            base == 0.0 || (now - before).abs() / base < SAME_RELATIVE
        }
    };
    if same {
        return Some(Trend::Same);
    }
    let up = now > before;
    Some(if up == (kind == Kind::PerWeek) {
        Trend::Better
    } else {
        Trend::Worse
    })
}

/// How much a figure moved from `before` to `now`, as the dashboard's arrow says it (one
/// rounding for every view): rates in percentage points with one decimal ("1.5 pts"); other
/// figures relative to the previous one, with one decimal under 10 % and whole from there ("3.9%",
/// "12%"), or "from zero" when the previous figure was 0. Trailing zeros are dropped ("2 pts").
/// `None` without both figures. Which way is better is [`trend`]'s to say.
pub fn change(kind: Kind, now: Option<f64>, before: Option<f64>) -> Option<String> {
    let (now, before) = (now?, before?);
    let trimmed = |value: f64, decimals: usize| {
        let text = format!("{value:.decimals$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    };
    Some(match kind {
        Kind::Rate => format!("{} pts", trimmed((now - before).abs() * 100.0, 1)),
        _ if before == 0.0 => "from zero".to_string(),
        Kind::PerWeek | Kind::Duration => {
            let percent = ((now - before) / before).abs() * 100.0;
            format!("{}%", trimmed(percent, if percent < 10.0 { 1 } else { 0 }))
        }
    })
}

/// A figure as shown, rounded as [`duration`], [`percent`] or [`per_week`] round it, with as many
/// more decimals (at most two) as it takes for the number a reader sees to fall in the same tier
/// as the figure: 23.6 hours (elite, under a day) never shows as "24 hours".
pub fn shown(kind: Kind, value: f64, tier: impl Fn(f64) -> Option<Tier>) -> String {
    let actual = tier(value);
    let mut text = String::new();
    for extra in 0..=2 {
        let (t, read) = match kind {
            Kind::PerWeek => per_week_at(value, extra),
            Kind::Duration => duration_at(value, extra),
            Kind::Rate => percent_at(value, extra),
        };
        text = t;
        if tier(read) == actual {
            break;
        }
    }
    text
}

/// What to do before there is anything to measure: no team configured, or nothing ever
/// ingested. Empty when both are done. The dashboard's first-run page and the CLI say these same
/// words instead of rating an empty organisation "low".
pub fn first_steps(teams: usize, has_data: bool) -> Vec<String> {
    let mut steps = Vec::new();
    if teams == 0 {
        steps.push(
            "Name your teams and their repositories in doraboard.toml: a [[teams]] entry with \
             slug, name and repos (doraboard.example.toml shows every key)."
                .to_string(),
        );
    }
    if !has_data {
        steps.extend([
            "Set GITHUB_TOKEN and run `doraboard collect` to read pull requests, deployments \
             and incidents from GitHub."
                .to_string(),
            "Or load events from your CI or incident tool with `doraboard import FILE` (NDJSON \
             or CSV, see docs/events.md)."
                .to_string(),
            "Or look around first with the demo organisation: `doraboard serve --demo`."
                .to_string(),
        ]);
    }
    steps
}

const MINUTE: f64 = 60.0;
const HOUR: f64 = 3_600.0;
const DAY: f64 = 86_400.0;
const WEEK: f64 = 7.0 * DAY;

/// `value` with `decimals` decimals, and the number that text reads as.
fn fixed(value: f64, decimals: usize) -> (String, f64) {
    let text = format!("{value:.decimals$}");
    let read = text.parse().unwrap_or(value);
    (text, read)
}

/// "1 hour", "1 day", "2.5 days".
fn unit(number: String, one: &str, many: &str) -> String {
    if number == "1" || number == "1.0" {
        format!("1 {one}")
    } else {
        format!("{number} {many}")
    }
}

fn duration_at(seconds: f64, extra: usize) -> (String, f64) {
    if !seconds.is_finite() {
        return ("–".into(), seconds);
    }
    if seconds < MINUTE {
        return ("under a minute".into(), seconds);
    }
    let (scale, decimals, one, many) = if seconds < 90.0 * MINUTE {
        (MINUTE, 0, "min", "min")
    } else if seconds < DAY {
        let hours = seconds / HOUR;
        (HOUR, usize::from(hours < 9.95), "hour", "hours")
    } else if seconds < 3.0 * WEEK {
        (DAY, 1, "day", "days")
    } else {
        (WEEK, 1, "week", "weeks")
    };
    let (number, read) = fixed(seconds / scale, decimals + extra);
    (unit(number, one, many), read * scale)
}

fn percent_at(rate: f64, extra: usize) -> (String, f64) {
    let p = rate * 100.0;
    let decimals = if p == 0.0 || p >= 99.95 { 0 } else { 1 };
    let (number, read) = fixed(p, decimals + extra);
    (format!("{number}%"), read / 100.0)
}

fn per_week_at(value: f64, extra: usize) -> (String, f64) {
    if value == 0.0 {
        return ("0".into(), 0.0);
    }
    fixed(value, if value < 1.0 { 2 } else { 1 } + extra)
}

/// A duration in the unit a person would say it in: "35 min", "5.4 hours", "1.2 days",
/// "3.1 weeks" ([`crate::duration::Style::Spoken`]).
pub fn duration(seconds: f64) -> String {
    duration_at(seconds, 0).0
}

/// A share as a percentage: "6.1%", "0%", "100%".
pub fn percent(rate: f64) -> String {
    percent_at(rate, 0).0
}

/// Deployments per week: "14.2", "0.62", "0".
pub fn per_week(value: f64) -> String {
    per_week_at(value, 0).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiers::Bands;

    #[test]
    fn trends_use_five_percent_of_the_larger_figure_and_one_point_for_rates() {
        use Trend::*;
        // 10 -> 10.4 per week is 3.8 % of 10.4: the same; 10 -> 10.6 is 5.7 %: better.
        assert_eq!(trend(Kind::PerWeek, Some(10.4), Some(10.0)), Some(Same));
        assert_eq!(trend(Kind::PerWeek, Some(10.6), Some(10.0)), Some(Better));
        // A longer lead time is worse, a shorter one better.
        assert_eq!(
            trend(Kind::Duration, Some(7_200.0), Some(3_600.0)),
            Some(Worse)
        );
        assert_eq!(
            trend(Kind::Duration, Some(3_600.0), Some(7_200.0)),
            Some(Better)
        );
        // 11 % -> 11.5 % is half a point: the same; 11 % -> 12.5 % is worse.
        assert_eq!(trend(Kind::Rate, Some(0.115), Some(0.11)), Some(Same));
        assert_eq!(trend(Kind::Rate, Some(0.125), Some(0.11)), Some(Worse));
        assert_eq!(trend(Kind::Rate, Some(0.0), None), None);
        assert_eq!(trend(Kind::PerWeek, Some(0.0), Some(0.0)), Some(Same));
    }

    #[test]
    fn changes_are_relative_to_the_previous_figure_or_in_points_for_rates() {
        // 10 -> 10.39 per week: 0.39 / 10 = 3.9 %; 10 -> 11.24: 12.4 %, whole from 10 %.
        assert_eq!(
            change(Kind::PerWeek, Some(10.39), Some(10.0)).as_deref(),
            Some("3.9%")
        );
        assert_eq!(
            change(Kind::PerWeek, Some(11.24), Some(10.0)).as_deref(),
            Some("12%")
        );
        // 2 hours -> 1 hour is down 50 %; 4 % exactly drops its zero.
        assert_eq!(
            change(Kind::Duration, Some(3_600.0), Some(7_200.0)).as_deref(),
            Some("50%")
        );
        assert_eq!(
            change(Kind::Duration, Some(104.0), Some(100.0)).as_deref(),
            Some("4%")
        );
        // 11 % -> 12.5 % is 1.5 points; 10 % -> 8 % is 2 points.
        assert_eq!(
            change(Kind::Rate, Some(0.125), Some(0.11)).as_deref(),
            Some("1.5 pts")
        );
        assert_eq!(
            change(Kind::Rate, Some(0.08), Some(0.10)).as_deref(),
            Some("2 pts")
        );
        assert_eq!(
            change(Kind::PerWeek, Some(3.0), Some(0.0)).as_deref(),
            Some("from zero")
        );
        assert_eq!(change(Kind::Rate, Some(0.1), None), None);
    }

    #[test]
    fn a_shown_figure_never_reads_as_another_tier() {
        let bands = Bands::published("2024").expect("2024 bands");
        let lead = |v: f64| Some(bands.lead_time(v));
        // 23.6 hours is under a day; rounded to "24 hours" it would read as a whole day.
        assert_eq!(
            (bands.lead_time(23.6 * HOUR), bands.lead_time(DAY)),
            (Tier::Elite, Tier::High)
        );
        assert_eq!(shown(Kind::Duration, 23.6 * HOUR, lead), "23.6 hours");
        // 24.3 hours is a day or more, as "1 day" reads.
        assert_eq!(shown(Kind::Duration, 24.3 * HOUR, lead), "1 day");
        // Far from an edge, the usual rounding.
        assert_eq!(shown(Kind::Duration, 14.4 * HOUR, lead), "14 hours");
        assert_eq!(shown(Kind::Duration, 70.0 * MINUTE, lead), "70 min");
    }

    #[test]
    fn first_steps_say_what_is_missing() {
        assert_eq!(first_steps(3, true), Vec::<String>::new());
        let none = first_steps(0, false);
        assert_eq!(none.len(), 4);
        assert!(none[0].contains("[[teams]]"));
        assert!(none[1].contains("GITHUB_TOKEN") && none[1].contains("doraboard collect"));
        assert!(none[2].contains("doraboard import"));
        assert!(none[3].contains("--demo"));
        assert_eq!(first_steps(2, false).len(), 3);
        assert_eq!(first_steps(0, true).len(), 1);
    }

    #[test]
    fn figures_round_the_way_people_say_them() {
        assert_eq!(duration(30.0), "under a minute");
        assert_eq!(duration(35.0 * MINUTE), "35 min");
        assert_eq!(duration(5.44 * HOUR), "5.4 hours");
        assert_eq!(duration(HOUR * 1.5), "1.5 hours");
        assert_eq!(duration(18.2 * HOUR), "18 hours");
        assert_eq!(duration(1.2 * DAY), "1.2 days");
        assert_eq!(duration(DAY), "1 day");
        assert_eq!(duration(3.1 * WEEK), "3.1 weeks");
        assert_eq!(percent(0.0612), "6.1%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(per_week(14.24), "14.2");
        assert_eq!(per_week(0.625), "0.62");
        assert_eq!(per_week(0.0), "0");
    }
}
