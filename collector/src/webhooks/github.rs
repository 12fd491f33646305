//! GitHub webhooks: verifying a delivery's signature, and turning its event into the record the
//! poller would store for the same object.
//!
//! A delivery is a JSON body with three headers: `X-GitHub-Event` (the event type),
//! `X-GitHub-Delivery` (a GUID, the same on a redelivery: the raw log's idempotency key) and
//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` ([`verify_signature`]).
//!
//! Webhook payloads embed the same objects as the REST API (`deployment`, `deployment_status`,
//! `workflow_run`, `pull_request`, `issue`, `release`), so they are read with the poller's types
//! ([`crate::github::types`]) and normalized with its functions ([`crate::github::normalize`]):
//! same key, same fields. What each event becomes is in [`normalize`] and in `docs/events.md`
//! ("GitHub webhooks").
//!
//! The raw log keeps the body as received under source [`SOURCE`]; the event type is not part of
//! the body, so `doraboard replay` recognises it by the body's shape ([`event_of`]).

use crate::github::normalize::{
    DeploymentOutcome, change_from_pull, deployment_from_github, deployment_from_release,
    deployment_from_run, deployment_outcome, incident_from_issue, issue_key,
};
use crate::github::types::{
    DeploymentStatusPayload, GhDeployment, Issue, PullRequest, Release, WorkflowRun,
};
use engine::config::{Config, DeploymentSourceKind};
use engine::model::{Deployment, DeploymentStatus, RepoSlug};
use engine::store::events::{EventRecord, IncidentDeletion};
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::Sha256;
use std::collections::BTreeSet;

/// Raw-log source of GitHub deliveries.
pub const SOURCE: &str = "github";
/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The header naming the event type.
pub const EVENT_HEADER: &str = "x-github-event";
/// The header carrying the delivery's GUID (the same on a redelivery).
pub const DELIVERY_HEADER: &str = "x-github-delivery";

type HmacSha256 = hmac::Hmac<Sha256>;

/// Why a delivery's signature does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("X-Hub-Signature-256 is not `sha256=<64 hex digits>`")]
    Malformed,
    #[error("X-Hub-Signature-256 does not match the body")]
    Mismatch,
}

/// `sha256=<hex HMAC-SHA256 of body>`, as GitHub signs a delivery (for tests and load tools).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable_key());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks that the header is `sha256=` and the HMAC-SHA256 of `body` with `secret`, compared in
/// constant time.
pub fn verify_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::Missing)?;
    let digest = header
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .filter(|d| d.len() == 32)
        .ok_or(SignatureError::Malformed)?;
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable_key());
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&digest)
        .map_err(|_| SignatureError::Mismatch)
}

/// HMAC accepts keys of any length; this is never reached.
fn unreachable_key() -> HmacSha256 {
    unreachable!("HMAC takes keys of any length")
}

/// Why a delivery cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PayloadError(pub String);

/// What the configuration says about deliveries: the repositories teams own, which deployment
/// source counts, and the incident label.
#[derive(Debug, Clone)]
pub struct Settings {
    pub repos: BTreeSet<RepoSlug>,
    pub environment: String,
    pub source: DeploymentSourceKind,
    /// Workflow file name (`deploy.yml`) or id, for `source = "workflow_runs"`.
    pub workflow: Option<String>,
    pub incident_label: String,
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        Settings {
            repos: config.repos().into_iter().collect(),
            environment: config.deployments.environment.clone(),
            source: config.deployments.source,
            workflow: config.deployments.workflow.clone(),
            incident_label: config.incidents.label.clone(),
        }
    }
}

/// What to do with a delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Handling {
    /// `ping`, sent when a hook is created: answered, not stored.
    Ping,
    /// Log the delivery and store this record.
    Record(Box<EventRecord>),
    /// Log the delivery, store no record (the next poll has what is missing): why.
    Logged(String),
    /// Store nothing (an event type, action, branch, environment or repository doraboard does
    /// not use): why.
    Ignored(String),
}

