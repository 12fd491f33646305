//! Cross-field validation: what no single key's deserializer can check (slugs unique, teams'
//! tribes and repositories known, a GitHub App complete, ...), each error naming the key at
//! fault and where its value came from.

use super::de::{de_database_url, de_date, de_opt_tz, de_slug, de_team_paths};
use super::environment::{Origins, join_key};
use super::{
    ApiConfig, CdEventsConfig, CollectorConfig, Config, ConfigError, DatabaseUrl,
    DeploymentSourceKind, DeploymentsConfig, DigestConfig, FiltersConfig, GithubConfig,
    IncidentsConfig, MetricsConfig, PagerDutyConfig, Targets, TeamConfig, TribeConfig,
    WebhooksConfig, known_list,
};
use crate::filters::NoiseFilters;
use crate::model::RepoSlug;
use crate::tiers::Bands;
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The file's shape: like [`Config`], but a team's time zone may be left out (it is inherited).
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(deserialize_with = "de_database_url")]
    database_url: String,
    github: GithubConfig,
    collector: CollectorConfig,
    deployments: DeploymentsConfig,
    incidents: IncidentsConfig,
    webhooks: WebhooksConfig,
    api: ApiConfig,
    pagerduty: PagerDutyConfig,
    cdevents: CdEventsConfig,
    metrics: MetricsConfig,
    filters: FiltersConfig,
    digest: DigestConfig,
    tribes: Vec<TribeConfig>,
    teams: Vec<RawTeam>,
    annotations: Vec<RawAnnotation>,
}

impl Default for RawConfig {
    fn default() -> Self {
        let c = Config::default();
        RawConfig {
            database_url: c.database_url.0,
            github: c.github,
            collector: c.collector,
            deployments: c.deployments,
            incidents: c.incidents,
            webhooks: c.webhooks,
            api: c.api,
            pagerduty: c.pagerduty,
            cdevents: c.cdevents,
            metrics: c.metrics,
            filters: c.filters,
            digest: c.digest,
            tribes: Vec::new(),
            teams: Vec::new(),
            annotations: Vec::new(),
        }
    }
}

/// `[[annotations]]`: checked by [`crate::annotations::NewAnnotation::new`] once the teams are
/// known.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnnotation {
    #[serde(deserialize_with = "de_date")]
    date: NaiveDate,
    title: String,
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    scope: crate::annotations::Reach,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    #[serde(deserialize_with = "de_slug")]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tribe: Option<String>,
    #[serde(default)]
    repos: Vec<RepoSlug>,
    #[serde(default, deserialize_with = "de_team_paths")]
    paths: BTreeMap<RepoSlug, Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_tz")]
    time_zone: Option<Tz>,
    #[serde(default)]
    targets: Targets,
}

