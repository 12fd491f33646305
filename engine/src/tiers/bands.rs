//! A named set of four scales, and rating a value on it.

use super::published::Publication;
use super::{Scale, Tier};
use crate::metric_key::MetricKey;

/// A named set of bands.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Bands {
    /// `2021`, `2023`, `2024` or `custom`.
    pub name: String,
    pub(super) deployment_frequency: Scale,
    pub(super) lead_time: Scale,
    pub(super) change_failure_rate: Scale,
    pub(super) time_to_restore: Scale,
    #[serde(skip)]
    pub(super) publication: Option<&'static Publication>,
}

impl Bands {
    /// The scale one metric is rated on; `None` for rework rate, which has no published bands.
    pub fn scale(&self, metric: MetricKey) -> Option<&Scale> {
        match metric {
            MetricKey::DeploymentFrequency => Some(&self.deployment_frequency),
            MetricKey::LeadTime => Some(&self.lead_time),
            MetricKey::ChangeFailureRate => Some(&self.change_failure_rate),
            MetricKey::TimeToRestore => Some(&self.time_to_restore),
            MetricKey::ReworkRate => None,
        }
    }

    /// The tier of a rated metric's value, in the metric's unit ([`MetricKey::unit`]); `None`
    /// for rework rate.
    pub fn rate(&self, metric: MetricKey, value: f64) -> Option<Tier> {
        self.scale(metric).map(|scale| scale.rate(value))
    }

    /// The tier of a deployment frequency, in deployments per week.
    pub fn deployment_frequency(&self, per_week: f64) -> Tier {
        self.deployment_frequency.rate(per_week)
    }

    /// The tier of a median lead time for changes, in seconds.
    pub fn lead_time(&self, median_seconds: f64) -> Tier {
        self.lead_time.rate(median_seconds)
    }

    /// The tier of a change failure rate, a fraction in `0..=1`.
    pub fn change_failure_rate(&self, rate: f64) -> Tier {
        self.change_failure_rate.rate(rate)
    }

    /// The tier of a median time to restore (failed deployment recovery time), in seconds.
    pub fn time_to_restore(&self, median_seconds: f64) -> Tier {
        self.time_to_restore.rate(median_seconds)
    }
}