impl Handling {
    /// The record to store, if any.
    pub fn into_record(self) -> Option<EventRecord> {
        match self {
            Handling::Record(record) => Some(*record),
            Handling::Ping | Handling::Logged(_) | Handling::Ignored(_) => None,
        }
    }

    /// Whether the delivery goes into the raw log.
    pub fn logs_raw(&self) -> bool {
        matches!(self, Handling::Record(_) | Handling::Logged(_))
    }
}

#[derive(Deserialize)]
struct RepositoryRef {
    full_name: String,
    #[serde(default)]
    default_branch: Option<String>,
}

#[derive(Deserialize)]
struct DeploymentStatusEvent {
    deployment: GhDeployment,
    deployment_status: DeploymentStatusPayload,
}

#[derive(Deserialize)]
struct DeploymentEvent {
    deployment: GhDeployment,
}

/// What a run says about its workflow, beyond [`WorkflowRun`].
#[derive(Deserialize)]
struct RunWorkflow {
    #[serde(default)]
    workflow_id: Option<u64>,
    /// `.github/workflows/deploy.yml`.
    #[serde(default)]
    path: Option<String>,
}

/// Reads `field` of the payload as `T`, naming the field in the error.
fn field<T: DeserializeOwned>(value: &Value, event: &str, name: &str) -> Result<T, PayloadError> {
    let part = value
        .get(name)
        .ok_or_else(|| PayloadError(format!("`{event}` payload: the `{name}` field is missing")))?;
    T::deserialize(part)
        .map_err(|e| PayloadError(format!("`{event}` payload: `{name}` is not readable: {e}")))
}

/// Reads a delivery's body as JSON (400 when not).
pub fn parse(body: &[u8]) -> Result<Value, PayloadError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| PayloadError(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(PayloadError(
            "the body is not a JSON object (a GitHub webhook payload)".to_string(),
        ));
    }
    Ok(value)
}

