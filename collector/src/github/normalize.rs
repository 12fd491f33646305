//! GitHub objects -> the engine's normalized records, and the natural keys they carry.
//!
//! Pure functions, shared by the poller and by webhook handlers, so an object seen both ways
//! becomes one record: the key depends only on the object's identity on GitHub.
//!
//! | record | key |
//! |---|---|
//! | merged pull request | `owner/name#42` |
//! | commit pushed straight to the default branch | `owner/name@<sha>` |
//! | GitHub Deployment | `owner/name/deployments/<id>` |
//! | workflow run | `owner/name/actions/runs/<id>` |
//! | release | `owner/name/releases/<id>` |
//! | incident issue | `owner/name#17` (issues and pull requests share their numbers) |

use super::types::{
    Commit, DeploymentStatusPayload, GhDeployment, Issue, PullRequest, Release, Review, WorkflowRun,
};
use engine::model::{
    Change, CherryPick, Deployment, DeploymentStatus, Incident, IncidentCause, RepoSlug, Source,
    Timestamp, cherry_picked_from,
};

pub fn pull_key(repo: &RepoSlug, number: i64) -> String {
    format!("{repo}#{number}")
}

pub fn push_key(repo: &RepoSlug, sha: &str) -> String {
    format!("{repo}@{}", sha.to_ascii_lowercase())
}

pub fn deployment_key(repo: &RepoSlug, id: u64) -> String {
    format!("{repo}/deployments/{id}")
}

pub fn workflow_run_key(repo: &RepoSlug, id: u64) -> String {
    format!("{repo}/actions/runs/{id}")
}

pub fn release_key(repo: &RepoSlug, id: u64) -> String {
    format!("{repo}/releases/{id}")
}

pub fn issue_key(repo: &RepoSlug, number: i64) -> String {
    format!("{repo}#{number}")
}

/// A merged pull request as a change; None unless it is merged.
///
/// `commits` are the pull request's commits (at most 250: GitHub lists no more), `reviews` its
/// reviews. First commit = the earliest author date; first review = the earliest submitted review
/// by someone other than the author. A `Reverts owner/name#N` body (GitHub's revert button) or a
/// `This reverts commit <sha>` line in a commit message fills `reverts`; a pull request labelled
/// or branch-named `hotfix` names what it fixes with its first `#N` reference.
pub fn change_from_pull(
    repo: &RepoSlug,
    pr: &PullRequest,
    commits: &[Commit],
    reviews: &[Review],
    default_branch: &str,
) -> Option<Change> {
    let merged_at = pr.merged_at?;
    let author = pr
        .user
        .as_ref()
        .map(|u| u.login.clone())
        .unwrap_or_default();
    let first_commit_at = commits
        .iter()
        .filter_map(Commit::authored_at)
        .min()
        .unwrap_or(pr.created_at)
        .min(merged_at);
    let first_review_at = reviews
        .iter()
        .filter(|r| r.state != "PENDING")
        .filter(|r| r.user.as_ref().is_none_or(|u| u.login != author))
        .filter_map(|r| r.submitted_at)
        .min();
    let body = pr.body.as_deref().unwrap_or("");
    let reverts = reverted_pull(repo, body).or_else(|| {
        commits
            .iter()
            .find_map(|c| reverted_commit(&c.commit.message))
    });
    let labels: Vec<String> = pr.labels.iter().map(|l| l.name.clone()).collect();
    let hotfix = labels
        .iter()
        .any(|l| l.to_ascii_lowercase().contains("hotfix"))
        || pr.head.branch.to_ascii_lowercase().starts_with("hotfix");
    let fixes = if hotfix && reverts.is_none() {
        references(&pr.title)
            .into_iter()
            .chain(references(body))
            .next()
            .map(|(other, n)| format!("{}#{n}", other.unwrap_or_else(|| repo.to_string())))
    } else {
        None
    };
    let mut shas: Vec<String> = commits.iter().map(|c| c.sha.to_ascii_lowercase()).collect();
    shas.dedup();
    Some(Change {
        key: pull_key(repo, pr.number),
        repo: repo.clone(),
        number: Some(pr.number),
        title: pr.title.clone(),
        bot: pr.user.as_ref().is_some_and(|u| u.is_bot()),
        author,
        first_commit_at,
        opened_at: Some(pr.created_at),
        first_review_at,
        merged_at,
        merge_sha: pr.merge_commit_sha.as_ref().map(|s| s.to_ascii_lowercase()),
        commits: shas,
        labels,
        branch: Some(pr.head.branch.clone()),
        paths: Vec::new(),
        reverts,
        fixes,
        cherry_picks: commits.iter().filter_map(cherry_pick).collect(),
        side_branch: (pr.base.branch != default_branch).then(|| pr.base.branch.clone()),
    })
}

