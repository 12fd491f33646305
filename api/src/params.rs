//! Query parameters (and path segments), parsed at the edge into the engine's validated types.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{Duration, Utc};
use engine::explain::Page;
use engine::period::{Bucket, Period};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// axum's `Query`, answering a query string it cannot read (a duplicated or malformed parameter)
/// with the API's JSON 400 naming the problem, like every other bad parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| ApiError::bad("query", e.body_text()))
    }
}

/// axum's `Path`, answering a path segment it cannot read (not UTF-8 once decoded) with the
/// API's JSON 400, like a bad query parameter.
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| ApiError::bad("path", e.body_text()))
    }
}

/// `team`, `from`, `to` (exclusive) and `bucket`, as every metrics-like route takes them.
#[derive(Debug, Default, Deserialize)]
pub struct MetricsParams {
    pub team: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub bucket: Option<String>,
    /// Rows per list of an explanation or export (the lists behind the figures).
    pub limit: Option<String>,
    /// Rows skipped first, for the next page.
    pub offset: Option<String>,
    /// `true`: each bucket of the lead-time series carries its phase breakdown (`GET
    /// /api/v1/metrics` only).
    pub phases_per_bucket: Option<String>,
}

/// Without dates, the last 90 days up to and including today (UTC).
pub const DEFAULT_DAYS: i64 = 90;
/// The longest period a request may ask for: ten years (with their leap days). Longer ones would
/// cost work and memory out of proportion to any question a dashboard asks.
pub const MAX_PERIOD_DAYS: i64 = 3653;
/// The most buckets a series may have (a day series over five and a half years).
pub const MAX_BUCKETS: usize = 2000;
/// The most rows of each list `GET /api/v1/explain` answers (and its default `limit`): about
/// 5 MB of JSON per list at most.
pub const MAX_EXPLAIN_ROWS: usize = 10_000;
/// The most rows one CSV export carries: about 30 MB.
pub const MAX_CSV_ROWS: usize = 100_000;

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
        let period = Period::new(from, to).map_err(|e| ApiError::bad("from", e.to_string()))?;
        if period.days() > MAX_PERIOD_DAYS {
            return Err(ApiError::bad(
                "to",
                format!(
                    "a period may span at most 10 years ({MAX_PERIOD_DAYS} days); {} to {} is {} days",
                    period.from,
                    period.to,
                    period.days()
                ),
            ));
        }
        Ok(period)
    }

    /// The series' bucket, if any; refused when the period would cut into more than
    /// [`MAX_BUCKETS`] of them.
    pub fn bucket(&self) -> Result<Option<Bucket>, ApiError> {
        let bucket: Bucket = match self.bucket.as_deref() {
            None | Some("") => return Ok(None),
            Some(b) => b.parse().map_err(|e: String| ApiError::bad("bucket", e))?,
        };
        let period = self.period()?;
        let count = bucket.count_in(&period, MAX_BUCKETS);
        if count > MAX_BUCKETS {
            return Err(ApiError::bad(
                "bucket",
                format!(
                    "a series may have at most {MAX_BUCKETS} buckets: `{}` buckets over {} to {} \
                     would be more; ask for a longer bucket or a shorter period",
                    bucket.as_str(),
                    period.from,
                    period.to
                ),
            ));
        }
        Ok(Some(bucket))
    }

    /// Which rows of each list to answer: `limit` (1 to `max`, default `max`) rows from `offset`
    /// (default 0); also whether `limit` was given.
    pub fn page(&self, max: usize) -> Result<(Page, bool), ApiError> {
        let number = |name: &'static str, value: &str| {
            value.trim().parse::<usize>().map_err(|_| {
                ApiError::bad(name, format!("expected a whole number, found `{value}`"))
            })
        };
        let offset = match self.offset.as_deref() {
            None | Some("") => 0,
            Some(v) => number("offset", v)?,
        };
        let limit = match self.limit.as_deref() {
            None | Some("") => None,
            Some(v) => Some(number("limit", v)?),
        };
        if let Some(limit) = limit
            && !(1..=max).contains(&limit)
        {
            return Err(ApiError::bad(
                "limit",
                format!("expected 1 to {max} rows, found {limit}; page with `offset` for more"),
            ));
        }
        let page = Page {
            offset,
            limit: limit.unwrap_or(max),
        };
        Ok((page, limit.is_some()))
    }

    /// Whether the lead-time series should carry each bucket's phases: `true` or `false`
    /// (default), and only with a bucket to carry them.
    pub fn phases_per_bucket(&self) -> Result<bool, ApiError> {
        let asked = match self.phases_per_bucket.as_deref() {
            None | Some("") | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(ApiError::bad(
                    "phases_per_bucket",
                    format!("expected `true` or `false`, found `{other}`"),
                ));
            }
        };
        if asked && self.bucket.as_deref().unwrap_or_default().is_empty() {
            return Err(ApiError::bad(
                "phases_per_bucket",
                "needs a series: give `bucket` too".to_string(),
            ));
        }
        Ok(asked)
    }

    /// The team or tribe slug; empty means the organisation.
    pub fn team(&self) -> Option<&str> {
        self.team.as_deref().filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(from: &str, to: &str, bucket: &str) -> MetricsParams {
        MetricsParams {
            team: None,
            from: Some(from.to_string()),
            to: Some(to.to_string()),
            bucket: Some(bucket.to_string()),
            ..MetricsParams::default()
        }
    }

    fn paging(limit: Option<&str>, offset: Option<&str>) -> Result<(Page, bool), ApiError> {
        MetricsParams {
            limit: limit.map(str::to_string),
            offset: offset.map(str::to_string),
            ..MetricsParams::default()
        }
        .page(100)
    }

    #[test]
    fn pages_default_to_the_most_rows_and_refuse_more_naming_the_parameter() {
        assert_eq!(
            paging(None, None).expect("default"),
            (
                Page {
                    offset: 0,
                    limit: 100
                },
                false
            )
        );
        assert_eq!(
            paging(Some("20"), Some("40")).expect("a page"),
            (
                Page {
                    offset: 40,
                    limit: 20
                },
                true
            )
        );
        for (limit, offset, parameter) in [
            (Some("0"), None, "limit"),
            (Some("101"), None, "limit"),
            (Some("ten"), None, "limit"),
            (None, Some("-1"), "offset"),
        ] {
            match paging(limit, offset) {
                Err(ApiError::BadParameter { parameter: p, .. }) => assert_eq!(p, parameter),
                other => panic!("{limit:?} {offset:?}: {other:?}"),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Whatever a client sends, the answer is a period within the limits or a 400 naming
        /// the parameter, never a panic.
        #[test]
        fn query_parameters_never_panic_and_stay_within_the_limits(
            from in "([0-9]{4}-[0-9]{2}-[0-9]{2}|.{0,12})",
            to in "([0-9]{4}-[0-9]{2}-[0-9]{2}|.{0,12})",
            bucket in "(day|week|month|quarter|.{0,6})",
        ) {
            let p = params(&from, &to, &bucket);
            match p.period() {
                Ok(period) => prop_assert!(period.days() >= 1 && period.days() <= MAX_PERIOD_DAYS),
                Err(ApiError::BadParameter { parameter, .. }) => {
                    prop_assert!(["from", "to"].contains(&parameter));
                }
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
            match p.bucket() {
                Ok(Some(bucket)) => {
                    let period = p.period().expect("a bucket is only checked on a valid period");
                    prop_assert!(bucket.count_in(&period, MAX_BUCKETS) <= MAX_BUCKETS);
                }
                Ok(None) => prop_assert!(bucket.is_empty()),
                Err(ApiError::BadParameter { parameter, .. }) => {
                    prop_assert!(["from", "to", "bucket"].contains(&parameter));
                }
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }
    }
}
