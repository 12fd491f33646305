//! Changes from pull requests: merged into any branch (the default branch, `develop` in GitFlow,
//! a release or maintenance branch), each with its commits and reviews. A change counts once it
//! reaches production: which deployment ships it is worked out from the deployed commits (see
//! `deployments`), and a pull request that only merges one branch into another is absorbed by
//! the engine, never counted as a change of its own.
//!
//! The pulls list has no `since` filter, so the sync lists closed pull requests of every base
//! branch sorted by `updated` descending and stops at the cursor: the `updated_at` of the first
//! item of the last complete walk (the *watermark*). Any update to a pull request (merge, review,
//! push, label) moves it to the top, so an unchanged first page means nothing changed at all:
//! that first page is asked for with `If-None-Match` and answered 304. Closed pull requests never
//! merged are dropped without fetching their details.
//!
//! A walk over a long history (a first sync of 20,000 pull requests costs two requests per pull
//! request) must survive being killed. After each page is stored, the span of `updated_at`
//! values it has covered is saved; a resumed walk still lists from the top (items only ever move
//! up, so nothing is missed) but skips the commits and reviews of every pull request inside a
//! stored span, and the spans merge as it goes. Span bounds are exclusive: pull requests sharing
//! a bound's timestamp are fetched again rather than risk missing one.

use super::normalize::change_from_pull;
use super::types::{Commit, PullRequest, Review};
use super::{Fetch, Page, RepoSync, SyncError};
use engine::model::{Change, Timestamp};
use futures_util::future::BoxFuture;
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};

pub(crate) const RESOURCE: &str = "pulls";
/// GitHub lists at most 250 commits of a pull request: three pages of 100.
const MAX_COMMIT_PAGES: usize = 3;
const MAX_REVIEW_PAGES: usize = 10;

/// What a cursor's walk lists: every base branch. Cursors of earlier versions listed only the
/// default branch (and named it here): they start over, so the pull requests merged into other
/// branches are fetched.
const EVERY_BASE: &str = "*";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// Which base branches the walk lists ([`EVERY_BASE`]).
    branch: Option<String>,
    /// Every pull request updated before this was stored by a complete walk.
    watermark: Option<Timestamp>,
    /// The pull requests that walk saw updated exactly at the watermark (stored too).
    #[serde(default)]
    at_watermark: Vec<i64>,
    /// An interrupted walk: pull requests updated strictly inside each (low, high) are stored.
    spans: Vec<(Timestamp, Timestamp)>,
}

impl Cursor {
    fn covers(&self, t: Timestamp) -> bool {
        self.spans.iter().any(|(low, high)| *low < t && t < *high)
    }

    fn add_span(&mut self, low: Timestamp, high: Timestamp) {
        if low >= high {
            return;
        }
        let (mut low, mut high) = (low, high);
        self.spans.retain(|(l, h)| {
            let overlaps = *l < high && low < *h;
            if overlaps {
                low = low.min(*l);
                high = high.max(*h);
            }
            !overlaps
        });
        self.spans.push((low, high));
        self.spans.sort();
    }
}

pub(crate) async fn sync(ctx: &RepoSync<'_>) -> Result<(), SyncError> {
    let (mut cursor, mut etag): (Cursor, _) = ctx.load_state(RESOURCE).await?;
    if cursor.branch.as_deref() != Some(EVERY_BASE) {
        cursor = Cursor {
            branch: Some(EVERY_BASE.to_string()),
            ..Cursor::default()
        };
        etag = None;
    }
    let url = ctx.path("/pulls?state=closed&sort=updated&direction=desc&per_page=100");
    // The ETag is kept only by a complete walk; an interrupted one lists afresh.
    let conditional = etag.as_deref().filter(|_| cursor.spans.is_empty());
    let mut page: Page<Vec<PullRequest>> = match ctx.get(&url, conditional).await? {
        Fetch::NotModified => return Ok(()),
        Fetch::Fresh(page) => page,
    };
    let first_etag = page.etag.clone();
    let Some(top) = page.body.first().map(|p| p.updated_at) else {
        ctx.save_state(RESOURCE, &cursor, first_etag).await?;
        return Ok(());
    };
    let mut at_top = Vec::new();
    loop {
        let mut reached_end = false;
        let mut wanted = Vec::new();
        let mut low = None;
        for pr in &page.body {
            let before_cursor = cursor.watermark.is_some_and(|w| pr.updated_at < w);
            if before_cursor || pr.updated_at < ctx.settings.since {
                reached_end = true;
                break;
            }
            if pr.updated_at == top {
                at_top.push(pr.number);
            }
            low = Some(pr.updated_at);
            let seen_at_watermark =
                cursor.watermark == Some(pr.updated_at) && cursor.at_watermark.contains(&pr.number);
            if seen_at_watermark || cursor.covers(pr.updated_at) {
                continue;
            }
            let merged = pr.merged_at.is_some_and(|m| m >= ctx.settings.since);
            if merged {
                wanted.push(pr.clone());
            }
        }
        let changes: Vec<Change> = stream::iter(wanted)
            .map(|pr| -> BoxFuture<'_, Result<Option<Change>, SyncError>> {
                Box::pin(with_details(ctx, pr))
            })
            .buffered(ctx.settings.detail_concurrency.max(1))
            .try_filter_map(|c| async move { Ok(c) })
            .try_collect()
            .await?;
        if !changes.is_empty() {
            ctx.store.upsert_changes(&changes).await?;
            let n = changes.len() as u64;
            ctx.fetched
                .changes
                .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            ctx.advanced("pull requests", n);
        }
        let next = if reached_end { None } else { page.next.take() };
        let Some(next) = next else { break };
        if let Some(low) = low {
            cursor.add_span(low, top);
            ctx.save_state(RESOURCE, &cursor, None).await?;
        }
        page = ctx.get_page(&next).await?;
    }
    cursor.watermark = Some(top);
    cursor.at_watermark = at_top;
    cursor.spans.clear();
    ctx.save_state(RESOURCE, &cursor, first_etag).await?;
    Ok(())
}

/// A merged pull request with its commits and reviews, as a change.
async fn with_details(ctx: &RepoSync<'_>, pr: PullRequest) -> Result<Option<Change>, SyncError> {
    let commits_url = ctx.path(&format!("/pulls/{}/commits?per_page=100", pr.number));
    let reviews_url = ctx.path(&format!("/pulls/{}/reviews?per_page=100", pr.number));
    let (commits, reviews) = tokio::try_join!(
        ctx.get_all::<Commit>(&commits_url, MAX_COMMIT_PAGES),
        ctx.get_all::<Review>(&reviews_url, MAX_REVIEW_PAGES),
    )?;
    Ok(change_from_pull(
        ctx.repo,
        &pr,
        &commits,
        &reviews,
        &ctx.default_branch,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn t(h: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0)
            .single()
            .expect("a time")
    }

    #[test]
    fn spans_merge_when_they_overlap_and_bounds_are_exclusive() {
        let mut c = Cursor::default();
        c.add_span(t(5), t(9));
        c.add_span(t(1), t(3));
        assert!(c.covers(t(6)) && !c.covers(t(5)) && !c.covers(t(9)) && !c.covers(t(4)));
        c.add_span(t(2), t(6));
        assert_eq!(c.spans, vec![(t(1), t(9))]);
    }
}
