//! A cron expression in its parsed form (`collector.schedule`, `digest.schedule`): checked and
//! parsed once, when the configuration is read, so the schedules that run it cannot fail.

use super::de::check_cron;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::str::FromStr;

/// A cron expression of the `cron` crate (seconds field first), parsed. The parsed schedule
/// keeps the text as written: that is what it displays, what `Debug` prints (as the string
/// printed before it was parsed) and what it compares by.
#[derive(Clone, PartialEq)]
pub struct CronExpr(cron::Schedule);

impl CronExpr {
    /// The expression as written.
    pub fn as_str(&self) -> &str {
        self.0.source()
    }

    /// The parsed schedule.
    pub fn schedule(&self) -> &cron::Schedule {
        &self.0
    }
}

/// Parses as the configuration does, with its error message (without the key).
impl FromStr for CronExpr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        check_cron(text).map(CronExpr)
    }
}

impl<'de> Deserialize<'de> for CronExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}

impl PartialEq<&str> for CronExpr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::CronExpr;
    use crate::config::testing::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn schedules_are_parsed_once_read_and_print_as_written() {
        let c = parse_env(
            "[digest]\nschedule = \"0 30 8 * * Mon\"",
            &[("DORABOARD_COLLECTOR_SCHEDULE", "0 0 6 * * Mon-Fri")],
        )
        .expect("valid");
        // Friday 2025-06-06 at noon: the collector's next run is Monday at 06:00, the digest's
        // Monday at 08:30.
        let noon = Utc
            .with_ymd_and_hms(2025, 6, 6, 12, 0, 0)
            .single()
            .expect("a time");
        let next = |s: &cron::Schedule| s.after(&noon).next().expect("a next run");
        let monday = |h, m| {
            Utc.with_ymd_and_hms(2025, 6, 9, h, m, 0)
                .single()
                .expect("a time")
        };
        assert_eq!(next(c.cron_schedule()), monday(6, 0));
        assert_eq!(c.digest_schedule().map(next), Some(monday(8, 30)));
        assert_eq!(c.collector.schedule.to_string(), "0 0 6 * * Mon-Fri");
        assert_eq!(
            format!("{:?}", c.collector.schedule),
            "\"0 0 6 * * Mon-Fri\""
        );
        assert!(
            format!("{:?}", c.digest).contains("schedule: Some(\"0 30 8 * * Mon\")"),
            "{:?}",
            c.digest
        );
        let parsed: Result<CronExpr, _> = "0 8 * * 1".parse();
        let message = parsed.expect_err("five fields");
        assert!(message.contains("seconds field first"), "{message}");
    }
}