/// The commit's `git cherry-pick -x` origin, if its message names one.
fn cherry_pick(commit: &Commit) -> Option<CherryPick> {
    Some(CherryPick {
        commit: commit.sha.to_ascii_lowercase(),
        from: cherry_picked_from(&commit.commit.message)?,
    })
}

/// A commit pushed straight to the default branch (no pull request) as a change of its own:
/// first commit = its author date, merged = its committer date.
pub fn change_from_push(repo: &RepoSlug, commit: &Commit) -> Change {
    let sha = commit.sha.to_ascii_lowercase();
    let committed = commit.committed_at().unwrap_or_default();
    let authored = commit.authored_at().unwrap_or(committed).min(committed);
    let title = commit
        .commit
        .message
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let author = commit
        .author
        .as_ref()
        .map(|a| a.login.clone())
        .or_else(|| commit.commit.author.as_ref().and_then(|a| a.name.clone()))
        .unwrap_or_default();
    Change {
        key: push_key(repo, &sha),
        repo: repo.clone(),
        number: None,
        title,
        author,
        bot: commit.author.as_ref().is_some_and(|a| a.is_bot()),
        first_commit_at: authored,
        opened_at: None,
        first_review_at: None,
        merged_at: committed,
        merge_sha: Some(sha.clone()),
        commits: vec![sha],
        labels: Vec::new(),
        branch: None,
        paths: Vec::new(),
        reverts: reverted_commit(&commit.commit.message),
        fixes: None,
        cherry_picks: cherry_pick(commit).into_iter().collect(),
        side_branch: None,
    }
}

/// What the statuses of a GitHub Deployment say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentOutcome {
    /// It reached the environment: the first `success` status.
    Succeeded(Timestamp),
    /// Its latest status other than `inactive` is `failure` or `error`, and it never succeeded.
    Failed(Timestamp),
    /// Still queued or in progress, or no status yet: look again next time.
    Pending,
}

/// Reads a deployment's statuses (any order). `inactive` (set by GitHub on older deployments
/// when a newer one succeeds) is not a failure.
pub fn deployment_outcome(statuses: &[DeploymentStatusPayload]) -> DeploymentOutcome {
    if let Some(first_success) = statuses
        .iter()
        .filter(|s| s.state == "success")
        .map(|s| s.created_at)
        .min()
    {
        return DeploymentOutcome::Succeeded(first_success);
    }
    let latest = statuses
        .iter()
        .filter(|s| s.state != "inactive")
        .max_by_key(|s| (s.created_at, s.id));
    match latest {
        Some(s) if s.state == "failure" || s.state == "error" => {
            DeploymentOutcome::Failed(s.created_at)
        }
        _ => DeploymentOutcome::Pending,
    }
}

/// A GitHub Deployment with a final outcome as a deployment record.
pub fn deployment_from_github(
    repo: &RepoSlug,
    d: &GhDeployment,
    outcome: DeploymentOutcome,
    declared_commits: Option<Vec<String>>,
) -> Option<Deployment> {
    let (status, finished_at) = match outcome {
        DeploymentOutcome::Succeeded(at) => (DeploymentStatus::Success, at),
        DeploymentOutcome::Failed(at) => (DeploymentStatus::Failure, at),
        DeploymentOutcome::Pending => return None,
    };
    Some(Deployment {
        key: deployment_key(repo, d.id),
        repo: repo.clone(),
        environment: d.environment.clone(),
        sha: d.sha.to_ascii_lowercase(),
        status,
        started_at: Some(d.created_at),
        finished_at,
        source: Source::GithubDeployment,
        rollback: false,
        declared_changes: None,
        declared_commits,
    })
}

