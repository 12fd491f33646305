//! Incidents: issues carrying the configured label (`incidents.label`).
//!
//! Opened = `created_at`, resolved = `closed_at`; the issues list also returns pull requests,
//! which are dropped. Two listings, newest update first:
//!
//! - the first walk lists the issues with the label, every state, updated since
//!   `collector.since`: the incidents (few pages);
//! - every later sync lists *all* issues (`state=all`, no label filter, no `since`) down to the
//!   watermark, the newest `updated_at` seen. An issue with the label is an incident; one
//!   without it has lost the label (or never had it), so the incident of its key, if stored, is
//!   deleted. Removing a label moves an issue's `updated_at`, and a label filter would hide
//!   exactly those issues, which is why steady state watches the unfiltered listing instead. Its
//!   URL never changes, so a quiet repository answers 304, and it replaces the labelled listing:
//!   one conditional request per sync, as before.
//!
//! The first page of the unfiltered listing is fetched before the labelled walk, and its newest
//! `updated_at` becomes the watermark: what changes during the walk is seen by the next sync.
//! Deleted and transferred issues vanish from both listings; the `issues` webhook reports them.
//! Incidents are few and cost no request beyond their pages, so an interrupted walk simply
//! lists again.

use super::normalize::{incident_from_issue, issue_key};
use super::types::Issue;
use super::{Fetch, Page, RepoSync, SyncError, client};
use chrono::NaiveTime;
use engine::model::{Incident, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// The newest `updated_at` of the unfiltered listing when it was last walked.
    watermark: Option<Timestamp>,
}

/// The `sync_state` resource of the incidents labelled `label`. (Until the unfiltered listing
/// was watched it was `issues:{label}`; a cursor of that name is left unused, so the first sync
/// after the upgrade walks the labelled listing again rather than every issue updated since.)
pub(crate) fn resource(label: &str) -> String {
    format!("issue_updates:{label}")
}

pub(crate) async fn sync(ctx: &RepoSync<'_>) -> Result<(), SyncError> {
    let resource = resource(&ctx.settings.incident_label);
    let (mut cursor, etag): (Cursor, _) = ctx.load_state(&resource).await?;
    let url = ctx.path("/issues?state=all&sort=updated&direction=desc&per_page=100");
    let mut page: Page<Vec<Issue>> = match ctx.get(&url, etag.as_deref()).await {
        Ok(Fetch::NotModified) => return Ok(()),
        Ok(Fetch::Fresh(page)) => page,
        // Issues are turned off for this repository: it has no incidents here.
        Err(e) if e.status() == Some(410) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let first_etag = page.etag.clone();
    let top = page.body.first().map(|i| i.updated_at);
    match cursor.watermark {
        None => {
            // Incidents that lost the label while no cursor was kept (`since` moved earlier).
            delete(ctx, sort(ctx, &page.body, None).unlabelled).await?;
            walk_labelled(ctx).await?;
        }
        Some(watermark) => loop {
            let sorted = sort(ctx, &page.body, Some(watermark));
            store(ctx, &sorted.incidents).await?;
            delete(ctx, sorted.unlabelled).await?;
            let next = if sorted.reached_watermark {
                None
            } else {
                page.next.take()
            };
            let Some(next) = next else { break };
            page = ctx.get_page(&next).await?;
        },
    }
    cursor.watermark = top.max(cursor.watermark);
    ctx.save_state(&resource, &cursor, first_etag).await?;
    Ok(())
}

/// A page of the unfiltered listing, down to the watermark.
struct Sorted {
    incidents: Vec<Incident>,
    /// Keys of the issues without the label.
    unlabelled: Vec<String>,
    reached_watermark: bool,
}

/// Sorts the issues of a page (newest first) updated at or after `watermark`; pull requests
/// are neither incidents nor issues.
fn sort(ctx: &RepoSync<'_>, issues: &[Issue], watermark: Option<Timestamp>) -> Sorted {
    let label = &ctx.settings.incident_label;
    let mut sorted = Sorted {
        incidents: Vec::new(),
        unlabelled: Vec::new(),
        reached_watermark: false,
    };
    for issue in issues {
        if watermark.is_some_and(|w| issue.updated_at < w) {
            sorted.reached_watermark = true;
            break;
        }
        if issue.pull_request.is_some() {
            continue;
        }
        if issue
            .labels
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(label))
        {
            sorted
                .incidents
                .extend(incident_from_issue(ctx.repo, issue));
        } else {
            sorted.unlabelled.push(issue_key(ctx.repo, issue.number));
        }
    }
    sorted
}

/// The labelled listing from `collector.since` on, walked to its end.
async fn walk_labelled(ctx: &RepoSync<'_>) -> Result<(), SyncError> {
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
        client::encode(&ctx.settings.incident_label),
        client::encode(&since)
    ));
    let mut next = Some(url);
    while let Some(url) = next.take() {
        let page: Page<Vec<Issue>> = ctx.get_page(&url).await?;
        let incidents: Vec<Incident> = page
            .body
            .iter()
            .filter_map(|issue| incident_from_issue(ctx.repo, issue))
            .collect();
        store(ctx, &incidents).await?;
        next = page.next;
    }
    Ok(())
}

async fn store(ctx: &RepoSync<'_>, incidents: &[Incident]) -> Result<(), SyncError> {
    if !incidents.is_empty() {
        ctx.store.upsert_incidents(incidents).await?;
        let n = incidents.len() as u64;
        ctx.fetched.incidents.fetch_add(n, Ordering::Relaxed);
        ctx.advanced("incidents", n);
    }
    Ok(())
}

/// Deletes the stored incidents of these keys, if any (most are plain issues, never stored).
async fn delete(ctx: &RepoSync<'_>, keys: Vec<String>) -> Result<(), SyncError> {
    if keys.is_empty() {
        return Ok(());
    }
    let deleted = ctx.store.delete_incidents(&keys).await?;
    if deleted.incidents > 0 {
        let n = deleted.incidents as u64;
        ctx.fetched
            .incidents_deleted
            .fetch_add(n, Ordering::Relaxed);
        tracing::info!(repo = %ctx.repo, deleted = n, "incidents whose issue lost the label deleted");
    }
    Ok(())
}