/// Normalizes a delivery of event type `event` (the `X-GitHub-Event` header):
///
/// - `ping`: answered, not stored;
/// - `deployment_status` (with `deployments.source = "deployments"`, of the configured
///   environment): a final status (`success`, or `failure` / `error`) makes the deployment;
///   `deployment` itself carries no outcome yet and is ignored;
/// - `workflow_run` (`source = "workflow_runs"`, the configured workflow, on the default branch):
///   a completed run that succeeded, failed or timed out;
/// - `pull_request` closed and merged into the default branch: a change whose first commit is the
///   pull request's creation (the payload has no commits; the next poll refines it);
/// - `pull_request_review` and `push` to the default branch: logged, no record (the next poll
///   derives first reviews and direct pushes, which need the pull request's reviews and the
///   branch's history);
/// - `issues` (opened, labeled, unlabeled, closed, reopened, edited) carrying the incident
///   label: the incident; `unlabeled` of the incident label, `deleted` and `transferred`: the
///   deletion of the incident of that issue (if one is stored);
/// - `release` (published / released, not a draft or pre-release, `source = "releases"`): the
///   deployment, when `target_commitish` is a commit sha; a branch name is resolved by the next
///   poll (logged);
/// - anything else, and deliveries about repositories no team owns: ignored, nothing stored.
pub fn normalize(
    event: &str,
    value: &Value,
    settings: &Settings,
) -> Result<Handling, PayloadError> {
    if event == "ping" {
        return Ok(Handling::Ping);
    }
    if !HANDLED.contains(&event) {
        return Ok(Handling::Ignored(format!(
            "`{event}` events are not used by doraboard"
        )));
    }
    let Some(repository) = value.get("repository") else {
        return Ok(Handling::Ignored(format!(
            "this `{event}` delivery names no repository"
        )));
    };
    let repository = RepositoryRef::deserialize(repository).map_err(|e| {
        PayloadError(format!(
            "`{event}` payload: `repository` is not readable: {e}"
        ))
    })?;
    let repo: RepoSlug = repository.full_name.parse().map_err(|e| {
        PayloadError(format!(
            "`{event}` payload: `repository.full_name` `{}` is not owner/name: {e}",
            repository.full_name
        ))
    })?;
    if !settings.repos.contains(&repo) {
        return Ok(Handling::Ignored(format!(
            "no team owns {repo} (teams.repos)"
        )));
    }
    let action = value.get("action").and_then(Value::as_str).unwrap_or("");
    let on_default = |branch: &str| {
        repository
            .default_branch
            .as_deref()
            .is_none_or(|default| default == branch)
    };
    let source_is = |wanted: DeploymentSourceKind| settings.source == wanted;
    let wrong_source = || {
        Handling::Ignored(format!(
            "`{event}` events are not deployments here: deployments.source is `{}`",
            settings.source.as_str()
        ))
    };
    let handling = match event {
        "deployment" => {
            if !source_is(DeploymentSourceKind::Deployments) {
                return Ok(wrong_source());
            }
            let d: DeploymentEvent = DeploymentEvent::deserialize(value)
                .map_err(|e| PayloadError(format!("`deployment` payload: {e}")))?;
            Handling::Ignored(format!(
                "deployment {} has no outcome yet: its deployment_status events store it",
                d.deployment.id
            ))
        }
        "deployment_status" => {
            if !source_is(DeploymentSourceKind::Deployments) {
                return Ok(wrong_source());
            }
            let e: DeploymentStatusEvent = DeploymentStatusEvent::deserialize(value)
                .map_err(|e| PayloadError(format!("`deployment_status` payload: {e}")))?;
            if e.deployment.environment != settings.environment {
                return Ok(Handling::Ignored(format!(
                    "environment `{}` is not `{}` (deployments.environment)",
                    e.deployment.environment, settings.environment
                )));
            }
            let outcome = deployment_outcome(std::slice::from_ref(&e.deployment_status));
            if outcome == DeploymentOutcome::Pending {
                return Ok(Handling::Ignored(format!(
                    "status `{}` is not final",
                    e.deployment_status.state
                )));
            }
            match deployment_from_github(&repo, &e.deployment, outcome, None) {
                Some(d) => Handling::Record(Box::new(EventRecord::Deployment(d))),
                None => Handling::Ignored("no final outcome".to_string()),
            }
        }
        "workflow_run" => {
            if !source_is(DeploymentSourceKind::WorkflowRuns) {
                return Ok(wrong_source());
            }
            let run: WorkflowRun = field(value, event, "workflow_run")?;
            let workflow: RunWorkflow = field(value, event, "workflow_run")?;
            let wanted = settings.workflow.as_deref().unwrap_or_default();
            let file = workflow
                .path
                .as_deref()
                .map(|p| p.rsplit('/').next().unwrap_or(p));
            let matches = file == Some(wanted)
                || workflow.path.as_deref() == Some(wanted)
                || workflow.workflow_id.map(|id| id.to_string()).as_deref() == Some(wanted);
            if !matches {
                return Ok(Handling::Ignored(format!(
                    "workflow `{}` is not `{wanted}` (deployments.workflow)",
                    workflow.path.as_deref().unwrap_or("?")
                )));
            }
            if !run.head_branch.as_deref().is_some_and(&on_default) {
                return Ok(Handling::Ignored(format!(
                    "the run is not on the default branch (`{}`)",
                    run.head_branch.as_deref().unwrap_or("?")
                )));
            }
            match deployment_from_run(&repo, &settings.environment, &run, None) {
                Some(d) => Handling::Record(Box::new(EventRecord::Deployment(from_webhook(d)))),
                None => Handling::Ignored(format!(
                    "run {} is not a completed deployment attempt (status `{}`, conclusion `{}`)",
                    run.id,
                    run.status.as_deref().unwrap_or("-"),
                    run.conclusion.as_deref().unwrap_or("-")
                )),
            }
        }
        "pull_request" => {
            if action != "closed" {
                return Ok(Handling::Ignored(format!(
                    "pull_request `{action}`: only merges (closed) make changes"
                )));
            }
            // Merged into any branch: it counts once a deployment reaches it, as when polled.
            let pr: PullRequest = field(value, event, "pull_request")?;
            let default_branch = repository.default_branch.as_deref();
            let default_branch = default_branch.unwrap_or(&pr.base.branch);
            match change_from_pull(&repo, &pr, &[], &[], default_branch) {
                Some(change) => Handling::Record(Box::new(EventRecord::Change(change))),
                None => Handling::Ignored(format!(
                    "pull request #{} was closed without merging",
                    pr.number
                )),
            }
        }
        "pull_request_review" => {
            let pr: PullRequest = field(value, event, "pull_request")?;
            if action != "submitted" {
                return Ok(Handling::Ignored(format!(
                    "pull_request_review `{action}` of a pull request into `{}`",
                    pr.base.branch
                )));
            }
            Handling::Logged(format!(
                "review of #{} logged: the next poll sets the change's first review",
                pr.number
            ))
        }
        "push" => {
            let git_ref = value.get("ref").and_then(Value::as_str).unwrap_or("");
            let branch = git_ref.strip_prefix("refs/heads/").unwrap_or("");
            if branch.is_empty() || !on_default(branch) {
                return Ok(Handling::Ignored(format!(
                    "push to `{git_ref}`, not the default branch"
                )));
            }
            Handling::Logged(
                "push logged: the next poll tells direct pushes from merged pull requests"
                    .to_string(),
            )
        }
        "issues" => issue_handling(action, value, &repo, &settings.incident_label)?,
        "release" => {
            if !source_is(DeploymentSourceKind::Releases) {
                return Ok(wrong_source());
            }
            if !matches!(action, "published" | "released") {
                return Ok(Handling::Ignored(format!("release `{action}` is not used")));
            }
            let release: Release = field(value, event, "release")?;
            let target = release.target_commitish.as_deref().unwrap_or("");
            let is_sha = target.len() == 40 && target.chars().all(|c| c.is_ascii_hexdigit());
            if !is_sha {
                if !crate::github::normalize::release_counts(&release) {
                    return Ok(Handling::Ignored(format!(
                        "release {} is a draft or a pre-release",
                        release.tag_name
                    )));
                }
                return Ok(Handling::Logged(format!(
                    "release {} targets `{target}`, not a commit: the next poll resolves its tag",
                    release.tag_name
                )));
            }
            match deployment_from_release(&repo, &settings.environment, &release, target, None) {
                Some(d) => Handling::Record(Box::new(EventRecord::Deployment(from_webhook(d)))),
                None => Handling::Ignored(format!(
                    "release {} is a draft or a pre-release",
                    release.tag_name
                )),
            }
        }
        _ => Handling::Ignored(format!("`{event}` events are not used by doraboard")),
    };
    Ok(handling)
}

