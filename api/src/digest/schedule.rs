//! `serve`'s digest: at each time of `digest.schedule` (the `cron` crate's expressions, seconds
//! field first, in UTC), the digest of the last full period goes to every channel that has not
//! had it yet.
//!
//! Several replicas may run the schedule: before sending to a channel a replica claims the
//! scope, period and channel in the store ([`Store::claim_digest`], an insert only one replica
//! wins), so each period reaches each channel once. A delivery that fails for good gives its
//! claim back, so the next run of the schedule tries again: a schedule that fires more often
//! than the period (hourly on Mondays, say) also retries a failed week within the day.

use super::channels::{Channel, Channels, ConfigError, Outcome, deliver};
use super::{Digest, last_full};
use chrono::Utc;
use engine::config::Config;
use engine::query::QueryError;
use engine::store::{DigestClaim, Store};
use std::sync::Arc;

/// Starts the schedule when `digest.schedule` is set; its channels are checked first, so a
/// misconfigured digest stops `serve` from starting rather than failing silently each week.
pub fn spawn(
    config: Arc<Config>,
    store: Store,
) -> Result<Option<tokio::task::JoinHandle<()>>, ConfigError> {
    let Some(schedule) = config.digest_schedule().cloned() else {
        return Ok(None);
    };
    let channels = Channels::from_config(&config.digest)?;
    tracing::info!(
        schedule = schedule.source(),
        channels = ?channels.all(),
        "scheduled digest enabled (times in UTC)"
    );
    Ok(Some(tokio::spawn(async move {
        for next in schedule.upcoming(Utc) {
            let wait = (next - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            if let Err(error) = send_due(&config, &store, &channels).await {
                tracing::error!(%error, "the scheduled digest could not be prepared");
            }
        }
        tracing::warn!("the digest schedule has no future run");
    })))
}

/// Sends the digest of the last full period (by the configuration's clock and time zone) to
/// each channel this process claims; the outcomes of those sent, none when every channel had
/// it already.
pub async fn send_due(
    config: &Config,
    store: &Store,
    channels: &Channels,
) -> Result<Vec<Outcome>, QueryError> {
    let today = config
        .now()
        .with_timezone(&config.metrics.time_zone)
        .date_naive();
    let period = last_full(config.digest.period, today);
    let scope = config.scope(config.digest.team.as_deref())?;
    let claim = |channel: Channel| DigestClaim {
        scope: scope.slug.clone(),
        period,
        channel: channel.as_str().to_string(),
    };
    let mut claimed = Vec::new();
    for channel in channels.all() {
        if store.claim_digest(&claim(channel)).await? {
            claimed.push(channel);
        }
    }
    if claimed.is_empty() {
        tracing::info!(from = %period.from, to = %period.to, "the digest of this period was sent already");
        return Ok(Vec::new());
    }
    let report = match crate::report::build(store, config, &scope, period).await {
        Ok(report) => report,
        Err(error) => {
            for &channel in &claimed {
                store.release_digest(&claim(channel)).await?;
            }
            return Err(error);
        }
    };
    let digest = Digest::from_report(&report, config.digest.dashboard_url.as_deref());
    let outcomes = deliver(channels, &claimed, &digest, &report).await;
    for outcome in outcomes.iter().filter(|o| o.error.is_some()) {
        store.release_digest(&claim(outcome.channel)).await?;
    }
    Ok(outcomes)
}
