//! The reports' words as numbers: "on demand", "once per month", "six months". Durations are in
//! seconds, frequencies in deployments per week, rates are fractions of 1.

/// One minute, in seconds.
pub const MINUTE_SECONDS: f64 = 60.0;
/// One hour, in seconds.
pub const HOUR_SECONDS: f64 = 3_600.0;
/// One day, in seconds.
pub const DAY_SECONDS: f64 = 86_400.0;
/// One week, in seconds.
pub const WEEK_SECONDS: f64 = 604_800.0;
/// "One month": a twelfth of a 52-week year (4 1/3 weeks, about 30.33 days), so that a duration of
/// one month and a frequency of once per month ([`ONCE_PER_MONTH_PER_WEEK`]) agree.
pub const MONTH_SECONDS: f64 = WEEK_SECONDS * 52.0 / 12.0;
/// "Six months": half a 52-week year, 26 weeks.
pub const SIX_MONTHS_SECONDS: f64 = WEEK_SECONDS * 26.0;

/// "On demand (multiple deploys per day)": at least one deployment per working day on average.
pub const ON_DEMAND_PER_WEEK: f64 = 5.0;
/// "Once per day", read as once per working day: it meets the on-demand floor exactly, so the
/// 2023 and 2024 elite and high bands touch without a gap.
pub const ONCE_PER_DAY_PER_WEEK: f64 = ON_DEMAND_PER_WEEK;
/// "Once per week".
pub const ONCE_PER_WEEK_PER_WEEK: f64 = 1.0;
/// "Once per month": twelve deployments in a 52-week year.
pub const ONCE_PER_MONTH_PER_WEEK: f64 = 12.0 / 52.0;
/// "Once every six months": two deployments in a 52-week year.
pub const ONCE_PER_SIX_MONTHS_PER_WEEK: f64 = 2.0 / 52.0;
