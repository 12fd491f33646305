//! doraboard's engine: the domain model, the configuration, the pure metric formulas and the store.
//!
//! Data flows one way through it: sources hand normalized records ([`model`]) to the [`store`],
//! which keeps them and the facts [`analysis`] derives from them (which deployment shipped which
//! change, which deployments failed and why); [`metrics`] turns those facts into the DORA figures
//! for a [`period`], rated against the published [`tiers`] and [`score`]d on DORA's Quick Check
//! scale against its benchmarks, after the noise [`filters`].
//!
//! Every view names a metric by one [`metric_key::MetricKey`], rounds a figure by the [`present`]
//! policy and writes a duration through [`duration`].

pub mod analysis;
pub mod annotations;
pub mod cache;
pub mod config;
pub mod duration;
pub mod explain;
pub mod facts_cache;
pub mod filters;
pub mod freshness;
pub mod metric_key;
pub mod metrics;
pub mod model;
pub mod period;
pub mod present;
pub mod query;
pub mod scope;
pub mod score;
pub mod store;
pub mod tiers;

#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

#[cfg(test)]
mod fuzz;
