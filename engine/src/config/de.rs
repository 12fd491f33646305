//! Field deserializers: each checks one value, so the error carries its key path.

use super::{MAX_CONCURRENCY, MAX_DIGEST_ATTEMPTS, MAX_PENDING_DELIVERIES, TIER_TABLES};
use crate::model::RepoSlug;
use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::str::FromStr;

pub(super) fn de_non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Err(D::Error::custom("expected a non-empty string"));
    }
    Ok(s)
}

pub(super) fn de_opt_non_empty<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    de_non_empty(d).map(Some)
}

pub(super) fn de_database_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    check_database_url(&s).map_err(D::Error::custom)?;
    Ok(s)
}

/// Never echoes the URL: it may carry a password.
fn check_database_url(url: &str) -> Result<(), String> {
    const EXPECTED: &str =
        "expected `sqlite://FILE`, `sqlite::memory:` or `postgres://USER@HOST/DATABASE`";
    let scheme = url.split_once(':').map(|(scheme, _)| scheme);
    match scheme {
        Some("sqlite" | "postgres" | "postgresql") => Ok(()),
        Some(s)
            if !s.is_empty()
                && s.len() <= 16
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            Err(format!("unsupported database URL scheme `{s}`: {EXPECTED}"))
        }
        _ => Err(format!("not a database URL: {EXPECTED}")),
    }
}

pub(super) fn de_http_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let trimmed = s.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_string())
        }
        _ => Err(D::Error::custom(format!(
            "expected an http(s) URL such as `https://api.github.com` or \
             `https://github.example.com/api/v3`, found `{s}`"
        ))),
    }
}

pub(super) fn de_opt_env_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    de_env_name(d).map(Some)
}

/// The name of an environment variable. The value is never echoed: a token pasted here by
/// mistake must not end up in a log.
pub(super) fn de_env_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let valid = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(D::Error::custom(
            "expected the NAME of an environment variable (capital letters, digits and `_`, \
             e.g. `GITHUB_TOKEN`), not the secret itself; the value is not shown here",
        ));
    }
    Ok(s)
}

pub(super) fn de_slug<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let valid = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(D::Error::custom(format!(
            "expected a slug of letters, digits, `-`, `_` or `.` (it appears in URLs), \
             found `{s}`"
        )));
    }
    Ok(s)
}

pub(super) fn check_cron(expr: &str) -> Result<cron::Schedule, String> {
    let fields = expr.split_whitespace().count();
    let hint = if fields == 5 {
        " — this looks like a classic 5-field crontab line: doraboard's cron expressions have a \
         seconds field first, so prefix it with `0 `"
    } else {
        ""
    };
    cron::Schedule::from_str(expr).map_err(|e| {
        // Some of the crate's messages are the expression with a caret under it: keep one line.
        let e = e.to_string();
        let why = match e.trim() {
            one_line if !one_line.contains('\n') && !one_line.is_empty() => {
                format!(" ({one_line})")
            }
            _ => String::new(),
        };
        // With the right number of fields, a value is out of range: say the ranges.
        let expected = if matches!(fields, 6 | 7) {
            "each field within its range: sec 0-59, min 0-59, hour 0-23, day-of-month 1-31, \
             month 1-12, day-of-week 1-7 or Sun-Sat"
        } else {
            "expected 6 or 7 fields, seconds first (sec min hour day-of-month month \
             day-of-week [year])"
        };
        format!(
            "invalid cron expression `{expr}`{why}: {expected}, e.g. `0 */15 * * * *` for every \
             15 minutes{hint}"
        )
    })
}

pub(super) fn de_opt_http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    de_http_url(d).map(Some)
}

pub(super) fn de_attempts<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = i64::deserialize(d)?;
    match u32::try_from(n) {
        Ok(n) if (1..=MAX_DIGEST_ATTEMPTS).contains(&n) => Ok(n),
        _ => Err(D::Error::custom(format!(
            "expected a number of tries from 1 to {MAX_DIGEST_ATTEMPTS}, found {n}"
        ))),
    }
}

