//! The GitHub source: incremental, resumable polling of one repository at a time through the
//! REST API.
//!
//! - [`client`]: the HTTP client and its policy (conditional requests, rate limits, retries);
//! - [`policy`]: its waits as pure functions (rate limits, pacing, backoff);
//! - [`app`]: GitHub App installation authentication (JWT, installation tokens);
//! - [`types`]: GitHub's payloads as doraboard reads them;
//! - [`normalize`]: payloads -> the engine's records, and their natural keys (shared with webhooks);
//! - `pulls`, `pushes`, `deployments`, `incidents`: one resource each, each with its own cursor;
//! - [`progress`]: progress bars for `doraboard collect` on a terminal.
//!
//! # How a repository is synced
//!
//! Each resource keeps a cursor and the ETag of its first page in `sync_state` (resource names
//! carry what shapes the listing, e.g. `deployments:production`, `issue_updates:incident`). A sync
//! first asks for that first page with `If-None-Match`: a `304` means nothing changed and costs
//! no rate limit. Otherwise it walks the listing, stores each page's records in one transaction,
//! and records its progress only after the records it covers are stored, so a sync killed at
//! any moment resumes where it stopped and ends with the same data. The `history` resource keeps
//! the `since` the history was fetched from: when `since` moves earlier, the cursors are reset so
//! the next walks reach back (see `reach_back`). The orchestration over repositories, the summary
//! and the status live in [`crate::sync`].

pub mod app;
pub mod client;
mod deployments;
mod incidents;
pub mod normalize;
pub mod policy;
pub mod progress;
mod pulls;
mod pushes;
pub mod types;

pub use client::{ClientOptions, Fetch, GitHub, GithubError, Page, RetryPolicy, Tally};

use crate::sync::SyncObserver;
use engine::config::DeploymentSourceKind;
use engine::model::{RepoSlug, Timestamp};
use engine::store::{Store, StoreError, SyncState};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why syncing a repository failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Github(#[from] GithubError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the configuration says to fetch, for every repository.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How far back the history reaches (`collector.since`, or `collect --since`).
    pub since: Timestamp,
    pub environment: String,
    pub incident_label: String,
    pub deployments: DeploymentSourceKind,
    /// Workflow file name or id, for `DeploymentSourceKind::WorkflowRuns`.
    pub workflow: Option<String>,
    /// Pull requests whose commits and reviews are fetched at once.
    pub detail_concurrency: usize,
}

/// Records stored by one repository's sync.
#[derive(Debug, Default)]
pub struct Fetched {
    pub changes: AtomicU64,
    pub deployments: AtomicU64,
    pub incidents: AtomicU64,
    /// Stored incidents deleted because their issue lost the incident label.
    pub incidents_deleted: AtomicU64,
}

impl Fetched {
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }
    pub fn deployments(&self) -> u64 {
        self.deployments.load(Ordering::Relaxed)
    }
    pub fn incidents(&self) -> u64 {
        self.incidents.load(Ordering::Relaxed)
    }
    pub fn incidents_deleted(&self) -> u64 {
        self.incidents_deleted.load(Ordering::Relaxed)
    }
}

/// Everything one repository's sync works with.
pub(crate) struct RepoSync<'a> {
    pub gh: &'a GitHub,
    pub store: &'a Store,
    pub repo: &'a RepoSlug,
    pub settings: &'a Settings,
    pub tally: &'a Tally,
    pub fetched: &'a Fetched,
    pub observer: &'a dyn SyncObserver,
    pub default_branch: String,
}

impl RepoSync<'_> {
    /// `/repos/owner/name` + `rest`.
    pub fn path(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}{rest}",
            client::encode(self.repo.owner()),
            client::encode(self.repo.name())
        )
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        url: &str,
        etag: Option<&str>,
    ) -> Result<Fetch<T>, GithubError> {
        self.gh.get(url, etag, self.tally).await
    }

    /// A GET that must not be conditional: always a page.
    pub async fn get_page<T: DeserializeOwned>(&self, url: &str) -> Result<Page<T>, GithubError> {
        match self.gh.get(url, None, self.tally).await? {
            Fetch::Fresh(page) => Ok(page),
            Fetch::NotModified => Err(GithubError::Invalid(format!(
                "GitHub answered 304 to an unconditional GET {url}"
            ))),
        }
    }

    /// Every item of a paginated listing (for short ones: a pull request's commits...).
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        url: &str,
        max_pages: usize,
    ) -> Result<Vec<T>, GithubError> {
        let mut items = Vec::new();
        let mut next = Some(url.to_string());
        let mut pages = 0;
        while let Some(url) = next.take() {
            let page: Page<Vec<T>> = self.get_page(&url).await?;
            items.extend(page.body);
            pages += 1;
            if pages < max_pages {
                next = page.next;
            }
        }
        Ok(items)
    }

    pub async fn load_state<C: DeserializeOwned + Default>(
        &self,
        resource: &str,
    ) -> Result<(C, Option<String>), StoreError> {
        let Some(state) = self.store.get_sync_state(self.repo, resource).await? else {
            return Ok((C::default(), None));
        };
        // An unreadable cursor (written by another version) means starting over, not failing.
        let cursor = state
            .cursor
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok());
        match cursor {
            Some(cursor) => Ok((cursor, state.etag)),
            None => Ok((C::default(), None)),
        }
    }

    pub async fn save_state<C: Serialize>(
        &self,
        resource: &str,
        cursor: &C,
        etag: Option<String>,
    ) -> Result<(), StoreError> {
        self.store
            .put_sync_state(&SyncState {
                repo: self.repo.clone(),
                resource: resource.to_string(),
                cursor: serde_json::to_string(cursor).ok(),
                etag,
                last_success_at: Some(chrono::Utc::now()),
            })
            .await
    }

    pub fn advanced(&self, resource: &str, records: u64) {
        if records > 0 {
            self.observer.advanced(self.repo, resource, records);
        }
    }
}

