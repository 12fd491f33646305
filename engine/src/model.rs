//! The normalized, source-agnostic records doraboard stores and measures.
//!
//! Every record carries a natural `key` from its source (a pull request's `owner/name#42`, a
//! deployment's id in its CI tool, an incident's id in its incident tool). Ingestion is an upsert
//! on that key, so loading the same data twice changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A point in time; doraboard stores everything in UTC and converts to a team's zone only to bucket.
pub type Timestamp = DateTime<Utc>;

/// A repository named `owner/name`, validated at the edge so the engine never sees a malformed one.
///
/// Repository names are case-insensitive, as on GitHub: `Acme/Shop` in the configuration,
/// `acme/shop` in an event and `ACME/shop` in a webhook are one repository. A slug is held,
/// compared, stored and shown in lower case (parsing lower-cases it), so every record of one
/// repository carries the same name and keys built from it (`acme/shop#42`) agree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RepoSlug {
    owner: String,
    name: String,
}

impl RepoSlug {
    pub fn owner(&self) -> &str {
        &self.owner
    }
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Why a string is not an `owner/name` repository slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a repository: expected `owner/name`")]
pub struct BadRepoSlug(pub String);

impl FromStr for RepoSlug {
    type Err = BadRepoSlug;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid_part = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match s.split_once('/') {
            Some((owner, name)) if valid_part(owner) && valid_part(name) => Ok(RepoSlug {
                owner: owner.to_ascii_lowercase(),
                name: name.to_ascii_lowercase(),
            }),
            _ => Err(BadRepoSlug(s.to_string())),
        }
    }
}

impl TryFrom<String> for RepoSlug {
    type Error = BadRepoSlug;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<RepoSlug> for String {
    fn from(r: RepoSlug) -> String {
        r.to_string()
    }
}

impl fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// A merged pull request, or a commit pushed straight to the default branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `owner/name#42` for a pull request, `owner/name@<sha>` for a direct push, or the id an
    /// external tool gave it.
    pub key: String,
    pub repo: RepoSlug,
    pub number: Option<i64>,
    pub title: String,
    pub author: String,
    /// The source said the author is a bot (GitHub user type `Bot`); configurable filters add more.
    pub bot: bool,
    /// Authored time of the change's earliest commit: where lead time starts.
    pub first_commit_at: Timestamp,
    pub opened_at: Option<Timestamp>,
    /// First review by someone other than the author.
    pub first_review_at: Option<Timestamp>,
    pub merged_at: Timestamp,
    /// The commit that landed on the default branch (merge, squash or rebase tip).
    pub merge_sha: Option<String>,
    /// Every commit sha of the change, so a deployment's commit list maps back to it.
    pub commits: Vec<String>,
    pub labels: Vec<String>,
    pub branch: Option<String>,
    /// Files the change touched, when the source tells (monorepo ownership, excluded paths).
    pub paths: Vec<String>,
    /// What this change reverts: a sha, `#42`, or a change key (`This reverts commit <sha>`).
    pub reverts: Option<String>,
    /// What this hotfix repairs: a sha, `#42`, or a change key.
    pub fixes: Option<String>,
    /// Commits of this change that `git cherry-pick -x` copied from another commit: the copy is
    /// the same change as the original, shipped by whichever reaches production first.
    #[serde(default)]
    pub cherry_picks: Vec<CherryPick>,
    /// The branch a pull request was merged into when that is not the repository's default
    /// branch (GitFlow's `develop`, a release or maintenance branch): such a change ships only
    /// when a deployment's commits reach it, never by the linear-history rule.
    #[serde(default)]
    pub side_branch: Option<String>,
}

/// A commit copied from another by `git cherry-pick -x` (`(cherry picked from commit <sha>)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CherryPick {
    /// The copy (lower-cased).
    pub commit: String,
    /// The commit it was copied from (lower-cased).
    pub from: String,
}

/// The commit a `git cherry-pick -x` message names as its original, lower-cased.
pub fn cherry_picked_from(message: &str) -> Option<String> {
    const MARK: &str = "(cherry picked from commit ";
    message.lines().rev().find_map(|line| {
        let rest = line.trim().strip_prefix(MARK)?.strip_suffix(')')?;
        let sha = rest.trim();
        (sha.len() >= 7 && sha.chars().all(|c| c.is_ascii_hexdigit()))
            .then(|| sha.to_ascii_lowercase())
    })
}