/// A date string `YYYY-MM-DD`, or a TOML local date (`since = 2025-01-01` unquoted).
pub(super) fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let text = match toml::Value::deserialize(d)? {
        toml::Value::String(s) => s,
        toml::Value::Datetime(dt) => dt.to_string(),
        other => {
            return Err(D::Error::custom(format!(
                "expected a date as \"YYYY-MM-DD\", e.g. \"2025-01-01\", found a {}",
                other.type_str()
            )));
        }
    };
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|e| {
        D::Error::custom(format!(
            "expected a date as \"YYYY-MM-DD\", e.g. \"2025-01-01\", found `{text}` ({e})"
        ))
    })
}

/// A concurrency limit: a whole number from 1 to [`MAX_CONCURRENCY`].
pub(super) fn de_concurrency<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = i64::deserialize(d)?;
    usize::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_CONCURRENCY).contains(n))
        .ok_or_else(|| {
            D::Error::custom(format!(
                "expected a whole number from 1 to {MAX_CONCURRENCY}, found {n}"
            ))
        })
}

pub(super) fn de_pending_deliveries<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = i64::deserialize(d)?;
    usize::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_PENDING_DELIVERIES).contains(n))
        .ok_or_else(|| {
            D::Error::custom(format!(
                "expected a whole number from 1 to {MAX_PENDING_DELIVERIES}, found {n}"
            ))
        })
}

/// Durations are `"30m"`, `"12h"`, `"7d"`, `"2w"` (units s, m, h, d, w), above zero.
fn positive_duration(s: &str) -> Result<Duration, String> {
    let d = crate::duration::parse(s)?;
    if d <= Duration::zero() {
        return Err(format!("expected a duration longer than zero, found `{s}`"));
    }
    Ok(d)
}

pub(super) fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    match toml::Value::deserialize(d)? {
        toml::Value::String(s) => positive_duration(&s).map_err(D::Error::custom),
        other => Err(D::Error::custom(format!(
            "expected a duration as a string with a unit, such as \"30m\", \"12h\", \"7d\" or \
             \"2w\", found the {} `{other}`",
            other.type_str()
        ))),
    }
}

pub(super) fn de_opt_duration<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Duration>, D::Error> {
    de_duration(d).map(Some)
}

pub(super) fn de_opt_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let r = f64::deserialize(d)?;
    if !(0.0..=1.0).contains(&r) {
        return Err(D::Error::custom(format!(
            "expected a rate between 0 and 1 (0.15 for 15%), found {r}"
        )));
    }
    Ok(Some(r))
}

pub(super) fn de_opt_positive<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let r = f64::deserialize(d)?;
    if !(r.is_finite() && r > 0.0) {
        return Err(D::Error::custom(format!(
            "expected a number of deployments per week above 0, found {r}"
        )));
    }
    Ok(Some(r))
}

fn parse_tz(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>().map_err(|_| {
        format!(
            "unknown time zone `{s}`: expected an IANA name such as \"Europe/Warsaw\", \
             \"America/New_York\" or \"UTC\""
        )
    })
}

pub(super) fn de_tz<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let s = String::deserialize(d)?;
    parse_tz(&s).map_err(D::Error::custom)
}

pub(super) fn de_opt_tz<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Tz>, D::Error> {
    de_tz(d).map(Some)
}

/// `"2024"`, `"2023"`, `"2021"` or `"custom"`; a bare year (`tiers = 2023`) is accepted too.
pub(super) fn de_tiers<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = match toml::Value::deserialize(d)? {
        toml::Value::String(s) => s,
        toml::Value::Integer(i) => i.to_string(),
        other => other.to_string(),
    };
    if !TIER_TABLES.contains(&s.as_str()) {
        return Err(D::Error::custom(format!(
            "expected one of \"2024\", \"2023\", \"2021\" or \"custom\", found `{s}`"
        )));
    }
    Ok(s)
}

