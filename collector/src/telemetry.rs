//! Counting the service's own work ([`Counter`], [`Gauge`]) into the store, where `GET /metrics`
//! of every process reads them.
//!
//! The hot paths (each GitHub request, each webhook delivery) only add to this process's pending
//! counts: an atomic add, no store write. [`flush`] moves the pending counts into the store in
//! one small transaction of SQL increments: after each sync run, at the end of `doraboard
//! import`, every [`FLUSH_INTERVAL`] while `doraboard serve` runs, and when it stops. Not
//! carried by the deliveries' own transactions: rejected deliveries and pings write nothing, and
//! a counter row updated by every delivery transaction would be one more row that concurrent
//! writers (another replica's) wait on. The price: another process sees this one's counts up to
//! [`FLUSH_INTERVAL`] late, and a process killed without a chance to flush loses at most that
//! interval's counts.

use engine::model::Timestamp;
use engine::store::{Counter, Gauge, Observation, Store, StoreError};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How often a serving process moves its pending counts into the store.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(10);

/// Counted in this process and not yet in the store, by `Counter as usize`.
static PENDING: [AtomicU64; Counter::ALL.len()] = [const { AtomicU64::new(0) }; Counter::ALL.len()];

/// The latest rate limit GitHub reported to this process, not yet in the store.
static RATE_LIMIT: Mutex<Option<Observation>> = Mutex::new(None);

/// Adds one to a counter.
pub fn bump(counter: Counter) {
    add(counter, 1);
}

/// Adds `n` to a counter.
pub fn add(counter: Counter, n: u64) {
    PENDING[counter as usize].fetch_add(n, Ordering::Relaxed);
}

/// Notes the `x-ratelimit-remaining` GitHub just reported.
pub fn observe_rate_limit_remaining(remaining: u64, at: Timestamp) {
    let value = i64::try_from(remaining).unwrap_or(i64::MAX);
    *lock_rate_limit() = Some(Observation { value, at });
}

fn lock_rate_limit() -> std::sync::MutexGuard<'static, Option<Observation>> {
    RATE_LIMIT.lock().unwrap_or_else(|p| p.into_inner())
}

/// Moves this process's pending counts into the store. When the write fails they stay pending
/// (added back), for the next flush.
pub async fn flush(store: &Store) -> Result<(), StoreError> {
    let counts: Vec<(Counter, u64)> = Counter::ALL
        .into_iter()
        .map(|c| (c, PENDING[c as usize].swap(0, Ordering::Relaxed)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let rate = lock_rate_limit().take();
    let gauges: Vec<(Gauge, Observation)> = rate
        .map(|o| (Gauge::GithubRateLimitRemaining, o))
        .into_iter()
        .collect();
    let written = store.add_to_counters(&counts, &gauges).await;
    if written.is_err() {
        for (counter, n) in counts {
            add(counter, n);
        }
        let mut pending = lock_rate_limit();
        if let Some(seen) = rate
            && pending.is_none_or(|newer| newer.at < seen.at)
        {
            *pending = Some(seen);
        }
    }
    written
}

/// [`flush`], logging a failure (the counts stay pending) rather than failing what called it.
pub async fn flush_or_warn(store: &Store) {
    if let Err(error) = flush(store).await {
        tracing::warn!(%error, "cannot write the service counters; they stay pending");
    }
}

/// Flushes every [`FLUSH_INTERVAL`] until aborted (the task `doraboard serve` runs).
pub fn spawn_flusher(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(FLUSH_INTERVAL);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            flush_or_warn(&store).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one test of this module: the pending counts are process-wide.
    #[tokio::test]
    async fn pending_counts_reach_the_store_once_and_add_up_across_processes() {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        let at = chrono::DateTime::from_timestamp(1_780_000_000, 0).expect("time");
        bump(Counter::WebhookDeliveries);
        add(Counter::EventsIngested, 3);
        observe_rate_limit_remaining(41, at);
        flush(&store).await.expect("flushed");
        // Another process (here: a direct write) counted too.
        store
            .add_to_counters(&[(Counter::EventsIngested, 2)], &[])
            .await
            .expect("added");
        bump(Counter::WebhookDeliveries);
        flush(&store).await.expect("flushed");
        flush(&store).await.expect("nothing left: no double count");
        let stored = store.service_counters().await.expect("read");
        assert_eq!(stored.get(Counter::WebhookDeliveries), 2);
        assert_eq!(stored.get(Counter::EventsIngested), 5);
        assert_eq!(stored.get(Counter::WebhookRejected), 0);
        // Other tests of this process observe GitHub's rate limit too: only that one is stored.
        assert!(stored.gauge(Gauge::GithubRateLimitRemaining).is_some());

        // A store that cannot be written keeps the counts pending.
        store.close().await;
        bump(Counter::WebhookRejected);
        assert!(flush(&store).await.is_err());
        let other = Store::connect("sqlite::memory:").await.expect("store");
        flush(&other).await.expect("flushed");
        assert_eq!(
            other
                .service_counters()
                .await
                .expect("read")
                .get(Counter::WebhookRejected),
            1
        );
    }
}
