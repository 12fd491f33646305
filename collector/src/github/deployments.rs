//! Deployments, from one of three sources (`deployments.source`), and what each one shipped.
//!
//! - **GitHub Deployments** of the configured environment. The list has no `since` filter and is
//!   newest first: the sync lists down to the highest id it has finished (the cursor), then
//!   handles the new ones oldest first. Each needs its statuses (one request each): the first
//!   `success` makes it a success at that status's time; `failure` / `error` as the latest status
//!   other than `inactive`, with no success, a failure; anything else is *pending*, kept in the
//!   cursor and looked at again (conditionally) on the next sync.
//! - **Workflow runs** of the configured workflow on the default branch, listed with a `created`
//!   range (`>=cursor`). GitHub returns at most 1,000 runs for a filtered query, so a range
//!   holding more is halved until it does not. Runs still in progress are kept as pending and
//!   fetched one by one next time.
//! - **Releases**: published, not drafts, not pre-releases, time = `published_at`; the tag is
//!   resolved to its commit. A release published from an old draft is caught as long as it was
//!   created within 30 days before the newest release of the previous sync.
//!
//! What a successful deployment shipped: the commits between the previous successful deployment's
//! sha and its own (`compare`), stored as `declared_commits`; the engine maps them to changes,
//! and a change ships once, at the first deployment that declares one of its commits. The first
//! successful deployment of a repository has no predecessor: it declares the commits its sha
//! reaches, committed since `collector.since` (`GET /commits?sha=<sha>&since=<since>`), so a pull
//! request merged into a branch the sha does not reach is not shipped by it. Deployments from
//! several branches (a release or hotfix branch deployed between deployments of the default
//! branch) compare the same way with the deployment before them: each ships what its sha reaches
//! and no earlier deployment shipped. A rollback to an older sha compares as `behind`: it ships
//! nothing new.