/// What an `issues` delivery does to the incident of its issue. An issue that is gone from the
/// repository (`deleted`, `transferred`) takes a stored incident with it, whatever its labels
/// (an earlier `unlabeled` may have been missed); so does taking the incident label off (a
/// mislabelled issue). Any other action of an issue carrying the label stores the incident.
fn issue_handling(
    action: &str,
    value: &Value,
    repo: &RepoSlug,
    label: &str,
) -> Result<Handling, PayloadError> {
    const USED: [&str; 8] = [
        "opened",
        "labeled",
        "unlabeled",
        "closed",
        "reopened",
        "edited",
        "deleted",
        "transferred",
    ];
    if !USED.contains(&action) {
        return Ok(Handling::Ignored(format!("issues `{action}` is not used")));
    }
    let issue: Issue = field(value, "issues", "issue")?;
    if issue.pull_request.is_some() {
        return Ok(Handling::Ignored(format!(
            "#{} is a pull request",
            issue.number
        )));
    }
    let deletion = || {
        Handling::Record(Box::new(EventRecord::IncidentDeletion(IncidentDeletion {
            key: issue_key(repo, issue.number),
            repo: Some(repo.clone()),
        })))
    };
    let is_label = |name: &str| name.eq_ignore_ascii_case(label);
    let labelled = issue.labels.iter().any(|l| is_label(&l.name));
    let removed = value
        .get("label")
        .and_then(|l| l.get("name"))
        .and_then(Value::as_str);
    Ok(match action {
        "deleted" | "transferred" => deletion(),
        _ if labelled => match incident_from_issue(repo, &issue) {
            Some(incident) => Handling::Record(Box::new(EventRecord::Incident(incident))),
            None => Handling::Ignored(format!("#{} is a pull request", issue.number)),
        },
        "unlabeled" if removed.is_some_and(is_label) => deletion(),
        _ => Handling::Ignored(format!(
            "issue #{} does not carry the `{label}` label (incidents.label)",
            issue.number
        )),
    })
}

