//! Periods and buckets in a team's own time zone.
//!
//! A period is `[from, to)` in whole local days: it starts at local midnight of `from` and ends at
//! local midnight of `to`. Buckets (day, ISO week, month, quarter) are cut at local midnights too,
//! so a deployment at 00:30 on a Monday in Warsaw lands in that Monday's week, not in the week
//! before, as it would in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A whole-day span `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Why a period is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("`from` ({from}) must be before `to` ({to}); `to` is exclusive")]
    Empty { from: NaiveDate, to: NaiveDate },
    #[error("`{value}` is not a date: expected YYYY-MM-DD (or an RFC 3339 timestamp)")]
    BadDate { value: String },
    #[error("`{value}` is not a calendar date: {month} has no day {day}")]
    NoSuchDay {
        value: String,
        month: String,
        day: u32,
    },
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, PeriodError> {
        if from < to {
            Ok(Self { from, to })
        } else {
            Err(PeriodError::Empty { from, to })
        }
    }

    /// Parses a `YYYY-MM-DD` date, or the date part of a whole RFC 3339 timestamp; anything
    /// after the date but a valid timestamp's time (`2026-01-01xyz`) is refused, and so is a day
    /// the month does not have (`2026-02-30`), saying so.
    pub fn parse_date(value: &str) -> Result<NaiveDate, PeriodError> {
        let bad = || PeriodError::BadDate {
            value: value.to_string(),
        };
        if value.len() > 10 {
            return DateTime::parse_from_rfc3339(value)
                .map(|t| t.date_naive())
                .map_err(|_| bad());
        }
        let fields: Vec<&str> = value.split('-').collect();
        let [year, month, day] = fields.as_slice() else {
            return Err(bad());
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
            return Err(bad());
        }
        let (Ok(y), Ok(m), Ok(d)) = (year.parse(), month.parse::<u32>(), day.parse::<u32>()) else {
            return Err(bad());
        };
        let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
        NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| PeriodError::NoSuchDay {
            value: value.to_string(),
            month: first.format("%B %Y").to_string(),
            day: d,
        })
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days()
    }

    /// The period of equal length just before this one: what every trend compares against.
    pub fn previous(&self) -> Period {
        Period {
            from: self.from - Duration::days(self.days()),
            to: self.from,
        }
    }

    pub fn start(&self, tz: Tz) -> DateTime<Utc> {
        local_midnight(self.from, tz)
    }

    pub fn end(&self, tz: Tz) -> DateTime<Utc> {
        local_midnight(self.to, tz)
    }

    /// The part of the period that has happened by `now`, in zone `tz`: a period reaching past
    /// today is measured up to the end of today (today counts as a whole day), so the days still
    /// to come do not dilute its rates. A period starting after today keeps its first day.
    pub fn measured(&self, now: DateTime<Utc>, tz: Tz) -> Period {
        let tomorrow = now.with_timezone(&tz).date_naive() + Duration::days(1);
        Period {
            from: self.from,
            to: self.to.min(tomorrow).max(self.from + Duration::days(1)),
        }
    }
}

/// The first instant of a local day. Where midnight does not exist (a DST gap at midnight), the
/// first instant that does.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut local = date.and_time(chrono::NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(at) = tz.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
        local += Duration::minutes(30);
    }
    // No zone has a gap longer than two hours; fall back to reading the date as UTC.
    Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

/// How a period is cut into a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Day,
    Week,
    Month,
    Quarter,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
        }
    }

    /// The first day of the bucket holding `day` (weeks start on Monday, as ISO 8601 says).
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => day,
            Self::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Self::Month => day.with_day(1).unwrap_or(day),
            Self::Quarter => {
                let month = (day.month0() / 3) * 3 + 1;
                NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day)
            }
        }
    }

    /// How many buckets a series over `period` has, counting no further than `cap + 1`: what a
    /// request's series would cost, known before it is computed.
    pub fn count_in(self, period: &Period, cap: usize) -> usize {
        let mut start = self.start_of(period.from);
        let mut count = 0;
        while start < period.to && count <= cap {
            count += 1;
            let next = self.next_start(start);
            if next <= start {
                break;
            }
            start = next;
        }
        count
    }

    /// The first day of the next bucket after the one starting at `start`.
    fn next_start(self, start: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => start + Duration::days(1),
            Self::Week => start + Duration::days(7),
            Self::Month => start
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(start),
            Self::Quarter => start
                .checked_add_months(chrono::Months::new(3))
                .unwrap_or(start),
        }
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Bucket {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            "quarter" => Ok(Self::Quarter),
            other => Err(format!(
                "`{other}` is not a bucket: expected day, week, month or quarter"
            )),
        }
    }
}

