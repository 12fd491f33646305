//! The four metrics DORA rates, and how a value in each one's unit reads in a threshold.

use super::describe::{format_per_week, format_rate, format_seconds};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The four metrics DORA rates. Their names are the metrics JSON keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    DeploymentFrequency,
    LeadTime,
    ChangeFailureRate,
    TimeToRestore,
}

impl Metric {
    /// All rated metrics, in the order of the metrics JSON.
    pub const ALL: [Metric; 4] = [
        Metric::DeploymentFrequency,
        Metric::LeadTime,
        Metric::ChangeFailureRate,
        Metric::TimeToRestore,
    ];

    /// The metrics JSON key.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::DeploymentFrequency => "deployment_frequency",
            Metric::LeadTime => "lead_time",
            Metric::ChangeFailureRate => "change_failure_rate",
            Metric::TimeToRestore => "time_to_restore",
        }
    }

    /// The unit of the values a scale for this metric compares: `per_week`, `seconds` or `rate`.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::DeploymentFrequency => "per_week",
            Metric::LeadTime | Metric::TimeToRestore => "seconds",
            Metric::ChangeFailureRate => "rate",
        }
    }

    /// What the value is called in a threshold, e.g. `lead time <= 1w`.
    pub(super) fn variable(self) -> &'static str {
        match self {
            Metric::DeploymentFrequency => "deployments per week",
            Metric::LeadTime => "lead time",
            Metric::ChangeFailureRate => "rate",
            Metric::TimeToRestore => "restore time",
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }

    /// A value in this metric's unit, for people: `1d`, `12/52 per week (once per month)`, `15%`.
    pub(super) fn format(self, value: f64) -> String {
        match self {
            Metric::DeploymentFrequency => format_per_week(value),
            Metric::LeadTime | Metric::TimeToRestore => format_seconds(value),
            Metric::ChangeFailureRate => format_rate(value),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
