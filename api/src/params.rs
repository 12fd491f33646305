//! Query parameters (and path segments), parsed at the edge into the engine's validated types.
//!
//! Each struct is one group of parameters as a handler extracts it (a handler takes several
//! `Query<..>` groups), and derives `IntoParams`: the OpenAPI document lists the groups a
//! handler's `#[utoipa::path]` names, from these very structs.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{Duration, Utc};
use engine::explain::Page;
use engine::period::{Bucket, Period};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

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

/// `team`: whose figures.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamParam {
    /// A team or tribe slug; omitted: the whole organisation.
    #[param(example = "checkout")]
    pub team: Option<String>,
}

/// `from` and `to` (exclusive): the period asked about.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// First day of the period (ISO 8601 date, inclusive), in the scope's time zone. Default: 90
    /// days before `to`.
    #[param(format = Date, example = "2026-08-01")]
    pub from: Option<String>,
    /// The day after the period (exclusive). Default: tomorrow (UTC).
    #[param(format = Date, example = "2026-11-01")]
    pub to: Option<String>,
}

/// `bucket`: the series' step.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BucketParam {
    /// Series bucket: `day`, `week` (ISO, Monday first), `month` or `quarter`; omitted: no series.
    #[param(example = "week")]
    pub bucket: Option<String>,
}

/// `limit` and `offset`: paging of the lists behind the figures (`/api/v1/explain` and its CSV
/// exports).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows of each list: 1 to 10,000 for `/api/v1/explain` (default 10,000), 1 to 100,000 for
    /// a CSV export (default: the whole list, refused with a 400 when it is longer than that).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// Rows skipped first, for the next page. Default 0.
    #[param(value_type = Option<u32>)]
    pub offset: Option<String>,
}

/// `phases_per_bucket`, which only `GET /api/v1/metrics` takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhasesParam {
    /// `true`: each bucket of `lead_time.series` carries its `breakdown` (coding, pickup, review,
    /// deploy), as the lead-time breakdown chart draws it; needs `bucket`. Default `false`: four
    /// more order statistics per bucket, computed only when asked.
    #[param(value_type = Option<bool>, example = true)]
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

impl PeriodParams {
    /// The period, refused when backwards or longer than [`MAX_PERIOD_DAYS`].
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
}

impl BucketParam {
    /// The series' bucket, if any; refused when `period` would cut into more than
    /// [`MAX_BUCKETS`] of them.
    pub fn bucket(&self, period: &Period) -> Result<Option<Bucket>, ApiError> {
        let bucket: Bucket = match self.bucket.as_deref() {
            None | Some("") => return Ok(None),
            Some(b) => b.parse().map_err(|e: String| ApiError::bad("bucket", e))?,
        };
        let count = bucket.count_in(period, MAX_BUCKETS);
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
}

impl PageParams {
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
}

impl PhasesParam {
    /// Whether the lead-time series should carry each bucket's phases: `true` or `false`
    /// (default), and only with a `bucket` to carry them.
    pub fn phases_per_bucket(&self, bucket: Option<Bucket>) -> Result<bool, ApiError> {
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
        if asked && bucket.is_none() {
            return Err(ApiError::bad(
                "phases_per_bucket",
                "needs a series: give `bucket` too".to_string(),
            ));
        }
        Ok(asked)
    }
}

impl TeamParam {
    /// The team or tribe slug; empty means the organisation.
    pub fn team(&self) -> Option<&str> {
        self.team.as_deref().filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn paging(limit: Option<&str>, offset: Option<&str>) -> Result<(Page, bool), ApiError> {
        PageParams {
            limit: limit.map(str::to_string),
            offset: offset.map(str::to_string),
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
            let dates = PeriodParams { from: Some(from), to: Some(to) };
            let period = match dates.period() {
                Ok(period) => {
                    prop_assert!(period.days() >= 1 && period.days() <= MAX_PERIOD_DAYS);
                    period
                }
                Err(ApiError::BadParameter { parameter, .. }) => {
                    prop_assert!(["from", "to"].contains(&parameter));
                    return Ok(());
                }
                Err(other) => return Err(TestCaseError::fail(format!("unexpected {other}"))),
            };
            let asked = BucketParam { bucket: Some(bucket.clone()) };
            match asked.bucket(&period) {
                Ok(Some(bucket)) => {
                    prop_assert!(bucket.count_in(&period, MAX_BUCKETS) <= MAX_BUCKETS);
                }
                Ok(None) => prop_assert!(bucket.is_empty()),
                Err(ApiError::BadParameter { parameter, .. }) => {
                    prop_assert_eq!(parameter, "bucket");
                }
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }
    }
}
