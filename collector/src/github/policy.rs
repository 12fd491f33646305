//! The request policy as pure functions of (response headers, policy, state, now): how long to
//! wait after a rate-limited answer, before a request when the budget is nearly spent, and
//! after a fault. The client ([`super::client`]) applies them around every request, whatever
//! sends it.

use hyper::header::HeaderMap;
use std::time::Duration;

/// How the client retries and waits.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included (faults and rate-limit answers alike).
    pub max_attempts: u32,
    /// First backoff after a fault; doubles per attempt, with jitter (x0.5 to x1.5).
    pub base_backoff: Duration,
    /// Largest backoff after a fault.
    pub max_backoff: Duration,
    /// Least wait after a secondary rate limit that names no `retry-after`.
    pub secondary_wait: Duration,
    /// Pause until the reset when the remaining budget is at or below this.
    pub reserve: u64,
    /// Multiplies every wait (1.0 in production; tests use a small factor).
    pub wait_scale: f64,
    /// Longest single wait (a primary reset is at most an hour away).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            secondary_wait: Duration::from_secs(60),
            reserve: 50,
            wait_scale: 1.0,
            max_wait: Duration::from_secs(3700),
        }
    }
}

/// The primary rate limit as GitHub last reported it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RateState {
    pub remaining: Option<u64>,
    /// Unix seconds.
    pub reset: Option<u64>,
}

/// How long to wait after a 403/429 answer, or None when it is not a rate limit (no access):
/// `retry-after` seconds when given; else until `x-ratelimit-reset` when the budget is 0; else
/// (a secondary limit that says no more) [`RetryPolicy::secondary_wait`], doubled on each
/// repeat of the same request (`secondary_hits` counts them).
pub fn rate_limit_wait(
    headers: &HeaderMap,
    message: &str,
    policy: &RetryPolicy,
    secondary_hits: &mut u32,
    now: u64,
) -> Option<Duration> {
    let remaining = header(headers, "x-ratelimit-remaining").and_then(|v| v.parse::<u64>().ok());
    let retry_after = header(headers, "retry-after").and_then(|v| v.trim().parse::<u64>().ok());
    let says_limit = message.to_ascii_lowercase().contains("rate limit");
    if retry_after.is_none() && remaining != Some(0) && !says_limit {
        return None;
    }
    if let Some(seconds) = retry_after {
        return Some(Duration::from_secs(seconds));
    }
    if remaining == Some(0)
        && let Some(reset) =
            header(headers, "x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok())
    {
        return Some(Duration::from_secs(reset.saturating_sub(now) + 1));
    }
    *secondary_hits += 1;
    let doubled = policy
        .secondary_wait
        .saturating_mul(1u32 << (*secondary_hits - 1).min(6));
    Some(doubled.max(policy.secondary_wait))
}

/// The pause before a request when the last known budget is at or below `reserve` and its reset
/// is still ahead: until a second after the reset.
pub fn pace_wait(state: RateState, reserve: u64, now: u64) -> Option<Duration> {
    let (Some(remaining), Some(reset)) = (state.remaining, state.reset) else {
        return None;
    };
    (remaining <= reserve && reset > now).then(|| Duration::from_secs(reset - now + 1))
}

/// The backoff after the `attempt`-th failed attempt: base x 2^(attempt-1), capped, times
/// 0.5 + `jitter` (`jitter` in [0, 1)).
pub fn backoff(policy: &RetryPolicy, attempt: u32, jitter: f64) -> Duration {
    policy
        .base_backoff
        .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16))
        .min(policy.max_backoff)
        .mul_f64(0.5 + jitter)
}

/// A header's value, if it is text.
pub(super) fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    const NOW: u64 = 1_800_000_000;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_str(value).expect("a header value"));
        }
        h
    }

    #[test]
    fn retry_after_wins_then_the_reset_then_a_doubling_minute() {
        let policy = RetryPolicy::default();
        let mut hits = 0;
        let reset = (NOW + 120).to_string();
        let limited = "You have exceeded a secondary rate limit.";
        let wait = |h: &HeaderMap, message: &str, hits: &mut u32| {
            rate_limit_wait(h, message, &policy, hits, NOW)
        };
        let h = headers(&[("retry-after", "30"), ("x-ratelimit-remaining", "0")]);
        assert_eq!(wait(&h, limited, &mut hits), Some(Duration::from_secs(30)));
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]);
        assert_eq!(wait(&h, "", &mut hits), Some(Duration::from_secs(121)));
        assert_eq!(hits, 0);
        let h = headers(&[("x-ratelimit-remaining", "12")]);
        for expected in [60, 120, 240] {
            assert_eq!(
                wait(&h, limited, &mut hits),
                Some(Duration::from_secs(expected))
            );
        }
        // A 403 that is no rate limit: refused for good.
        assert_eq!(
            wait(&h, "Resource not accessible by integration", &mut hits),
            None
        );
    }

    #[test]
    fn requests_pause_until_the_reset_only_when_the_budget_is_nearly_spent() {
        let state = |remaining, reset| RateState {
            remaining: Some(remaining),
            reset: Some(reset),
        };
        assert_eq!(pace_wait(state(51, NOW + 60), 50, NOW), None);
        assert_eq!(
            pace_wait(state(50, NOW + 60), 50, NOW),
            Some(Duration::from_secs(61))
        );
        assert_eq!(pace_wait(state(0, NOW), 50, NOW), None);
        assert_eq!(pace_wait(RateState::default(), 50, NOW), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_its_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(backoff(&policy, 1, 0.5), Duration::from_secs(1));
        assert_eq!(backoff(&policy, 3, 0.0), Duration::from_secs(2));
        assert_eq!(
            backoff(&policy, 4, 0.999),
            Duration::from_secs(8).mul_f64(1.499)
        );
        assert_eq!(backoff(&policy, 30, 0.5), Duration::from_secs(60));
    }
}