/// The repository's default branch, itself cached with its ETag (a 304 most of the time).
pub(crate) async fn default_branch(
    gh: &GitHub,
    store: &Store,
    repo: &RepoSlug,
    tally: &Tally,
) -> Result<String, SyncError> {
    const RESOURCE: &str = "repository";
    let state = store.get_sync_state(repo, RESOURCE).await?;
    let (cached, etag) = match &state {
        Some(s) => (s.cursor.clone(), s.etag.clone()),
        None => (None, None),
    };
    let path = format!(
        "/repos/{}/{}",
        client::encode(repo.owner()),
        client::encode(repo.name())
    );
    let conditional = cached.as_ref().and(etag.as_deref());
    match gh
        .get::<types::Repository>(&path, conditional, tally)
        .await?
    {
        Fetch::NotModified => Ok(cached.unwrap_or_default()),
        Fetch::Fresh(page) => {
            let branch = page.body.default_branch;
            store
                .put_sync_state(&SyncState {
                    repo: repo.clone(),
                    resource: RESOURCE.to_string(),
                    cursor: Some(branch.clone()),
                    etag: page.etag,
                    last_success_at: Some(chrono::Utc::now()),
                })
                .await?;
            Ok(branch)
        }
    }
}

/// Syncs every resource of one repository (changes, direct pushes, deployments, incidents).
pub(crate) async fn sync_resources(ctx: &RepoSync<'_>) -> Result<(), SyncError> {
    reach_back(ctx).await?;
    pulls::sync(ctx).await?;
    pushes::sync(ctx).await?;
    match ctx.settings.deployments {
        DeploymentSourceKind::Deployments => deployments::sync_github_deployments(ctx).await?,
        DeploymentSourceKind::WorkflowRuns => deployments::sync_workflow_runs(ctx).await?,
        DeploymentSourceKind::Releases => deployments::sync_releases(ctx).await?,
    }
    incidents::sync(ctx).await?;
    Ok(())
}

/// The `sync_state` resource remembering the earliest `since` a repository's history was
/// fetched from.
const HISTORY: &str = "history";

#[derive(Debug, Default, Serialize, Deserialize)]
struct HistoryCursor {
    since: Option<Timestamp>,
}

/// The resources whose cursors stop their walks at what was already fetched.
fn history_resources(settings: &Settings) -> Vec<String> {
    let mut resources = vec![
        pulls::RESOURCE.to_string(),
        pushes::RESOURCE.to_string(),
        deployments::deployments_resource(&settings.environment),
        deployments::RELEASES.to_string(),
        incidents::resource(&settings.incident_label),
    ];
    resources.extend(settings.workflow.as_deref().map(deployments::runs_resource));
    resources
}

/// Incremental walks stop at their cursors, so a `since` moved earlier than the history was
/// fetched from would never reach the older records: reset the cursors (and ETags) so this sync
/// walks back to the new `since`. Upserts make the refetch harmless; the new `since` is saved
/// first, as the reset cursors resume like those of a first sync if the sync is killed. A later
/// `since` changes nothing: what is stored stays.
async fn reach_back(ctx: &RepoSync<'_>) -> Result<(), SyncError> {
    let since = ctx.settings.since;
    let (history, _): (HistoryCursor, _) = ctx.load_state(HISTORY).await?;
    if history.since.is_some_and(|from| from <= since) {
        return Ok(());
    }
    if let Some(from) = history.since {
        tracing::info!(
            repo = %ctx.repo, %from, %since,
            "since moved earlier: fetching the older history"
        );
        for resource in history_resources(ctx.settings) {
            reset_cursor(ctx, &resource).await?;
        }
    }
    let history = HistoryCursor { since: Some(since) };
    ctx.save_state(HISTORY, &history, None).await?;
    Ok(())
}

/// Forgets where a resource stopped (if it was ever synced): its next walk is a first one.
async fn reset_cursor(ctx: &RepoSync<'_>, resource: &str) -> Result<(), StoreError> {
    if ctx
        .store
        .get_sync_state(ctx.repo, resource)
        .await?
        .is_none()
    {
        return Ok(());
    }
    ctx.store
        .put_sync_state(&SyncState {
            repo: ctx.repo.clone(),
            resource: resource.to_string(),
            cursor: None,
            etag: None,
            last_success_at: None,
        })
        .await
}
