//! `doraboard replay`: rebuild the normalized records from the raw event log, after a change of
//! mapping (`[pagerduty] services`, `[cdevents] services`, teams) or of how events are
//! normalized.
//!
//! The log is read in arrival order and every event normalized again with today's code and
//! configuration, then written over the stored records in one transaction, exactly as the
//! original ingestion wrote them (a later version of a key replaces an earlier one; incident
//! lifecycle events merge in order), so replaying the log of an unchanged configuration gives the
//! same records and metrics. Records that did not come from the log (GitHub polling, the demo)
//! are left as they are. Every repository is reanalyzed afterwards.
//!
//! An event that no longer validates (say, an incident of a team since removed) is skipped and
//! reported, as are the sources replay does not handle.

use crate::events::schema::parse_event;
use crate::events::{API_SOURCE, EventContext, IMPORT_SOURCE, KindCounts};
use crate::ingest::BATCH;
use crate::pagerduty;
use engine::config::Config;
use engine::model::Source;
use engine::store::events::{EventRecord, LoggedEvent, RawEvent};
use engine::store::{Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

/// At most this many skipped events are described in a report.
const MAX_DESCRIBED: usize = 20;

/// What a replay rebuilt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    /// Events in the log.
    pub events: usize,
    /// Records written again, by kind.
    pub replayed: KindCounts,
    /// Events that carry no record (pings), by source.
    pub without_record: usize,
    /// Events skipped, by source: sources replay does not handle, or events that no longer
    /// validate.
    pub skipped: BTreeMap<String, usize>,
    /// Why the first skipped events were skipped.
    pub problems: Vec<String>,
    /// Repositories reanalyzed.
    pub repositories: usize,
}

/// Replays the whole raw event log into the store.
pub async fn replay(store: &Store, config: &Config) -> Result<ReplayReport, StoreError> {
    let api = EventContext::new(config, Source::Webhook);
    let import = EventContext::new(config, Source::Import);
    let mut report = ReplayReport::default();
    let mut tx = store.begin_bulk_ingest().await?;
    let mut after = 0;
    loop {
        let page = tx.raw_events_after(after, BATCH as i64).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let mut batch = Vec::with_capacity(page.len());
        for event in &page {
            report.events += 1;
            match normalize(event, &api, &import, config) {
                Ok(Some(record)) => {
                    report.replayed.add(&record);
                    batch.push(LoggedEvent {
                        raw: None,
                        record: Some(record),
                    });
                }
                Ok(None) => report.without_record += 1,
                Err(problem) => {
                    *report.skipped.entry(event.source.clone()).or_default() += 1;
                    if report.problems.len() < MAX_DESCRIBED {
                        report.problems.push(format!(
                            "{} delivery {}: {problem}",
                            event.source, event.delivery_id
                        ));
                    }
                }
            }
        }
        tx.write(batch).await?;
    }
    tx.commit().await?;
    store.analyze().await?;
    let repos = store.repositories().await?;
    report.repositories = repos.len();
    store
        .reanalyze(&repos, &engine::query::analysis_options(config))
        .await?;
    Ok(report)
}

/// The record a logged event normalizes to today.
fn normalize(
    event: &RawEvent,
    api: &EventContext,
    import: &EventContext,
    config: &Config,
) -> Result<Option<EventRecord>, String> {
    let generic = |ctx: &EventContext| {
        let value: serde_json::Value =
            serde_json::from_str(&event.body).map_err(|e| format!("not JSON: {e}"))?;
        parse_event(&value, ctx)
            .map(Some)
            .map_err(|e| e.to_string())
    };
    match event.source.as_str() {
        API_SOURCE => generic(api),
        IMPORT_SOURCE => generic(import),
        crate::cdevents::SOURCE => {
            let value: serde_json::Value =
                serde_json::from_str(&event.body).map_err(|e| format!("not JSON: {e}"))?;
            crate::cdevents::parse(&value, api, &config.cdevents.services)
                .map(crate::cdevents::Handling::into_record)
                .map_err(|e| e.to_string())
        }
        pagerduty::SOURCE => {
            let delivery = pagerduty::parse(event.body.as_bytes()).map_err(|e| e.to_string())?;
            pagerduty::normalize(&delivery, &config.pagerduty.services)
                .map(pagerduty::Handling::into_record)
                .map_err(|e| e.to_string())
        }
        crate::webhooks::github::SOURCE => crate::webhooks::github::replay(
            &event.body,
            &crate::webhooks::github::Settings::from_config(config),
        )
        .map_err(|e| e.to_string()),
        other => Err(format!("replay does not handle `{other}` events yet")),
    }
}
