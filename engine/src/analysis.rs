//! The rules that derive, for one repository, the facts the metrics are built from: which
//! changes each deployment shipped first, which deployments failed and why, which were unplanned
//! (rework), and which deployment each incident is attributed to.
//!
//! The store applies them ([`crate::store::Store::reanalyze`]), walking a repository's records in
//! time order and asking the database for what lies further back, so memory stays flat however
//! long the history. In successful deployments to the environment, ordered by (finished, key):
//!
//! - **Shipments.** A deployment ships the changes it declares (by key), else the changes holding
//!   the commits it declares, else, on a linear default branch, the change holding its sha and
//!   every change merged before it that no earlier cut took (unknown sha: everything merged before
//!   it started). A redeployment of an earlier sha, and a rollback, ship nothing. The first
//!   deployment ships only changes merged since `since`. A change ships once, at the first
//!   deployment that claims it.
//! - **Rollbacks.** A deployment marked as a rollback, or one that puts back the sha of an earlier
//!   deployment (not the one just before it), fails the deployment it replaced; it is rework.
//! - **Reverts and hotfixes.** A shipped revert or hotfix makes its deployment rework and fails the
//!   deployment that shipped its target (named by key, `#number`, sha, or a `Revert "title"`).
//!   A fix for an incident is rework and fails nothing (the incident does).
//! - **Incidents.** An incident is blamed on the deployment its cause names (a deployment, a
//!   change, a commit), of whatever repository, even when the incident names only a team; else
//!   on the latest deployment of its own repository that finished before it opened, within the
//!   attribution window; else it is an outage not caused by a change. An incident whose cause
//!   lies in another repository is analysed with that repository, and the window does not apply.
//!
//! Every link carries a human-readable reason, so `doraboard explain` can show why a deployment
//! counts as failed. Shas match case-insensitively, a 7+ digit abbreviation either way.

use crate::duration::{self, Style};
use crate::model::{Change, Deployment, Incident, Timestamp};
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// Settings that change what the analysis derives.
#[derive(Debug, Clone)]
pub struct AnalysisOptions {
    /// Only deployments to this environment count (compared case-insensitively).
    pub environment: String,
    /// Changes merged before this are history: the first deployment does not ship them.
    pub since: Option<Timestamp>,
    /// How long after a deployment an incident is still blamed on it.
    pub attribution_window: Duration,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        Self {
            environment: "production".into(),
            since: None,
            attribution_window: Duration::days(7),
        }
    }
}

/// Why a deployment counts as failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Incident,
    Rollback,
    Revert,
    Hotfix,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Rollback => "rollback",
            Self::Revert => "revert",
            Self::Hotfix => "hotfix",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Incident, Self::Rollback, Self::Revert, Self::Hotfix]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One piece of evidence that a deployment failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureLink {
    pub deployment: String,
    pub kind: FailureKind,
    /// The key of the incident, the rollback deployment or the reverting/hotfix change.
    pub evidence: String,
    pub reason: String,
    /// For a rollback: when service was restored (the rollback finished).
    pub restored_at: Option<Timestamp>,
}

/// A deployment that was unplanned work: it shipped a revert or hotfix, or was a rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReworkMark {
    pub deployment: String,
    pub reason: String,
}

/// Which deployment an incident is blamed on, if any, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentLink {
    pub incident: String,
    /// None: an outage with no deployment to blame (counted apart).
    pub deployment: Option<String>,
    pub reason: String,
}

/// A rollback: `rollback` put back an older sha, so `previous` (the deployment it replaced)
/// failed, and service was restored when the rollback finished.
pub(crate) fn rollback(previous: &Deployment, rollback: &Deployment) -> (FailureLink, ReworkMark) {
    let short = short_sha(&rollback.sha);
    let failure = FailureLink {
        deployment: previous.key.clone(),
        kind: FailureKind::Rollback,
        evidence: rollback.key.clone(),
        reason: format!(
            "rolled back by deployment {} at {}, which put back {short}",
            rollback.key,
            rollback.finished_at.to_rfc3339()
        ),
        restored_at: Some(rollback.finished_at),
    };
    let rework = ReworkMark {
        deployment: rollback.key.clone(),
        reason: format!("rollback of deployment {} to {short}", previous.key),
    };
    (failure, rework)
}

/// The deployment that shipped a revert or hotfix did unplanned work.
pub(crate) fn rework_of(
    change: &Change,
    deployment: &str,
    fixed_incident: Option<&str>,
) -> ReworkMark {
    let reason = match fixed_incident {
        Some(incident) => format!("ships `{}`, a fix for incident `{incident}`", change.key),
        None => format!("ships {} `{}`", rework_word(change), change.key),
    };
    ReworkMark {
        deployment: deployment.to_string(),
        reason,
    }
}

/// The deployment that shipped `target` failed: `change` reverted or hotfixed it.
pub(crate) fn reverted_or_hotfixed(
    kind: FailureKind,
    target: &str,
    change: &Change,
    failed: &str,
) -> FailureLink {
    FailureLink {
        deployment: failed.to_string(),
        kind,
        evidence: change.key.clone(),
        reason: format!(
            "shipped `{target}`, which {} `{}` ({})",
            if kind == FailureKind::Revert {
                "was reverted by"
            } else {
                "was hotfixed by"
            },
            change.key,
            change.title
        ),
        restored_at: None,
    }
}