impl Change {
    /// A revert or a hotfix: unplanned work, whatever it names.
    pub fn is_rework(&self) -> bool {
        let labelled = self.labels.iter().any(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("hotfix") || l.contains("revert")
        });
        let hotfix_branch = self
            .branch
            .as_deref()
            .is_some_and(|b| b.to_ascii_lowercase().starts_with("hotfix"));
        labelled
            || hotfix_branch
            || self.reverts.is_some()
            || self.fixes.is_some()
            || reverted_title(&self.title).is_some()
    }
}

/// The title a `Revert "<title>"` pull request reverts, as GitHub's revert button writes it.
pub fn reverted_title(title: &str) -> Option<&str> {
    title
        .strip_prefix("Revert \"")
        .and_then(|rest| rest.strip_suffix('"'))
}

/// Whether a deployment attempt reached production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStatus {
    Success,
    Failure,
}

impl DeploymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

impl FromStr for DeploymentStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "success" => Ok(Self::Success),
            "failure" => Ok(Self::Failure),
            other => Err(format!(
                "`{other}` is not a deployment status: expected success or failure"
            )),
        }
    }
}

/// Where a record came from; kept for explain output and for replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    GithubDeployment,
    WorkflowRun,
    Release,
    GithubPull,
    GithubPush,
    GithubIssue,
    Webhook,
    Import,
    Demo,
}

impl Source {
    pub const ALL: [Source; 9] = [
        Self::GithubDeployment,
        Self::WorkflowRun,
        Self::Release,
        Self::GithubPull,
        Self::GithubPush,
        Self::GithubIssue,
        Self::Webhook,
        Self::Import,
        Self::Demo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GithubDeployment => "github_deployment",
            Self::WorkflowRun => "workflow_run",
            Self::Release => "release",
            Self::GithubPull => "github_pull",
            Self::GithubPush => "github_push",
            Self::GithubIssue => "github_issue",
            Self::Webhook => "webhook",
            Self::Import => "import",
            Self::Demo => "demo",
        }
    }
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown source `{s}`"))
    }
}

/// One attempt to deploy a sha of a repository to an environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub key: String,
    pub repo: RepoSlug,
    pub environment: String,
    pub sha: String,
    pub status: DeploymentStatus,
    pub started_at: Option<Timestamp>,
    /// When it reached production (or failed): the deployment's time for every metric.
    pub finished_at: Timestamp,
    pub source: Source,
    /// The source itself says this deployment is a rollback.
    pub rollback: bool,
    /// Change keys the source says this deployment shipped (generic events may list them).
    pub declared_changes: Option<Vec<String>>,
    /// Commit shas the source says this deployment shipped (GitHub compare, generic events).
    pub declared_commits: Option<Vec<String>>,
}

/// Something that hurt production, from an issue tracker or an incident tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub key: String,
    pub repo: Option<RepoSlug>,
    /// A team slug, for incidents that belong to a team rather than a repository.
    pub team: Option<String>,
    pub title: String,
    pub opened_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub source: Source,
    /// An explicit cause, when the source names one; otherwise the attribution window applies.
    pub cause: Option<IncidentCause>,
}

/// What an incident explicitly says caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "ref", rename_all = "snake_case")]
pub enum IncidentCause {
    Deployment(String),
    Sha(String),
    Change(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_are_case_insensitive_and_shown_in_lower_case() {
        let configured: RepoSlug = "Acme/Shop".parse().expect("slug");
        let event: RepoSlug = "acme/shop".parse().expect("slug");
        let webhook: RepoSlug = "ACME/shop".parse().expect("slug");
        assert_eq!(configured, event);
        assert_eq!(configured, webhook);
        assert_eq!(configured.to_string(), "acme/shop");
        assert_eq!((configured.owner(), configured.name()), ("acme", "shop"));
        assert!("Acme".parse::<RepoSlug>().is_err());
    }
}