/// A string that compiles as a regular expression, with its compiled form.
pub(super) struct RegexPattern {
    pub(super) text: String,
    pub(super) regex: regex::Regex,
}

impl<'de> Deserialize<'de> for RegexPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let regex = regex::Regex::new(&s).map_err(|e| {
            // The syntax error is drawn over several lines; its last line says what is wrong.
            let e = e.to_string();
            let why = e.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            let why = why.trim().trim_start_matches("error: ");
            D::Error::custom(format!("invalid regular expression `{s}`: {why}"))
        })?;
        Ok(RegexPattern { text: s, regex })
    }
}

/// A string that compiles as a glob, with its compiled form.
pub(super) struct GlobPattern {
    pub(super) text: String,
    pub(super) glob: globset::Glob,
}

impl<'de> Deserialize<'de> for GlobPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(D::Error::custom(
                "expected a glob such as `services/loyalty/**`",
            ));
        }
        let glob = globset::Glob::new(&s)
            .map_err(|e| D::Error::custom(format!("invalid glob `{s}`: {}", e.kind())))?;
        Ok(GlobPattern { text: s, glob })
    }
}

/// A non-empty list of globs.
struct GlobList(Vec<String>);

impl<'de> Deserialize<'de> for GlobList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Vec<GlobPattern> = Vec::deserialize(d)?;
        if v.is_empty() {
            return Err(D::Error::custom(
                "expected at least one glob, e.g. [\"services/loyalty/**\"]",
            ));
        }
        Ok(GlobList(v.into_iter().map(|p| p.text).collect()))
    }
}

