//! Durations as text, both ways: the one formatter of seconds, and the parser of the
//! configuration's `30m`, `12h`, `7d`.
//!
//! Four styles, on purpose, because four places need different things from the same seconds:
//! a figure a person compares at a glance ([`Style::Spoken`]), the exact gap in a reason
//! ([`Style::Compact`]), a threshold that must read back as the number it is ([`Style::Exact`])
//! and a spreadsheet cell that must be a number ([`Style::Hours`]).

/// How [`format()`] writes a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// In the unit a person would say it, rounded by the presentation policy
    /// ([`crate::present::duration`]): "35 min", "5.4 hours", "1.2 days". Every figure a view
    /// shows (metrics JSON `shown`, dashboard, charts, report, CLI).
    Spoken,
    /// Whole days, hours and minutes, the rest dropped: "3d 4h", "3h 30m", "45m". Reasons in an
    /// analysis, where "2d 4h" says more than "2.2 days".
    Compact,
    /// The largest unit that holds it a whole number of times, else seconds with one decimal:
    /// "1w", "36h", "90m", "30.5s". Tier thresholds, which must read back exactly.
    Exact,
    /// Hours with two decimals and no unit: "12.50". CSV columns named `..._hours`, which a
    /// spreadsheet reads as numbers.
    Hours,
}

const MINUTE: f64 = 60.0;
const HOUR: f64 = 3_600.0;
const DAY: f64 = 86_400.0;
const WEEK: f64 = 604_800.0;

/// `seconds` as text in `style`.
pub fn format(seconds: f64, style: Style) -> String {
    match style {
        Style::Spoken => crate::present::duration(seconds),
        Style::Compact => compact(seconds),
        Style::Exact => exact(seconds),
        Style::Hours => format!("{:.2}", seconds / HOUR),
    }
}

fn compact(seconds: f64) -> String {
    let minutes = (seconds / MINUTE).floor().max(0.0) as i64;
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    match (days, hours, mins) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

fn exact(seconds: f64) -> String {
    for (unit, size) in [("w", WEEK), ("d", DAY), ("h", HOUR), ("m", MINUTE)] {
        let count = seconds / size;
        if seconds >= size && count.fract() == 0.0 {
            return format!("{count}{unit}");
        }
    }
    let text = format!("{seconds:.1}");
    format!("{}s", text.trim_end_matches('0').trim_end_matches('.'))
}

/// A duration written as a whole number and a unit: `30s`, `30m`, `12h`, `7d`, `2w`.
///
/// The error says what was wrong without naming a key, so callers prefix their own
/// (`metrics.custom_tiers.lead_time: ...`).
pub fn parse(s: &str) -> Result<chrono::Duration, String> {
    let invalid = || format!("`{s}` is not a duration (expected e.g. 30m, 12h, 7d, 2w)");
    let text = s.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(invalid());
    }
    let count: i64 = number.parse().map_err(|_| invalid())?;
    let unit_seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(invalid()),
    };
    count
        .checked_mul(unit_seconds)
        .and_then(chrono::Duration::try_seconds)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_durations_read_naturally() {
        assert_eq!(format(45.0 * MINUTE, Style::Compact), "45m");
        assert_eq!(format(3.0 * HOUR, Style::Compact), "3h");
        assert_eq!(format(210.0 * MINUTE, Style::Compact), "3h 30m");
        assert_eq!(format(7.0 * DAY, Style::Compact), "7d");
        assert_eq!(format(52.0 * HOUR, Style::Compact), "2d 4h");
        // Seconds past the minute are dropped, a negative gap reads as none.
        assert_eq!(format(45.0 * MINUTE + 59.0, Style::Compact), "45m");
        assert_eq!(format(-30.0, Style::Compact), "0m");
    }

    #[test]
    fn exact_durations_use_the_largest_whole_unit() {
        assert_eq!(format(WEEK, Style::Exact), "1w");
        assert_eq!(format(36.0 * HOUR, Style::Exact), "36h");
        assert_eq!(format(90.0 * MINUTE, Style::Exact), "90m");
        assert_eq!(format(30.5, Style::Exact), "30.5s");
        assert_eq!(format(30.0, Style::Exact), "30s");
    }

    #[test]
    fn hours_are_a_number_with_two_decimals() {
        assert_eq!(format(45_000.0, Style::Hours), "12.50");
        assert_eq!(format(60.0, Style::Hours), "0.02");
        assert_eq!(format(0.0, Style::Hours), "0.00");
    }

    #[test]
    fn spoken_durations_follow_the_presentation_policy() {
        assert_eq!(format(35.0 * MINUTE, Style::Spoken), "35 min");
        assert_eq!(format(1.2 * DAY, Style::Spoken), "1.2 days");
    }

    #[test]
    fn parsing_reads_every_unit() {
        let seconds = |text: &str| parse(text).expect("valid").num_seconds();
        assert_eq!(seconds("30s"), 30);
        assert_eq!(seconds("30m"), 1_800);
        assert_eq!(seconds("12h"), 43_200);
        assert_eq!(seconds("7d"), 604_800);
        assert_eq!(seconds("2w"), 1_209_600);
        assert_eq!(seconds("0s"), 0);
        assert_eq!(seconds(" 1d "), 86_400);
    }

    #[test]
    fn parsing_refuses_what_it_cannot_read() {
        for text in [
            "2x",
            "",
            "h",
            "12",
            "1.5h",
            "-1h",
            "1 h",
            "1H",
            "1d2h",
            "1hour",
            "99999999999999999999w",
            "9999999999999999w",
        ] {
            assert_eq!(
                parse(text),
                Err(format!(
                    "`{text}` is not a duration (expected e.g. 30m, 12h, 7d, 2w)"
                )),
                "{text:?}"
            );
        }
    }
}