/// The event types [`normalize`] reads (besides `ping`).
const HANDLED: [&str; 8] = [
    "deployment",
    "deployment_status",
    "workflow_run",
    "pull_request",
    "pull_request_review",
    "push",
    "issues",
    "release",
];

/// The event type of a logged body, recognised by its shape (the raw log keeps the body, not
/// the `X-GitHub-Event` header). Only the types that are logged are recognised.
pub fn event_of(value: &Value) -> Option<&'static str> {
    let has = |name: &str| value.get(name).is_some();
    Some(if has("deployment_status") {
        "deployment_status"
    } else if has("deployment") {
        "deployment"
    } else if has("workflow_run") {
        "workflow_run"
    } else if has("review") && has("pull_request") {
        "pull_request_review"
    } else if has("pull_request") {
        "pull_request"
    } else if has("issue") {
        "issues"
    } else if has("release") {
        "release"
    } else if has("commits") && has("ref") {
        "push"
    } else if has("zen") {
        "ping"
    } else {
        return None;
    })
}

/// The record a logged delivery normalizes to today (`doraboard replay`).
pub fn replay(body: &str, settings: &Settings) -> Result<Option<EventRecord>, PayloadError> {
    let value = parse(body.as_bytes())?;
    let event = event_of(&value)
        .ok_or_else(|| PayloadError("not a recognisable GitHub webhook payload".to_string()))?;
    Ok(normalize(event, &value, settings)?.into_record())
}

/// Marks a workflow-run or release deployment as known only from a webhook: it lacks the commit
/// list a `compare` gives, so the next poll fetches it once more and completes it (GitHub
/// Deployments need no mark: the poll re-reads their statuses anyway).
fn from_webhook(mut deployment: Deployment) -> Deployment {
    deployment.source = engine::model::Source::Webhook;
    deployment
}