/// Whether a run's conclusion makes it a deployment attempt: `success`, or `failure` /
/// `timed_out`; None for runs not completed or cancelled, skipped, neutral...
pub fn run_status(run: &WorkflowRun) -> Option<DeploymentStatus> {
    if run.status.as_deref().is_some_and(|s| s != "completed") {
        return None;
    }
    match run.conclusion.as_deref()? {
        "success" => Some(DeploymentStatus::Success),
        "failure" | "timed_out" => Some(DeploymentStatus::Failure),
        _ => None,
    }
}

/// A run still queued or in progress: worth looking at again.
pub fn run_pending(run: &WorkflowRun) -> bool {
    run.status.as_deref().is_some_and(|s| s != "completed") || run.conclusion.is_none()
}

/// A completed deploy-workflow run as a deployment to `environment` (time = `updated_at`).
pub fn deployment_from_run(
    repo: &RepoSlug,
    environment: &str,
    run: &WorkflowRun,
    declared_commits: Option<Vec<String>>,
) -> Option<Deployment> {
    let status = run_status(run)?;
    Some(Deployment {
        key: workflow_run_key(repo, run.id),
        repo: repo.clone(),
        environment: environment.to_string(),
        sha: run.head_sha.to_ascii_lowercase(),
        status,
        started_at: run.run_started_at.or(Some(run.created_at)),
        finished_at: run.updated_at,
        source: Source::WorkflowRun,
        rollback: false,
        declared_changes: None,
        declared_commits,
    })
}

/// Whether a release counts as a deployment: published, not a draft, not a pre-release.
pub fn release_counts(release: &Release) -> bool {
    !release.draft && !release.prerelease && release.published_at.is_some()
}

/// A published release of the commit `sha` as a deployment to `environment` (time =
/// `published_at`).
pub fn deployment_from_release(
    repo: &RepoSlug,
    environment: &str,
    release: &Release,
    sha: &str,
    declared_commits: Option<Vec<String>>,
) -> Option<Deployment> {
    if !release_counts(release) {
        return None;
    }
    let published = release.published_at?;
    Some(Deployment {
        key: release_key(repo, release.id),
        repo: repo.clone(),
        environment: environment.to_string(),
        sha: sha.to_ascii_lowercase(),
        status: DeploymentStatus::Success,
        started_at: Some(release.created_at.min(published)),
        finished_at: published,
        source: Source::Release,
        rollback: false,
        declared_changes: None,
        declared_commits,
    })
}

/// An issue carrying the incident label as an incident; None for a pull request (the issues
/// list returns those too). A body line `caused by #42` or `caused by <sha>` names the cause.
pub fn incident_from_issue(repo: &RepoSlug, issue: &Issue) -> Option<Incident> {
    if issue.pull_request.is_some() {
        return None;
    }
    let resolved_at = if issue.state == "closed" {
        issue.closed_at
    } else {
        None
    };
    Some(Incident {
        key: issue_key(repo, issue.number),
        repo: Some(repo.clone()),
        team: None,
        title: issue.title.clone(),
        opened_at: issue.created_at,
        resolved_at,
        source: Source::GithubIssue,
        cause: issue.body.as_deref().and_then(|b| named_cause(repo, b)),
    })
}

/// `caused by #42` / `caused by owner/name#42` / `caused by <sha>` (case-insensitive).
fn named_cause(repo: &RepoSlug, body: &str) -> Option<IncidentCause> {
    let lower = body.to_ascii_lowercase();
    let at = lower.find("caused by")?;
    let rest = body[at + "caused by".len()..].trim_start();
    let word: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ';' | ')'))
        .collect();
    let word = word.trim_end_matches('.');
    if let Some((other, n)) = references(word).into_iter().next() {
        return Some(IncidentCause::Change(format!(
            "{}#{n}",
            other.unwrap_or_else(|| repo.to_string())
        )));
    }
    let is_sha = (7..=40).contains(&word.len()) && word.chars().all(|c| c.is_ascii_hexdigit());
    is_sha.then(|| IncidentCause::Sha(word.to_ascii_lowercase()))
}