pub(super) fn de_team_paths<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<RepoSlug, Vec<String>>, D::Error> {
    let m: BTreeMap<RepoSlug, GlobList> = BTreeMap::deserialize(d)?;
    Ok(m.into_iter().map(|(repo, globs)| (repo, globs.0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::config::testing::*;

    #[test]
    fn bad_cron() {
        let m = invalid(
            parse("[collector]\nschedule = \"*/15 * * * *\""),
            "test.toml",
            "collector.schedule",
        );
        assert!(m.contains("seconds first"), "{m}");
        assert!(m.contains("prefix it with `0 `"), "{m}");
        invalid(
            parse("[collector]\nschedule = \"every hour\""),
            "test.toml",
            "collector.schedule",
        );
        // Six fields, one out of range: the ranges, not a field count.
        let m = invalid(
            parse("[collector]\nschedule = \"0 61 * * * *\""),
            "test.toml",
            "collector.schedule",
        );
        assert!(m.contains("min 0-59"), "{m}");
        assert!(!m.contains("expected 6 or 7 fields"), "{m}");
        let c = parse("[collector]\nschedule = \"0 0 6 * * Mon-Fri\"").expect("weekdays at 6");
        assert_eq!(c.collector.schedule, "0 0 6 * * Mon-Fri");
    }

    #[test]
    fn dates() {
        let m = invalid(
            parse("[collector]\nsince = \"2025-13-01\""),
            "test.toml",
            "collector.since",
        );
        assert!(m.contains("YYYY-MM-DD"), "{m}");
        let c = parse("[collector]\nsince = 2024-06-30").expect("TOML date");
        assert_eq!(
            c.collector.since,
            NaiveDate::from_ymd_opt(2024, 6, 30).expect("date")
        );
        invalid(
            parse("[collector]\nsince = 2024-06-30T10:00:00"),
            "test.toml",
            "collector.since",
        );
    }

    #[test]
    fn concurrency_limits() {
        let c = parse("[collector]\nrepo_concurrency = 1\npr_concurrency = 64\nmax_in_flight = 16")
            .expect("in range");
        assert_eq!(c.collector.repo_concurrency, 1);
        assert_eq!(c.collector.pr_concurrency, 64);
        assert_eq!(c.collector.max_in_flight, 16);
        for key in ["repo_concurrency", "pr_concurrency", "max_in_flight"] {
            let path = format!("collector.{key}");
            for bad in ["0", "-1", "65", "4.5", "\"four\""] {
                let m = invalid(
                    parse(&format!("[collector]\n{key} = {bad}")),
                    "test.toml",
                    &path,
                );
                if !bad.contains(['.', '"']) {
                    assert!(m.contains("from 1 to 64"), "{m}");
                }
            }
            let var = format!("DORABOARD_COLLECTOR_{}", key.to_ascii_uppercase());
            let c = parse_env("", &[(var.as_str(), "8")]).expect("override");
            assert_eq!(
                [
                    c.collector.repo_concurrency,
                    c.collector.pr_concurrency,
                    c.collector.max_in_flight
                ]
                .iter()
                .filter(|n| **n == 8)
                .count(),
                1,
                "{var}"
            );
            let m = invalid(
                parse_env("", &[(var.as_str(), "0")]),
                &format!("environment variable {var}"),
                &path,
            );
            assert!(m.contains("from 1 to 64"), "{m}");
            invalid(
                parse_env("", &[(var.as_str(), "many")]),
                &format!("environment variable {var}"),
                &path,
            );
        }
    }

    #[test]
    fn bad_time_zone() {
        let text = r#"
[[teams]]
slug = "a"
repos = ["acme/a"]
[[teams]]
slug = "b"
repos = ["acme/b"]
time_zone = "Europe/Warzaw"
"#;
        let m = invalid(parse(text), "test.toml", "teams[1].time_zone");
        assert!(m.contains("IANA"), "{m}");
        invalid(
            parse("[metrics]\ntime_zone = \"CEST\""),
            "test.toml",
            "metrics.time_zone",
        );
        invalid(
            parse("[[tribes]]\nslug = \"t\"\ntime_zone = \"Nowhere\""),
            "test.toml",
            "tribes[0].time_zone",
        );
    }

    #[test]
    fn bad_repo_and_missing_slug() {
        let m = invalid(
            parse("[[teams]]\nslug = \"x\"\nrepos = [\"acme/a\", \"nope\"]"),
            "test.toml",
            "teams[0].repos[1]",
        );
        assert!(m.contains("owner/name"), "{m}");
        let m = invalid(
            parse("[[teams]]\nrepos = [\"acme/a\"]"),
            "test.toml",
            "teams[0]",
        );
        assert!(m.contains("missing field `slug`"), "{m}");
        invalid(
            parse("[[teams]]\nslug = \"a b\"\nrepos = [\"acme/a\"]"),
            "test.toml",
            "teams[0].slug",
        );
    }

    #[test]
    fn bad_regex_and_glob_in_filters() {
        let m = invalid(
            parse("[filters]\nbot_authors = [\"^ci-\", \"(unclosed\"]"),
            "test.toml",
            "filters.bot_authors[1]",
        );
        assert!(m.contains("regular expression"), "{m}");
        invalid(
            parse("[filters]\nexclude_titles = [\"[\"]"),
            "test.toml",
            "filters.exclude_titles[0]",
        );
        let m = invalid(
            parse("[filters]\nexclude_paths = [\"docs/{a,b\"]"),
            "test.toml",
            "filters.exclude_paths[0]",
        );
        assert!(m.contains("glob"), "{m}");
        let c = parse("[filters]\nbot_authors = [\"^ci-\"]").expect("valid");
        let filters = c.filters.noise();
        for bot in ["ci-runner", "dependabot", "renovate", "release-please[bot]"] {
            assert!(
                filters.is_bot_author(bot),
                "{bot}: built in, then bot_authors"
            );
        }
        assert!(!filters.is_bot_author("alice-ci-"), "anchored as written");
    }

    #[test]
    fn rates_outside_zero_one() {
        let m = invalid(
            parse(&format!("{TEAM}targets = {{ change_failure_rate = 15 }}")),
            "test.toml",
            "teams[0].targets.change_failure_rate",
        );
        assert!(m.contains("between 0 and 1"), "{m}");
        invalid(
            parse(&format!("{TEAM}targets = {{ rework_rate = -0.1 }}")),
            "test.toml",
            "teams[0].targets.rework_rate",
        );
        invalid(
            parse(&format!("{TEAM}targets = {{ deployment_frequency = 0 }}")),
            "test.toml",
            "teams[0].targets.deployment_frequency",
        );
        let c = parse(&format!(
            "{TEAM}targets = {{ change_failure_rate = 0, deployment_frequency = 5, \
             lead_time = \"36h\", time_to_restore = \"30m\" }}"
        ))
        .expect("valid");
        let t = &c.teams[0].targets;
        assert_eq!(t.change_failure_rate, Some(0.0));
        assert_eq!(t.deployment_frequency, Some(5.0));
        assert_eq!(t.lead_time, Some(Duration::hours(36)));
        assert_eq!(t.time_to_restore, Some(Duration::minutes(30)));
    }

    #[test]
    fn bad_durations() {
        for bad in ["7", "7 days", "d", "0d", "-1d", ""] {
            let m = invalid(
                parse(&format!("[incidents]\nattribution_window = \"{bad}\"")),
                "test.toml",
                "incidents.attribution_window",
            );
            assert!(m.contains("duration"), "{bad}: {m}");
        }
        let c = parse("[incidents]\nattribution_window = \"2w\"").expect("valid");
        assert_eq!(c.incidents.attribution_window, Duration::weeks(2));
        invalid(
            parse(&format!("{TEAM}targets = {{ lead_time = \"soon\" }}")),
            "test.toml",
            "teams[0].targets.lead_time",
        );
    }

    #[test]
    fn answer_limits_are_read_and_checked_naming_the_key() {
        let c = parse("[api]\nmax_concurrent_answers = 2\nanswer_timeout = \"5s\"").expect("valid");
        assert_eq!(c.api.max_concurrent_answers, 2);
        assert_eq!(c.api.answer_timeout, Duration::seconds(5));
        let m = invalid(
            parse("[api]\nmax_concurrent_answers = 0"),
            "test.toml",
            "api.max_concurrent_answers",
        );
        assert!(m.contains("from 1 to 64"), "{m}");
        invalid(
            parse("[api]\nanswer_timeout = \"soon\""),
            "test.toml",
            "api.answer_timeout",
        );
        assert_eq!(Config::default().api.max_pending_deliveries, 32);
        let c = parse("[api]\nmax_pending_deliveries = 1").expect("valid");
        assert_eq!(c.api.max_pending_deliveries, 1);
        let m = invalid(
            parse("[api]\nmax_pending_deliveries = 0"),
            "test.toml",
            "api.max_pending_deliveries",
        );
        assert!(m.contains("from 1 to 1024"), "{m}");
    }

    #[test]
    fn database_url_scheme() {
        let m = invalid(
            parse("database_url = \"mysql://root:hunter2@db/dora\""),
            "test.toml",
            "database_url",
        );
        assert!(m.contains("`mysql`") && !m.contains("hunter2"), "{m}");
        let m = invalid(
            parse("database_url = \"hunter2\""),
            "test.toml",
            "database_url",
        );
        assert!(!m.contains("hunter2"), "{m}");
        for ok in [
            "sqlite://doraboard.db",
            "sqlite::memory:",
            "postgres://dora@localhost/dora",
            "postgresql://dora@localhost/dora",
        ] {
            parse(&format!("database_url = \"{ok}\"")).expect(ok);
        }
    }

    #[test]
    fn env_names_and_urls() {
        let m = invalid(
            parse("[github]\ntoken_env = \"ghp_abcdefSECRET123\""),
            "test.toml",
            "github.token_env",
        );
        assert!(!m.contains("SECRET123"), "{m}");
        invalid(
            parse("[github]\napi_url = \"api.github.com\""),
            "test.toml",
            "github.api_url",
        );
        let c = parse("[github]\napi_url = \"https://ghe.example.com/api/v3/\"").expect("valid");
        assert_eq!(c.github.api_url, "https://ghe.example.com/api/v3");
    }
}
