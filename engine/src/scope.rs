//! What a metrics query covers ([`Scope`]): the organisation, a tribe or a team, with the
//! repositories (and, in monorepos, the paths) it owns, as the configuration assigns them.

use crate::config::{Config, ConfigError, Targets, TeamConfig, TribeConfig};
use crate::model::RepoSlug;
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What a metrics query covers: the organisation, a tribe or a team.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// `None` for the organisation.
    pub slug: Option<String>,
    pub name: String,
    pub kind: ScopeKind,
    /// The tribe of a team.
    pub parent: Option<String>,
    /// Deduplicated, sorted. A tribe owns the union of its teams' repositories, the organisation
    /// the union of every team's.
    pub repos: Vec<RepoSlug>,
    /// Repositories owned only in part (monorepos): repo -> globs. A repository missing here but
    /// present in `repos` is owned whole (whole ownership by one team wins over another's paths).
    pub paths: BTreeMap<RepoSlug, Vec<String>>,
    /// Slugs of the teams included (incidents may belong to a team rather than a repository).
    pub teams: Vec<String>,
    /// The zone buckets are computed in.
    pub time_zone: Tz,
    /// The team's targets; none for a tribe or the organisation.
    pub targets: Targets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    Organisation,
    Tribe,
    Team,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Organisation => "organisation",
            ScopeKind::Tribe => "tribe",
            ScopeKind::Team => "team",
        }
    }
}

impl fmt::Display for ScopeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Config {
    /// The organisation (`None`), or the team or tribe with this slug.
    pub fn scope(&self, slug: Option<&str>) -> Result<Scope, ConfigError> {
        let Some(slug) = slug else {
            return Ok(self.organisation_scope());
        };
        if let Some(team) = self.team(slug) {
            return Ok(team_scope(team));
        }
        if let Some(tribe) = self.tribe(slug) {
            return Ok(self.tribe_scope(tribe));
        }
        let mut known: Vec<String> = self
            .tribes
            .iter()
            .map(|t| t.slug.clone())
            .chain(self.teams.iter().map(|t| t.slug.clone()))
            .collect();
        known.sort();
        Err(ConfigError::UnknownScope {
            slug: slug.to_string(),
            known,
        })
    }

    /// Every tribe, then every team, in configuration order (not the organisation).
    pub fn scopes(&self) -> Vec<Scope> {
        self.tribes
            .iter()
            .map(|t| self.tribe_scope(t))
            .chain(self.teams.iter().map(team_scope))
            .collect()
    }

    fn organisation_scope(&self) -> Scope {
        let (repos, paths) = ownership(self.teams.iter());
        Scope {
            slug: None,
            name: "Organisation".to_string(),
            kind: ScopeKind::Organisation,
            parent: None,
            repos,
            paths,
            teams: self.teams.iter().map(|t| t.slug.clone()).collect(),
            time_zone: self.metrics.time_zone,
            targets: Targets::default(),
        }
    }

    fn tribe_scope(&self, tribe: &TribeConfig) -> Scope {
        let members = || {
            self.teams
                .iter()
                .filter(|t| t.tribe.as_deref() == Some(tribe.slug.as_str()))
        };
        let (repos, paths) = ownership(members());
        Scope {
            slug: Some(tribe.slug.clone()),
            name: tribe.name.clone(),
            kind: ScopeKind::Tribe,
            parent: None,
            repos,
            paths,
            teams: members().map(|t| t.slug.clone()).collect(),
            time_zone: tribe.time_zone.unwrap_or(self.metrics.time_zone),
            targets: Targets::default(),
        }
    }
}

fn team_scope(team: &TeamConfig) -> Scope {
    let (repos, paths) = ownership(std::iter::once(team));
    Scope {
        slug: Some(team.slug.clone()),
        name: team.name.clone(),
        kind: ScopeKind::Team,
        parent: team.tribe.clone(),
        repos,
        paths,
        teams: vec![team.slug.clone()],
        time_zone: team.time_zone,
        targets: team.targets.clone(),
    }
}

