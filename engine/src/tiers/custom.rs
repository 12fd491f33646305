//! Custom bands from the configuration (`metrics.custom_tiers`), validated.

use super::{Bands, Edge, Scale, Tier};
use crate::metric_key::MetricKey;

/// The configuration key custom bands live under; every [`BandsError`] names a key below it.
pub const CUSTOM_KEY: &str = "metrics.custom_tiers";

impl Bands {
    /// Custom bands from the configuration. Every bound is inclusive on the better side (a lead
    /// time of exactly `1d` meets an elite bound of `1d`); each metric's bounds must not get
    /// better from elite to medium.
    pub fn custom(spec: &CustomBands) -> Result<Bands, BandsError> {
        let frequency = validate_numbers(
            MetricKey::DeploymentFrequency,
            &spec.deployment_frequency,
            |value| value >= 0.0,
            "a number of deployments per week (expected a finite number >= 0)",
        )?;
        if !(frequency[0] >= frequency[1] && frequency[1] >= frequency[2]) {
            return Err(BandsError::NotMonotonic {
                key: MetricKey::DeploymentFrequency,
                expected: "minimum deployments per week must not increase from elite to medium",
                got: frequency.map(|value| format!("{value}")).join(", "),
            });
        }
        let lead_time = validate_durations(MetricKey::LeadTime, &spec.lead_time)?;
        let rates = validate_numbers(
            MetricKey::ChangeFailureRate,
            &spec.change_failure_rate,
            |value| (0.0..=1.0).contains(&value),
            "a rate (expected a fraction between 0 and 1, e.g. 0.15 for 15%)",
        )?;
        if !(rates[0] <= rates[1] && rates[1] <= rates[2]) {
            return Err(BandsError::NotMonotonic {
                key: MetricKey::ChangeFailureRate,
                expected: "maximum rates must not decrease from elite to medium",
                got: rates.map(|value| format!("{value}")).join(", "),
            });
        }
        let time_to_restore = validate_durations(MetricKey::TimeToRestore, &spec.time_to_restore)?;
        Ok(Bands {
            name: "custom".to_string(),
            deployment_frequency: Scale::LowerBounds {
                elite: Edge::closed(frequency[0]),
                high: Edge::closed(frequency[1]),
                medium: Edge::closed(frequency[2]),
            },
            lead_time: upper_bounds(lead_time),
            change_failure_rate: upper_bounds(rates),
            time_to_restore: upper_bounds(time_to_restore),
            publication: None,
        })
    }
}

fn upper_bounds(bounds: [f64; 3]) -> Scale {
    Scale::UpperBounds {
        elite: Edge::closed(bounds[0]),
        high: Edge::closed(bounds[1]),
        medium: Edge::closed(bounds[2]),
    }
}

fn validate_numbers(
    key: MetricKey,
    values: &[f64; 3],
    valid: impl Fn(f64) -> bool,
    expected: &'static str,
) -> Result<[f64; 3], BandsError> {
    for (tier, &value) in Tier::ALL.iter().zip(values) {
        if !value.is_finite() || !valid(value) {
            return Err(BandsError::Value {
                key,
                tier: *tier,
                value,
                expected,
            });
        }
    }
    Ok(*values)
}

fn validate_durations(key: MetricKey, values: &[String; 3]) -> Result<[f64; 3], BandsError> {
    let mut seconds = [0.0; 3];
    for (slot, text) in seconds.iter_mut().zip(values) {
        let duration =
            crate::duration::parse(text).map_err(|reason| BandsError::Duration { key, reason })?;
        *slot = duration.num_seconds() as f64;
    }
    if !(seconds[0] <= seconds[1] && seconds[1] <= seconds[2]) {
        return Err(BandsError::NotMonotonic {
            key,
            expected: "maximum durations must not decrease from elite to medium",
            got: values.join(", "),
        });
    }
    Ok(seconds)
}

/// Custom bands from config: for each metric the bound of elite, high and medium (low = the rest).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomBands {
    /// Minimum deployments per week for elite, high and medium.
    pub deployment_frequency: [f64; 3],
    /// Maximum median lead times for elite, high and medium, like `"1h"`, `"1d"`, `"1w"`.
    pub lead_time: [String; 3],
    /// Maximum change failure rates (fractions of 1) for elite, high and medium.
    pub change_failure_rate: [f64; 3],
    /// Maximum median times to restore for elite, high and medium.
    pub time_to_restore: [String; 3],
}

/// Why custom bands were refused. Every message starts with the configuration key at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BandsError {
    /// A bound is not a duration.
    #[error("{}.{key}: {reason}", CUSTOM_KEY)]
    Duration { key: MetricKey, reason: String },
    /// A bound is not a usable number.
    #[error("{}.{key}: the {tier} bound `{value}` is not {expected}", CUSTOM_KEY)]
    Value {
        key: MetricKey,
        tier: Tier,
        value: f64,
        expected: &'static str,
    },
    /// The bounds get better from elite to medium.
    #[error("{}.{key}: {expected}, got [{got}]", CUSTOM_KEY)]
    NotMonotonic {
        key: MetricKey,
        expected: &'static str,
        got: String,
    },
}

impl BandsError {
    /// The full configuration key at fault, e.g. `metrics.custom_tiers.lead_time`.
    pub fn key(&self) -> String {
        format!("{CUSTOM_KEY}.{}", self.field())
    }

    /// The metric at fault, the key below [`CUSTOM_KEY`]: `lead_time`.
    pub fn field(&self) -> &'static str {
        match self {
            BandsError::Duration { key, .. }
            | BandsError::Value { key, .. }
            | BandsError::NotMonotonic { key, .. } => key.as_str(),
        }
    }
}
