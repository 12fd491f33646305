//! Query parameters, parsed at the edge into the engine's validated types.

use crate::error::ApiError;
use chrono::{Duration, Utc};
use engine::period::{Bucket, Period};
use serde::Deserialize;

/// `team`, `from`, `to` (exclusive) and `bucket`, as every metrics-like route takes them.
#[derive(Debug, Default, Deserialize)]
pub struct MetricsParams {
    pub team: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub bucket: Option<String>,
}

/// Without dates, the last 90 days up to and including today (UTC).
pub const DEFAULT_DAYS: i64 = 90;

impl MetricsParams {
    pub fn period(&self) -> Result<Period, ApiError> {
        let parse = |name: &'static str, value: &str| {
            Period::parse_date(value).map_err(|e| ApiError::bad(name, e.to_string()))
        };
        let to = match &self.to {
            Some(v) => parse("to", v)?,
            None => Utc::now().date_naive() + Duration::days(1),
        };
        let from = match &self.from {
            Some(v) => parse("from", v)?,
            None => to - Duration::days(DEFAULT_DAYS),
        };
        Period::new(from, to).map_err(|e| ApiError::bad("from", e.to_string()))
    }

    pub fn bucket(&self) -> Result<Option<Bucket>, ApiError> {
        match self.bucket.as_deref() {
            None | Some("") => Ok(None),
            Some(b) => b
                .parse()
                .map(Some)
                .map_err(|e: String| ApiError::bad("bucket", e)),
        }
    }

    /// The team or tribe slug; empty means the organisation.
    pub fn team(&self) -> Option<&str> {
        self.team.as_deref().filter(|t| !t.is_empty())
    }
}