impl RawConfig {
    /// Cross-field checks, then the team time zones are resolved.
    pub(super) fn validate(self, origins: &Origins) -> Result<Config, ConfigError> {
        check_github_app(&self.github, origins)?;
        if self.deployments.source == DeploymentSourceKind::WorkflowRuns
            && self.deployments.workflow.is_none()
        {
            return Err(origins.invalid(
                &["deployments.source", "deployments.workflow"],
                "deployments.workflow",
                "source = \"workflow_runs\" needs the workflow that deploys, \
                 e.g. workflow = \"deploy.yml\"",
            ));
        }
        let bands = resolve_bands(&self.metrics, origins)?;
        check_benchmark(&self.metrics, origins)?;
        let noise = noise_filters(&self.filters, origins)?;

        let mut tribes = self.tribes;
        let mut tribe_slugs: BTreeMap<String, usize> = BTreeMap::new();
        for (i, tribe) in tribes.iter_mut().enumerate() {
            if let Some(first) = tribe_slugs.insert(tribe.slug.clone(), i) {
                let key = format!("tribes[{i}].slug");
                return Err(origins.invalid(
                    &[&key],
                    &key,
                    format!(
                        "duplicate tribe slug `{}` (also tribes[{first}].slug)",
                        tribe.slug
                    ),
                ));
            }
            if tribe.name.trim().is_empty() {
                tribe.name = tribe.slug.clone();
            }
        }

        let mut team_slugs: BTreeMap<String, usize> = BTreeMap::new();
        let mut teams = Vec::with_capacity(self.teams.len());
        for (i, raw) in self.teams.into_iter().enumerate() {
            let at = |field: &str| format!("teams[{i}].{field}");
            let key = at("slug");
            if let Some(first) = team_slugs.insert(raw.slug.clone(), i) {
                return Err(origins.invalid(
                    &[&key],
                    &key,
                    format!(
                        "duplicate team slug `{}` (also teams[{first}].slug)",
                        raw.slug
                    ),
                ));
            }
            if let Some(t) = tribe_slugs.get(&raw.slug) {
                return Err(origins.invalid(
                    &[&key],
                    &key,
                    format!(
                        "team slug `{}` is also the slug of tribes[{t}]: team and tribe slugs \
                         share one namespace (they select what `--team` and `?team=` measure)",
                        raw.slug
                    ),
                ));
            }
            let tribe = match &raw.tribe {
                None => None,
                Some(slug) => match tribe_slugs.get(slug) {
                    Some(&t) => Some(&tribes[t]),
                    None => {
                        let key = at("tribe");
                        let known: Vec<String> = tribes.iter().map(|t| t.slug.clone()).collect();
                        return Err(origins.invalid(
                            &[&key],
                            &key,
                            format!(
                                "unknown tribe `{slug}`: {}",
                                if known.is_empty() {
                                    "no [[tribes]] are configured".to_string()
                                } else {
                                    known_list(&known)
                                }
                            ),
                        ));
                    }
                },
            };
            if raw.repos.is_empty() {
                let key = at("repos");
                return Err(origins.invalid(
                    &[&key],
                    &key,
                    format!(
                        "team `{}` owns no repository: expected at least one `owner/name`",
                        raw.slug
                    ),
                ));
            }
            for repo in raw.paths.keys() {
                if !raw.repos.contains(repo) {
                    let key = format!("teams[{i}].paths.{repo}");
                    return Err(origins.invalid(
                        &[&key],
                        &key,
                        format!(
                            "`{repo}` is not one of the team's repos: add it to teams[{i}].repos \
                             (paths restrict a repository the team owns to some of its paths)"
                        ),
                    ));
                }
            }
            let time_zone = raw
                .time_zone
                .or_else(|| tribe.and_then(|t| t.time_zone))
                .unwrap_or(self.metrics.time_zone);
            let name = if raw.name.trim().is_empty() {
                raw.slug.clone()
            } else {
                raw.name
            };
            teams.push(TeamConfig {
                slug: raw.slug,
                name,
                tribe: raw.tribe,
                repos: raw.repos,
                paths: raw.paths,
                time_zone,
                targets: raw.targets,
            });
        }

        let mappings = [
            ("pagerduty", &self.pagerduty.services),
            ("cdevents", &self.cdevents.services),
        ];
        for (section, services) in mappings {
            for (service, owner) in services {
                let key = format!("{section}.services.{service}");
                let known = if owner.contains('/') {
                    owner
                        .parse::<RepoSlug>()
                        .is_ok_and(|repo| teams.iter().any(|t| t.repos.contains(&repo)))
                } else {
                    teams.iter().any(|t| &t.slug == owner)
                };
                if !known {
                    return Err(origins.invalid(
                        &[&key],
                        &key,
                        format!(
                            "`{owner}` is neither a configured team nor a repository a team \
                             owns: expected a team slug (e.g. `loyalty`) or `owner/name`"
                        ),
                    ));
                }
            }
        }

        check_digest(&self.digest, &tribes, &teams, origins)?;

        let mut config = Config {
            database_url: DatabaseUrl(self.database_url),
            github: self.github,
            collector: self.collector,
            deployments: self.deployments,
            incidents: self.incidents,
            webhooks: self.webhooks,
            api: self.api,
            pagerduty: self.pagerduty,
            cdevents: self.cdevents,
            metrics: MetricsConfig {
                bands,
                ..self.metrics
            },
            filters: FiltersConfig {
                noise,
                ..self.filters
            },
            digest: self.digest,
            tribes,
            teams,
            annotations: Vec::new(),
            clock: None,
        };
        config.annotations = check_annotations(self.annotations, &config, origins)?;
        Ok(config)
    }
}

