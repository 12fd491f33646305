//! Monorepo ownership: a team that owns only some paths of a repository is measured on the work
//! in those paths, not on the whole repository.
//!
//! Of a partly owned repository, a scope keeps the changes that touch at least one of its paths
//! (changes whose files are unknown cannot be placed and are left out), the deployments that
//! shipped at least one kept change, the rollbacks of kept deployments, and the incidents blamed
//! on kept deployments. Incidents of the team itself are kept whatever their repository.

use super::facts::MetricInputs;
use crate::model::RepoSlug;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::collections::{BTreeMap, HashSet};

/// Restricts `inputs` to the owned paths of partly owned repositories; `teams` are the scope's
/// team slugs (their own incidents always count).
pub fn restrict_to_paths(
    inputs: &mut MetricInputs,
    paths: &BTreeMap<RepoSlug, Vec<String>>,
    teams: &[String],
) {
    if paths.is_empty() {
        return;
    }
    let globs: BTreeMap<&RepoSlug, GlobSet> = paths
        .iter()
        .map(|(repo, patterns)| (repo, glob_set(patterns)))
        .collect();
    inputs.changes.retain(|c| match globs.get(&c.repo) {
        Some(set) => c.paths.iter().any(|p| set.is_match(p)),
        None => true,
    });
    let shipping: HashSet<&str> = inputs
        .changes
        .iter()
        .map(|c| c.deployment.as_str())
        .collect();
    let kept_deployment =
        |repo: &RepoSlug, key: &str| !globs.contains_key(repo) || shipping.contains(key);
    inputs
        .deployments
        .retain(|d| kept_deployment(&d.repo, &d.key));
    inputs
        .rollbacks
        .retain(|r| kept_deployment(&r.repo, &r.failed_deployment));
    inputs.incidents.retain(|i| {
        let own_team = i.team.as_ref().is_some_and(|t| teams.contains(t));
        let partly_owned = i.repo.as_ref().is_some_and(|r| globs.contains_key(r));
        own_team
            || !partly_owned
            || i.deployment
                .as_deref()
                .is_some_and(|d| shipping.contains(d))
    });
}

/// Globs were validated with the configuration; one that no longer compiles matches nothing.
fn glob_set(patterns: &[String]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        if let Ok(glob) = Glob::new(pattern) {
            builder.add(glob);
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}
