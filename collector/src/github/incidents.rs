//! Incidents: issues carrying the configured label (`incidents.label`).
//!
//! Listed with the label, every state, updated since `collector.since`, newest update first, down
//! to the watermark (the newest `updated_at` of the last complete walk). The URL never changes,
//! so an unchanged first page answers 304. Opened = `created_at`, resolved = `closed_at`; the
//! issues list also returns pull requests, which are dropped. Incidents are few and cost no
//! request beyond their pages, so an interrupted walk simply lists again.

use super::normalize::incident_from_issue;
use super::types::Issue;
use super::{Fetch, Page, RepoSync, SyncError, client};
use chrono::NaiveTime;
use engine::model::{Incident, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    watermark: Option<Timestamp>,
}

/// The `sync_state` resource of the incidents labelled `label`.
pub(crate) fn resource(label: &str) -> String {
    format!("issues:{label}")
}

pub(crate) async fn sync(ctx: &RepoSync<'_>) -> Result<(), SyncError> {
    let label = &ctx.settings.incident_label;
    let resource = resource(label);
    let (mut cursor, etag): (Cursor, _) = ctx.load_state(&resource).await?;
    let since = ctx
        .settings
        .since
        .date_naive()
        .and_time(NaiveTime::MIN)
        .and_utc()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let url = ctx.path(&format!(
        "/issues?labels={}&state=all&sort=updated&direction=desc&since={}&per_page=100",
        client::encode(label),
        client::encode(&since)
    ));
    let mut page: Page<Vec<Issue>> = match ctx.get(&url, etag.as_deref()).await {
        Ok(Fetch::NotModified) => return Ok(()),
        Ok(Fetch::Fresh(page)) => page,
        // Issues are turned off for this repository: it has no incidents here.
        Err(e) if e.status() == Some(410) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let first_etag = page.etag.clone();
    let top = page.body.first().map(|i| i.updated_at);
    loop {
        let mut reached_end = false;
        let mut incidents: Vec<Incident> = Vec::new();
        for issue in &page.body {
            if cursor.watermark.is_some_and(|w| issue.updated_at < w) {
                reached_end = true;
                break;
            }
            incidents.extend(incident_from_issue(ctx.repo, issue));
        }
        if !incidents.is_empty() {
            ctx.store.upsert_incidents(&incidents).await?;
            let n = incidents.len() as u64;
            ctx.fetched.incidents.fetch_add(n, Ordering::Relaxed);
            ctx.advanced("incidents", n);
        }
        let next = if reached_end { None } else { page.next.take() };
        let Some(next) = next else { break };
        page = ctx.get_page(&next).await?;
    }
    cursor.watermark = top.max(cursor.watermark);
    ctx.save_state(&resource, &cursor, first_etag).await?;
    Ok(())
}