/// The email of `[digest]` needs its sender and recipients; its team must exist.
fn check_digest(
    digest: &DigestConfig,
    tribes: &[TribeConfig],
    teams: &[TeamConfig],
    origins: &Origins,
) -> Result<(), ConfigError> {
    if let Some(slug) = &digest.team
        && !teams.iter().any(|t| &t.slug == slug)
        && !tribes.iter().any(|t| &t.slug == slug)
    {
        return Err(origins.invalid(
            &["digest.team"],
            "digest.team",
            format!("`{slug}` is neither a configured team nor a tribe"),
        ));
    }
    if digest.smtp_url_env.is_some() {
        if digest.to.is_empty() {
            return Err(origins.invalid(
                &["digest.to", "digest.smtp_url_env"],
                "digest.to",
                "the email digest (digest.smtp_url_env) needs at least one recipient, \
                 e.g. to = [\"cto@example.com\"]",
            ));
        }
        if digest.from.is_none() {
            return Err(origins.invalid(
                &["digest.from", "digest.smtp_url_env"],
                "digest.from",
                "the email digest (digest.smtp_url_env) needs a sender, \
                 e.g. from = \"doraboard <doraboard@example.com>\"",
            ));
        }
    }
    Ok(())
}

/// `[[annotations]]` as the API would take them: an error names `annotations[i].<field>`.
fn check_annotations(
    raw: Vec<RawAnnotation>,
    config: &Config,
    origins: &Origins,
) -> Result<Vec<crate::annotations::Annotation>, ConfigError> {
    use crate::annotations::{Annotation, NewAnnotation, Origin};
    raw.into_iter()
        .enumerate()
        .map(|(i, a)| {
            let checked = NewAnnotation::new(config, a.date, &a.title, a.team.as_deref(), a.scope)
                .map_err(|e| {
                    let key = format!("annotations[{i}].{}", e.field);
                    origins.invalid(&[&key], &key, e.message)
                })?;
            Ok(Annotation {
                id: None,
                date: checked.date,
                title: checked.title,
                team: checked.team,
                scope: checked.scope,
                source: Origin::Config,
            })
        })
        .collect()
}

/// `metrics.benchmark` must name a benchmark of `metrics.benchmark_edition`.
fn check_benchmark(metrics: &MetricsConfig, origins: &Origins) -> Result<(), ConfigError> {
    use crate::score::{Benchmark, BenchmarkError};
    match Benchmark::find(&metrics.benchmark, metrics.benchmark_edition) {
        Ok(_) => Ok(()),
        Err(e @ BenchmarkError::Edition(_)) => Err(origins.invalid(
            &["metrics.benchmark_edition"],
            "metrics.benchmark_edition",
            e.to_string(),
        )),
        Err(e) => Err(origins.invalid(
            &["metrics.benchmark", "metrics.benchmark_edition"],
            "metrics.benchmark",
            e.to_string(),
        )),
    }
}

/// The noise filters `[filters]` makes, built once. Only the built-in bot patterns could fail
/// here (every configured pattern compiled when read): they join `filters.bot_authors`.
fn noise_filters(filters: &FiltersConfig, origins: &Origins) -> Result<NoiseFilters, ConfigError> {
    NoiseFilters::new(
        filters.include_bots,
        &filters.bot_authors,
        &filters.exclude_titles,
        &filters.exclude_paths,
    )
    .map_err(|e| {
        origins.invalid(
            &["filters.bot_authors"],
            "filters.bot_authors",
            e.to_string(),
        )
    })
}

/// The bands `metrics.tiers` names: a published table, or `metrics.custom_tiers` (checked
/// whenever present, so a table switched on later is known to be good).
fn resolve_bands(metrics: &MetricsConfig, origins: &Origins) -> Result<Bands, ConfigError> {
    let custom = metrics
        .custom_tiers
        .as_ref()
        .map(|table| custom_bands(table, origins))
        .transpose()?;
    match (metrics.tiers.as_str(), custom) {
        ("custom", Some(bands)) => Ok(bands),
        ("custom", None) => Err(origins.invalid(
            &["metrics.tiers", "metrics.custom_tiers"],
            "metrics.custom_tiers",
            "tiers = \"custom\" needs the bands in [metrics.custom_tiers]",
        )),
        (name, _) => Bands::published(name).ok_or_else(|| {
            origins.invalid(
                &["metrics.tiers"],
                "metrics.tiers",
                format!("`{name}` is not a published tier table"),
            )
        }),
    }
}