fn rework_word(change: &Change) -> &'static str {
    let labelled_revert = change
        .labels
        .iter()
        .any(|l| l.to_ascii_lowercase().contains("revert"));
    if change.reverts.is_some()
        || labelled_revert
        || crate::model::reverted_title(&change.title).is_some()
    {
        "revert"
    } else {
        "hotfix"
    }
}

/// What an incident's explicit cause resolved to, in the repository whose analysis covers the
/// incident (see [`crate::store::Store::reanalyze`]).
pub(crate) enum ExplicitCause {
    /// The deployment it names: a successful one of this repository, or a stored one that is
    /// not (failed, or to another environment), or none stored.
    Deployment { key: String, found: Found },
    /// The deployment that shipped the change it names, if any.
    Change {
        key: String,
        shipped_by: Option<String>,
    },
    /// The deployment that shipped the commit it names (through its change, else a deployment
    /// of that sha), if any.
    Sha {
        sha: String,
        shipped_by: Option<String>,
    },
}

/// Whether a deployment an incident names was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// A successful deployment to the environment.
    Success,
    /// Stored, but failed or to another environment.
    NotSuccessful,
    /// Not stored at all.
    Unknown,
}

impl ExplicitCause {
    /// The deployment it blames, and the reason (or why it blames none). `of` names the
    /// repository the cause was found in, when it is not the incident's own.
    pub(crate) fn link(self, of: Option<&str>) -> (Option<String>, String) {
        let of = of.map(|repo| format!(" of {repo}")).unwrap_or_default();
        match self {
            Self::Deployment {
                key,
                found: Found::Success,
            } => {
                let reason = format!("the incident names deployment {key}{of}");
                (Some(key), reason)
            }
            Self::Deployment {
                key,
                found: Found::NotSuccessful,
            } => (
                None,
                format!(
                    "the incident names deployment {key}{of}, which is not a known successful deployment"
                ),
            ),
            Self::Deployment {
                key,
                found: Found::Unknown,
            } => (
                None,
                format!("the incident names deployment {key}, which is not a known deployment"),
            ),
            Self::Change {
                key,
                shipped_by: Some(d),
            } => (
                Some(d.clone()),
                format!("the incident names change `{key}`{of}, shipped by deployment {d}"),
            ),
            Self::Change {
                key,
                shipped_by: None,
            } => (
                None,
                format!("the incident names change `{key}`{of}, which no deployment has shipped"),
            ),
            Self::Sha {
                sha,
                shipped_by: Some(d),
            } => (
                Some(d.clone()),
                format!(
                    "the incident names commit {}{of}, shipped by deployment {d}",
                    short_sha(&sha)
                ),
            ),
            Self::Sha {
                sha,
                shipped_by: None,
            } => (
                None,
                format!(
                    "the incident names commit {}{of}, which no deployment has shipped",
                    short_sha(&sha)
                ),
            ),
        }
    }
}

/// Where an incident's cause was looked for.
pub(crate) enum Scope<'a> {
    /// In the incident's own repository: the attribution window may apply, with `latest` (the
    /// latest successful deployment of that repository that finished before it opened).
    Own {
        latest: Option<(&'a str, Timestamp)>,
    },
    /// In another repository, `repo` (the incident names a deployment, change or commit of it,
    /// or names no repository itself): only the explicit cause links it.
    Elsewhere { repo: &'a str },
}

/// Links an incident to a deployment: the one its explicit cause names, else, in its own
/// repository, the latest deployment when within the window. `explicit` is what its cause
/// resolved to, if it names one.
pub(crate) fn link_incident(
    incident: &Incident,
    explicit: Option<ExplicitCause>,
    scope: Scope<'_>,
    options: &AnalysisOptions,
) -> (Option<FailureLink>, IncidentLink) {
    let of = match scope {
        Scope::Elsewhere { repo } => Some(repo),
        Scope::Own { .. } => None,
    };
    let (deployment, reason) = match explicit.map(|e| e.link(of)) {
        Some((Some(d), reason)) => (Some(d), reason),
        explicit => {
            let prefix = match explicit {
                Some((None, reason)) => format!("{reason}; "),
                _ => String::new(),
            };
            let window = duration::format(
                options.attribution_window.num_seconds() as f64,
                Style::Compact,
            );
            match scope {
                Scope::Elsewhere { .. } => (
                    None,
                    match &incident.repo {
                        Some(own) => format!(
                            "{prefix}its cause is not in {own}, so the attribution window does not apply"
                        ),
                        None => format!(
                            "{prefix}the incident names no repository, so the attribution window does not apply"
                        ),
                    },
                ),
                Scope::Own { latest } => match latest
                    .filter(|(_, at)| incident.opened_at - *at <= options.attribution_window)
                {
                    Some((d, at)) => (
                        Some(d.to_string()),
                        format!(
                            "{prefix}latest deployment of {} before the incident opened ({} earlier, within the {window} attribution window)",
                            incident
                                .repo
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default(),
                            duration::format(
                                (incident.opened_at - at).num_seconds() as f64,
                                Style::Compact
                            ),
                        ),
                    ),
                    None => (
                        None,
                        format!(
                            "{prefix}no deployment in the {window} before it opened: an outage not caused by a change"
                        ),
                    ),
                },
            }
        }
    };
    let failure = deployment.as_ref().map(|d| FailureLink {
        deployment: d.clone(),
        kind: FailureKind::Incident,
        evidence: incident.key.clone(),
        reason: format!("incident `{}` ({}): {reason}", incident.key, incident.title),
        restored_at: None,
    });
    let link = IncidentLink {
        incident: incident.key.clone(),
        deployment,
        reason,
    };
    (failure, link)
}

pub(crate) fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}
