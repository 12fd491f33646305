//! DORA tiers: which of elite, high, medium and low a metric's value falls in.
//!
//! Raw values come first; the tier is context, not a target. DORA's performance levels are
//! clusters found in a year's survey answers, not thresholds DORA set in advance, so turning them
//! into thresholds takes interpretation. Every interpretation lives here and is written up, cell by
//! cell, in `docs/tiers.md`.
//!
//! The parts:
//! - [`Tier`]: elite, high, medium, low (better tiers sort first).
//! - The unit constants ([`ON_DEMAND_PER_WEEK`], [`MONTH_SECONDS`], ...): the one place where the
//!   reports' words ("on demand", "once per month", "six months") become numbers.
//! - [`Scale`]: how one metric's value becomes a tier — upper bounds, lower bounds, or the nearest
//!   published point value.
//! - [`Bands`]: a named set of four scales, either a published table ([`Bands::published`]: the
//!   2021, 2023 and 2024 State of DevOps reports) or custom bands from the configuration
//!   ([`Bands::custom`], validated).
//! - [`Bands::describe`]: for every metric and tier, the published wording, the threshold
//!   doraboard applies and the citation — what the docs and the API show.
//!
//! One job per file: `units`, `tier`, `metric` (how a value of a
//! [`MetricKey`](crate::metric_key::MetricKey) reads in a threshold), `scale`, `published` (the
//! tables and their sources), `bands`, `custom` (validated custom bands) and `describe`.

mod bands;
mod custom;
mod describe;
mod metric;
mod published;
mod scale;
mod tier;
mod units;

pub use bands::Bands;
pub use custom::{BandsError, CUSTOM_KEY, CustomBands};
pub use describe::BandDescription;
pub use published::{Citation, Source, SourceKind};
pub use scale::{Edge, Scale};
pub use tier::Tier;
pub use units::*;

#[cfg(test)]
mod tests;
