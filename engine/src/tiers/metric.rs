//! How a value of each rated metric reads in a threshold, in the metric's unit.

use super::describe::{format_per_week, format_rate, format_seconds};
use crate::metric_key::MetricKey;

impl MetricKey {
    /// The unit of the values a scale for this metric compares: `per_week`, `seconds` or `rate`.
    pub fn unit(self) -> &'static str {
        match self {
            MetricKey::DeploymentFrequency => "per_week",
            MetricKey::LeadTime | MetricKey::TimeToRestore => "seconds",
            MetricKey::ChangeFailureRate | MetricKey::ReworkRate => "rate",
        }
    }

    /// What the value is called in a threshold, e.g. `lead time <= 1w`.
    pub(super) fn variable(self) -> &'static str {
        match self {
            MetricKey::DeploymentFrequency => "deployments per week",
            MetricKey::LeadTime => "lead time",
            MetricKey::ChangeFailureRate => "rate",
            MetricKey::TimeToRestore => "restore time",
            MetricKey::ReworkRate => "rework rate",
        }
    }

    /// A value in this metric's unit, for people: `1d`, `12/52 per week (once per month)`, `15%`.
    pub(super) fn format(self, value: f64) -> String {
        match self {
            MetricKey::DeploymentFrequency => format_per_week(value),
            MetricKey::LeadTime | MetricKey::TimeToRestore => format_seconds(value),
            MetricKey::ChangeFailureRate | MetricKey::ReworkRate => format_rate(value),
        }
    }
}
