//! doraboard's collector: the sources that turn the outside world into the engine's normalized
//! records ([`engine::model`]) and hand them to the store.
//!
//! The sources, each normalizing to the same changes, deployments and incidents:
//! - GitHub sync: incremental, resumable polling of deployments, workflow runs, releases, pull
//!   requests, compares and incident issues through the REST API (conditional requests, rate-limit
//!   aware);
//! - webhooks: GitHub deliveries (HMAC-verified, idempotent on the delivery id) that complement
//!   polling;
//! - generic events: NDJSON change / deployment / incident events from CI and incident tools that
//!   GitHub does not cover (`POST /api/v1/events`, `doraboard import`);
//! - [`cdevents`]: CDEvents (service deployed, incident detected, change merged...) on the same
//!   endpoint, mapped onto the generic events;
//! - [`demo`]: a deterministic, realistic online-shop organisation for `doraboard serve --demo`.
//!
//! The collector only normalizes and stores; every metric formula lives in the engine.

pub mod cdevents;
pub mod demo;
pub mod events;
pub mod github;
pub mod ingest;
pub mod pagerduty;
pub mod replay;
pub mod schedule;
pub mod sync;
pub mod telemetry;
pub mod webhooks;

#[cfg(test)]
mod fuzz;
