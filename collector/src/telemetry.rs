//! Counters of the service's own work, read by `GET /metrics` (Prometheus text format).
//!
//! Plain process-wide atomics: every source bumps its own, the API only reads them.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Completed sync runs (scheduled or `doraboard collect`).
pub static SYNC_RUNS: AtomicU64 = AtomicU64::new(0);
/// Sync runs in which at least one repository failed.
pub static SYNC_FAILURES: AtomicU64 = AtomicU64::new(0);
/// HTTP requests sent to GitHub, conditional ones included.
pub static GITHUB_REQUESTS: AtomicU64 = AtomicU64::new(0);
/// Requests GitHub answered 304 Not Modified (free of rate limit).
pub static GITHUB_NOT_MODIFIED: AtomicU64 = AtomicU64::new(0);
/// The last `x-ratelimit-remaining` GitHub reported; -1 until one is seen.
pub static GITHUB_RATE_LIMIT_REMAINING: AtomicI64 = AtomicI64::new(-1);
/// Webhook deliveries accepted (stored), by any source.
pub static WEBHOOK_DELIVERIES: AtomicU64 = AtomicU64::new(0);
/// Webhook deliveries refused (bad signature, malformed, too large).
pub static WEBHOOK_REJECTED: AtomicU64 = AtomicU64::new(0);
/// Generic events ingested through `POST /api/v1/events` or `doraboard import`.
pub static EVENTS_INGESTED: AtomicU64 = AtomicU64::new(0);

/// Adds one to a counter.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Reads a counter.
pub fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}
