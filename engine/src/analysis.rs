//! Derives, for one repository, the facts the metrics are built from: which changes each
//! deployment shipped first, which deployments failed and why, which were unplanned (rework),
//! and which deployment each incident is attributed to.
//!
//! Pure: records in, derived facts out. The store runs it after every ingestion of a repository
//! and keeps the result, so a metrics query only reads finished facts. Every link carries a
//! human-readable reason so `doraboard explain` can show why a deployment counts as failed.

use crate::model::{Change, Deployment, DeploymentStatus, Incident, IncidentCause, Timestamp};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

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

/// A change reaching production for the first time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub deployment: String,
    pub change: String,
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

/// Everything derived for one repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub shipments: Vec<Shipment>,
    pub failures: Vec<FailureLink>,
    pub rework: Vec<ReworkMark>,
    pub incident_links: Vec<IncidentLink>,
}

/// Derives the facts of one repository from all its records.
///
/// `deployments`, `changes` and `incidents` are every record of the repository (incidents may also
/// be those that explicitly name one of its deployments). Order does not matter.
pub fn analyze(
    deployments: &[Deployment],
    changes: &[Change],
    incidents: &[Incident],
    options: &AnalysisOptions,
) -> Analysis {
    let mut successes: Vec<&Deployment> = deployments
        .iter()
        .filter(|d| d.status == DeploymentStatus::Success)
        .filter(|d| d.environment.eq_ignore_ascii_case(&options.environment))
        .collect();
    successes.sort_by(|a, b| (a.finished_at, &a.key).cmp(&(b.finished_at, &b.key)));

    let mut ordered_changes: Vec<&Change> = changes.iter().collect();
    ordered_changes.sort_by(|a, b| (a.merged_at, &a.key).cmp(&(b.merged_at, &b.key)));

    let mut out = Analysis::default();
    let shipped_by = ship_changes(&successes, &ordered_changes, options, &mut out);
    find_rollbacks(&successes, &mut out);
    find_reverts_and_hotfixes(&ordered_changes, &shipped_by, incidents, &mut out);
    attribute_incidents(
        &successes,
        &ordered_changes,
        &shipped_by,
        incidents,
        options,
        &mut out,
    );
    out
}

/// Finds changes by commit sha (full, or an abbreviation of 7+ digits) without scanning them all.
struct CommitIndex {
    /// (sha, index of the change in merge order), sorted by sha.
    shas: Vec<(String, usize)>,
    /// Abbreviated shas some sources store; rare, so scanned.
    abbreviated: Vec<(String, usize)>,
}

impl CommitIndex {
    fn new(changes: &[&Change]) -> Self {
        let mut shas: Vec<(String, usize)> = changes
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                c.merge_sha
                    .iter()
                    .chain(&c.commits)
                    .map(move |sha| (sha.to_ascii_lowercase(), i))
            })
            .collect();
        shas.sort();
        shas.dedup();
        let abbreviated = shas
            .iter()
            .filter(|(s, _)| (7..40).contains(&s.len()))
            .cloned()
            .collect();
        Self { shas, abbreviated }
    }

    /// Indexes of the changes holding `sha`, in no particular order.
    fn find<'s>(&'s self, sha: &str) -> impl Iterator<Item = usize> + 's {
        let sha = sha.to_ascii_lowercase();
        let valid = sha.len() >= 7;
        let start = self
            .shas
            .partition_point(|(s, _)| s.as_str() < sha.as_str());
        let longer_query = self
            .abbreviated
            .iter()
            .filter(|(s, _)| valid && sha.len() > s.len() && sha.starts_with(s.as_str()))
            .map(|(_, i)| *i)
            .collect::<Vec<_>>();
        self.shas[start..]
            .iter()
            .take_while(move |(s, _)| valid && s.starts_with(&sha))
            .map(|(_, i)| *i)
            .chain(longer_query)
    }

    /// The earliest-merged change holding `sha`.
    fn first(&self, sha: &str) -> Option<usize> {
        self.find(sha).min()
    }
}