/// `metrics.custom_tiers` read as [`crate::tiers::CustomBands`] and made into consistent bands.
fn custom_bands(table: &toml::Table, origins: &Origins) -> Result<Bands, ConfigError> {
    const BASE: &str = crate::tiers::CUSTOM_KEY;
    let bands: crate::tiers::CustomBands = serde_path_to_error::deserialize(table.clone())
        .map_err(|e| {
            let mut key = match e.path().to_string().as_str() {
                "." => BASE.to_string(),
                path => format!("{BASE}.{path}"),
            };
            let message = e.inner().message().to_string();
            if let Some(field) = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                && key.rsplit('.').next() != Some(field)
            {
                key = join_key(&key, field);
            }
            origins.invalid(
                &[&key],
                &key,
                format!(
                    "{message} (expected deployment_frequency, lead_time, change_failure_rate \
                     and time_to_restore, each a list of the elite, high and medium bounds)"
                ),
            )
        })?;
    Bands::custom(&bands).map_err(|e| {
        let key = e.key();
        let text = e.to_string();
        let message = text
            .strip_prefix(&format!("{key}: "))
            .unwrap_or(&text)
            .to_string();
        origins.invalid(&[&key], &key, message)
    })
}

/// A GitHub App needs its id, its installation and exactly one source of its key, and excludes
/// a token named in the configuration.
fn check_github_app(github: &GithubConfig, origins: &Origins) -> Result<(), ConfigError> {
    let app_keys = [
        ("github.app_id", github.app_id.is_some()),
        ("github.installation_id", github.installation_id.is_some()),
        ("github.private_key_env", github.private_key_env.is_some()),
        ("github.private_key_file", github.private_key_file.is_some()),
    ];
    let Some((given, _)) = app_keys.iter().find(|(_, set)| *set) else {
        return Ok(());
    };
    let all: Vec<&str> = app_keys.iter().map(|(k, _)| *k).collect();
    if let Some((missing, _)) = app_keys[..2].iter().find(|(_, set)| !*set) {
        return Err(origins.invalid(
            &all,
            missing,
            format!("a GitHub App needs github.app_id and github.installation_id ({given} is set)"),
        ));
    }
    match (app_keys[2].1, app_keys[3].1) {
        (false, false) => Err(origins.invalid(
            &all,
            "github.private_key_env",
            "a GitHub App needs its private key: the name of the variable holding the PEM \
             (github.private_key_env), or github.private_key_file",
        )),
        (true, true) => Err(origins.invalid(
            &all,
            "github.private_key_file",
            "give the app's key once: github.private_key_env or github.private_key_file",
        )),
        _ if github.token_env != GithubConfig::default().token_env => Err(origins.invalid(
            &["github.token_env", "github.app_id"],
            "github.token_env",
            "both a token (github.token_env) and a GitHub App (github.app_id) are configured: \
             choose one",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::*;
    use crate::config::{CronExpr, DigestPeriod};
    use crate::tiers::Tier;
    use chrono::Duration;

    #[test]
    fn annotations_are_validated_with_errors_naming_the_key() {
        let ok = parse(&format!(
            "{TEAM}\n[[annotations]]\ndate = 2026-03-10\ntitle = \"New CI system\"\n\
             team = \"loyalty\"\nscope = \"inherit\"\n\
             [[annotations]]\ndate = \"2026-04-01\"\ntitle = \" Holiday freeze \""
        ))
        .expect("valid");
        let [ci, freeze] = ok.annotations.as_slice() else {
            panic!("two annotations: {:?}", ok.annotations)
        };
        assert_eq!(ci.date, NaiveDate::from_ymd_opt(2026, 3, 10).expect("date"));
        assert_eq!(ci.team.as_deref(), Some("loyalty"));
        assert_eq!(ci.scope, crate::annotations::Reach::Inherit);
        assert_eq!(ci.source, crate::annotations::Origin::Config);
        assert_eq!(
            (freeze.title.as_str(), freeze.team.as_ref()),
            ("Holiday freeze", None)
        );
        let with = |body: &str| parse(&format!("{TEAM}\n[[annotations]]\n{body}"));
        let message = invalid(
            with("date = \"2026-03-10\"\ntitle = \"x\"\nteam = \"nobody\""),
            "test.toml",
            "annotations[0].team",
        );
        assert!(message.contains("known: loyalty"), "{message}");
        invalid(
            with("date = \"2026-03-10\"\ntitle = \"  \""),
            "test.toml",
            "annotations[0].title",
        );
        invalid(
            with("date = \"2026-03-10\"\ntitle = \"x\"\nscope = \"inherit\""),
            "test.toml",
            "annotations[0].scope",
        );
        for body in [
            "date = \"2026-02-30\"\ntitle = \"x\"",
            "date = \"2026-03-10\"\ntitle = \"x\"\nscope = \"everywhere\"",
            "date = \"2026-03-10\"\ntitle = \"x\"\ncolour = \"red\"",
        ] {
            let message = with(body).expect_err(body).to_string();
            assert!(message.contains("annotations[0]"), "{message}");
        }
    }

    #[test]
    fn example_custom_tiers_parse() {
        // The commented-out [metrics.custom_tiers] of the example, switched on.
        let text: String = EXAMPLE
            .lines()
            .map(|line| {
                let on = line.strip_prefix("# ").filter(|rest| {
                    rest.starts_with("[metrics.custom_tiers]")
                        || [
                            "deployment_frequency",
                            "lead_time",
                            "change_failure_rate",
                            "time_to_restore",
                        ]
                        .iter()
                        .any(|k| rest.starts_with(&format!("{k} = [")))
                });
                match on {
                    Some(rest) => format!("{rest}\n"),
                    None if line == "tiers = \"2024\"" => "tiers = \"custom\"\n".to_string(),
                    None => format!("{line}\n"),
                }
            })
            .collect();
        let c = parse(&text).expect("example custom tiers");
        assert_eq!(c.metrics.tiers, "custom");
        assert_eq!(c.metrics.bands().name, "custom");
    }

    #[test]
    fn team_time_zone_is_inherited() {
        let text = r#"
[metrics]
time_zone = "America/New_York"
[[tribes]]
slug = "eu"
time_zone = "Europe/Warsaw"
[[tribes]]
slug = "us"
[[teams]]
slug = "a"
tribe = "eu"
repos = ["acme/a"]
[[teams]]
slug = "b"
tribe = "eu"
repos = ["acme/b"]
time_zone = "Asia/Tokyo"
[[teams]]
slug = "c"
tribe = "us"
repos = ["acme/c"]
[[teams]]
slug = "d"
repos = ["acme/d"]
"#;
        let c = parse(text).expect("valid");
        let zones: Vec<Tz> = c.teams.iter().map(|t| t.time_zone).collect();
        assert_eq!(
            zones,
            vec![
                Tz::Europe__Warsaw,
                Tz::Asia__Tokyo,
                Tz::America__New_York,
                Tz::America__New_York
            ]
        );
        assert_eq!(
            c.scope(Some("us")).expect("tribe").time_zone,
            Tz::America__New_York
        );
        assert_eq!(c.scope(None).expect("org").time_zone, Tz::America__New_York);
        assert_eq!(c.teams[0].name, "a", "name defaults to the slug");
        assert_eq!(c.tribes[1].name, "us");
    }

    #[test]
    fn team_with_no_repos() {
        let m = invalid(
            parse("[[teams]]\nslug = \"x\"\nname = \"X\""),
            "test.toml",
            "teams[0].repos",
        );
        assert!(m.contains("at least one"), "{m}");
        invalid(
            parse("[[teams]]\nslug = \"x\"\nrepos = []"),
            "test.toml",
            "teams[0].repos",
        );
    }

    #[test]
    fn duplicate_slugs() {
        let text = format!("{TEAM}{TEAM}");
        let m = invalid(parse(&text), "test.toml", "teams[1].slug");
        assert!(m.contains("duplicate team slug `loyalty`"), "{m}");
        let m = invalid(
            parse("[[tribes]]\nslug = \"t\"\n[[tribes]]\nslug = \"t\""),
            "test.toml",
            "tribes[1].slug",
        );
        assert!(m.contains("duplicate tribe slug"), "{m}");
        let m = invalid(
            parse(&format!("[[tribes]]\nslug = \"loyalty\"\n{TEAM}")),
            "test.toml",
            "teams[0].slug",
        );
        assert!(m.contains("tribes[0]"), "{m}");
    }

    #[test]
    fn unknown_tribe() {
        let text = "[[tribes]]\nslug = \"customer\"\n[[teams]]\nslug = \"a\"\n\
                    tribe = \"custmer\"\nrepos = [\"acme/a\"]";
        let m = invalid(parse(text), "test.toml", "teams[0].tribe");
        assert!(m.contains("`custmer`") && m.contains("`customer`"), "{m}");
    }

    #[test]
    fn paths_must_name_a_team_repo() {
        let text = format!("{TEAM}paths = {{ \"acme/mono\" = [\"services/loyalty/**\"] }}");
        let m = invalid(parse(&text), "test.toml", "teams[0].paths.acme/mono");
        assert!(m.contains("teams[0].repos"), "{m}");
        let bad_glob = "[[teams]]\nslug = \"a\"\nrepos = [\"acme/mono\"]\n\
                        paths = { \"acme/mono\" = [\"ok/**\", \"services/[loyalty\"] }";
        invalid(parse(bad_glob), "test.toml", "teams[0].paths.acme/mono[1]");
        let empty = "[[teams]]\nslug = \"a\"\nrepos = [\"acme/mono\"]\n\
                     paths = { \"acme/mono\" = [] }";
        invalid(parse(empty), "test.toml", "teams[0].paths.acme/mono");
    }

    #[test]
    fn pagerduty_services_map_to_a_team_or_an_owned_repository() {
        let text = "[[teams]]\nslug = \"shop\"\nrepos = [\"acme/shop\"]\n\
                    [pagerduty]\nservices = { PSHOP01 = \"shop\", PSHOP02 = \"acme/shop\" }";
        let c = parse(text).expect("valid mapping");
        assert_eq!(c.pagerduty.services["PSHOP01"], "shop");
        assert_eq!(c.pagerduty.services["PSHOP02"], "acme/shop");
        let unknown_team = text.replace("PSHOP01 = \"shop\"", "PSHOP01 = \"shp\"");
        let m = invalid(
            parse(&unknown_team),
            "test.toml",
            "pagerduty.services.PSHOP01",
        );
        assert!(m.contains("`shp`"), "{m}");
        let foreign_repo = text.replace("\"acme/shop\" }", "\"acme/other\" }");
        invalid(
            parse(&foreign_repo),
            "test.toml",
            "pagerduty.services.PSHOP02",
        );
        assert!(parse("").expect("defaults").pagerduty.services.is_empty());
    }

    #[test]
    fn cdevents_services_map_to_a_team_or_an_owned_repository() {
        let text = "[[teams]]\nslug = \"shop\"\nrepos = [\"acme/shop\"]\n\
                    [cdevents]\nservices = { \"service/shop\" = \"acme/shop\", pd = \"shop\" }";
        let c = parse(text).expect("valid mapping");
        assert_eq!(c.cdevents.services["service/shop"], "acme/shop");
        let foreign_repo = text.replace("= \"acme/shop\",", "= \"acme/other\",");
        let m = invalid(
            parse(&foreign_repo),
            "test.toml",
            "cdevents.services.service/shop",
        );
        assert!(m.contains("`acme/other`"), "{m}");
        assert!(parse("").expect("defaults").cdevents.services.is_empty());
    }

    #[test]
    fn workflow_runs_needs_a_workflow() {
        let m = invalid(
            parse("[deployments]\nsource = \"workflow_runs\""),
            "test.toml",
            "deployments.workflow",
        );
        assert!(m.contains("deploy.yml"), "{m}");
        let c = parse("[deployments]\nsource = \"workflow_runs\"\nworkflow = \"deploy.yml\"")
            .expect("valid");
        assert_eq!(c.deployments.source, DeploymentSourceKind::WorkflowRuns);
        let m = invalid(
            parse("[deployments]\nsource = \"jenkins\""),
            "test.toml",
            "deployments.source",
        );
        assert!(m.contains("workflow_runs"), "{m}");
    }

    #[test]
    fn custom_tiers_need_bands() {
        let m = invalid(
            parse("[metrics]\ntiers = \"custom\""),
            "test.toml",
            "metrics.custom_tiers",
        );
        assert!(m.contains("custom_tiers"), "{m}");
        invalid(
            parse("[metrics]\ntiers = \"2022\""),
            "test.toml",
            "metrics.tiers",
        );
        let c = parse("[metrics]\ntiers = 2021").expect("a bare year");
        assert_eq!(c.metrics.tiers, "2021");
        assert_eq!(c.metrics.bands().name, "2021");
    }

    #[test]
    fn custom_tiers_are_checked() {
        let bands = "[metrics]\ntiers = \"custom\"\n[metrics.custom_tiers]\n\
                     deployment_frequency = [7, 1, 0.25]\n\
                     lead_time = [\"1h\", \"1d\", \"1w\"]\n\
                     change_failure_rate = [0.05, 0.10, 0.20]\n\
                     time_to_restore = [\"30m\", \"4h\", \"2d\"]\n";
        let c = parse(bands).expect("valid custom bands");
        let custom = c.metrics.bands();
        assert_eq!(custom.name, "custom");
        assert_eq!(
            custom.lead_time(86_400.0),
            Tier::High,
            "a bound is inclusive"
        );
        assert_eq!(custom.lead_time(86_401.0), Tier::Medium);
        let published = parse(&bands.replace("\"custom\"", "\"2023\"")).expect("valid");
        assert_eq!(
            published.metrics.bands().name,
            "2023",
            "custom bands wait until chosen"
        );
        let m = invalid(
            parse(&bands.replace("[\"1h\", \"1d\", \"1w\"]", "[\"1h\", \"1d\"]")),
            "test.toml",
            "metrics.custom_tiers.lead_time",
        );
        assert!(m.contains("length 3"), "{m}");
        let m = invalid(
            parse(&bands.replace("\"4h\"", "\"4 hours\"")),
            "test.toml",
            "metrics.custom_tiers.time_to_restore",
        );
        assert!(m.contains("4 hours"), "{m}");
        invalid(
            parse(&bands.replace("[0.05, 0.10, 0.20]", "[0.30, 0.10, 0.20]")),
            "test.toml",
            "metrics.custom_tiers.change_failure_rate",
        );
        invalid(
            parse(&format!("{bands}rework_rate = [0.1, 0.2, 0.3]\n")),
            "test.toml",
            "metrics.custom_tiers.rework_rate",
        );
        // From the environment, as a TOML inline table.
        invalid(
            parse_env(
                "[metrics]\ntiers = \"custom\"",
                &[("DORABOARD_METRICS_CUSTOM_TIERS", "{ lead_time = [\"1h\"] }")],
            ),
            "environment variable DORABOARD_METRICS_CUSTOM_TIERS",
            "metrics.custom_tiers.lead_time",
        );
    }

    #[test]
    fn the_noise_filters_are_built_from_the_settings_once_read() {
        use crate::filters::Excluded;
        let c = parse_env(
            "[filters]\nexclude_paths = [\"docs/**\"]",
            &[("DORABOARD_FILTERS_EXCLUDE_TITLES", "^WIP")],
        )
        .expect("valid");
        let noise = c.filters.noise();
        let docs = ["docs/a.md".to_string()];
        assert_eq!(noise.excludes_parts(true, "fix", &[]), Some(Excluded::Bot));
        assert_eq!(
            noise.excludes_parts(false, "WIP: x", &[]),
            Some(Excluded::Title)
        );
        assert_eq!(
            noise.excludes_parts(false, "fix", &docs),
            Some(Excluded::Paths)
        );
        assert_eq!(noise.excludes_parts(false, "fix", &[]), None);
        let c = parse("[filters]\ninclude_bots = true").expect("valid");
        assert_eq!(c.filters.noise().excludes_parts(true, "fix", &[]), None);
        assert_eq!(
            Config::default()
                .filters
                .noise()
                .excludes_parts(false, "WIP: x", &docs),
            None
        );
    }

    #[test]
    fn the_benchmark_defaults_to_all_industries_of_2025_and_is_checked() {
        let c = parse("").expect("valid");
        assert_eq!(
            (c.metrics.benchmark.as_str(), c.metrics.benchmark_edition),
            ("industry:all", 2025)
        );
        let c =
            parse("[metrics]\nbenchmark = \"organization_size:fewer_than_1000\"").expect("valid");
        assert_eq!(c.metrics.benchmark, "organization_size:fewer_than_1000");
        let c = parse("[metrics]\nbenchmark = \"industry:consumer\"\nbenchmark_edition = 2024")
            .expect("valid");
        assert_eq!(c.metrics.benchmark_edition, 2024);

        let m = invalid(
            parse("[metrics]\nbenchmark = \"industry:mining\""),
            "test.toml",
            "metrics.benchmark",
        );
        assert!(m.contains("`industry:consumer`"), "{m}");
        // Solo workers were first asked about in 2025.
        invalid(
            parse("[metrics]\nbenchmark = \"organization_size:solo\"\nbenchmark_edition = 2024"),
            "test.toml",
            "metrics.benchmark",
        );
        invalid(
            parse("[metrics]\nbenchmark_edition = 2023"),
            "test.toml",
            "metrics.benchmark_edition",
        );
        invalid(
            parse_env("", &[("DORABOARD_METRICS_BENCHMARK", "consumer")]),
            "environment variable DORABOARD_METRICS_BENCHMARK",
            "metrics.benchmark",
        );
    }

    #[test]
    fn digest_keys_are_read_and_checked() {
        let c = parse(&format!(
            "{TEAM}[digest]\nperiod = \"month\"\nschedule = \"0 0 8 1 * *\"\nteam = \"loyalty\"\n\
             dashboard_url = \"https://dora.example.com/\"\nslack_webhook_env = \"SLACK_URL\"\n\
             smtp_url_env = \"SMTP_URL\"\nfrom = \"d <d@example.com>\"\nto = [\"cto@example.com\"]\n\
             attempts = 5\nbackoff = \"10s\""
        ))
        .expect("valid digest");
        let d = &c.digest;
        assert_eq!(d.period, DigestPeriod::Month);
        assert_eq!(d.team.as_deref(), Some("loyalty"));
        assert_eq!(d.dashboard_url.as_deref(), Some("https://dora.example.com"));
        assert_eq!((d.attempts, d.backoff), (5, Duration::seconds(10)));
        assert_eq!(
            d.schedule.as_ref().map(CronExpr::as_str),
            Some("0 0 8 1 * *")
        );
        assert!(Config::default().digest_schedule().is_none());

        let m = invalid(
            parse("[digest]\nschedule = \"0 8 * * 1\""),
            "test.toml",
            "digest.schedule",
        );
        assert!(m.contains("seconds field first"), "{m}");
        invalid(
            parse("[digest]\nsmtp_url_env = \"SMTP_URL\"\nfrom = \"d@example.com\""),
            "test.toml",
            "digest.to",
        );
        invalid(
            parse("[digest]\nsmtp_url_env = \"SMTP_URL\"\nto = [\"a@example.com\"]"),
            "test.toml",
            "digest.from",
        );
        invalid(
            parse("[digest]\nslack_webhook_env = \"https://hooks.slack.com/x\""),
            "test.toml",
            "digest.slack_webhook_env",
        );
        invalid(
            parse("[digest]\nteam = \"nobody\""),
            "test.toml",
            "digest.team",
        );
        invalid(
            parse("[digest]\nattempts = 0"),
            "test.toml",
            "digest.attempts",
        );
        invalid(
            parse("[digest]\nperiod = \"day\""),
            "test.toml",
            "digest.period",
        );
        // The variables holding the secrets are never taken for overrides.
        let c = parse_env(
            "[digest]\nslack_webhook_env = \"DORABOARD_DIGEST_SLACK\"",
            &[
                ("DORABOARD_DIGEST_SLACK", "https://hooks.example.com/secret"),
                ("DORABOARD_DIGEST_TO", "a@example.com"),
            ],
        )
        .expect("overrides");
        assert_eq!(c.digest.to, vec!["a@example.com".to_string()]);
    }
}
