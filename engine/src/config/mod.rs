//! Typed, validated configuration: `doraboard.toml`, with every scalar key overridable from the
//! environment (`DORABOARD_DATABASE_URL`, `DORABOARD_<SECTION>_<KEY>`).
//!
//! Loading goes file -> [`toml::Table`] -> environment overrides applied to that table ->
//! deserialization (tracking the key path) -> cross-field validation, so a value from the file
//! and the same value from the environment go through one validation path. Every error names
//! where the value came from (the file, or `environment variable DORABOARD_X`), the key
//! (`teams[1].time_zone`) and what was expected.
//!
//! Secrets never live in [`Config`]: it only holds the *names* of the environment variables that
//! carry them ([`GithubConfig::token_env`], ...); read them with [`Config::github_token`] and
//! friends, which hand back a [`Secret`] whose `Debug` does not print it.
//!
//! One job per file: this one loads and answers lookups; `types` holds the sections and their
//! defaults, `de` the field deserializers (one value each), `patterns` the compiled forms of
//! pattern lists, `cron_expr` the parsed cron expressions, `environment` the overrides and the
//! origin of each key, `validate` the cross-field checks and the tier table resolved once
//! ([`MetricsConfig::bands`]), `secret` the secrets read from the environment. What a query
//! covers, [`Scope`], is built from the teams in [`crate::scope`].

mod cron_expr;
mod de;
mod environment;
mod patterns;
mod secret;
#[cfg(test)]
pub(crate) mod testing;
mod types;
mod validate;

pub use crate::scope::{Scope, ScopeKind};
pub use cron_expr::CronExpr;
pub use patterns::{Globs, Regexes};
pub use secret::{GithubAuth, Secret, secret_from_env};
pub use types::{
    ApiConfig, CdEventsConfig, CollectorConfig, DatabaseUrl, DeploymentSourceKind,
    DeploymentsConfig, DigestConfig, DigestPeriod, FiltersConfig, GithubConfig, IncidentsConfig,
    MAX_CONCURRENCY, MAX_DIGEST_ATTEMPTS, MAX_PENDING_DELIVERIES, MetricsConfig, PagerDutyConfig,
    TIER_TABLES, Targets, TeamConfig, TribeConfig, WebhooksConfig,
};

use crate::model::RepoSlug;
use environment::{Origins, apply_env, join_key};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use validate::RawConfig;

/// The file [`Config::load`] reads when no path is given (in the working directory).
pub const DEFAULT_CONFIG_FILE: &str = "doraboard.toml";

/// Prefix of the environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "DORABOARD_";

/// The whole configuration, validated. `Config::default()` is a valid, empty organisation.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://...` or `postgres://...`.
    pub database_url: DatabaseUrl,
    pub github: GithubConfig,
    pub collector: CollectorConfig,
    pub deployments: DeploymentsConfig,
    pub incidents: IncidentsConfig,
    pub webhooks: WebhooksConfig,
    pub api: ApiConfig,
    pub pagerduty: PagerDutyConfig,
    pub cdevents: CdEventsConfig,
    pub metrics: MetricsConfig,
    pub filters: FiltersConfig,
    pub digest: DigestConfig,
    pub tribes: Vec<TribeConfig>,
    pub teams: Vec<TeamConfig>,
    /// `[[annotations]]`, validated like stored ones; read-only ([`crate::annotations`]).
    pub annotations: Vec<crate::annotations::Annotation>,
    /// The instant a period reaching into the future is measured up to. `None` reads the system
    /// clock; the demo pins it to the end of its data, so every command shows the same figures.
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
}

impl Config {
    /// Now, by [`Config::clock`].
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.unwrap_or_else(chrono::Utc::now)
    }
}

