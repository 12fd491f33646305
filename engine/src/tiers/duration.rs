//! Durations as the configuration writes them.

/// A duration written as a whole number and a unit: `30s`, `30m`, `12h`, `7d`, `2w`.
///
/// The error says what was wrong without naming a key, so callers prefix their own
/// (`metrics.custom_tiers.lead_time: ...`).
pub fn parse_duration(s: &str) -> Result<chrono::Duration, String> {
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
