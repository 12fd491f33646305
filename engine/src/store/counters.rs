//! The service's counters of its own work (`GET /metrics`), kept in the store so every process
//! (each API replica, a `doraboard collect`) adds to the same figures and reports the same.
//!
//! A counter only grows, by an increment done in SQL (`value = value + n`): two processes adding
//! at once both count, where reading a value and writing it back would lose one of them. A gauge
//! keeps the value observed last, by observation time. Neither is a figure of the metrics, so
//! writing them leaves [`Store::data_version`] alone.

use super::codec::{Statement, Value};
use super::{Store, StoreError};
use crate::model::Timestamp;
use std::collections::BTreeMap;

/// What the service counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    /// Completed sync runs (scheduled or `doraboard collect`).
    SyncRuns,
    /// Sync runs in which at least one repository failed.
    SyncFailures,
    /// HTTP requests sent to GitHub, conditional ones included.
    GithubRequests,
    /// Requests GitHub answered 304 Not Modified (free of rate limit).
    GithubNotModified,
    /// Webhook deliveries accepted (stored), by any source.
    WebhookDeliveries,
    /// Webhook deliveries refused (bad signature, malformed, too large).
    WebhookRejected,
    /// Generic events ingested through `POST /api/v1/events` or `doraboard import`.
    EventsIngested,
}

impl Counter {
    /// Every counter, in declaration order (`counter as usize` is its index).
    pub const ALL: [Counter; 7] = [
        Counter::SyncRuns,
        Counter::SyncFailures,
        Counter::GithubRequests,
        Counter::GithubNotModified,
        Counter::WebhookDeliveries,
        Counter::WebhookRejected,
        Counter::EventsIngested,
    ];

    /// Its name in the store.
    fn key(self) -> &'static str {
        match self {
            Counter::SyncRuns => "sync_runs",
            Counter::SyncFailures => "sync_failures",
            Counter::GithubRequests => "github_requests",
            Counter::GithubNotModified => "github_not_modified",
            Counter::WebhookDeliveries => "webhook_deliveries",
            Counter::WebhookRejected => "webhook_rejected",
            Counter::EventsIngested => "events_ingested",
        }
    }
}

/// What the service observes and keeps the latest value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Gauge {
    /// The last `x-ratelimit-remaining` GitHub reported.
    GithubRateLimitRemaining,
}

impl Gauge {
    /// Every gauge.
    pub const ALL: [Gauge; 1] = [Gauge::GithubRateLimitRemaining];

    fn key(self) -> &'static str {
        match self {
            Gauge::GithubRateLimitRemaining => "github_rate_limit_remaining",
        }
    }
}

/// A gauge's value as observed at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub value: i64,
    pub at: Timestamp,
}

/// The counters and gauges as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceCounters {
    counters: BTreeMap<Counter, u64>,
    gauges: BTreeMap<Gauge, i64>,
}

impl ServiceCounters {
    /// The counter's value; 0 before anything was counted.
    pub fn get(&self, counter: Counter) -> u64 {
        self.counters.get(&counter).copied().unwrap_or(0)
    }

    /// The gauge's latest value; None before one was observed.
    pub fn gauge(&self, gauge: Gauge) -> Option<i64> {
        self.gauges.get(&gauge).copied()
    }
}

/// The statements adding `increments` to their counters (zeros are left out).
pub(super) fn increments(increments: &[(Counter, u64)]) -> Vec<Statement> {
    increments
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(counter, n)| {
            Statement::new(
                "INSERT INTO service_counter (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = service_counter.value + excluded.value",
                vec![
                    Value::text(counter.key()),
                    Value::int(i64::try_from(*n).unwrap_or(i64::MAX)),
                ],
            )
        })
        .collect()
}

impl Store {
    /// Adds to counters and records gauge observations, in one transaction. An observation older
    /// than the stored one (another process saw a newer value) is dropped.
    pub async fn add_to_counters(
        &self,
        counters: &[(Counter, u64)],
        gauges: &[(Gauge, Observation)],
    ) -> Result<(), StoreError> {
        let mut statements = increments(counters);
        statements.extend(gauges.iter().map(|(gauge, observed)| {
            Statement::new(
                "INSERT INTO service_gauge (name, value, observed_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
                 observed_at = excluded.observed_at \
                 WHERE service_gauge.observed_at <= excluded.observed_at",
                vec![
                    Value::text(gauge.key()),
                    Value::int(observed.value),
                    Value::time(observed.at),
                ],
            )
        }));
        if !statements.is_empty() {
            self.transaction(statements).await?;
        }
        Ok(())
    }

    /// Every counter and gauge as stored.
    pub async fn service_counters(&self) -> Result<ServiceCounters, StoreError> {
        let counters = self
            .fetch_all(
                Statement::new("SELECT name, value FROM service_counter", vec![]),
                |row| Ok((row.text("name")?, row.int("value")?)),
            )
            .await?;
        let gauges = self
            .fetch_all(
                Statement::new("SELECT name, value FROM service_gauge", vec![]),
                |row| Ok((row.text("name")?, row.int("value")?)),
            )
            .await?;
        // Names this version does not know (written by a newer one) are left out.
        Ok(ServiceCounters {
            counters: counters
                .into_iter()
                .filter_map(|(name, value)| {
                    let counter = Counter::ALL.into_iter().find(|c| c.key() == name)?;
                    Some((counter, u64::try_from(value).unwrap_or(0)))
                })
                .collect(),
            gauges: gauges
                .into_iter()
                .filter_map(|(name, value)| {
                    let gauge = Gauge::ALL.into_iter().find(|g| g.key() == name)?;
                    Some((gauge, value))
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_counter_is_at_its_index_and_every_name_is_its_own() {
        for (i, counter) in Counter::ALL.into_iter().enumerate() {
            assert_eq!(counter as usize, i, "{counter:?}");
        }
        let mut names: Vec<&str> = Counter::ALL.into_iter().map(Counter::key).collect();
        names.extend(Gauge::ALL.into_iter().map(Gauge::key));
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