/// Union of what `teams` own: repositories (sorted) and, for the ones owned only in part, globs.
fn ownership<'a>(
    teams: impl Iterator<Item = &'a TeamConfig>,
) -> (Vec<RepoSlug>, BTreeMap<RepoSlug, Vec<String>>) {
    let mut whole: BTreeSet<RepoSlug> = BTreeSet::new();
    let mut partial: BTreeMap<RepoSlug, BTreeSet<String>> = BTreeMap::new();
    for team in teams {
        for repo in &team.repos {
            match team.paths.get(repo) {
                Some(globs) => partial
                    .entry(repo.clone())
                    .or_default()
                    .extend(globs.iter().cloned()),
                None => {
                    whole.insert(repo.clone());
                }
            }
        }
    }
    partial.retain(|repo, _| !whole.contains(repo));
    let mut repos: Vec<RepoSlug> = whole.into_iter().collect();
    repos.extend(partial.keys().cloned());
    repos.sort();
    let paths = partial
        .into_iter()
        .map(|(repo, globs)| (repo, globs.into_iter().collect()))
        .collect();
    (repos, paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::*;
    use chrono::Duration;

    const ORG: &str = r#"
[metrics]
time_zone = "Europe/London"

[[tribes]]
slug = "customer"
name = "Customer"
time_zone = "Europe/Warsaw"

[[tribes]]
slug = "empty"
name = "Empty"

[[teams]]
slug = "loyalty"
name = "Loyalty"
tribe = "customer"
repos = ["acme/loyalty", "acme/points", "acme/mono"]
paths = { "acme/mono" = ["services/loyalty/**"] }
targets = { lead_time = "1d", change_failure_rate = 0.1 }

[[teams]]
slug = "checkout"
name = "Checkout"
tribe = "customer"
repos = ["acme/checkout", "acme/points", "acme/mono"]
paths = { "acme/mono" = ["services/checkout/**", "libs/cart/**"] }

[[teams]]
slug = "platform"
name = "Platform"
repos = ["acme/infra", "acme/mono", "acme/infra"]
"#;

    fn slugs(repos: &[RepoSlug]) -> Vec<String> {
        repos.iter().map(|r| r.to_string()).collect()
    }

    #[test]
    fn team_scope() {
        let c = parse(ORG).expect("valid");
        let s = c.scope(Some("loyalty")).expect("team");
        assert_eq!(s.kind, ScopeKind::Team);
        assert_eq!(s.slug.as_deref(), Some("loyalty"));
        assert_eq!(s.name, "Loyalty");
        assert_eq!(s.parent.as_deref(), Some("customer"));
        assert_eq!(
            slugs(&s.repos),
            vec!["acme/loyalty", "acme/mono", "acme/points"]
        );
        assert_eq!(s.paths.len(), 1);
        assert_eq!(s.teams, vec!["loyalty"]);
        assert_eq!(s.time_zone, Tz::Europe__Warsaw, "inherited from its tribe");
        assert_eq!(s.targets.lead_time, Some(Duration::days(1)));
        assert_eq!(s.targets.change_failure_rate, Some(0.1));
        let p = c.scope(Some("platform")).expect("team");
        assert_eq!(
            slugs(&p.repos),
            vec!["acme/infra", "acme/mono"],
            "deduplicated"
        );
        assert_eq!(p.time_zone, Tz::Europe__London, "the organisation's");
    }

    #[test]
    fn tribe_scope() {
        let c = parse(ORG).expect("valid");
        let s = c.scope(Some("customer")).expect("tribe");
        assert_eq!(s.kind, ScopeKind::Tribe);
        assert_eq!(s.name, "Customer");
        assert_eq!(
            slugs(&s.repos),
            vec!["acme/checkout", "acme/loyalty", "acme/mono", "acme/points"]
        );
        let mono: RepoSlug = "acme/mono".parse().expect("slug");
        assert_eq!(
            s.paths.get(&mono).expect("mono in part"),
            &vec![
                "libs/cart/**".to_string(),
                "services/checkout/**".to_string(),
                "services/loyalty/**".to_string()
            ]
        );
        assert_eq!(s.teams, vec!["loyalty", "checkout"]);
        assert_eq!(s.time_zone, Tz::Europe__Warsaw);
        assert_eq!(s.targets, Targets::default());
        let empty = c.scope(Some("empty")).expect("tribe without teams");
        assert!(empty.repos.is_empty() && empty.teams.is_empty());
        assert_eq!(empty.time_zone, Tz::Europe__London);
    }

    #[test]
    fn organisation_scope() {
        let c = parse(ORG).expect("valid");
        let s = c.scope(None).expect("org");
        assert_eq!(s.kind, ScopeKind::Organisation);
        assert_eq!(s.slug, None);
        assert_eq!(
            slugs(&s.repos),
            vec![
                "acme/checkout",
                "acme/infra",
                "acme/loyalty",
                "acme/mono",
                "acme/points"
            ]
        );
        assert!(s.paths.is_empty(), "platform owns acme/mono whole");
        assert_eq!(s.teams, vec!["loyalty", "checkout", "platform"]);
        assert_eq!(s.time_zone, Tz::Europe__London);
        assert_eq!(slugs(&c.repos()), slugs(&s.repos));
        assert_eq!(c.scopes().len(), 5);
    }

    #[test]
    fn unknown_scope() {
        let c = parse(ORG).expect("valid");
        let e = c.scope(Some("loyality")).expect_err("unknown");
        let m = e.to_string();
        assert!(m.contains("`loyality`") && m.contains("`loyalty`"), "{m}");
        let e = Config::default().scope(Some("x")).expect_err("unknown");
        assert!(e.to_string().contains("no teams or tribes"), "{e}");
    }
}