/// Whether a deployment from a delivery should replace `stored`, the deployment of the same key
/// already in the store. The poller's deployments carry what payloads lack (what a deployment
/// shipped), so one already stored is kept — except a deployment stored as failed that has since
/// succeeded (GitHub's rule: the first success wins). Changes need no check: the store keeps what
/// a poll filled in whatever writes them.
pub fn replaces(new: &EventRecord, stored: Option<&EventRecord>) -> bool {
    match (new, stored) {
        (_, None) => true,
        (EventRecord::Deployment(new), Some(EventRecord::Deployment(old))) => {
            old.status == DeploymentStatus::Failure && new.status == DeploymentStatus::Success
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn settings(source: DeploymentSourceKind) -> Settings {
        Settings {
            repos: ["acme/shop".parse().expect("a slug")].into_iter().collect(),
            environment: "production".into(),
            source,
            workflow: Some("deploy.yml".into()),
            incident_label: "incident".into(),
        }
    }

    #[test]
    fn githubs_published_test_vector_verifies() {
        assert_eq!(sign(SECRET, b"Hello, World!"), SIGNATURE);
        assert_eq!(
            verify_signature(SECRET, b"Hello, World!", Some(SIGNATURE)),
            Ok(())
        );
        assert_eq!(
            verify_signature(SECRET, b"Hello, World?", Some(SIGNATURE)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"another secret", b"Hello, World!", Some(SIGNATURE)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(SECRET, b"Hello, World!", None),
            Err(SignatureError::Missing)
        );
        for bad in [
            "sha1=757107ea",
            "sha256=zz",
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            "sha256=",
        ] {
            assert_eq!(
                verify_signature(SECRET, b"Hello, World!", Some(bad)),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn unowned_repositories_and_unused_events_are_ignored() {
        let s = settings(DeploymentSourceKind::Deployments);
        let other = json!({"action": "closed", "repository": {"full_name": "acme/other"}});
        assert!(matches!(
            normalize("pull_request", &other, &s),
            Ok(Handling::Ignored(_))
        ));
        assert!(matches!(
            normalize("star", &other, &s),
            Ok(Handling::Ignored(_))
        ));
        assert_eq!(
            normalize("ping", &json!({"zen": "z"}), &s),
            Ok(Handling::Ping)
        );
    }

    #[test]
    fn a_missing_object_is_named() {
        let s = settings(DeploymentSourceKind::Deployments);
        let body = json!({"action": "closed", "repository": {"full_name": "acme/shop"}});
        let e = normalize("pull_request", &body, &s).expect_err("no pull_request");
        assert!(e.0.contains("`pull_request`"), "{e}");
        assert!(
            parse(b"{not json")
                .expect_err("bad")
                .0
                .contains("not valid JSON")
        );
    }

    #[test]
    fn an_issue_that_loses_the_label_or_leaves_deletes_its_incident() {
        let s = settings(DeploymentSourceKind::Deployments);
        let delivery = |action: &str, labels: &[&str], removed: Option<&str>| {
            let labels: Vec<Value> = labels.iter().map(|l| json!({"name": l})).collect();
            let mut body = json!({
                "action": action,
                "repository": {"full_name": "acme/shop"},
                "issue": {"number": 17, "title": "Checkout down", "state": "open",
                    "labels": labels, "created_at": "2026-03-02T12:00:00Z",
                    "updated_at": "2026-03-02T12:30:00Z", "closed_at": null},
            });
            if let Some(name) = removed {
                body["label"] = json!({"name": name});
            }
            normalize("issues", &body, &s).expect("readable")
        };
        let deletion =
            Handling::Record(Box::new(EventRecord::IncidentDeletion(IncidentDeletion {
                key: "acme/shop#17".into(),
                repo: Some("acme/shop".parse().expect("a slug")),
            })));
        assert_eq!(delivery("unlabeled", &["bug"], Some("Incident")), deletion);
        assert_eq!(delivery("deleted", &["incident"], None), deletion);
        assert_eq!(delivery("transferred", &[], None), deletion);
        // Another label taken off an incident: still an incident.
        assert!(matches!(
            delivery("unlabeled", &["incident"], Some("sev2")),
            Handling::Record(record) if matches!(*record, EventRecord::Incident(_))
        ));
        assert!(matches!(
            delivery("unlabeled", &[], Some("bug")),
            Handling::Ignored(_)
        ));
    }

    #[test]
    fn shapes_name_their_event() {
        for (body, event) in [
            (
                json!({"deployment": {}, "deployment_status": {}}),
                "deployment_status",
            ),
            (json!({"workflow_run": {}}), "workflow_run"),
            (
                json!({"review": {}, "pull_request": {}}),
                "pull_request_review",
            ),
            (json!({"pull_request": {}, "number": 1}), "pull_request"),
            (json!({"issue": {}}), "issues"),
            (json!({"release": {}}), "release"),
            (json!({"ref": "refs/heads/main", "commits": []}), "push"),
        ] {
            assert_eq!(event_of(&body), Some(event), "{body}");
        }
        assert_eq!(event_of(&json!({"star": 1})), None);
    }
}