/// Assigns every change to the first successful deployment that shipped it; returns change key ->
/// deployment key.
fn ship_changes<'a>(
    successes: &[&'a Deployment],
    changes: &[&'a Change],
    options: &AnalysisOptions,
    out: &mut Analysis,
) -> HashMap<&'a str, &'a str> {
    let mut shipped_by: HashMap<&str, &str> = HashMap::new();
    let mut seen_shas: HashSet<&str> = HashSet::new();
    let by_key: HashMap<&str, &Change> = changes.iter().map(|c| (c.key.as_str(), *c)).collect();
    let index = CommitIndex::new(changes);
    // Changes before this index were all considered by a merge-time cut already.
    let mut considered = 0;

    for deployment in successes {
        let redeploy = !seen_shas.insert(deployment.sha.as_str());
        let shipped: Vec<&Change> = if let Some(keys) = &deployment.declared_changes {
            keys.iter()
                .filter_map(|k| by_key.get(k.as_str()).copied())
                .collect()
        } else if let Some(shas) = &deployment.declared_commits {
            let mut found: Vec<usize> = shas.iter().flat_map(|s| index.find(s)).collect();
            found.sort_unstable();
            found.dedup();
            found.into_iter().map(|i| changes[i]).collect()
        } else if redeploy || deployment.rollback {
            Vec::new()
        } else {
            // Linear default branch: the change holding the deployed sha, and every change merged
            // before it, are in the deployment. Unknown sha: everything merged before it started.
            let cutoff = index
                .first(&deployment.sha)
                .map(|i| changes[i].merged_at)
                .unwrap_or(deployment.started_at.unwrap_or(deployment.finished_at));
            let end = changes.partition_point(|c| c.merged_at <= cutoff);
            let cut = changes[considered.min(end)..end]
                .iter()
                .copied()
                .filter(|c| options.since.is_none_or(|since| c.merged_at >= since))
                .collect();
            considered = considered.max(end);
            cut
        };
        for change in shipped {
            if shipped_by.contains_key(change.key.as_str()) {
                continue;
            }
            shipped_by.insert(change.key.as_str(), deployment.key.as_str());
            out.shipments.push(Shipment {
                deployment: deployment.key.clone(),
                change: change.key.clone(),
            });
        }
    }
    shipped_by
}

/// A deployment that puts back the sha of an earlier one (not the one just before it) is a
/// rollback: the deployment it replaced failed, and service was restored when it finished.
fn find_rollbacks(successes: &[&Deployment], out: &mut Analysis) {
    for (i, deployment) in successes.iter().enumerate().skip(1) {
        let previous = successes[i - 1];
        let restores_older = previous.sha != deployment.sha
            && successes[..i - 1].iter().any(|d| d.sha == deployment.sha);
        if !(deployment.rollback || restores_older) {
            continue;
        }
        let short = short_sha(&deployment.sha);
        out.failures.push(FailureLink {
            deployment: previous.key.clone(),
            kind: FailureKind::Rollback,
            evidence: deployment.key.clone(),
            reason: format!(
                "rolled back by deployment {} at {}, which put back {short}",
                deployment.key,
                deployment.finished_at.to_rfc3339()
            ),
            restored_at: Some(deployment.finished_at),
        });
        out.rework.push(ReworkMark {
            deployment: deployment.key.clone(),
            reason: format!("rollback of deployment {} to {short}", previous.key),
        });
    }
}

/// A shipped revert or hotfix marks the deployment that shipped its target failed, and the
/// deployment that shipped the revert or hotfix as rework.
fn find_reverts_and_hotfixes(
    changes: &[&Change],
    shipped_by: &HashMap<&str, &str>,
    incidents: &[Incident],
    out: &mut Analysis,
) {
    for change in changes.iter().filter(|c| c.is_rework()) {
        let fixed_incident = change
            .fixes
            .as_deref()
            .and_then(|f| incidents.iter().find(|i| i.key == f.trim()));
        if let Some(deployment) = shipped_by.get(change.key.as_str()) {
            let reason = match fixed_incident {
                Some(i) => format!("ships `{}`, a fix for incident `{}`", change.key, i.key),
                None => format!("ships {} `{}`", rework_word(change), change.key),
            };
            out.rework.push(ReworkMark {
                deployment: deployment.to_string(),
                reason,
            });
        }
        if fixed_incident.is_some() {
            continue;
        }
        let (kind, target) = match (&change.reverts, &change.fixes) {
            (Some(r), _) => (FailureKind::Revert, resolve_change_ref(r, change, changes)),
            (None, Some(f)) => (FailureKind::Hotfix, resolve_change_ref(f, change, changes)),
            (None, None) => match crate::model::reverted_title(&change.title) {
                Some(title) => (
                    FailureKind::Revert,
                    changes
                        .iter()
                        .rev()
                        .find(|c| c.title == title && c.merged_at <= change.merged_at)
                        .copied(),
                ),
                None => continue,
            },
        };
        let Some(target) = target else { continue };
        let Some(failed) = shipped_by.get(target.key.as_str()) else {
            continue;
        };
        out.failures.push(FailureLink {
            deployment: failed.to_string(),
            kind,
            evidence: change.key.clone(),
            reason: format!(
                "shipped `{}`, which {} `{}` ({})",
                target.key,
                if kind == FailureKind::Revert {
                    "was reverted by"
                } else {
                    "was hotfixed by"
                },
                change.key,
                change.title
            ),
            restored_at: None,
        });
    }
    dedup_failures(out);
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

/// Finds the change a reference names: a change key, `#42` in the same repository, or a sha.
fn resolve_change_ref<'a>(
    reference: &str,
    from: &Change,
    changes: &[&'a Change],
) -> Option<&'a Change> {
    let reference = reference.trim();
    if let Some(number) = reference
        .strip_prefix('#')
        .and_then(|n| n.parse::<i64>().ok())
    {
        return changes
            .iter()
            .copied()
            .find(|c| c.number == Some(number) && c.repo == from.repo);
    }
    changes
        .iter()
        .copied()
        .find(|c| c.key == reference)
        .or_else(|| {
            let is_sha = reference.len() >= 7 && reference.chars().all(|c| c.is_ascii_hexdigit());
            is_sha
                .then(|| {
                    changes
                        .iter()
                        .copied()
                        .find(|c| c.contains_commit(reference) && c.key != from.key)
                })
                .flatten()
        })
}

/// Links each incident to the deployment that caused it: explicitly when it says so, else the
/// latest deployment of its repository that finished before it opened, within the window.
fn attribute_incidents(
    successes: &[&Deployment],
    changes: &[&Change],
    shipped_by: &HashMap<&str, &str>,
    incidents: &[Incident],
    options: &AnalysisOptions,
    out: &mut Analysis,
) {
    let mut ordered: Vec<&Incident> = incidents.iter().collect();
    ordered.sort_by(|a, b| (a.opened_at, &a.key).cmp(&(b.opened_at, &b.key)));
    for incident in ordered {
        let (deployment, reason) = match &incident.cause {
            Some(cause) => explicit_cause(cause, successes, changes, shipped_by),
            None => (None, String::new()),
        };
        let (deployment, reason) = match deployment {
            Some(d) => (Some(d), reason),
            None => {
                let before = successes.partition_point(|d| d.finished_at <= incident.opened_at);
                let by_window = successes[..before]
                    .iter()
                    .rev()
                    .find(|d| incident.repo.as_ref() == Some(&d.repo))
                    .filter(|d| incident.opened_at - d.finished_at <= options.attribution_window);
                match by_window {
                    Some(d) => {
                        let prefix = if reason.is_empty() {
                            String::new()
                        } else {
                            format!("{reason}; ")
                        };
                        (
                            Some(d.key.clone()),
                            format!(
                                "{prefix}latest deployment of {} before the incident opened ({} earlier, within the {} attribution window)",
                                d.repo,
                                human_duration(incident.opened_at - d.finished_at),
                                human_duration(options.attribution_window)
                            ),
                        )
                    }
                    None => {
                        let prefix = if reason.is_empty() {
                            String::new()
                        } else {
                            format!("{reason}; ")
                        };
                        (
                            None,
                            format!(
                                "{prefix}no deployment in the {} before it opened: an outage not caused by a change",
                                human_duration(options.attribution_window)
                            ),
                        )
                    }
                }
            }
        };
        if let Some(d) = &deployment {
            out.failures.push(FailureLink {
                deployment: d.clone(),
                kind: FailureKind::Incident,
                evidence: incident.key.clone(),
                reason: format!("incident `{}` ({}): {reason}", incident.key, incident.title),
                restored_at: None,
            });
        }
        out.incident_links.push(IncidentLink {
            incident: incident.key.clone(),
            deployment,
            reason,
        });
    }
    dedup_failures(out);
}

/// Resolves an incident's explicit cause; the reason explains the link, or why it failed.
fn explicit_cause(
    cause: &IncidentCause,
    successes: &[&Deployment],
    changes: &[&Change],
    shipped_by: &HashMap<&str, &str>,
) -> (Option<String>, String) {
    match cause {
        IncidentCause::Deployment(key) => match successes.iter().find(|d| &d.key == key) {
            Some(d) => (
                Some(d.key.clone()),
                format!("the incident names deployment {key}"),
            ),
            None => (
                None,
                format!(
                    "the incident names deployment {key}, which is not a known successful deployment"
                ),
            ),
        },
        IncidentCause::Change(key) => match shipped_by.get(key.as_str()) {
            Some(d) => (
                Some(d.to_string()),
                format!("the incident names change `{key}`, shipped by deployment {d}"),
            ),
            None => (
                None,
                format!("the incident names change `{key}`, which no deployment has shipped"),
            ),
        },
        IncidentCause::Sha(sha) => {
            let by_change = changes
                .iter()
                .find(|c| c.contains_commit(sha))
                .and_then(|c| shipped_by.get(c.key.as_str()).map(|d| d.to_string()));
            let by_deployment = || {
                successes
                    .iter()
                    .find(|d| d.sha.starts_with(sha.as_str()) || sha.starts_with(d.sha.as_str()))
                    .map(|d| d.key.clone())
            };
            match by_change.or_else(by_deployment) {
                Some(d) => (
                    Some(d.clone()),
                    format!(
                        "the incident names commit {}, shipped by deployment {d}",
                        short_sha(sha)
                    ),
                ),
                None => (
                    None,
                    format!(
                        "the incident names commit {}, which no deployment has shipped",
                        short_sha(sha)
                    ),
                ),
            }
        }
    }
}

/// Keeps one link per (deployment, kind, evidence), the first found.
fn dedup_failures(out: &mut Analysis) {
    let mut seen = HashSet::new();
    out.failures
        .retain(|f| seen.insert((f.deployment.clone(), f.kind, f.evidence.clone())));
    let mut seen = HashSet::new();
    out.rework
        .retain(|r| seen.insert((r.deployment.clone(), r.reason.clone())));
}

fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// "3d 4h", "45m": for reasons a person reads.
pub fn human_duration(d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    match (days, hours, mins) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DeploymentStatus, Source};
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn change(number: i64, sha: &str, merged: &str) -> Change {
        Change {
            key: format!("acme/shop#{number}"),
            repo: "acme/shop".parse().unwrap(),
            number: Some(number),
            title: format!("Change {number}"),
            author: "alice".into(),
            bot: false,
            first_commit_at: at(merged) - Duration::hours(1),
            opened_at: None,
            first_review_at: None,
            merged_at: at(merged),
            merge_sha: Some(sha.repeat(40 / sha.len())),
            commits: vec![],
            labels: vec![],
            branch: None,
            paths: vec![],
            reverts: None,
            fixes: None,
        }
    }

    fn deployment(key: &str, sha: &str, finished: &str) -> Deployment {
        Deployment {
            key: key.into(),
            repo: "acme/shop".parse().unwrap(),
            environment: "Production".into(),
            sha: sha.repeat(40 / sha.len()),
            status: DeploymentStatus::Success,
            started_at: None,
            finished_at: at(finished),
            source: Source::Import,
            rollback: false,
            declared_changes: None,
            declared_commits: None,
        }
    }

    #[test]
    fn a_change_ships_once_at_its_first_deployment() {
        let changes = [
            change(1, "a", "2026-03-02T09:00:00Z"),
            change(2, "b", "2026-03-03T09:00:00Z"),
        ];
        let deployments = [
            deployment("d1", "a", "2026-03-02T10:00:00Z"),
            deployment("d2", "b", "2026-03-03T10:00:00Z"),
        ];
        let a = analyze(&deployments, &changes, &[], &AnalysisOptions::default());
        let pairs: Vec<(&str, &str)> = a
            .shipments
            .iter()
            .map(|s| (s.deployment.as_str(), s.change.as_str()))
            .collect();
        assert_eq!(pairs, vec![("d1", "acme/shop#1"), ("d2", "acme/shop#2")]);
    }

    #[test]
    fn deployments_to_other_environments_are_ignored() {
        let mut staging = deployment("s1", "a", "2026-03-02T10:00:00Z");
        staging.environment = "staging".into();
        let a = analyze(
            &[staging],
            &[change(1, "a", "2026-03-02T09:00:00Z")],
            &[],
            &AnalysisOptions::default(),
        );
        assert!(a.shipments.is_empty());
    }

    #[test]
    fn a_rollback_link_says_which_deployment_rolled_back_and_to_what() {
        let deployments = [
            deployment("d1", "a", "2026-03-02T10:00:00Z"),
            deployment("d2", "b", "2026-03-03T10:00:00Z"),
            deployment("d3", "a", "2026-03-03T11:00:00Z"),
        ];
        let a = analyze(&deployments, &[], &[], &AnalysisOptions::default());
        assert_eq!(a.failures.len(), 1);
        let link = &a.failures[0];
        assert_eq!(
            (link.deployment.as_str(), link.kind),
            ("d2", FailureKind::Rollback)
        );
        assert!(
            link.reason.contains("rolled back by deployment d3"),
            "{}",
            link.reason
        );
        assert!(link.reason.contains("aaaaaaa"), "{}", link.reason);
        assert_eq!(link.restored_at, Some(at("2026-03-03T11:00:00Z")));
        assert_eq!(a.rework.len(), 1);
        assert_eq!(a.rework[0].deployment, "d3");
    }

    #[test]
    fn an_incident_link_records_the_window_reason() {
        let deployments = [deployment("d1", "a", "2026-03-02T10:00:00Z")];
        let incident = Incident {
            key: "INC-7".into(),
            repo: Some("acme/shop".parse().unwrap()),
            team: None,
            title: "Checkout errors".into(),
            opened_at: at("2026-03-02T13:30:00Z"),
            resolved_at: None,
            source: Source::Import,
            cause: None,
        };
        let a = analyze(&deployments, &[], &[incident], &AnalysisOptions::default());
        let link = &a.incident_links[0];
        assert_eq!(link.deployment.as_deref(), Some("d1"));
        assert!(link.reason.contains("3h 30m earlier"), "{}", link.reason);
        assert!(
            link.reason.contains("7d attribution window"),
            "{}",
            link.reason
        );
    }

    #[test]
    fn an_abbreviated_sha_finds_its_change() {
        let changes = [change(1, "ab", "2026-03-02T09:00:00Z")];
        let mut d = deployment("d1", "cd", "2026-03-02T10:00:00Z");
        d.declared_commits = Some(vec!["abababa".into()]);
        let a = analyze(&[d], &changes, &[], &AnalysisOptions::default());
        assert_eq!(a.shipments.len(), 1);
    }

    #[test]
    fn a_fix_for_an_incident_is_rework_without_failing_anything() {
        let mut fix = change(2, "b", "2026-03-03T09:00:00Z");
        fix.fixes = Some("INC-7".into());
        let incident = Incident {
            key: "INC-7".into(),
            repo: None,
            team: Some("shop".into()),
            title: "Checkout errors".into(),
            opened_at: at("2026-03-03T08:00:00Z"),
            resolved_at: None,
            source: Source::Import,
            cause: None,
        };
        let deployments = [deployment("d2", "b", "2026-03-03T10:00:00Z")];
        let a = analyze(
            &deployments,
            &[fix],
            &[incident],
            &AnalysisOptions::default(),
        );
        assert_eq!(a.rework.len(), 1);
        assert!(a.rework[0].reason.contains("a fix for incident `INC-7`"));
        assert!(a.failures.is_empty());
    }

    #[test]
    fn human_durations_read_naturally() {
        assert_eq!(human_duration(Duration::minutes(45)), "45m");
        assert_eq!(human_duration(Duration::hours(3)), "3h");
        assert_eq!(human_duration(Duration::minutes(210)), "3h 30m");
        assert_eq!(human_duration(Duration::days(7)), "7d");
        assert_eq!(human_duration(Duration::hours(52)), "2d 4h");
    }
}
