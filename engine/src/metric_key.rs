//! The five metrics under one name, spelled as the metrics JSON spells them: what the API, the
//! charts, the report, the targets and the tier tables all say when they name a metric.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The five metrics of the interface contract, by their metrics-JSON key (also their spelling in
/// URLs, targets and tier descriptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKey {
    DeploymentFrequency,
    LeadTime,
    ChangeFailureRate,
    TimeToRestore,
    ReworkRate,
}

impl MetricKey {
    pub const ALL: [MetricKey; 5] = [
        MetricKey::DeploymentFrequency,
        MetricKey::LeadTime,
        MetricKey::ChangeFailureRate,
        MetricKey::TimeToRestore,
        MetricKey::ReworkRate,
    ];

    /// The four DORA rates in tiers, in the order of the metrics JSON; rework rate has no
    /// published bands.
    pub const RATED: [MetricKey; 4] = [
        MetricKey::DeploymentFrequency,
        MetricKey::LeadTime,
        MetricKey::ChangeFailureRate,
        MetricKey::TimeToRestore,
    ];

    /// The key in the metrics JSON and in chart URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKey::DeploymentFrequency => "deployment_frequency",
            MetricKey::LeadTime => "lead_time",
            MetricKey::ChangeFailureRate => "change_failure_rate",
            MetricKey::TimeToRestore => "time_to_restore",
            MetricKey::ReworkRate => "rework_rate",
        }
    }

    /// The five in DORA's grouped order (since 2024): throughput (change lead time, deployment
    /// frequency, failed deployment recovery time), then instability (change fail rate,
    /// deployment rework rate). Every view lists them so.
    pub const GROUPED: [MetricKey; 5] = [
        MetricKey::LeadTime,
        MetricKey::DeploymentFrequency,
        MetricKey::TimeToRestore,
        MetricKey::ChangeFailureRate,
        MetricKey::ReworkRate,
    ];

    /// The metric's name in a heading, as DORA names it today: "Change lead time".
    pub fn title(self) -> &'static str {
        match self {
            MetricKey::DeploymentFrequency => "Deployment frequency",
            MetricKey::LeadTime => "Change lead time",
            MetricKey::ChangeFailureRate => "Change fail rate",
            MetricKey::TimeToRestore => "Failed deployment recovery time",
            MetricKey::ReworkRate => "Deployment rework rate",
        }
    }

    /// The name where room is short (table headings, slide tiles): "Recovery time".
    pub fn short(self) -> &'static str {
        match self {
            MetricKey::DeploymentFrequency => "Deploys / week",
            MetricKey::LeadTime => "Lead time",
            MetricKey::ChangeFailureRate => "Change fail rate",
            MetricKey::TimeToRestore => "Recovery time",
            MetricKey::ReworkRate => "Rework rate",
        }
    }

    /// Which of DORA's two groups the metric belongs to.
    pub fn group(self) -> MetricGroup {
        match self {
            MetricKey::ChangeFailureRate | MetricKey::ReworkRate => MetricGroup::Instability,
            _ => MetricGroup::Throughput,
        }
    }

    /// Whether a larger value is better (only deployment frequency).
    pub fn higher_is_better(self) -> bool {
        matches!(self, MetricKey::DeploymentFrequency)
    }
}

/// DORA's two groups of the metrics (since 2024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricGroup {
    /// How quickly changes reach production and recover: lead time, deployment frequency,
    /// failed deployment recovery time.
    Throughput,
    /// How often deployments fail or need unplanned rework: change fail rate, rework rate.
    Instability,
}

impl MetricGroup {
    pub const ALL: [MetricGroup; 2] = [MetricGroup::Throughput, MetricGroup::Instability];

    pub fn title(self) -> &'static str {
        match self {
            MetricGroup::Throughput => "Throughput",
            MetricGroup::Instability => "Instability",
        }
    }

    /// Its metrics, in [`MetricKey::GROUPED`] order.
    pub fn metrics(self) -> impl Iterator<Item = MetricKey> {
        MetricKey::GROUPED
            .into_iter()
            .filter(move |m| m.group() == self)
    }
}

impl fmt::Display for MetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MetricKey {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        MetricKey::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_url_and_display_spell_every_metric_alike() {
        for metric in MetricKey::ALL {
            let json = serde_json::to_value(metric).expect("serializes");
            assert_eq!(json, metric.as_str());
            assert_eq!(
                serde_json::from_value::<MetricKey>(json).expect("deserializes"),
                metric
            );
            assert_eq!(metric.as_str().parse(), Ok(metric));
            assert_eq!(metric.to_string(), metric.as_str());
        }
        assert_eq!("lead time".parse::<MetricKey>(), Err(()));
    }

    #[test]
    fn the_rated_four_are_all_but_rework_rate() {
        assert!(
            MetricKey::ALL
                .iter()
                .all(|m| MetricKey::RATED.contains(m) != (*m == MetricKey::ReworkRate))
        );
    }
}
