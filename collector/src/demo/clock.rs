//! Time and chance for the demo: the year's calendar, working hours in a team's zone, and the few
//! random distributions the simulation draws from.
//!
//! Only IEEE basic arithmetic and `sqrt` touch floating point here (no `exp`, `ln` or `cos`,
//! whose last bits differ between math libraries), and every draw ends as whole minutes, so the
//! same seed gives the same records on every platform.

use chrono::{
    Datelike, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use engine::model::Timestamp;
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

/// The demo year and the dates its patterns hinge on.
#[derive(Debug, Clone)]
pub(super) struct Calendar {
    /// First day of the history (`end` - 365 days), inclusive.
    pub start: NaiveDate,
    /// The day after the history, exclusive.
    pub end: NaiveDate,
    pub start_ts: Timestamp,
    pub end_ts: Timestamp,
    /// Checkout moves from weekly to daily deployments on this Monday (mid-year).
    pub checkout_switch: NaiveDate,
    /// Payments' incident-heavy quarter: the last full calendar quarter before `end`'s quarter.
    pub bad_quarter: (NaiveDate, NaiveDate),
}

impl Calendar {
    pub fn new(end: NaiveDate) -> Self {
        let start = end - Duration::days(365);
        let mut checkout_switch = start + Duration::days(182);
        while checkout_switch.weekday() != Weekday::Mon {
            checkout_switch = checkout_switch.succ_opt().unwrap_or(checkout_switch);
        }
        let quarter_month = (end.month0() / 3) * 3 + 1;
        let quarter_start = end
            .with_day(1)
            .and_then(|d| d.with_month(quarter_month))
            .unwrap_or(end);
        let bad_start = quarter_start
            .checked_sub_months(Months::new(3))
            .unwrap_or(start);
        Calendar {
            start,
            end,
            start_ts: midnight_utc(start),
            end_ts: midnight_utc(end),
            checkout_switch,
            bad_quarter: (bad_start, quarter_start),
        }
    }

    pub fn in_bad_quarter(&self, date: NaiveDate) -> bool {
        date >= self.bad_quarter.0 && date < self.bad_quarter.1
    }

    /// The shop's peak-season change freeze (22 December to 2 January): Commerce ships only
    /// hotfixes and reverts.
    pub fn in_holiday_freeze(&self, date: NaiveDate) -> bool {
        (date.month() == 12 && date.day() >= 22) || (date.month() == 1 && date.day() <= 2)
    }

    /// Every local date of the history, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let (start, end) = (self.start, self.end);
        start.iter_days().take_while(move |d| *d < end)
    }
}

pub(super) fn midnight_utc(date: NaiveDate) -> Timestamp {
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

/// `date` at `minutes` after local midnight.
pub(super) fn at(date: NaiveDate, minutes: i64) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) + Duration::minutes(minutes)
}

/// A local time in `tz` as UTC. Inside a daylight-saving gap the clock is moved on by an hour;
/// an ambiguous time takes its first occurrence.
pub(super) fn to_utc(tz: Tz, local: NaiveDateTime) -> Timestamp {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => match tz.from_local_datetime(&(local + Duration::hours(1))) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => Utc.from_utc_datetime(&local),
        },
    }
}

pub(super) fn to_local(tz: Tz, t: Timestamp) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

pub(super) fn is_workday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

const DAY_START: i64 = 9 * 60;
const DAY_END: i64 = 18 * 60;

fn minute_of_day(t: NaiveDateTime) -> i64 {
    (t - t.date().and_time(NaiveTime::MIN)).num_minutes()
}

/// The first working moment (Monday to Friday, 9:00-18:00) at or after `t`.
pub(super) fn next_work(t: NaiveDateTime) -> NaiveDateTime {
    let date = t.date();
    let minute = minute_of_day(t);
    if is_workday(date) && (DAY_START..DAY_END).contains(&minute) {
        return t;
    }
    if is_workday(date) && minute < DAY_START {
        return at(date, DAY_START);
    }
    let mut next = date + Duration::days(1);
    while !is_workday(next) {
        next += Duration::days(1);
    }
    at(next, DAY_START)
}