use super::normalize::{
    DeploymentOutcome, deployment_from_github, deployment_from_release, deployment_from_run,
    deployment_key, deployment_outcome, release_counts, release_key, run_pending, run_status,
    workflow_run_key,
};
use super::types::{
    Commit, Comparison, DeploymentStatusPayload, GhDeployment, Release, WorkflowRun, WorkflowRuns,
};
use super::{Fetch, Page, RepoSync, SyncError, client};
use chrono::{Duration, Utc};
use engine::model::{Deployment, DeploymentStatus, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::atomic::Ordering;

/// Deployments stored per transaction.
const BATCH: usize = 100;
/// A deployment or run still without a final outcome this long before the newest one listed is
/// given up on (measured against the data, not the clock, so a replayed history behaves alike).
const PENDING_GIVE_UP: Duration = Duration::days(14);
/// GitHub's cap on the results of a filtered workflow-run query.
const RUN_QUERY_CAP: u64 = 1000;
/// How far before the last sync's newest release a newly published draft is still looked for.
const RELEASE_LOOKBACK: Duration = Duration::days(30);
const MAX_COMPARE_PAGES: usize = 50;
/// Pages of commits read for a repository's first deployment (10,000 commits since `since`).
const MAX_FIRST_DEPLOYMENT_PAGES: usize = 100;
/// The `sync_state` resource of the releases.
pub(crate) const RELEASES: &str = "releases";

/// The `sync_state` resource of the GitHub Deployments of `environment`.
pub(crate) fn deployments_resource(environment: &str) -> String {
    format!("deployments:{environment}")
}

/// The `sync_state` resource of the runs of `workflow`.
pub(crate) fn runs_resource(workflow: &str) -> String {
    format!("workflow_runs:{workflow}")
}

// ---- GitHub Deployments ---------------------------------------------------------------------

#[derive(Debug, Default, Serialize, Deserialize)]
struct DeploymentsCursor {
    /// Every deployment with an id up to this one is stored or pending.
    last_id: Option<u64>,
    /// When the newest deployment listed was created.
    #[serde(default)]
    newest: Option<Timestamp>,
    pending: Vec<PendingDeployment>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingDeployment {
    deployment: GhDeployment,
    /// ETag of its statuses' first page.
    etag: Option<String>,
}

pub(crate) async fn sync_github_deployments(ctx: &RepoSync<'_>) -> Result<(), SyncError> {
    let environment = &ctx.settings.environment;
    let resource = deployments_resource(environment);
    let (mut cursor, etag): (DeploymentsCursor, _) = ctx.load_state(&resource).await?;

    // Pending ones first: they are older than anything new.
    if !cursor.pending.is_empty() {
        let mut batch = Vec::new();
        let mut still = Vec::new();
        for pending in std::mem::take(&mut cursor.pending) {
            if let Some(p) = deployment_record(ctx, pending, cursor.newest, &mut batch).await? {
                still.push(p);
            }
        }
        store_deployments(ctx, &batch).await?;
        cursor.pending = still;
        ctx.save_state(&resource, &cursor, None).await?;
    }

    let url = ctx.path(&format!(
        "/deployments?environment={}&per_page=100",
        client::encode(environment)
    ));
    let conditional = etag.as_deref();
    let first: Page<Vec<GhDeployment>> = match ctx.get(&url, conditional).await? {
        Fetch::NotModified => {
            ctx.save_state(&resource, &cursor, etag).await?;
            return Ok(());
        }
        Fetch::Fresh(page) => page,
    };
    let first_etag = first.etag.clone();
    cursor.newest = cursor.newest.max(first.body.first().map(|d| d.created_at));
    // The new ones, newest first as listed; only their short headers are held.
    let mut new: Vec<GhDeployment> = Vec::new();
    let mut page = first;
    loop {
        let mut reached_end = false;
        for d in page.body.drain(..) {
            if cursor.last_id.is_some_and(|last| d.id <= last) || d.created_at < ctx.settings.since
            {
                reached_end = true;
                break;
            }
            new.push(d);
        }
        let next = if reached_end { None } else { page.next.take() };
        let Some(next) = next else { break };
        page = ctx.get_page(&next).await?;
    }
    new.sort_by_key(|d| d.id);
    for chunk in new.chunks(BATCH) {
        let mut batch = Vec::new();
        for d in chunk {
            let pending = PendingDeployment {
                deployment: d.clone(),
                etag: None,
            };
            if let Some(p) = deployment_record(ctx, pending, cursor.newest, &mut batch).await? {
                cursor.pending.push(p);
            }
        }
        store_deployments(ctx, &batch).await?;
        cursor.last_id = chunk.iter().map(|d| d.id).max().max(cursor.last_id);
        ctx.save_state(&resource, &cursor, None).await?;
    }
    ctx.save_state(&resource, &cursor, first_etag).await?;
    Ok(())
}

/// Reads a deployment's statuses: a record pushed onto `batch`, or still pending (returned).
async fn deployment_record(
    ctx: &RepoSync<'_>,
    pending: PendingDeployment,
    newest: Option<Timestamp>,
    batch: &mut Vec<Deployment>,
) -> Result<Option<PendingDeployment>, SyncError> {
    let d = &pending.deployment;
    let url = ctx.path(&format!("/deployments/{}/statuses?per_page=100", d.id));
    let first: Page<Vec<DeploymentStatusPayload>> =
        match ctx.get(&url, pending.etag.as_deref()).await? {
            Fetch::NotModified => return Ok(Some(pending)),
            Fetch::Fresh(page) => page,
        };
    let etag = first.etag.clone();
    let mut statuses = first.body;
    if let Some(next) = first.next {
        statuses.extend(ctx.get_all::<DeploymentStatusPayload>(&next, 10).await?);
    }
    let outcome = deployment_outcome(&statuses);
    let declared = match outcome {
        DeploymentOutcome::Pending => {
            if newest.is_some_and(|n| n - d.created_at > PENDING_GIVE_UP) {
                tracing::warn!(repo = %ctx.repo, id = d.id, "deployment never finished: giving up on it");
                return Ok(None);
            }
            return Ok(Some(PendingDeployment {
                deployment: pending.deployment,
                etag,
            }));
        }
        DeploymentOutcome::Failed(_) => None,
        DeploymentOutcome::Succeeded(at) => {
            shipped(ctx, batch, at, &deployment_key(ctx.repo, d.id), &d.sha).await?
        }
    };
    batch.extend(deployment_from_github(ctx.repo, d, outcome, declared));
    Ok(None)
}

// ---- Workflow runs --------------------------------------------------------------------------

#[derive(Debug, Default, Serialize, Deserialize)]
struct RunsCursor {
    /// Runs created before this are stored or pending; the listing asks for `created>=from`.
    from: Option<Timestamp>,
    /// Runs not completed when last seen: (id, ETag of the run).
    pending: Vec<(u64, Option<String>)>,
    /// When the newest run listed was created.
    #[serde(default)]
    newest: Option<Timestamp>,
}

pub(crate) async fn sync_workflow_runs(ctx: &RepoSync<'_>) -> Result<(), SyncError> {
    let Some(workflow) = ctx.settings.workflow.clone() else {
        return Err(SyncError::Github(super::GithubError::Invalid(
            "deployments.source = \"workflow_runs\" needs deployments.workflow".into(),
        )));
    };
    let resource = runs_resource(&workflow);
    let (mut cursor, etag): (RunsCursor, _) = ctx.load_state(&resource).await?;

    if !cursor.pending.is_empty() {
        let mut batch = Vec::new();
        let mut still = Vec::new();
        for (id, run_etag) in std::mem::take(&mut cursor.pending) {
            let url = ctx.path(&format!("/actions/runs/{id}"));
            match ctx.get::<WorkflowRun>(&url, run_etag.as_deref()).await? {
                Fetch::NotModified => still.push((id, run_etag)),
                Fetch::Fresh(page) => {
                    let run = page.body;
                    if run_pending(&run) {
                        let abandoned = cursor
                            .newest
                            .is_some_and(|n| n - run.created_at > PENDING_GIVE_UP);
                        if !abandoned {
                            still.push((id, page.etag));
                        }
                    } else {
                        run_record(ctx, &run, &mut batch).await?;
                    }
                }
            }
        }
        store_deployments(ctx, &batch).await?;
        cursor.pending = still;
        ctx.save_state(&resource, &cursor, None).await?;
    }

    let query = |range: String| {
        ctx.path(&format!(
            "/actions/workflows/{}/runs?branch={}&created={}&per_page=100",
            client::encode(&workflow),
            client::encode(&ctx.default_branch),
            client::encode(&range)
        ))
    };
    let open = |from: Timestamp| format!(">={}", rfc3339(from));
    let mut lower = cursor.from.unwrap_or(ctx.settings.since);
    let conditional = etag.as_deref();
    let mut page: Page<WorkflowRuns> = match ctx.get(&query(open(lower)), conditional).await? {
        Fetch::NotModified => {
            ctx.save_state(&resource, &cursor, etag).await?;
            return Ok(());
        }
        Fetch::Fresh(page) => page,
    };
    let mut upper: Option<Timestamp> = None;
    loop {
        if page.body.total_count > RUN_QUERY_CAP {
            let end = upper.unwrap_or_else(Utc::now);
            let middle = lower + (end - lower) / 2;
            if middle <= lower + Duration::seconds(1) {
                tracing::warn!(repo = %ctx.repo, "over 1,000 runs within a second: some are missed");
            } else {
                upper = Some(middle);
                let range = format!("{}..{}", rfc3339(lower), rfc3339(middle));
                page = ctx.get_page(&query(range)).await?;
                continue;
            }
        }
        let window_etag = page.etag.clone();
        let mut runs = std::mem::take(&mut page.body.workflow_runs);
        let mut next = page.next.take();
        while let Some(url) = next {
            let more: Page<WorkflowRuns> = ctx.get_page(&url).await?;
            runs.extend(more.body.workflow_runs);
            next = more.next;
        }
        let listed = runs.len();
        let newest = runs.iter().map(|r| r.created_at).max();
        cursor.newest = cursor.newest.max(newest);
        runs.sort_by_key(|r| (r.created_at, r.id));
        let keys: Vec<String> = runs
            .iter()
            .map(|r| workflow_run_key(ctx.repo, r.id))
            .collect();
        let stored = ctx.store.existing_deployment_keys(&keys).await?;
        let pending_ids: HashSet<u64> = cursor.pending.iter().map(|(id, _)| *id).collect();
        let mut fresh = runs
            .into_iter()
            .filter(|r| !stored.contains(&workflow_run_key(ctx.repo, r.id)))
            .peekable();
        while fresh.peek().is_some() {
            let mut batch = Vec::new();
            for run in fresh.by_ref().take(BATCH) {
                if run_pending(&run) {
                    if !pending_ids.contains(&run.id) {
                        cursor.pending.push((run.id, None));
                    }
                } else {
                    run_record(ctx, &run, &mut batch).await?;
                }
            }
            store_deployments(ctx, &batch).await?;
            ctx.save_state(&resource, &cursor, None).await?;
        }
        match upper.take() {
            Some(end) => {
                // A closed window is done: the next one starts where it ended.
                lower = end;
                cursor.from = Some(lower);
                ctx.save_state(&resource, &cursor, None).await?;
                page = ctx.get_page(&query(open(lower))).await?;
            }
            None => {
                // The open window: keep its first page's ETag for the next sync, unless it has
                // grown past one page, then move it up (one more request for the new ETag).
                let (from, etag) = match newest {
                    Some(newest) if listed > 100 => {
                        let probe: Page<WorkflowRuns> = ctx.get_page(&query(open(newest))).await?;
                        (newest, probe.etag)
                    }
                    _ => (lower, window_etag),
                };
                cursor.from = Some(from);
                ctx.save_state(&resource, &cursor, etag).await?;
                return Ok(());
            }
        }
    }
}

async fn run_record(
    ctx: &RepoSync<'_>,
    run: &WorkflowRun,
    batch: &mut Vec<Deployment>,
) -> Result<(), SyncError> {
    let declared = match run_status(run) {
        Some(DeploymentStatus::Success) => {
            let key = workflow_run_key(ctx.repo, run.id);
            shipped(ctx, batch, run.updated_at, &key, &run.head_sha).await?
        }
        _ => None,
    };
    batch.extend(deployment_from_run(
        ctx.repo,
        &ctx.settings.environment,
        run,
        declared,
    ));
    Ok(())
}

// ---- Releases -------------------------------------------------------------------------------

#[derive(Debug, Default, Serialize, Deserialize)]
struct ReleasesCursor {
    /// The newest `created_at` seen by the last complete walk.
    watermark: Option<Timestamp>,
}

pub(crate) async fn sync_releases(ctx: &RepoSync<'_>) -> Result<(), SyncError> {
    let (mut cursor, etag): (ReleasesCursor, _) = ctx.load_state(RELEASES).await?;
    let url = ctx.path("/releases?per_page=100");
    let conditional = etag.as_deref();
    let mut page: Page<Vec<Release>> = match ctx.get(&url, conditional).await? {
        Fetch::NotModified => return Ok(()),
        Fetch::Fresh(page) => page,
    };
    let first_etag = page.etag.clone();
    let stop_before = match cursor.watermark {
        Some(w) => (w - RELEASE_LOOKBACK).max(ctx.settings.since),
        None => ctx.settings.since,
    };
    let mut newest = cursor.watermark;
    let mut candidates: Vec<Release> = Vec::new();
    loop {
        let mut reached_end = false;
        for release in page.body.drain(..) {
            if release.created_at < stop_before {
                reached_end = true;
                break;
            }
            newest = newest.max(Some(release.created_at));
            if release_counts(&release) {
                candidates.push(release);
            }
        }
        let next = if reached_end { None } else { page.next.take() };
        let Some(next) = next else { break };
        page = ctx.get_page(&next).await?;
    }
    let keys: Vec<String> = candidates
        .iter()
        .map(|r| release_key(ctx.repo, r.id))
        .collect();
    let stored = ctx.store.existing_deployment_keys(&keys).await?;
    candidates.retain(|r| !stored.contains(&release_key(ctx.repo, r.id)));
    candidates.sort_by_key(|r| (r.published_at, r.id));
    for chunk in candidates.chunks(BATCH) {
        let mut batch = Vec::new();
        for release in chunk {
            let tag_url = ctx.path(&format!("/commits/{}", client::encode(&release.tag_name)));
            let commit: Commit = match ctx.get_page::<Commit>(&tag_url).await {
                Ok(page) => page.body,
                Err(e) if matches!(e.status(), Some(404 | 422)) => {
                    tracing::warn!(repo = %ctx.repo, tag = release.tag_name, "release tag names no commit: skipped");
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let Some(published) = release.published_at else {
                continue;
            };
            let key = release_key(ctx.repo, release.id);
            let declared = shipped(ctx, &batch, published, &key, &commit.sha).await?;
            batch.extend(deployment_from_release(
                ctx.repo,
                &ctx.settings.environment,
                release,
                &commit.sha,
                declared,
            ));
        }
        store_deployments(ctx, &batch).await?;
    }
    cursor.watermark = newest;
    ctx.save_state(RELEASES, &cursor, first_etag).await?;
    Ok(())
}

// ---- Shared ---------------------------------------------------------------------------------

/// The commits a successful deployment of `sha` (finished at `finished_at`) shipped: compared
/// with the previous successful deployment, stored or in the batch being built. None for the
/// first one, or when GitHub cannot compare the two (a sha force-pushed away).
async fn shipped(
    ctx: &RepoSync<'_>,
    batch: &[Deployment],
    finished_at: Timestamp,
    key: &str,
    sha: &str,
) -> Result<Option<Vec<String>>, SyncError> {
    let stored = ctx
        .store
        .latest_success_before(ctx.repo, &ctx.settings.environment, finished_at, key)
        .await?;
    let in_batch = batch
        .iter()
        .filter(|d| d.status == DeploymentStatus::Success)
        .filter(|d| (d.finished_at, d.key.as_str()) < (finished_at, key))
        .max_by(|a, b| (a.finished_at, &a.key).cmp(&(b.finished_at, &b.key)));
    let previous = match (stored.as_ref(), in_batch) {
        (Some(s), Some(b)) => Some(if (b.finished_at, &b.key) > (s.finished_at, &s.key) {
            b
        } else {
            s
        }),
        (s, b) => s.or(b),
    };
    let Some(previous) = previous else {
        return reachable_since(ctx, sha).await;
    };
    let base = previous.sha.to_ascii_lowercase();
    let head = sha.to_ascii_lowercase();
    if base == head {
        return Ok(Some(Vec::new()));
    }
    let mut url = Some(ctx.path(&format!("/compare/{base}...{head}?per_page=100")));
    let mut commits = Vec::new();
    let mut pages = 0;
    while let Some(u) = url.take() {
        let page: Page<Comparison> = match ctx.get_page(&u).await {
            Ok(page) => page,
            Err(e) if matches!(e.status(), Some(404 | 422)) => {
                tracing::warn!(repo = %ctx.repo, base, head, "cannot compare the deployed shas: the engine's rule applies");
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        commits.extend(
            page.body
                .commits
                .into_iter()
                .map(|c| c.sha.to_ascii_lowercase()),
        );
        pages += 1;
        if pages < MAX_COMPARE_PAGES {
            url = page.next;
        }
    }
    Ok(Some(commits))
}

/// The commits the first deployment's sha reaches, committed since `collector.since`: what it
/// ships, by reachability (a pull request merged after `since` into a branch the sha does not
/// reach is not shipped by it). None when GitHub does not know the sha: the engine's rule for a
/// first deployment applies (changes merged since `since`, before the deployment).
async fn reachable_since(ctx: &RepoSync<'_>, sha: &str) -> Result<Option<Vec<String>>, SyncError> {
    let head = sha.to_ascii_lowercase();
    let url = ctx.path(&format!(
        "/commits?sha={head}&since={}&per_page=100",
        rfc3339(ctx.settings.since)
    ));
    match ctx
        .get_all::<Commit>(&url, MAX_FIRST_DEPLOYMENT_PAGES)
        .await
    {
        Ok(commits) => Ok(Some(
            commits
                .into_iter()
                .map(|c| c.sha.to_ascii_lowercase())
                .collect(),
        )),
        Err(e) if matches!(e.status(), Some(404 | 409 | 422)) => {
            tracing::warn!(repo = %ctx.repo, sha = head, "cannot list the commits of the first deployment: the engine's rule applies");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

async fn store_deployments(ctx: &RepoSync<'_>, batch: &[Deployment]) -> Result<(), SyncError> {
    if batch.is_empty() {
        return Ok(());
    }
    ctx.store.upsert_deployments(batch).await?;
    ctx.fetched
        .deployments
        .fetch_add(batch.len() as u64, Ordering::Relaxed);
    ctx.advanced("deployments", batch.len() as u64);
    Ok(())
}

fn rfc3339(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