/// `Reverts owner/name#42` (the body GitHub's revert button writes): `#42` for the same
/// repository, the change key otherwise.
fn reverted_pull(repo: &RepoSlug, body: &str) -> Option<String> {
    body.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("Reverts ")?;
        let (other, n) = references(rest).into_iter().next()?;
        Some(match other {
            Some(other) if other != repo.to_string() => format!("{other}#{n}"),
            _ => format!("#{n}"),
        })
    })
}

/// The sha of git's `This reverts commit <sha>.` line.
pub fn reverted_commit(message: &str) -> Option<String> {
    message.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("This reverts commit ")?;
        let sha: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        (sha.len() >= 7).then(|| sha.to_ascii_lowercase())
    })
}

/// Issue and pull request references in text: `#42` (None: this repository) and
/// `owner/name#42`, in order.
fn references(text: &str) -> Vec<(Option<String>, i64)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (i, _) in text.match_indices('#') {
        let digits: String = text[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let Ok(number) = digits.parse::<i64>() else {
            continue;
        };
        let start = text[..i]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
            .last()
            .map_or(i, |(j, _)| j);
        let prefix = &text[start..i];
        let qualified = prefix.parse::<RepoSlug>().ok().map(|r| r.to_string());
        // `abc#1` without an owner is not a reference; `#1` at a word start is.
        if qualified.is_none() && start < i {
            continue;
        }
        if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        found.push((qualified, number));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::types::{Account, GitCommit, GitSignature, Label, PullRef};
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("a test time")
            .with_timezone(&Utc)
    }

    fn repo() -> RepoSlug {
        "acme/shop".parse().expect("a slug")
    }

    fn account(login: &str, kind: &str) -> Option<Account> {
        Some(Account {
            login: login.into(),
            id: None,
            kind: Some(kind.into()),
        })
    }

    fn pull(number: i64, title: &str, body: &str) -> PullRequest {
        PullRequest {
            number,
            title: title.into(),
            body: Some(body.into()),
            state: "closed".into(),
            user: account("alice", "User"),
            labels: vec![],
            created_at: at("2026-03-02T10:00:00Z"),
            updated_at: at("2026-03-02T12:00:00Z"),
            closed_at: Some(at("2026-03-02T12:00:00Z")),
            merged_at: Some(at("2026-03-02T12:00:00Z")),
            merge_commit_sha: Some("ABCDEF1234567".into()),
            head: PullRef {
                branch: "feature".into(),
                sha: "h".into(),
            },
            base: PullRef {
                branch: "main".into(),
                sha: "b".into(),
            },
        }
    }

    fn commit(sha: &str, authored: &str, message: &str) -> Commit {
        Commit {
            sha: sha.into(),
            commit: GitCommit {
                author: Some(GitSignature {
                    name: Some("Alice".into()),
                    email: None,
                    date: at(authored),
                }),
                committer: Some(GitSignature {
                    name: Some("GitHub".into()),
                    email: None,
                    date: at(authored),
                }),
                message: message.into(),
            },
            author: account("alice", "User"),
            parents: vec![],
        }
    }

    fn review(login: &str, state: &str, at_: Option<&str>) -> Review {
        Review {
            id: 1,
            user: account(login, "User"),
            state: state.into(),
            submitted_at: at_.map(at),
        }
    }

    #[test]
    fn a_merged_pull_takes_its_earliest_commit_and_first_review_by_someone_else() {
        let pr = pull(7, "Faster checkout", "");
        let commits = [
            commit("c2", "2026-03-02T09:30:00Z", "two"),
            commit("c1", "2026-03-01T09:00:00Z", "one"),
        ];
        let reviews = [
            review("alice", "COMMENTED", Some("2026-03-02T10:30:00Z")),
            review("bob", "PENDING", None),
            review("carol", "APPROVED", Some("2026-03-02T11:00:00Z")),
        ];
        let change = change_from_pull(&repo(), &pr, &commits, &reviews, "main").expect("merged");
        assert_eq!(change.key, "acme/shop#7");
        assert_eq!(change.first_commit_at, at("2026-03-01T09:00:00Z"));
        assert_eq!(change.first_review_at, Some(at("2026-03-02T11:00:00Z")));
        assert_eq!(change.merge_sha.as_deref(), Some("abcdef1234567"));
        assert_eq!(change.commits, vec!["c2", "c1"]);
        assert!(!change.bot && change.reverts.is_none() && change.fixes.is_none());
    }

    #[test]
    fn an_unmerged_pull_is_no_change() {
        let mut pr = pull(7, "Abandoned", "");
        pr.merged_at = None;
        assert!(change_from_pull(&repo(), &pr, &[], &[], "main").is_none());
    }

    #[test]
    fn reverts_are_read_from_the_body_or_commit_messages() {
        let pr = pull(9, "Revert \"Faster checkout\"", "Reverts acme/shop#7");
        let change = change_from_pull(&repo(), &pr, &[], &[], "main").expect("merged");
        assert_eq!(change.reverts.as_deref(), Some("#7"));
        let pr = pull(10, "Undo", "");
        let commits = [commit(
            "c3",
            "2026-03-02T09:00:00Z",
            "Revert x\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.",
        )];
        let change = change_from_pull(&repo(), &pr, &commits, &[], "main").expect("merged");
        assert_eq!(
            change.reverts.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
    }

    #[test]
    fn a_hotfix_names_what_it_fixes_and_bots_are_flagged() {
        let mut pr = pull(11, "Fix totals", "Fixes #3 after acme/api#4");
        pr.labels = vec![Label {
            name: "hotfix".into(),
        }];
        pr.user = account("dependabot[bot]", "Bot");
        let change = change_from_pull(&repo(), &pr, &[], &[], "main").expect("merged");
        assert_eq!(change.fixes.as_deref(), Some("acme/shop#3"));
        assert!(change.bot);
        let plain =
            change_from_pull(&repo(), &pull(12, "x", "Fixes #3"), &[], &[], "main").expect("m");
        assert!(plain.fixes.is_none(), "only hotfixes name a fix");
    }

    #[test]
    fn references_need_a_word_start() {
        assert_eq!(
            references("see #4, acme/api#5 and a#6"),
            vec![(None, 4), (Some("acme/api".into()), 5)]
        );
    }

    #[test]
    fn inactive_is_not_a_failure_and_success_wins() {
        let s = |id, state: &str, t: &str| DeploymentStatusPayload {
            id,
            state: state.into(),
            created_at: at(t),
        };
        let ok = [
            s(1, "in_progress", "2026-03-02T10:00:00Z"),
            s(2, "success", "2026-03-02T10:05:00Z"),
            s(3, "inactive", "2026-03-03T10:00:00Z"),
        ];
        assert_eq!(
            deployment_outcome(&ok),
            DeploymentOutcome::Succeeded(at("2026-03-02T10:05:00Z"))
        );
        let failed = [
            s(1, "failure", "2026-03-02T10:05:00Z"),
            s(2, "inactive", "2026-03-03T10:00:00Z"),
        ];
        assert_eq!(
            deployment_outcome(&failed),
            DeploymentOutcome::Failed(at("2026-03-02T10:05:00Z"))
        );
        let retrying = [
            s(1, "error", "2026-03-02T10:05:00Z"),
            s(2, "in_progress", "2026-03-02T10:06:00Z"),
        ];
        assert_eq!(deployment_outcome(&retrying), DeploymentOutcome::Pending);
        assert_eq!(deployment_outcome(&[]), DeploymentOutcome::Pending);
    }

    #[test]
    fn an_issue_that_is_a_pull_request_is_no_incident() {
        let issue = Issue {
            number: 17,
            title: "Checkout down".into(),
            body: Some("Caused by #7.".into()),
            state: "closed".into(),
            labels: vec![],
            created_at: at("2026-03-02T10:00:00Z"),
            updated_at: at("2026-03-02T12:00:00Z"),
            closed_at: Some(at("2026-03-02T12:00:00Z")),
            pull_request: None,
        };
        let incident = incident_from_issue(&repo(), &issue).expect("an issue");
        assert_eq!(incident.key, "acme/shop#17");
        assert_eq!(incident.resolved_at, Some(at("2026-03-02T12:00:00Z")));
        assert_eq!(
            incident.cause,
            Some(IncidentCause::Change("acme/shop#7".into()))
        );
        let pr = Issue {
            pull_request: Some(serde_json::json!({"url": "x"})),
            ..issue
        };
        assert!(incident_from_issue(&repo(), &pr).is_none());
    }
}