/// `t` moved on by `minutes` of working time: nights and weekends do not count.
pub(super) fn add_work(t: NaiveDateTime, minutes: i64) -> NaiveDateTime {
    let mut t = next_work(t);
    let mut left = minutes.max(0);
    loop {
        let day_end = at(t.date(), DAY_END);
        let available = (day_end - t).num_minutes();
        if left < available {
            return t + Duration::minutes(left);
        }
        left -= available;
        t = next_work(day_end);
    }
}

/// `t` (UTC) moved on by `minutes` of working time in `tz`.
pub(super) fn add_work_utc(tz: Tz, t: Timestamp, minutes: i64) -> Timestamp {
    to_utc(tz, add_work(to_local(tz, t), minutes)).max(t)
}

/// A right-skewed duration in whole minutes (at least 1) with the given median: a log-logistic
/// draw of shape 2 (p75 = 1.7 x median, p90 = 3 x median), its tails cut at 1/7 and 7 x median.
pub(super) fn skewed(rng: &mut ChaCha8Rng, median: f64) -> i64 {
    let u: f64 = rng.random_range(0.02..0.98);
    let x = median * (u / (1.0 - u)).sqrt();
    (x.round() as i64).max(1)
}

/// A whole number of events with the given mean (a binomial close to Poisson).
pub(super) fn count(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    const TRIALS: u32 = 24;
    let p = (mean / f64::from(TRIALS)).clamp(0.0, 1.0);
    (0..TRIALS).filter(|_| rng.random_bool(p)).count() as u32
}

pub(super) fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.random_bool(p.clamp(0.0, 1.0))
}

/// Whole minutes in `[lo, hi]`.
pub(super) fn minutes(rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> Duration {
    Duration::minutes(rng.random_range(lo..=hi.max(lo)))
}

pub(super) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    let len = u32::try_from(items.len()).unwrap_or(u32::MAX).max(1);
    &items[rng.random_range(0..len) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(date: (i32, u32, u32), h: i64, m: i64) -> NaiveDateTime {
        at(
            NaiveDate::from_ymd_opt(date.0, date.1, date.2).expect("valid date"),
            h * 60 + m,
        )
    }

    #[test]
    fn working_time_skips_nights_and_weekends() {
        // Friday 17:00 + 2h of work = Monday 10:00.
        assert_eq!(
            add_work(dt((2026, 5, 15), 17, 0), 120),
            dt((2026, 5, 18), 10, 0)
        );
        // Saturday: starts Monday 9:00.
        assert_eq!(
            add_work(dt((2026, 5, 16), 12, 0), 30),
            dt((2026, 5, 18), 9, 30)
        );
        // Early morning waits for 9:00.
        assert_eq!(
            add_work(dt((2026, 5, 13), 6, 0), 0),
            dt((2026, 5, 13), 9, 0)
        );
        // A full working day (9h) from Tuesday 9:00 ends Wednesday 9:00.
        assert_eq!(
            add_work(dt((2026, 5, 12), 9, 0), 540),
            dt((2026, 5, 13), 9, 0)
        );
    }

    #[test]
    fn calendar_picks_the_previous_full_quarter() {
        let end = NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date");
        let cal = Calendar::new(end);
        assert_eq!(
            cal.start,
            NaiveDate::from_ymd_opt(2025, 11, 22).expect("valid")
        );
        assert_eq!(
            cal.bad_quarter,
            (
                NaiveDate::from_ymd_opt(2026, 7, 1).expect("valid"),
                NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid")
            )
        );
        assert_eq!(cal.checkout_switch.weekday(), Weekday::Mon);
        assert!(cal.checkout_switch > cal.start + Duration::days(170));
        assert!(cal.checkout_switch < cal.start + Duration::days(200));
    }

    #[test]
    fn daylight_saving_gap_moves_on() {
        // 2026-03-08 02:30 does not exist in New York.
        let t = to_utc(chrono_tz::America::New_York, dt((2026, 3, 8), 2, 30));
        assert_eq!(t.to_rfc3339(), "2026-03-08T07:30:00+00:00");
    }
}
