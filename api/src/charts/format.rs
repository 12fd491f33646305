//! Numbers and dates the way a person says them: "1.2 days", "6.1%", "14.2 a week",
//! "1 Aug – 31 Oct 2026". Charts, the report and the slide all format through here, so the same
//! figure reads the same everywhere.

use chrono::{Datelike, Duration, NaiveDate};
use engine::period::{Bucket, Period};

// Rounding is the engine's presentation policy, shared with the metrics JSON's `shown`.
pub use engine::present::{duration, per_week, percent};

/// [`duration`] of an optional figure; a dash when there is none.
pub fn opt_duration(seconds: Option<i64>) -> String {
    seconds.map_or_else(|| "–".into(), |s| duration(s as f64))
}

/// [`percent`] of an optional figure; a dash when there is none.
pub fn opt_percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".into(), percent)
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
    fn counts_have_thousands_separators() {
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
