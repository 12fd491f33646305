//! GitHub REST payloads, as far as doraboard reads them.
//!
//! Field names are GitHub's own (REST API version 2022-11-28). Every field doraboard does not
//! strictly need is optional and unknown fields are ignored, so a payload from GitHub Enterprise
//! Server, an older API version or a webhook (which carries the same objects) still parses.
//! Timestamps are RFC 3339 (`2026-03-02T12:00:00Z`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A user or bot account (`user`, `author`, `creator`, `actor`...).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Account {
    pub login: String,
    #[serde(default)]
    pub id: Option<u64>,
    /// `User`, `Bot` or `Organization`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl Account {
    /// GitHub says this account is a bot (a GitHub App such as `dependabot[bot]`).
    pub fn is_bot(&self) -> bool {
        self.kind.as_deref() == Some("Bot")
    }
}

/// A label on an issue or pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub name: String,
}

/// `GET /repos/{owner}/{repo}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    pub full_name: String,
    pub default_branch: String,
}

/// A branch end of a pull request (`head` or `base`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRef {
    #[serde(rename = "ref")]
    pub branch: String,
    pub sha: String,
}

/// A pull request, as `GET /repos/{owner}/{repo}/pulls` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: i64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    /// Null for a deleted ("ghost") account.
    #[serde(default)]
    pub user: Option<Account>,
    #[serde(default)]
    pub labels: Vec<Label>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Null unless merged.
    #[serde(default)]
    pub merged_at: Option<DateTime<Utc>>,
    /// The commit that landed on the base branch (merge, squash or rebase tip) once merged.
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    pub head: PullRef,
    pub base: PullRef,
}

/// The git side of a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitCommit {
    pub author: Option<GitSignature>,
    pub committer: Option<GitSignature>,
    #[serde(default)]
    pub message: String,
}

/// Who authored or committed a commit, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitSignature {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub date: DateTime<Utc>,
}

/// A parent of a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentRef {
    pub sha: String,
}

/// A commit as the commits, pull-request commits and compare endpoints return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub sha: String,
    pub commit: GitCommit,
    /// The GitHub account of the git author, when GitHub could match its email.
    #[serde(default)]
    pub author: Option<Account>,
    #[serde(default)]
    pub parents: Vec<ParentRef>,
}

impl Commit {
    pub fn authored_at(&self) -> Option<DateTime<Utc>> {
        self.commit.author.as_ref().map(|a| a.date)
    }

    pub fn committed_at(&self) -> Option<DateTime<Utc>> {
        self.commit
            .committer
            .as_ref()
            .map(|c| c.date)
            .or_else(|| self.authored_at())
    }
}

/// A pull request review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: u64,
    #[serde(default)]
    pub user: Option<Account>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED` or `PENDING`.
    pub state: String,
    /// Absent on a pending (unsubmitted) review.
    #[serde(default)]
    pub submitted_at: Option<DateTime<Utc>>,
}

/// `GET /repos/{owner}/{repo}/compare/{base}...{head}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// `ahead`, `behind`, `diverged` or `identical`.
    pub status: String,
    #[serde(default)]
    pub ahead_by: u64,
    #[serde(default)]
    pub behind_by: u64,
    #[serde(default)]
    pub total_commits: u64,
    #[serde(default)]
    pub commits: Vec<Commit>,
}

/// A GitHub Deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GhDeployment {
    pub id: u64,
    pub sha: String,
    #[serde(rename = "ref", default)]
    pub git_ref: Option<String>,
    pub environment: String,
    #[serde(default)]
    pub creator: Option<Account>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A status of a GitHub Deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentStatusPayload {
    pub id: u64,
    /// `error`, `failure`, `inactive`, `in_progress`, `queued`, `pending` or `success`.
    pub state: String,
    pub created_at: DateTime<Utc>,
}

/// `GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowRuns {
    pub total_count: u64,
    pub workflow_runs: Vec<WorkflowRun>,
}

/// One GitHub Actions workflow run (octocrab's model lacks some of these, and declares others
/// required that can be null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowRun {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub head_branch: Option<String>,
    pub head_sha: String,
    #[serde(default)]
    pub run_number: Option<u64>,
    #[serde(default)]
    pub run_attempt: Option<u64>,
    #[serde(default)]
    pub event: Option<String>,
    /// `queued`, `in_progress`, `completed`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// Set once completed: `success`, `failure`, `cancelled`, `skipped`, `timed_out`, ...
    #[serde(default)]
    pub conclusion: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub run_started_at: Option<DateTime<Utc>>,
}

/// A GitHub release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub id: u64,
    pub tag_name: String,
    #[serde(default)]
    pub target_commitish: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
    pub created_at: DateTime<Utc>,
    /// Null for a draft.
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
}

/// An issue (the issues list also returns pull requests: those carry `pull_request`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub number: i64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub state: String,
    #[serde(default)]
    pub labels: Vec<Label>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}