/// Why the configuration could not be loaded, or a lookup in it failed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    // The io error is the source: the error chain prints it once.
    #[error("cannot read configuration file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{origin}: invalid TOML: {message}")]
    Syntax { origin: String, message: String },
    /// A key has a wrong value. `origin` is the file or `environment variable DORABOARD_X`.
    #[error("{origin}: {key}: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
    /// A secret the operation needs is not in the environment.
    #[error("{purpose}: set {var}")]
    MissingSecret { var: String, purpose: String },
    /// No team or tribe has this slug.
    #[error("unknown team or tribe `{slug}`: {}", known_list(.known))]
    UnknownScope { slug: String, known: Vec<String> },
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "no teams or tribes are configured".to_string()
    } else {
        let quoted: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
        format!("expected one of {}", quoted.join(", "))
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: DatabaseUrl("sqlite://doraboard.db".to_string()),
            github: GithubConfig::default(),
            collector: CollectorConfig::default(),
            deployments: DeploymentsConfig::default(),
            incidents: IncidentsConfig::default(),
            webhooks: WebhooksConfig::default(),
            api: ApiConfig::default(),
            pagerduty: PagerDutyConfig::default(),
            cdevents: CdEventsConfig::default(),
            metrics: MetricsConfig::default(),
            filters: FiltersConfig::default(),
            digest: DigestConfig::default(),
            tribes: Vec::new(),
            teams: Vec::new(),
            annotations: Vec::new(),
            clock: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Loading

impl Config {
    /// Loads `path` (which must exist), or `./doraboard.toml` when `None` (built-in defaults if
    /// there is no such file), then applies the `DORABOARD_*` variables of the process
    /// environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut vars = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str() else { continue };
            if !name.starts_with(ENV_PREFIX) {
                continue;
            }
            // Only overrides are ever read; a non-UTF-8 one fails validation visibly.
            vars.push((name.to_string(), value.to_string_lossy().into_owned()));
        }
        Config::load_with_env(path, vars)
    }

    /// [`Config::load`] with the environment given as `(name, value)` pairs, so tests need not
    /// touch the process environment. Pairs not starting with `DORABOARD_` are ignored.
    pub fn load_with_env<I>(path: Option<&Path>, vars: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let (origin, text) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?;
                (p.display().to_string(), text)
            }
            None => match std::fs::read_to_string(DEFAULT_CONFIG_FILE) {
                Ok(text) => (DEFAULT_CONFIG_FILE.to_string(), text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    ("built-in defaults".to_string(), String::new())
                }
                Err(source) => {
                    return Err(ConfigError::Read {
                        path: DEFAULT_CONFIG_FILE.to_string(),
                        source,
                    });
                }
            },
        };
        Config::from_toml_str_with_env(&text, &origin, vars)
    }

    /// Parses and validates configuration text, without environment overrides. `origin` names the
    /// text in error messages (a file name, `demo configuration`, ...).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        Config::from_toml_str_with_env(text, origin, std::iter::empty())
    }

    /// Parses configuration text, applies the `DORABOARD_*` overrides among `vars`, validates.
    pub fn from_toml_str_with_env<I>(
        text: &str,
        origin: &str,
        vars: I,
    ) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    origin: origin.to_string(),
                    message: e.to_string().trim_end().to_string(),
                })?;
        let mut origins = Origins {
            file: origin.to_string(),
            env: BTreeMap::new(),
        };
        apply_env(&mut table, vars, &mut origins)?;
        let raw: RawConfig = serde_path_to_error::deserialize(table).map_err(|e| {
            let mut key = e.path().to_string();
            if key == "." {
                key.clear();
            }
            let message = e.inner().message().to_string();
            // Make sure the key of an unknown field names the field itself.
            if let Some(field) = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                && key.rsplit('.').next() != Some(field)
            {
                key = join_key(&key, field);
            }
            if key.is_empty() {
                key = "(top level)".to_string();
            }
            origins.invalid(&[&key], &key, message)
        })?;
        raw.validate(&origins)
    }

    /// The digest's schedule; `None` when `digest.schedule` is not set.
    pub fn digest_schedule(&self) -> Option<&cron::Schedule> {
        self.digest.schedule.as_ref().map(CronExpr::schedule)
    }

    /// The collector's schedule.
    pub fn cron_schedule(&self) -> &cron::Schedule {
        self.collector.schedule.schedule()
    }

    pub fn team(&self, slug: &str) -> Option<&TeamConfig> {
        self.teams.iter().find(|t| t.slug == slug)
    }

    pub fn tribe(&self, slug: &str) -> Option<&TribeConfig> {
        self.tribes.iter().find(|t| t.slug == slug)
    }

    /// Every configured repository, deduplicated and sorted.
    pub fn repos(&self) -> Vec<RepoSlug> {
        let set: BTreeSet<&RepoSlug> = self.teams.iter().flat_map(|t| &t.repos).collect();
        set.into_iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use chrono::{Duration, NaiveDate};
    use chrono_tz::Tz;

    #[test]
    fn example_file_parses() {
        let c = parse(EXAMPLE).expect("doraboard.example.toml is valid");
        assert_eq!(c.database_url, "sqlite://doraboard.db");
        assert!(!c.tribes.is_empty());
        assert!(c.teams.len() >= 2);
        assert!(c.teams.iter().any(|t| !t.paths.is_empty()));
        assert_eq!(c.incidents.attribution_window, Duration::days(7));
        assert_eq!(c.annotations.len(), 2, "the example's [[annotations]]");
    }

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let c = Config::default();
        assert_eq!(c.github.api_url, "https://api.github.com");
        assert_eq!(c.github.token_env, "GITHUB_TOKEN");
        assert_eq!(c.collector.schedule, "0 */15 * * * *");
        assert_eq!(
            c.collector.since,
            NaiveDate::from_ymd_opt(2025, 1, 1).expect("date")
        );
        assert_eq!(c.collector.repo_concurrency, 4);
        assert_eq!(c.collector.pr_concurrency, 4);
        assert_eq!(c.collector.max_in_flight, 4);
        assert_eq!(c.deployments.source, DeploymentSourceKind::Deployments);
        assert_eq!(c.deployments.environment, "production");
        assert_eq!(c.incidents.label, "incident");
        assert_eq!(c.incidents.attribution_window, Duration::days(7));
        assert_eq!(c.webhooks.github_secret_env, "GITHUB_WEBHOOK_SECRET");
        assert_eq!(c.webhooks.pagerduty_secret_env, "PAGERDUTY_WEBHOOK_SECRET");
        assert_eq!(c.api.ingest_token_env, "DORABOARD_INGEST_TOKEN");
        assert_eq!(c.metrics.tiers, "2024");
        assert_eq!(c.metrics.time_zone, Tz::UTC);
        assert_eq!(c.metrics.small_sample, 10);
        assert!(!c.filters.include_bots);
        // An empty file is the defaults.
        let empty = parse("").expect("empty file");
        assert_eq!(empty.database_url, c.database_url);
        assert_eq!(empty.github, c.github);
        assert_eq!(empty.collector, c.collector);
        assert_eq!(empty.deployments, c.deployments);
        assert_eq!(empty.incidents, c.incidents);
        assert_eq!(empty.metrics, c.metrics);
        assert_eq!(empty.filters, c.filters);
        assert_eq!(c.scope(None).expect("org").repos, vec![]);
    }

    #[test]
    fn syntax_error_names_the_file() {
        let e = parse("database_url = ").expect_err("bad TOML");
        assert!(matches!(e, ConfigError::Syntax { .. }));
        assert!(e.to_string().starts_with("test.toml: invalid TOML"), "{e}");
    }

    #[test]
    fn unknown_keys_are_named() {
        let m = invalid(
            parse("[collector]\nschedulle = \"0 * * * * *\""),
            "test.toml",
            "collector.schedulle",
        );
        assert!(
            m.contains("expected one of `schedule`, `since`, `repo_concurrency`"),
            "{m}"
        );
        let m = invalid(
            parse("[deployments]\nenv = \"x\""),
            "test.toml",
            "deployments.env",
        );
        assert!(m.contains("expected one of"), "{m}");
        invalid(parse("databse_url = \"x\""), "test.toml", "databse_url");
        invalid(
            parse(&format!("{TEAM}targets = {{ lead_tme = \"1d\" }}")),
            "test.toml",
            "teams[0].targets.lead_tme",
        );
    }

    #[test]
    fn load_from_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("dora.toml");
        std::fs::write(&path, "[metrics]\ntime_zone = \"Mars/Olympus\"\n").expect("write");
        let e = Config::load_with_env(Some(&path), Vec::new()).expect_err("bad zone");
        let m = e.to_string();
        assert!(
            m.contains(&path.display().to_string()) && m.contains("metrics.time_zone"),
            "{m}"
        );
        let missing = dir.path().join("missing.toml");
        let e = Config::load_with_env(Some(&missing), Vec::new()).expect_err("missing");
        assert!(matches!(e, ConfigError::Read { .. }), "{e}");
        assert!(e.to_string().contains("missing.toml"), "{e}");
        std::fs::write(&path, EXAMPLE).expect("write");
        let c = Config::load_with_env(
            Some(&path),
            vec![("DORABOARD_METRICS_TIERS".to_string(), "2021".to_string())],
        )
        .expect("example");
        assert_eq!(c.metrics.tiers, "2021");
    }
}
