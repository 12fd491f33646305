//! Numbers and dates the way a person says them: "1.2 days", "6.1%", "14.2 a week",
//! "1 Aug – 31 Oct 2026". Charts, the report and the slide all format through here, so the same
//! figure reads the same everywhere.

use chrono::{Datelike, Duration, NaiveDate};
use engine::period::{Bucket, Period};

const MINUTE: f64 = 60.0;
const HOUR: f64 = 3_600.0;
const DAY: f64 = 86_400.0;
const WEEK: f64 = 7.0 * DAY;

/// One decimal below ten, none above: "5.4", "18".
fn short(value: f64) -> String {
    if value < 9.95 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

fn plural(value: String, one: &str, many: &str) -> String {
    if value == "1" || value == "1.0" {
        format!("1 {one}")
    } else {
        format!("{value} {many}")
    }
}

/// A duration in the unit a person would say it in: "35 min", "5.4 hours", "1.2 days",
/// "3.1 weeks".
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "–".into();
    }
    if seconds < MINUTE {
        "under a minute".into()
    } else if seconds < 90.0 * MINUTE {
        format!("{:.0} min", seconds / MINUTE)
    } else if seconds < DAY {
        plural(short(seconds / HOUR), "hour", "hours")
    } else if seconds < 3.0 * WEEK {
        plural(format!("{:.1}", seconds / DAY), "day", "days")
    } else {
        plural(format!("{:.1}", seconds / WEEK), "week", "weeks")
    }
}

/// [`duration`] of an optional figure; a dash when there is none.
pub fn opt_duration(seconds: Option<i64>) -> String {
    seconds.map_or_else(|| "–".into(), |s| duration(s as f64))
}

/// A share as a percentage: "6.1%", "0%", "100%".
pub fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if p == 0.0 || p >= 99.95 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// [`percent`] of an optional figure; a dash when there is none.
pub fn opt_percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".into(), percent)
}

/// Deployments per week: "14.2", "0.62", "0".
pub fn per_week(value: f64) -> String {
    if value == 0.0 {
        "0".into()
    } else if value < 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.1}")
    }
}

/// A count with thousands separators: "1,234".
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "3 Aug 2026".
pub fn date(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), month(d), d.year())
}

fn month(d: NaiveDate) -> &'static str {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS[d.month0() as usize]
}

/// The days a period covers, inclusive (its `to` is exclusive): "1 Aug – 31 Oct 2026",
/// "3 – 9 Aug 2026", "1 Nov 2025 – 31 Jan 2026", "5 Aug 2026".
pub fn period(p: &Period) -> String {
    let first = p.from;
    let last = p.to - Duration::days(1);
    if first == last {
        date(first)
    } else if first.year() != last.year() {
        format!("{} – {}", date(first), date(last))
    } else if first.month() != last.month() {
        format!("{} {} – {}", first.day(), month(first), date(last))
    } else {
        format!("{} – {}", first.day(), date(last))
    }
}

/// How to call the previous period of equal length in a sentence: "last quarter", "last month",
/// "last week", "last year", or "the previous 45 days".
pub fn previous_period_phrase(p: &Period) -> String {
    match p.days() {
        7 => "last week".into(),
        28..=31 => "last month".into(),
        89..=92 => "last quarter".into(),
        365 | 366 => "last year".into(),
        n => format!("the previous {n} days"),
    }
}

/// The label of a bucket on an axis: "3 Aug" (day, week), "Aug 2026" (month), "Q3 2026".
pub fn bucket_label(bucket: Bucket, start: NaiveDate) -> String {
    match bucket {
        Bucket::Day | Bucket::Week => format!("{} {}", start.day(), month(start)),
        Bucket::Month => format!("{} {}", month(start), start.year()),
        Bucket::Quarter => format!("Q{} {}", start.month0() / 3 + 1, start.year()),
    }
}

/// "per week", "per day", ...: how a series is cut, in a caption.
pub fn per_bucket(bucket: Bucket) -> &'static str {
    match bucket {
        Bucket::Day => "per day",
        Bucket::Week => "per week",
        Bucket::Month => "per month",
        Bucket::Quarter => "per quarter",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        Period::parse_date(s).expect("date")
    }

    #[test]
    fn durations_read_in_the_unit_a_person_would_use() {
        assert_eq!(duration(30.0), "under a minute");
        assert_eq!(duration(35.0 * MINUTE), "35 min");
        assert_eq!(duration(5.4 * HOUR), "5.4 hours");
        assert_eq!(duration(18.2 * HOUR), "18 hours");
        assert_eq!(duration(HOUR * 1.5), "1.5 hours");
        assert_eq!(duration(1.2 * DAY), "1.2 days");
        assert_eq!(duration(DAY), "1 day");
        assert_eq!(duration(4.0 * WEEK), "4.0 weeks");
    }

    #[test]
    fn percentages_and_frequencies_keep_sensible_precision() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.061), "6.1%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(per_week(14.15), "14.2");
        assert_eq!(per_week(0.615), "0.61");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(12), "12");
    }

    #[test]
    fn periods_are_shown_with_their_last_day_inclusive() {
        let p = |a, b| Period::new(d(a), d(b)).expect("period");
        assert_eq!(
            period(&p("2026-08-01", "2026-11-01")),
            "1 Aug – 31 Oct 2026"
        );
        assert_eq!(period(&p("2026-08-03", "2026-08-10")), "3 – 9 Aug 2026");
        assert_eq!(
            period(&p("2025-11-01", "2026-02-01")),
            "1 Nov 2025 – 31 Jan 2026"
        );
        assert_eq!(period(&p("2026-08-05", "2026-08-06")), "5 Aug 2026");
        assert_eq!(
            previous_period_phrase(&p("2026-07-01", "2026-10-01")),
            "last quarter"
        );
        assert_eq!(
            previous_period_phrase(&p("2026-07-01", "2026-07-16")),
            "the previous 15 days"
        );
    }

    #[test]
    fn bucket_labels_follow_the_bucket() {
        assert_eq!(bucket_label(Bucket::Week, d("2026-08-03")), "3 Aug");
        assert_eq!(bucket_label(Bucket::Month, d("2026-08-01")), "Aug 2026");
        assert_eq!(bucket_label(Bucket::Quarter, d("2026-07-01")), "Q3 2026");
    }
}