/// One bucket of a series, clipped to the period: `[start, end)` in local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The period cuts the bucket: it has fewer days than a whole one (a Monday-to-Friday week,
    /// the 1st to the 10th of a month). Rates over it are over its real days; it is drawn apart
    /// from the trend and never counts towards a target.
    pub partial: bool,
}

impl Span {
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// The same span `days` earlier: the previous period's bucket at the same position.
    pub fn shifted_back(&self, days: i64) -> Span {
        Span {
            start: self.start - Duration::days(days),
            end: self.end - Duration::days(days),
            partial: self.partial,
        }
    }
}

/// The buckets covering a period, in order; the first and last are clipped to the period.
pub fn spans(period: &Period, bucket: Bucket) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = bucket.start_of(period.from);
    while start < period.to {
        let next = bucket.next_start(start);
        if next <= start {
            break;
        }
        out.push(Span {
            start: start.max(period.from),
            end: next.min(period.to),
            partial: start < period.from || next > period.to,
        });
        start = next;
    }
    out
}

/// The index of the span holding `at` (in zone `tz`), if any.
pub fn span_index(spans: &[Span], at: DateTime<Utc>, tz: Tz) -> Option<usize> {
    let day = at.with_timezone(&tz).date_naive();
    let i = spans.partition_point(|s| s.end <= day);
    spans.get(i).filter(|s| s.start <= day).map(|_| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        Period::parse_date(s).expect("test date")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test timestamp")
            .with_timezone(&Utc)
    }

    #[test]
    fn previous_period_has_equal_length_and_ends_where_this_starts() {
        let p = Period::new(d("2026-04-01"), d("2026-07-01")).expect("period");
        assert_eq!(p.days(), 91);
        assert_eq!(
            p.previous(),
            Period {
                from: d("2025-12-31"),
                to: d("2026-04-01")
            }
        );
    }

    #[test]
    fn empty_or_reversed_period_is_refused() {
        assert!(Period::new(d("2026-04-01"), d("2026-04-01")).is_err());
        assert!(Period::new(d("2026-04-02"), d("2026-04-01")).is_err());
    }

    #[test]
    fn weeks_start_on_monday_and_are_clipped_to_the_period() {
        // 2026-03-04 is a Wednesday.
        let p = Period::new(d("2026-03-04"), d("2026-03-20")).expect("period");
        let s = spans(&p, Bucket::Week);
        assert_eq!(
            s,
            vec![
                Span {
                    start: d("2026-03-04"),
                    end: d("2026-03-09"),
                    partial: true
                },
                Span {
                    start: d("2026-03-09"),
                    end: d("2026-03-16"),
                    partial: false
                },
                Span {
                    start: d("2026-03-16"),
                    end: d("2026-03-20"),
                    partial: true
                },
            ]
        );
    }

    #[test]
    fn only_buckets_the_period_cuts_are_partial() {
        // Saturday 2026-09-05 to Saturday 2026-10-03: a two-day week first, a five-day one last.
        let p = Period::new(d("2026-09-05"), d("2026-10-03")).expect("period");
        let s = spans(&p, Bucket::Week);
        let flags: Vec<(i64, bool)> = s.iter().map(|s| (s.days(), s.partial)).collect();
        assert_eq!(
            flags,
            vec![(2, true), (7, false), (7, false), (7, false), (5, true)]
        );
        // A whole calendar quarter by month: nothing is cut.
        let q = Period::new(d("2026-07-01"), d("2026-10-01")).expect("period");
        assert!(spans(&q, Bucket::Month).iter().all(|s| !s.partial));
        assert_eq!(
            s[1].shifted_back(28),
            Span {
                start: d("2026-08-10"),
                end: d("2026-08-17"),
                partial: false
            }
        );
    }

    #[test]
    fn a_period_reaching_past_today_is_measured_to_the_end_of_today() {
        let quarter = Period::new(d("2026-10-01"), d("2027-01-01")).expect("period");
        // 23:30 UTC on 4 December is already 5 December in Warsaw.
        let now = utc("2026-12-04T23:30:00Z");
        assert_eq!(quarter.measured(now, Tz::UTC).to, d("2026-12-05"));
        let tz: Tz = "Europe/Warsaw".parse().expect("zone");
        assert_eq!(quarter.measured(now, tz).to, d("2026-12-06"));
        // A period in the past is measured whole; one starting tomorrow keeps one day.
        let past = Period::new(d("2026-07-01"), d("2026-10-01")).expect("period");
        assert_eq!(past.measured(now, Tz::UTC), past);
        let future = Period::new(d("2027-01-01"), d("2027-04-01")).expect("period");
        assert_eq!(future.measured(now, Tz::UTC).to, d("2027-01-02"));
    }

    #[test]
    fn quarters_and_months_follow_the_calendar() {
        let p = Period::new(d("2026-02-15"), d("2026-08-01")).expect("period");
        let q = spans(&p, Bucket::Quarter);
        assert_eq!(q.len(), 3);
        assert_eq!(
            q[1],
            Span {
                start: d("2026-04-01"),
                end: d("2026-07-01"),
                partial: false
            }
        );
        assert_eq!(spans(&p, Bucket::Month).len(), 6);
    }

    #[test]
    fn midnight_in_warsaw_belongs_to_the_local_day_not_the_utc_day() {
        let tz: Tz = "Europe/Warsaw".parse().expect("zone");
        let p = Period::new(d("2026-01-05"), d("2026-01-19")).expect("period");
        let s = spans(&p, Bucket::Week);
        // Monday 2026-01-12 00:30 in Warsaw is Sunday 23:30 UTC.
        let at = utc("2026-01-11T23:30:00Z");
        assert_eq!(span_index(&s, at, tz), Some(1));
        assert_eq!(span_index(&s, at, Tz::UTC), Some(0));
    }

    #[test]
    fn period_bounds_are_local_midnights_across_dst() {
        let tz: Tz = "Europe/Warsaw".parse().expect("zone");
        // DST starts on 2026-03-29 in Europe: winter is UTC+1, summer UTC+2.
        let p = Period::new(d("2026-03-29"), d("2026-03-30")).expect("period");
        assert_eq!(p.start(tz), utc("2026-03-28T23:00:00Z"));
        assert_eq!(p.end(tz), utc("2026-03-29T22:00:00Z"));
    }

    #[test]
    fn a_midnight_that_does_not_exist_starts_at_the_first_instant_that_does() {
        // Santiago skipped 2022-09-11 00:00-01:00 local.
        let tz: Tz = "America/Santiago".parse().expect("zone");
        assert_eq!(
            local_midnight(d("2022-09-11"), tz),
            utc("2022-09-11T04:00:00Z")
        );
    }

    #[test]
    fn bad_bucket_and_bad_date_name_the_value() {
        assert!(
            "fortnight"
                .parse::<Bucket>()
                .unwrap_err()
                .contains("`fortnight`")
        );
        assert!(
            Period::parse_date("2026-13-01")
                .unwrap_err()
                .to_string()
                .contains("2026-13-01")
        );
    }

    #[test]
    fn dates_are_parsed_strictly_and_say_why_they_are_refused() {
        assert_eq!(Period::parse_date("2026-02-28"), Ok(d("2026-02-28")));
        assert_eq!(
            Period::parse_date("2026-02-28T23:30:00-02:00"),
            Ok(d("2026-02-28"))
        );
        for junk in [
            "2026-01-01xyz",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "",
            "2026-01-01T",
        ] {
            assert!(
                matches!(Period::parse_date(junk), Err(PeriodError::BadDate { .. })),
                "{junk}"
            );
        }
        let no_day = Period::parse_date("2026-02-30").unwrap_err().to_string();
        assert!(no_day.contains("February 2026 has no day 30"), "{no_day}");
    }

    #[test]
    fn bucket_counts_cover_partial_buckets_at_both_ends_and_stop_at_the_cap() {
        let p = Period::new(d("2026-03-04"), d("2026-04-02")).expect("period");
        assert_eq!(Bucket::Day.count_in(&p, 100), 29);
        // ISO weeks from Monday 2 March to the week of Wednesday 1 April: 5.
        assert_eq!(Bucket::Week.count_in(&p, 100), 5);
        assert_eq!(Bucket::Month.count_in(&p, 100), 2);
        assert_eq!(Bucket::Quarter.count_in(&p, 100), 2);
        let decade = Period::new(d("2016-01-01"), d("2026-01-01")).expect("period");
        assert_eq!(Bucket::Day.count_in(&decade, 2000), 2001);
    }
}
