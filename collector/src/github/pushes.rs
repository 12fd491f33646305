//! Changes pushed straight to the default branch: commits that belong to no pull request.
//!
//! The default branch's commits are listed newest first (git log order: a merge commit before
//! the commits it merged) until one older than the cursor minus a day of overlap (a commit's
//! committer date can predate its push), or older than `collector.since` on a first sync. The
//! first page is asked for with `If-None-Match`: an unmoved branch answers 304.
//!
//! A commit belongs to a pull request when it is a stored change's merge sha (squash and merge
//! commits, and direct pushes stored before), or one of the commits of a pull request whose merge
//! commit came earlier in the walk (merge-commit strategy). A merge commit no pull request made
//! (`git merge develop` pushed to the default branch) merges one branch into another: never a
//! change of its own, and the commits it brings in are checked one by one below, so the work of
//! pull requests merged into other branches is never taken for direct pushes. What is left —
//! true direct pushes, and the rebased copies of rebase-merged commits — is checked with
//! `GET /repos/{owner}/{repo}/commits/{sha}/pulls`, one request each: a commit with no merged
//! pull request is a direct push. Memory holds only the commits of pull requests whose merge the
//! walk has passed and whose commits it has not reached yet.

use super::normalize::change_from_push;
use super::types::{Commit, PullRequest};
use super::{Fetch, Page, RepoSync, SyncError, client};
use chrono::Duration;
use engine::model::{Change, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

pub(crate) const RESOURCE: &str = "commits";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    branch: Option<String>,
    /// The newest committer date seen by the last complete walk.
    watermark: Option<Timestamp>,
}

pub(crate) async fn sync(ctx: &RepoSync<'_>) -> Result<(), SyncError> {
    let (mut cursor, mut etag): (Cursor, _) = ctx.load_state(RESOURCE).await?;
    if cursor.branch.as_deref() != Some(ctx.default_branch.as_str()) {
        cursor = Cursor {
            branch: Some(ctx.default_branch.clone()),
            watermark: None,
        };
        etag = None;
    }
    let stop_before = match cursor.watermark {
        Some(w) => (w - Duration::days(1)).max(ctx.settings.since),
        None => ctx.settings.since,
    };
    let url = ctx.path(&format!(
        "/commits?sha={}&per_page=100",
        client::encode(&ctx.default_branch)
    ));
    let conditional = etag.as_deref();
    let mut page: Page<Vec<Commit>> = match ctx.get(&url, conditional).await {
        Ok(Fetch::NotModified) => return Ok(()),
        Ok(Fetch::Fresh(page)) => page,
        // "Git Repository is empty."
        Err(e) if e.status() == Some(409) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let first_etag = page.etag.clone();
    let mut newest = cursor.watermark;
    // Commits of pull requests whose merge commit the walk has passed.
    let mut merged_branch_commits: HashSet<String> = HashSet::new();
    loop {
        let mut reached_end = false;
        let mut listed = Vec::new();
        for commit in &page.body {
            let Some(committed) = commit.committed_at() else {
                continue;
            };
            if committed < stop_before {
                reached_end = true;
                break;
            }
            newest = newest.max(Some(committed));
            listed.push(commit);
        }
        let shas: Vec<String> = listed.iter().map(|c| c.sha.to_ascii_lowercase()).collect();
        let mut known: HashMap<String, Vec<String>> = ctx
            .store
            .changes_by_merge_sha(ctx.repo, &shas)
            .await?
            .into_iter()
            .filter_map(|c| Some((c.merge_sha?, c.commits)))
            .collect();
        let mut pushes: Vec<Change> = Vec::new();
        for commit in listed {
            let sha = commit.sha.to_ascii_lowercase();
            if let Some(commits) = known.remove(&sha) {
                // A true merge commit: the pull request's own commits follow in the walk.
                if commit.parents.len() > 1 {
                    merged_branch_commits.extend(commits.into_iter().filter(|c| *c != sha));
                }
                continue;
            }
            if merged_branch_commits.remove(&sha) || commit.parents.len() > 1 {
                continue;
            }
            let pulls: Vec<PullRequest> = ctx
                .get_all(&ctx.path(&format!("/commits/{sha}/pulls?per_page=100")), 1)
                .await?;
            if let Some(pr) = pulls.iter().find(|p| p.merged_at.is_some()) {
                tracing::debug!(repo = %ctx.repo, sha, pull = pr.number, "commit of a pull request");
                continue;
            }
            pushes.push(change_from_push(ctx.repo, commit));
        }
        if !pushes.is_empty() {
            ctx.store.upsert_changes(&pushes).await?;
            let n = pushes.len() as u64;
            ctx.fetched
                .changes
                .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            ctx.advanced("direct pushes", n);
        }
        let next = if reached_end { None } else { page.next.take() };
        let Some(next) = next else { break };
        page = ctx.get_page(&next).await?;
    }
    cursor.watermark = newest;
    ctx.save_state(RESOURCE, &cursor, first_etag).await?;
    Ok(())
}
