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

use crate::model::RepoSlug;
use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The file [`Config::load`] reads when no path is given (in the working directory).
pub const DEFAULT_CONFIG_FILE: &str = "doraboard.toml";

/// Prefix of the environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "DORABOARD_";

/// Author patterns (regular expressions) always treated as bots, before `filters.bot_authors`.
pub const BUILTIN_BOT_PATTERNS: &[&str] = &crate::filters::BUILT_IN_BOT_PATTERNS;

/// The tier tables `metrics.tiers` accepts.
pub const TIER_TABLES: &[&str] = &["2024", "2023", "2021", "custom"];

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

/// `[github]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GithubConfig {
    /// REST API base URL, without a trailing slash. GitHub Enterprise: `https://HOST/api/v3`.
    #[serde(deserialize_with = "de_http_url")]
    pub api_url: String,
    /// Name of the environment variable holding the token.
    #[serde(deserialize_with = "de_env_name")]
    pub token_env: String,
    /// A GitHub App instead of a token: the app's id (its settings page shows it)...
    pub app_id: Option<u64>,
    /// ...the installation on the organisation (the number ending the installation's URL)...
    pub installation_id: Option<u64>,
    /// ...and its private key (PEM), from the environment variable this names...
    #[serde(deserialize_with = "de_opt_env_name")]
    pub private_key_env: Option<String>,
    /// ...or from this file.
    pub private_key_file: Option<std::path::PathBuf>,
}

/// How the collector authenticates to GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GithubAuth {
    /// A personal or fine-grained token, sent as is.
    Token(Secret),
    /// A GitHub App installation: a JWT signed with the app's key buys installation tokens.
    App {
        app_id: u64,
        installation_id: u64,
        /// The PEM text of the app's private key.
        private_key: Secret,
        /// Where the key came from, to name it in errors (`github.private_key_env (VAR)`).
        key_origin: String,
    },
}

/// `[collector]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CollectorConfig {
    /// Cron expression of the built-in schedule, seconds field first (6 or 7 fields); validated.
    #[serde(deserialize_with = "de_cron")]
    pub schedule: String,
    /// How far back the history of a repository reaches (moved earlier, the next sync fetches
    /// the older part).
    #[serde(deserialize_with = "de_date")]
    pub since: NaiveDate,
    /// Repositories synced at once.
    #[serde(deserialize_with = "de_concurrency")]
    pub repo_concurrency: usize,
    /// Pull requests of one repository whose commits and reviews are fetched at once.
    #[serde(deserialize_with = "de_concurrency")]
    pub pr_concurrency: usize,
    /// Requests to GitHub in flight at once, over every repository: the real cap on load, as
    /// GitHub asks integrations to keep concurrency low (secondary rate limits).
    #[serde(deserialize_with = "de_concurrency")]
    pub max_in_flight: usize,
}

/// The highest value `collector.repo_concurrency`, `pr_concurrency` and `max_in_flight` accept:
/// far above what GitHub's secondary rate limits tolerate, so a typo (`400`) is caught.
pub const MAX_CONCURRENCY: usize = 64;

/// Where deployments come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentSourceKind {
    /// GitHub Deployments and their statuses.
    #[default]
    Deployments,
    /// Runs of one GitHub Actions workflow (`deployments.workflow`).
    WorkflowRuns,
    /// Published GitHub releases.
    Releases,
}

impl DeploymentSourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentSourceKind::Deployments => "deployments",
            DeploymentSourceKind::WorkflowRuns => "workflow_runs",
            DeploymentSourceKind::Releases => "releases",
        }
    }
}

impl fmt::Display for DeploymentSourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[deployments]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeploymentsConfig {
    pub source: DeploymentSourceKind,
    /// Workflow file name (`deploy.yml`) or id; required when `source = "workflow_runs"`.
    #[serde(deserialize_with = "de_opt_non_empty")]
    pub workflow: Option<String>,
    /// The production environment's name.
    #[serde(deserialize_with = "de_non_empty")]
    pub environment: String,
}

/// `[incidents]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentsConfig {
    /// GitHub issues carrying this label are incidents.
    #[serde(deserialize_with = "de_non_empty")]
    pub label: String,
    /// How long after a deployment an incident is still blamed on it.
    #[serde(deserialize_with = "de_duration")]
    pub attribution_window: Duration,
}

/// `[webhooks]`: names of the environment variables holding the HMAC secrets.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    #[serde(deserialize_with = "de_env_name")]
    pub github_secret_env: String,
    #[serde(deserialize_with = "de_env_name")]
    pub pagerduty_secret_env: String,
}

/// `[api]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Name of the environment variable holding the bearer token of `POST /api/v1/events`.
    #[serde(deserialize_with = "de_env_name")]
    pub ingest_token_env: String,
    /// Name of the environment variable holding the tokens that may read (dashboard, API,
    /// charts, report, exports, `/metrics`). Unset: the read side is open to anyone who reaches
    /// it (behind an SSO proxy, say).
    #[serde(deserialize_with = "de_opt_env_name")]
    pub read_token_env: Option<String>,
    /// Answers computed at once; a request beyond them is refused at once (503 with
    /// `Retry-After`) rather than queued, so a burst never piles up work and memory.
    #[serde(deserialize_with = "de_concurrency")]
    pub max_concurrent_answers: usize,
    /// How long an answer may take to compute before it is abandoned with a 503.
    #[serde(deserialize_with = "de_duration")]
    pub answer_timeout: Duration,
    /// Ingestion deliveries (events requests, webhooks) in flight at once: being received,
    /// queued or written. Beyond, a delivery is refused at once (503 with `Retry-After`), so a
    /// flood holds at most this many bodies in memory.
    #[serde(deserialize_with = "de_pending_deliveries")]
    pub max_pending_deliveries: usize,
}

/// `[pagerduty]`: where the incidents of each PagerDuty service belong.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagerDutyConfig {
    /// PagerDuty service id (`PXXXXXX`) -> a team slug, or the `owner/name` of a configured
    /// repository (its incidents are then attributed to that repository's deployments).
    pub services: BTreeMap<String, String>,
}

/// `[cdevents]`: where the CDEvents of each service, incident source or pipeline belong.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CdEventsConfig {
    /// A CDEvent's subject id or source (a service, an incident's service, a repository) -> the
    /// `owner/name` of a configured repository, or a team slug (incidents only).
    pub services: BTreeMap<String, String>,
}

/// `[metrics]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Which published tier table rates the figures: `2024`, `2023`, `2021` or `custom`.
    #[serde(deserialize_with = "de_tiers")]
    pub tiers: String,
    /// The bands used when `tiers = "custom"`, in the shape of [`crate::tiers::CustomBands`]
    /// (checked at load time; [`MetricsConfig::custom_bands`] converts).
    pub custom_tiers: Option<toml::Table>,
    /// The organisation's time zone: buckets organisation-wide figures, and is the default of
    /// tribes and teams that set none.
    #[serde(deserialize_with = "de_tz")]
    pub time_zone: Tz,
    /// Figures computed from fewer samples than this are flagged as a small sample (and not
    /// given a benchmark score).
    pub small_sample: usize,
    /// Which Quick Check benchmark the scores are compared with: `industry:KEY` or
    /// `organization_size:KEY` (checked against `benchmark_edition` at load time).
    pub benchmark: String,
    /// The edition of the Quick Check benchmarks: 2024 or 2025.
    pub benchmark_edition: u16,
}

impl MetricsConfig {
    /// `custom_tiers` as typed bands (validated at load time, so this fails only on a table
    /// changed since).
    pub fn custom_bands(&self) -> Result<Option<crate::tiers::CustomBands>, toml::de::Error> {
        self.custom_tiers
            .as_ref()
            .map(|t| crate::tiers::CustomBands::deserialize(t.clone()))
            .transpose()
    }
}

/// `[filters]`: noise removed before measuring.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FiltersConfig {
    /// Count changes by bots (`false`: drop them).
    pub include_bots: bool,
    /// Extra author patterns (regular expressions) treated as bots, beside [`BUILTIN_BOT_PATTERNS`].
    #[serde(deserialize_with = "de_regexes")]
    pub bot_authors: Vec<String>,
    /// Changes whose title matches one of these regular expressions are dropped.
    #[serde(deserialize_with = "de_regexes")]
    pub exclude_titles: Vec<String>,
    /// Changes touching only paths matching these globs are dropped.
    #[serde(deserialize_with = "de_globs")]
    pub exclude_paths: Vec<String>,
}

impl FiltersConfig {
    /// Every bot pattern in force: the built-in ones, then `bot_authors`.
    pub fn bot_patterns(&self) -> Vec<&str> {
        BUILTIN_BOT_PATTERNS
            .iter()
            .copied()
            .chain(self.bot_authors.iter().map(String::as_str))
            .collect()
    }
}

/// How long a digest looks back: the last full ISO week or calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestPeriod {
    #[default]
    Week,
    Month,
}

/// `[digest]`: the summary `doraboard digest` sends, and `serve` on its schedule. Like every
/// secret, the webhook URL and the SMTP URL stay in the environment: these keys name the
/// variables. Addresses and variables are checked where the channels are built
/// (`api::digest::channels`), which names the key of anything wrong.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DigestConfig {
    pub period: DigestPeriod,
    /// Cron expression (seconds field first) at which `serve` sends the digest of the last full
    /// period; unset: `serve` sends none.
    #[serde(deserialize_with = "de_opt_cron")]
    pub schedule: Option<String>,
    /// The team or tribe the scheduled digest is about; unset: the organisation.
    pub team: Option<String>,
    /// Where the dashboard is served; the digest links to its report.
    #[serde(deserialize_with = "de_opt_http_url")]
    pub dashboard_url: Option<String>,
    /// Name of the environment variable holding a Slack-compatible incoming webhook URL.
    #[serde(deserialize_with = "de_opt_env_name")]
    pub slack_webhook_env: Option<String>,
    /// Name of the environment variable holding the `smtp://` or `smtps://` URL (with
    /// credentials) of the mail server.
    #[serde(deserialize_with = "de_opt_env_name")]
    pub smtp_url_env: Option<String>,
    /// The sender of the email (`doraboard <doraboard@example.com>`).
    pub from: Option<String>,
    /// The recipients of the email.
    pub to: Vec<String>,
    /// Tries per channel before it counts as failed.
    #[serde(deserialize_with = "de_attempts")]
    pub attempts: u32,
    /// The wait before the second try; each further wait doubles.
    #[serde(deserialize_with = "de_duration")]
    pub backoff: Duration,
}

/// The highest `digest.attempts`: beyond, a dead channel would hold a scheduled run for hours.
pub const MAX_DIGEST_ATTEMPTS: u32 = 10;

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            period: DigestPeriod::Week,
            schedule: None,
            team: None,
            dashboard_url: None,
            slack_webhook_env: None,
            smtp_url_env: None,
            from: None,
            to: Vec::new(),
            attempts: 3,
            backoff: Duration::seconds(2),
        }
    }
}

/// `[[tribes]]`: a group of teams; metrics roll up.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TribeConfig {
    #[serde(deserialize_with = "de_slug")]
    pub slug: String,
    /// Display name; defaults to the slug.
    #[serde(default)]
    pub name: String,
    /// Defaults to `metrics.time_zone`.
    #[serde(default, deserialize_with = "de_opt_tz")]
    pub time_zone: Option<Tz>,
}

/// `[[teams]]`
#[derive(Debug, Clone, PartialEq)]
pub struct TeamConfig {
    pub slug: String,
    /// Display name; defaults to the slug.
    pub name: String,
    /// Slug of the tribe the team belongs to.
    pub tribe: Option<String>,
    /// Repositories the team owns (non-empty).
    pub repos: Vec<RepoSlug>,
    /// Monorepos the team owns only part of: repo -> globs. Every key is also in `repos`.
    pub paths: BTreeMap<RepoSlug, Vec<String>>,
    /// The team's own zone if set, else its tribe's, else `metrics.time_zone` (UTC by default).
    pub time_zone: Tz,
    pub targets: Targets,
}

/// KPI goals of a team. Durations are written `"30m"`, `"12h"`, `"1d"`, `"2w"` in TOML.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Targets {
    /// Deployments per week.
    #[serde(deserialize_with = "de_opt_positive")]
    pub deployment_frequency: Option<f64>,
    #[serde(deserialize_with = "de_opt_duration")]
    pub lead_time: Option<Duration>,
    /// 0..=1
    #[serde(deserialize_with = "de_opt_rate")]
    pub change_failure_rate: Option<f64>,
    #[serde(deserialize_with = "de_opt_duration")]
    pub time_to_restore: Option<Duration>,
    /// 0..=1
    #[serde(deserialize_with = "de_opt_rate")]
    pub rework_rate: Option<f64>,
}

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

/// A secret read from the environment. `Debug` prints `Secret(***)`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret itself: pass it on, never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Reads the secret held by the environment variable `var`; unset or empty is `None`.
pub fn secret_from_env(var: &str) -> Option<Secret> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret)
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

impl Default for GithubConfig {
    fn default() -> Self {
        GithubConfig {
            api_url: "https://api.github.com".to_string(),
            token_env: "GITHUB_TOKEN".to_string(),
            app_id: None,
            installation_id: None,
            private_key_env: None,
            private_key_file: None,
        }
    }
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            schedule: "0 */15 * * * *".to_string(),
            since: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            repo_concurrency: 4,
            pr_concurrency: 4,
            max_in_flight: 4,
        }
    }
}

impl Default for DeploymentsConfig {
    fn default() -> Self {
        DeploymentsConfig {
            source: DeploymentSourceKind::Deployments,
            workflow: None,
            environment: "production".to_string(),
        }
    }
}

impl Default for IncidentsConfig {
    fn default() -> Self {
        IncidentsConfig {
            label: "incident".to_string(),
            attribution_window: Duration::days(7),
        }
    }
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            github_secret_env: "GITHUB_WEBHOOK_SECRET".to_string(),
            pagerduty_secret_env: "PAGERDUTY_WEBHOOK_SECRET".to_string(),
        }
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            ingest_token_env: "DORABOARD_INGEST_TOKEN".to_string(),
            read_token_env: None,
            max_concurrent_answers: 16,
            answer_timeout: Duration::seconds(30),
            max_pending_deliveries: 32,
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            tiers: "2024".to_string(),
            custom_tiers: None,
            time_zone: Tz::UTC,
            small_sample: 10,
            benchmark: crate::score::benchmarks::DEFAULT_BENCHMARK.to_string(),
            benchmark_edition: crate::score::benchmarks::EDITIONS[1],
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

    /// How to authenticate to GitHub: the app when `github.app_id` is set (its key read from
    /// the environment or its file), else the token from `github.token_env`.
    pub fn github_auth(&self) -> Result<GithubAuth, ConfigError> {
        self.github_auth_from(|var| std::env::var(var).ok())
    }

    /// [`Config::github_auth`] with an explicit environment lookup.
    pub fn github_auth_from(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<GithubAuth, ConfigError> {
        let github = &self.github;
        let (Some(app_id), Some(installation_id)) = (github.app_id, github.installation_id) else {
            return self.github_token_from(lookup).map(GithubAuth::Token);
        };
        let (private_key, key_origin) = match (&github.private_key_env, &github.private_key_file) {
            (Some(var), _) => match lookup(var) {
                Some(pem) if !pem.trim().is_empty() => {
                    (Secret(pem), format!("github.private_key_env ({var})"))
                }
                _ => {
                    return Err(ConfigError::MissingSecret {
                        var: var.clone(),
                        purpose: "the GitHub App needs its private key (github.private_key_env)"
                            .to_string(),
                    });
                }
            },
            (None, Some(path)) => {
                let pem = std::fs::read_to_string(path).map_err(|e| ConfigError::Invalid {
                    origin: "github.private_key_file".to_string(),
                    key: "github.private_key_file".to_string(),
                    message: format!("cannot read {}: {e}", path.display()),
                })?;
                (
                    Secret(pem),
                    format!("github.private_key_file ({})", path.display()),
                )
            }
            // Refused when the configuration was loaded.
            (None, None) => {
                return Err(ConfigError::Invalid {
                    origin: "configuration".to_string(),
                    key: "github.private_key_env".to_string(),
                    message: "a GitHub App needs its private key".to_string(),
                });
            }
        };
        Ok(GithubAuth::App {
            app_id,
            installation_id,
            private_key,
            key_origin,
        })
    }

    /// Reads the GitHub token from the environment variable named by `github.token_env`.
    pub fn github_token(&self) -> Result<Secret, ConfigError> {
        self.github_token_from(|var| std::env::var(var).ok())
    }

    /// [`Config::github_token`] with an explicit environment lookup.
    pub fn github_token_from(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Secret, ConfigError> {
        let var = &self.github.token_env;
        match lookup(var) {
            Some(v) if !v.is_empty() => Ok(Secret(v)),
            _ => Err(ConfigError::MissingSecret {
                var: var.clone(),
                purpose: "collect needs a GitHub token".to_string(),
            }),
        }
    }

    /// The GitHub webhook HMAC secret (`webhooks.github_secret_env`), if set.
    pub fn github_webhook_secret(&self) -> Option<Secret> {
        secret_from_env(&self.webhooks.github_secret_env)
    }

    /// The PagerDuty webhook secret (`webhooks.pagerduty_secret_env`), if set.
    pub fn pagerduty_webhook_secret(&self) -> Option<Secret> {
        secret_from_env(&self.webhooks.pagerduty_secret_env)
    }

    /// The bearer token of `POST /api/v1/events` (`api.ingest_token_env`), if set.
    pub fn ingest_token(&self) -> Option<Secret> {
        secret_from_env(&self.api.ingest_token_env)
    }

    /// The tokens that may read (`api.read_token_env`): `None` when the key is not set (the read
    /// side is open); an error when it names a variable that is unset or empty, since serving
    /// open what the operator meant to protect would be worse than not starting.
    pub fn read_token(&self) -> Result<Option<Secret>, ConfigError> {
        self.read_token_from(|var| std::env::var(var).ok())
    }

    /// [`Config::read_token`] with an explicit environment lookup.
    pub fn read_token_from(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Secret>, ConfigError> {
        let Some(var) = &self.api.read_token_env else {
            return Ok(None);
        };
        match lookup(var) {
            Some(v) if !v.trim().is_empty() => Ok(Some(Secret(v))),
            found => Err(ConfigError::MissingSecret {
                var: var.clone(),
                purpose: format!(
                    "api.read_token_env names {var}, which is {} (the read side would be open)",
                    if found.is_some() { "empty" } else { "unset" }
                ),
            }),
        }
    }

    /// The digest's schedule, parsed; `None` when `digest.schedule` is not set.
    pub fn digest_schedule(&self) -> Result<Option<cron::Schedule>, ConfigError> {
        self.digest
            .schedule
            .as_deref()
            .map(|expr| {
                check_cron(expr).map_err(|message| ConfigError::Invalid {
                    origin: "configuration".to_string(),
                    key: "digest.schedule".to_string(),
                    message,
                })
            })
            .transpose()
    }

    /// The collector's schedule, parsed.
    pub fn cron_schedule(&self) -> Result<cron::Schedule, ConfigError> {
        check_cron(&self.collector.schedule).map_err(|message| ConfigError::Invalid {
            origin: "configuration".to_string(),
            key: "collector.schedule".to_string(),
            message,
        })
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

// ---------------------------------------------------------------------------------------------
// Environment overrides

/// Where each value came from: the file, unless an environment variable set the key.
struct Origins {
    file: String,
    /// key path (`collector.schedule`) -> variable name.
    env: BTreeMap<String, String>,
}

impl Origins {
    /// The origin of the first of `keys` set from the environment, else the file.
    fn of(&self, keys: &[&str]) -> String {
        for key in keys {
            for (set, var) in &self.env {
                let covers = key == set
                    || key
                        .strip_prefix(set.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['));
                if covers {
                    return format!("environment variable {var}");
                }
            }
        }
        self.file.clone()
    }

    fn invalid(&self, keys: &[&str], key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            origin: self.of(keys),
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// How an environment value becomes a TOML value.
#[derive(Clone, Copy)]
enum EnvKind {
    /// Always the raw string (`DORABOARD_METRICS_TIERS=2023` is the string "2023").
    Text,
    /// A TOML value if the text parses as one (numbers, booleans, arrays, inline tables), else
    /// the raw string.
    Value,
    /// A TOML array if the text parses as one, else a one-element array of the raw string.
    List,
}

/// Sections whose scalar keys the environment overrides, and how each key's value is read.
/// Variables naming a key not listed here are ignored (with a warning).
const ENV_SECTIONS: &[(&str, &[(&str, EnvKind)])] = &[
    (
        "github",
        &[
            ("api_url", EnvKind::Text),
            ("token_env", EnvKind::Text),
            ("app_id", EnvKind::Value),
            ("installation_id", EnvKind::Value),
            ("private_key_env", EnvKind::Text),
            ("private_key_file", EnvKind::Text),
        ],
    ),
    (
        "collector",
        &[
            ("schedule", EnvKind::Text),
            ("since", EnvKind::Text),
            ("repo_concurrency", EnvKind::Value),
            ("pr_concurrency", EnvKind::Value),
            ("max_in_flight", EnvKind::Value),
        ],
    ),
    (
        "deployments",
        &[
            ("source", EnvKind::Text),
            ("workflow", EnvKind::Text),
            ("environment", EnvKind::Text),
        ],
    ),
    (
        "incidents",
        &[
            ("label", EnvKind::Text),
            ("attribution_window", EnvKind::Text),
        ],
    ),
    (
        "webhooks",
        &[
            ("github_secret_env", EnvKind::Text),
            ("pagerduty_secret_env", EnvKind::Text),
        ],
    ),
    (
        "api",
        &[
            ("ingest_token_env", EnvKind::Text),
            ("read_token_env", EnvKind::Text),
            ("max_concurrent_answers", EnvKind::Value),
            ("answer_timeout", EnvKind::Text),
            ("max_pending_deliveries", EnvKind::Value),
        ],
    ),
    (
        "metrics",
        &[
            ("tiers", EnvKind::Text),
            ("custom_tiers", EnvKind::Value),
            ("time_zone", EnvKind::Text),
            ("small_sample", EnvKind::Value),
            ("benchmark", EnvKind::Text),
            ("benchmark_edition", EnvKind::Value),
        ],
    ),
    (
        "filters",
        &[
            ("include_bots", EnvKind::Value),
            ("bot_authors", EnvKind::List),
            ("exclude_titles", EnvKind::List),
            ("exclude_paths", EnvKind::List),
        ],
    ),
    (
        "digest",
        &[
            ("period", EnvKind::Text),
            ("schedule", EnvKind::Text),
            ("team", EnvKind::Text),
            ("dashboard_url", EnvKind::Text),
            ("slack_webhook_env", EnvKind::Text),
            ("smtp_url_env", EnvKind::Text),
            ("from", EnvKind::Text),
            ("to", EnvKind::List),
            ("attempts", EnvKind::Value),
            ("backoff", EnvKind::Text),
        ],
    ),
];

/// The keys naming secret-holding variables, with their defaults (if any): those variables are
/// secrets, never overrides, even when their names start with `DORABOARD_`.
const SECRET_NAME_KEYS: &[(&str, &str, Option<&str>)] = &[
    ("github", "token_env", Some("GITHUB_TOKEN")),
    ("github", "private_key_env", None),
    (
        "webhooks",
        "github_secret_env",
        Some("GITHUB_WEBHOOK_SECRET"),
    ),
    (
        "webhooks",
        "pagerduty_secret_env",
        Some("PAGERDUTY_WEBHOOK_SECRET"),
    ),
    ("api", "ingest_token_env", Some("DORABOARD_INGEST_TOKEN")),
    ("api", "read_token_env", None),
    ("digest", "slack_webhook_env", None),
    ("digest", "smtp_url_env", None),
];

/// Splits `DORABOARD_<SECTION>_<KEY>` into (section, key, kind); `None` if it names no section,
/// a `None` kind if the section has no such key.
fn env_target(var: &str) -> Option<(Option<&'static str>, String, Option<EnvKind>)> {
    let rest = var.strip_prefix(ENV_PREFIX)?;
    if rest == "DATABASE_URL" {
        return Some((None, "database_url".to_string(), Some(EnvKind::Text)));
    }
    for (section, keys) in ENV_SECTIONS {
        let upper = section.to_ascii_uppercase();
        let Some(key) = rest
            .strip_prefix(upper.as_str())
            .and_then(|r| r.strip_prefix('_'))
        else {
            continue;
        };
        if key.is_empty() {
            return None;
        }
        let key = key.to_ascii_lowercase();
        let kind = keys.iter().find(|(k, _)| *k == key).map(|(_, kind)| *kind);
        return Some((Some(section), key, kind));
    }
    None
}

fn env_value(raw: &str, kind: EnvKind) -> toml::Value {
    match kind {
        EnvKind::Text => toml::Value::String(raw.to_string()),
        EnvKind::Value => raw
            .parse::<toml::Value>()
            .unwrap_or_else(|_| toml::Value::String(raw.to_string())),
        EnvKind::List => match raw.parse::<toml::Value>() {
            Ok(array @ toml::Value::Array(_)) => array,
            Ok(toml::Value::String(s)) => toml::Value::Array(vec![toml::Value::String(s)]),
            _ => toml::Value::Array(vec![toml::Value::String(raw.to_string())]),
        },
    }
}

fn apply_env<I>(table: &mut toml::Table, vars: I, origins: &mut Origins) -> Result<(), ConfigError>
where
    I: IntoIterator<Item = (String, String)>,
{
    let vars: BTreeMap<String, String> = vars
        .into_iter()
        .filter(|(name, _)| name.starts_with(ENV_PREFIX))
        .collect();

    // The variables that hold secrets, as named after the overrides of their names.
    let secrets: BTreeSet<String> = SECRET_NAME_KEYS
        .iter()
        .filter_map(|(section, key, default)| {
            let var = format!("{ENV_PREFIX}{}_{}", section, key).to_ascii_uppercase();
            vars.get(&var)
                .cloned()
                .or_else(|| {
                    table
                        .get(*section)
                        .and_then(|s| s.get(*key))
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                })
                .or_else(|| default.map(str::to_string))
        })
        .collect();

    for (var, raw) in &vars {
        if secrets.contains(var) {
            continue;
        }
        let Some((section, key, kind)) = env_target(var) else {
            continue;
        };
        let Some(kind) = kind else {
            // Not a key: ignored rather than refused, since DORABOARD_<SECTION>_* variables can
            // come from elsewhere (Kubernetes defines DORABOARD_API_PORT, ..._SERVICE_HOST for a
            // Service named `doraboard-api`). A likely typo is logged.
            let kubernetes =
                key == "port" || key.starts_with("port_") || key.starts_with("service_");
            if !kubernetes {
                let section = section.unwrap_or_default();
                tracing::warn!(
                    variable = %var,
                    "ignoring environment variable {var}: `{key}` is not a key of [{section}]"
                );
            }
            continue;
        };
        let value = env_value(raw, kind);
        let origin = format!("environment variable {var}");
        let target = match section {
            None => &mut *table,
            Some(section) => {
                let entry = table
                    .entry(section.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                match entry {
                    toml::Value::Table(t) => t,
                    other => {
                        return Err(ConfigError::Invalid {
                            origin,
                            key: section.to_string(),
                            message: format!(
                                "cannot override a key of `{section}`: the configuration file \
                                 sets `{section}` to a {}, expected a table ([{section}])",
                                other.type_str()
                            ),
                        });
                    }
                }
            }
        };
        target.insert(key.clone(), value);
        let path = section.map_or_else(|| key.clone(), |s| format!("{s}.{key}"));
        origins.env.insert(path, var.clone());
    }
    Ok(())
}

fn join_key(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

// ---------------------------------------------------------------------------------------------
// Deserialization and validation

/// The file's shape: like [`Config`], but a team's time zone may be left out (it is inherited).
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawConfig {
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
    fn validate(self, origins: &Origins) -> Result<Config, ConfigError> {
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
        if self.metrics.tiers == "custom" && self.metrics.custom_tiers.is_none() {
            return Err(origins.invalid(
                &["metrics.tiers", "metrics.custom_tiers"],
                "metrics.custom_tiers",
                "tiers = \"custom\" needs the bands in [metrics.custom_tiers]",
            ));
        }

        if let Some(table) = &self.metrics.custom_tiers {
            check_custom_tiers(table, origins)?;
        }
        check_benchmark(&self.metrics, origins)?;

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
            metrics: self.metrics,
            filters: self.filters,
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

/// `metrics.custom_tiers` reads as [`crate::tiers::CustomBands`] and makes consistent bands.
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

fn check_custom_tiers(table: &toml::Table, origins: &Origins) -> Result<(), ConfigError> {
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
    crate::tiers::Bands::custom(&bands).map_err(|e| {
        let key = e.key();
        let text = e.to_string();
        let message = text
            .strip_prefix(&format!("{key}: "))
            .unwrap_or(&text)
            .to_string();
        origins.invalid(&[&key], &key, message)
    })?;
    Ok(())
}

// Field deserializers: each checks one value, so the error carries its key path.

fn de_non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Err(D::Error::custom("expected a non-empty string"));
    }
    Ok(s)
}

fn de_opt_non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    de_non_empty(d).map(Some)
}

fn de_database_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    check_database_url(&s).map_err(D::Error::custom)?;
    Ok(s)
}

/// A database URL. It may carry a password, so its `Debug` output (and so the configuration's,
/// in any log or error) shows `***` in its place.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with its password, if any, replaced by `***`.
    pub fn redacted(&self) -> String {
        let url = self.0.as_str();
        let Some((scheme, rest)) = url.split_once("://") else {
            return url.to_string();
        };
        let Some((credentials, host)) = rest.rsplit_once('@') else {
            return url.to_string();
        };
        match credentials.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        }
    }
}

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for DatabaseUrl {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

/// Never echoes the URL: it may carry a password.
fn check_database_url(url: &str) -> Result<(), String> {
    const EXPECTED: &str =
        "expected `sqlite://FILE`, `sqlite::memory:` or `postgres://USER@HOST/DATABASE`";
    let scheme = url.split_once(':').map(|(scheme, _)| scheme);
    match scheme {
        Some("sqlite" | "postgres" | "postgresql") => Ok(()),
        Some(s)
            if !s.is_empty()
                && s.len() <= 16
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            Err(format!("unsupported database URL scheme `{s}`: {EXPECTED}"))
        }
        _ => Err(format!("not a database URL: {EXPECTED}")),
    }
}

fn de_http_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let trimmed = s.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_string())
        }
        _ => Err(D::Error::custom(format!(
            "expected an http(s) URL such as `https://api.github.com` or \
             `https://github.example.com/api/v3`, found `{s}`"
        ))),
    }
}

/// The name of an environment variable. The value is never echoed: a token pasted here by
/// mistake must not end up in a log.
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

fn de_opt_env_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    de_env_name(d).map(Some)
}

fn de_env_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let valid = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(D::Error::custom(
            "expected the NAME of an environment variable (capital letters, digits and `_`, \
             e.g. `GITHUB_TOKEN`), not the secret itself; the value is not shown here",
        ));
    }
    Ok(s)
}

fn de_slug<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let valid = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(D::Error::custom(format!(
            "expected a slug of letters, digits, `-`, `_` or `.` (it appears in URLs), \
             found `{s}`"
        )));
    }
    Ok(s)
}

fn check_cron(expr: &str) -> Result<cron::Schedule, String> {
    let fields = expr.split_whitespace().count();
    let hint = if fields == 5 {
        " — this looks like a classic 5-field crontab line: doraboard's cron expressions have a \
         seconds field first, so prefix it with `0 `"
    } else {
        ""
    };
    cron::Schedule::from_str(expr).map_err(|e| {
        // Some of the crate's messages are the expression with a caret under it: keep one line.
        let e = e.to_string();
        let why = match e.trim() {
            one_line if !one_line.contains('\n') && !one_line.is_empty() => {
                format!(" ({one_line})")
            }
            _ => String::new(),
        };
        // With the right number of fields, a value is out of range: say the ranges.
        let expected = if matches!(fields, 6 | 7) {
            "each field within its range: sec 0-59, min 0-59, hour 0-23, day-of-month 1-31, \
             month 1-12, day-of-week 1-7 or Sun-Sat"
        } else {
            "expected 6 or 7 fields, seconds first (sec min hour day-of-month month \
             day-of-week [year])"
        };
        format!(
            "invalid cron expression `{expr}`{why}: {expected}, e.g. `0 */15 * * * *` for every \
             15 minutes{hint}"
        )
    })
}

fn de_cron<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    check_cron(&s).map_err(D::Error::custom)?;
    Ok(s)
}

fn de_opt_cron<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    de_cron(d).map(Some)
}

fn de_opt_http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    de_http_url(d).map(Some)
}

fn de_attempts<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = i64::deserialize(d)?;
    match u32::try_from(n) {
        Ok(n) if (1..=MAX_DIGEST_ATTEMPTS).contains(&n) => Ok(n),
        _ => Err(D::Error::custom(format!(
            "expected a number of tries from 1 to {MAX_DIGEST_ATTEMPTS}, found {n}"
        ))),
    }
}

/// A date string `YYYY-MM-DD`, or a TOML local date (`since = 2025-01-01` unquoted).
fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let text = match toml::Value::deserialize(d)? {
        toml::Value::String(s) => s,
        toml::Value::Datetime(dt) => dt.to_string(),
        other => {
            return Err(D::Error::custom(format!(
                "expected a date as \"YYYY-MM-DD\", e.g. \"2025-01-01\", found a {}",
                other.type_str()
            )));
        }
    };
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|e| {
        D::Error::custom(format!(
            "expected a date as \"YYYY-MM-DD\", e.g. \"2025-01-01\", found `{text}` ({e})"
        ))
    })
}

/// A concurrency limit: a whole number from 1 to [`MAX_CONCURRENCY`].
fn de_concurrency<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = i64::deserialize(d)?;
    usize::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_CONCURRENCY).contains(n))
        .ok_or_else(|| {
            D::Error::custom(format!(
                "expected a whole number from 1 to {MAX_CONCURRENCY}, found {n}"
            ))
        })
}

/// The most deliveries `[api] max_pending_deliveries` may allow in flight.
pub const MAX_PENDING_DELIVERIES: usize = 1024;

fn de_pending_deliveries<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = i64::deserialize(d)?;
    usize::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_PENDING_DELIVERIES).contains(n))
        .ok_or_else(|| {
            D::Error::custom(format!(
                "expected a whole number from 1 to {MAX_PENDING_DELIVERIES}, found {n}"
            ))
        })
}

/// Durations are `"30m"`, `"12h"`, `"7d"`, `"2w"` (units s, m, h, d, w), above zero.
fn positive_duration(s: &str) -> Result<Duration, String> {
    let d = crate::tiers::parse_duration(s)?;
    if d <= Duration::zero() {
        return Err(format!("expected a duration longer than zero, found `{s}`"));
    }
    Ok(d)
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    match toml::Value::deserialize(d)? {
        toml::Value::String(s) => positive_duration(&s).map_err(D::Error::custom),
        other => Err(D::Error::custom(format!(
            "expected a duration as a string with a unit, such as \"30m\", \"12h\", \"7d\" or \
             \"2w\", found the {} `{other}`",
            other.type_str()
        ))),
    }
}

fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    de_duration(d).map(Some)
}

fn de_opt_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let r = f64::deserialize(d)?;
    if !(0.0..=1.0).contains(&r) {
        return Err(D::Error::custom(format!(
            "expected a rate between 0 and 1 (0.15 for 15%), found {r}"
        )));
    }
    Ok(Some(r))
}

fn de_opt_positive<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let r = f64::deserialize(d)?;
    if !(r.is_finite() && r > 0.0) {
        return Err(D::Error::custom(format!(
            "expected a number of deployments per week above 0, found {r}"
        )));
    }
    Ok(Some(r))
}

fn parse_tz(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>().map_err(|_| {
        format!(
            "unknown time zone `{s}`: expected an IANA name such as \"Europe/Warsaw\", \
             \"America/New_York\" or \"UTC\""
        )
    })
}

fn de_tz<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let s = String::deserialize(d)?;
    parse_tz(&s).map_err(D::Error::custom)
}

fn de_opt_tz<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Tz>, D::Error> {
    de_tz(d).map(Some)
}

/// `"2024"`, `"2023"`, `"2021"` or `"custom"`; a bare year (`tiers = 2023`) is accepted too.
fn de_tiers<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = match toml::Value::deserialize(d)? {
        toml::Value::String(s) => s,
        toml::Value::Integer(i) => i.to_string(),
        other => other.to_string(),
    };
    if !TIER_TABLES.contains(&s.as_str()) {
        return Err(D::Error::custom(format!(
            "expected one of \"2024\", \"2023\", \"2021\" or \"custom\", found `{s}`"
        )));
    }
    Ok(s)
}

/// A string that compiles as a regular expression.
struct RegexPattern(String);

impl<'de> Deserialize<'de> for RegexPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        regex::Regex::new(&s).map_err(|e| {
            // The syntax error is drawn over several lines; its last line says what is wrong.
            let e = e.to_string();
            let why = e.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            let why = why.trim().trim_start_matches("error: ");
            D::Error::custom(format!("invalid regular expression `{s}`: {why}"))
        })?;
        Ok(RegexPattern(s))
    }
}

/// A string that compiles as a glob.
struct GlobPattern(String);

impl<'de> Deserialize<'de> for GlobPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(D::Error::custom(
                "expected a glob such as `services/loyalty/**`",
            ));
        }
        globset::Glob::new(&s)
            .map_err(|e| D::Error::custom(format!("invalid glob `{s}`: {}", e.kind())))?;
        Ok(GlobPattern(s))
    }
}

fn de_regexes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v: Vec<RegexPattern> = Vec::deserialize(d)?;
    Ok(v.into_iter().map(|p| p.0).collect())
}

fn de_globs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v: Vec<GlobPattern> = Vec::deserialize(d)?;
    Ok(v.into_iter().map(|p| p.0).collect())
}

/// A non-empty list of globs.
struct GlobList(Vec<String>);

impl<'de> Deserialize<'de> for GlobList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Vec<GlobPattern> = Vec::deserialize(d)?;
        if v.is_empty() {
            return Err(D::Error::custom(
                "expected at least one glob, e.g. [\"services/loyalty/**\"]",
            ));
        }
        Ok(GlobList(v.into_iter().map(|p| p.0).collect()))
    }
}

fn de_team_paths<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<RepoSlug, Vec<String>>, D::Error> {
    let m: BTreeMap<RepoSlug, GlobList> = BTreeMap::deserialize(d)?;
    Ok(m.into_iter().map(|(repo, globs)| (repo, globs.0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../doraboard.example.toml");

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml_str(text, "test.toml")
    }

    fn parse_env(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_toml_str_with_env(
            text,
            "test.toml",
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    /// The error message, asserting it is an `Invalid` naming `origin` and `key`.
    #[track_caller]
    fn invalid(result: Result<Config, ConfigError>, origin: &str, key: &str) -> String {
        match result {
            Err(e @ ConfigError::Invalid { .. }) => {
                let message = e.to_string();
                let ConfigError::Invalid {
                    origin: o, key: k, ..
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!(o, origin, "origin of: {message}");
                assert_eq!(k, key, "key of: {message}");
                assert!(
                    message.contains(origin) && message.contains(key),
                    "{message}"
                );
                message
            }
            Err(e) => panic!("expected an invalid-key error, got: {e}"),
            Ok(c) => panic!("expected an error, got: {c:?}"),
        }
    }

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

    const TEAM: &str = r#"
[[teams]]
slug = "loyalty"
repos = ["acme/loyalty"]
"#;

    #[test]
    fn example_file_parses() {
        let c = parse(EXAMPLE).expect("doraboard.example.toml is valid");
        assert_eq!(c.database_url, "sqlite://doraboard.db");
        assert!(!c.tribes.is_empty());
        assert!(c.teams.len() >= 2);
        assert!(c.teams.iter().any(|t| !t.paths.is_empty()));
        assert_eq!(c.incidents.attribution_window, Duration::days(7));
        assert!(c.cron_schedule().is_ok());
        assert_eq!(c.annotations.len(), 2, "the example's [[annotations]]");
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
        assert!(c.metrics.custom_bands().expect("typed").is_some());
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
        assert!(c.cron_schedule().is_ok());
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
    fn bad_cron() {
        let m = invalid(
            parse("[collector]\nschedule = \"*/15 * * * *\""),
            "test.toml",
            "collector.schedule",
        );
        assert!(m.contains("seconds first"), "{m}");
        assert!(m.contains("prefix it with `0 `"), "{m}");
        invalid(
            parse("[collector]\nschedule = \"every hour\""),
            "test.toml",
            "collector.schedule",
        );
        // Six fields, one out of range: the ranges, not a field count.
        let m = invalid(
            parse("[collector]\nschedule = \"0 61 * * * *\""),
            "test.toml",
            "collector.schedule",
        );
        assert!(m.contains("min 0-59"), "{m}");
        assert!(!m.contains("expected 6 or 7 fields"), "{m}");
        let c = parse("[collector]\nschedule = \"0 0 6 * * Mon-Fri\"").expect("weekdays at 6");
        assert_eq!(c.collector.schedule, "0 0 6 * * Mon-Fri");
    }

    #[test]
    fn dates() {
        let m = invalid(
            parse("[collector]\nsince = \"2025-13-01\""),
            "test.toml",
            "collector.since",
        );
        assert!(m.contains("YYYY-MM-DD"), "{m}");
        let c = parse("[collector]\nsince = 2024-06-30").expect("TOML date");
        assert_eq!(
            c.collector.since,
            NaiveDate::from_ymd_opt(2024, 6, 30).expect("date")
        );
        invalid(
            parse("[collector]\nsince = 2024-06-30T10:00:00"),
            "test.toml",
            "collector.since",
        );
    }

    #[test]
    fn concurrency_limits() {
        let c = parse("[collector]\nrepo_concurrency = 1\npr_concurrency = 64\nmax_in_flight = 16")
            .expect("in range");
        assert_eq!(c.collector.repo_concurrency, 1);
        assert_eq!(c.collector.pr_concurrency, 64);
        assert_eq!(c.collector.max_in_flight, 16);
        for key in ["repo_concurrency", "pr_concurrency", "max_in_flight"] {
            let path = format!("collector.{key}");
            for bad in ["0", "-1", "65", "4.5", "\"four\""] {
                let m = invalid(
                    parse(&format!("[collector]\n{key} = {bad}")),
                    "test.toml",
                    &path,
                );
                if !bad.contains(['.', '"']) {
                    assert!(m.contains("from 1 to 64"), "{m}");
                }
            }
            let var = format!("DORABOARD_COLLECTOR_{}", key.to_ascii_uppercase());
            let c = parse_env("", &[(var.as_str(), "8")]).expect("override");
            assert_eq!(
                [
                    c.collector.repo_concurrency,
                    c.collector.pr_concurrency,
                    c.collector.max_in_flight
                ]
                .iter()
                .filter(|n| **n == 8)
                .count(),
                1,
                "{var}"
            );
            let m = invalid(
                parse_env("", &[(var.as_str(), "0")]),
                &format!("environment variable {var}"),
                &path,
            );
            assert!(m.contains("from 1 to 64"), "{m}");
            invalid(
                parse_env("", &[(var.as_str(), "many")]),
                &format!("environment variable {var}"),
                &path,
            );
        }
    }

    #[test]
    fn bad_time_zone() {
        let text = r#"
[[teams]]
slug = "a"
repos = ["acme/a"]
[[teams]]
slug = "b"
repos = ["acme/b"]
time_zone = "Europe/Warzaw"
"#;
        let m = invalid(parse(text), "test.toml", "teams[1].time_zone");
        assert!(m.contains("IANA"), "{m}");
        invalid(
            parse("[metrics]\ntime_zone = \"CEST\""),
            "test.toml",
            "metrics.time_zone",
        );
        invalid(
            parse("[[tribes]]\nslug = \"t\"\ntime_zone = \"Nowhere\""),
            "test.toml",
            "tribes[0].time_zone",
        );
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
    fn bad_repo_and_missing_slug() {
        let m = invalid(
            parse("[[teams]]\nslug = \"x\"\nrepos = [\"acme/a\", \"nope\"]"),
            "test.toml",
            "teams[0].repos[1]",
        );
        assert!(m.contains("owner/name"), "{m}");
        let m = invalid(
            parse("[[teams]]\nrepos = [\"acme/a\"]"),
            "test.toml",
            "teams[0]",
        );
        assert!(m.contains("missing field `slug`"), "{m}");
        invalid(
            parse("[[teams]]\nslug = \"a b\"\nrepos = [\"acme/a\"]"),
            "test.toml",
            "teams[0].slug",
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
    }

    #[test]
    fn custom_tiers_are_checked() {
        let bands = "[metrics]\ntiers = \"custom\"\n[metrics.custom_tiers]\n\
                     deployment_frequency = [7, 1, 0.25]\n\
                     lead_time = [\"1h\", \"1d\", \"1w\"]\n\
                     change_failure_rate = [0.05, 0.10, 0.20]\n\
                     time_to_restore = [\"30m\", \"4h\", \"2d\"]\n";
        let c = parse(bands).expect("valid custom bands");
        let typed = c.metrics.custom_bands().expect("typed").expect("some");
        assert_eq!(typed.lead_time[1], "1d");
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
    fn bad_regex_and_glob_in_filters() {
        let m = invalid(
            parse("[filters]\nbot_authors = [\"^ci-\", \"(unclosed\"]"),
            "test.toml",
            "filters.bot_authors[1]",
        );
        assert!(m.contains("regular expression"), "{m}");
        invalid(
            parse("[filters]\nexclude_titles = [\"[\"]"),
            "test.toml",
            "filters.exclude_titles[0]",
        );
        let m = invalid(
            parse("[filters]\nexclude_paths = [\"docs/{a,b\"]"),
            "test.toml",
            "filters.exclude_paths[0]",
        );
        assert!(m.contains("glob"), "{m}");
        let c = parse("[filters]\nbot_authors = [\"^ci-\"]").expect("valid");
        assert_eq!(
            c.filters.bot_patterns(),
            vec![r"\[bot\]$", "(?i)^dependabot", "(?i)^renovate", "^ci-"]
        );
    }

    #[test]
    fn rates_outside_zero_one() {
        let m = invalid(
            parse(&format!("{TEAM}targets = {{ change_failure_rate = 15 }}")),
            "test.toml",
            "teams[0].targets.change_failure_rate",
        );
        assert!(m.contains("between 0 and 1"), "{m}");
        invalid(
            parse(&format!("{TEAM}targets = {{ rework_rate = -0.1 }}")),
            "test.toml",
            "teams[0].targets.rework_rate",
        );
        invalid(
            parse(&format!("{TEAM}targets = {{ deployment_frequency = 0 }}")),
            "test.toml",
            "teams[0].targets.deployment_frequency",
        );
        let c = parse(&format!(
            "{TEAM}targets = {{ change_failure_rate = 0, deployment_frequency = 5, \
             lead_time = \"36h\", time_to_restore = \"30m\" }}"
        ))
        .expect("valid");
        let t = &c.teams[0].targets;
        assert_eq!(t.change_failure_rate, Some(0.0));
        assert_eq!(t.deployment_frequency, Some(5.0));
        assert_eq!(t.lead_time, Some(Duration::hours(36)));
        assert_eq!(t.time_to_restore, Some(Duration::minutes(30)));
    }

    #[test]
    fn bad_durations() {
        for bad in ["7", "7 days", "d", "0d", "-1d", ""] {
            let m = invalid(
                parse(&format!("[incidents]\nattribution_window = \"{bad}\"")),
                "test.toml",
                "incidents.attribution_window",
            );
            assert!(m.contains("duration"), "{bad}: {m}");
        }
        let c = parse("[incidents]\nattribution_window = \"2w\"").expect("valid");
        assert_eq!(c.incidents.attribution_window, Duration::weeks(2));
        invalid(
            parse(&format!("{TEAM}targets = {{ lead_time = \"soon\" }}")),
            "test.toml",
            "teams[0].targets.lead_time",
        );
    }

    #[test]
    fn answer_limits_are_read_and_checked_naming_the_key() {
        let c = parse("[api]\nmax_concurrent_answers = 2\nanswer_timeout = \"5s\"").expect("valid");
        assert_eq!(c.api.max_concurrent_answers, 2);
        assert_eq!(c.api.answer_timeout, Duration::seconds(5));
        let m = invalid(
            parse("[api]\nmax_concurrent_answers = 0"),
            "test.toml",
            "api.max_concurrent_answers",
        );
        assert!(m.contains("from 1 to 64"), "{m}");
        invalid(
            parse("[api]\nanswer_timeout = \"soon\""),
            "test.toml",
            "api.answer_timeout",
        );
        assert_eq!(Config::default().api.max_pending_deliveries, 32);
        let c = parse("[api]\nmax_pending_deliveries = 1").expect("valid");
        assert_eq!(c.api.max_pending_deliveries, 1);
        let m = invalid(
            parse("[api]\nmax_pending_deliveries = 0"),
            "test.toml",
            "api.max_pending_deliveries",
        );
        assert!(m.contains("from 1 to 1024"), "{m}");
    }

    #[test]
    fn the_database_password_never_shows_in_debug_output() {
        let c = parse("database_url = \"postgres://dora:hunter2@db:5432/dora\"").expect("valid");
        let debug = format!("{c:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(
            debug.contains("postgres://dora:***@db:5432/dora"),
            "{debug}"
        );
        assert_eq!(
            c.database_url.as_str(),
            "postgres://dora:hunter2@db:5432/dora"
        );
        let plain = parse("database_url = \"postgres://dora@db/dora\"").expect("valid");
        assert_eq!(plain.database_url.redacted(), "postgres://dora@db/dora");
    }

    #[test]
    fn database_url_scheme() {
        let m = invalid(
            parse("database_url = \"mysql://root:hunter2@db/dora\""),
            "test.toml",
            "database_url",
        );
        assert!(m.contains("`mysql`") && !m.contains("hunter2"), "{m}");
        let m = invalid(
            parse("database_url = \"hunter2\""),
            "test.toml",
            "database_url",
        );
        assert!(!m.contains("hunter2"), "{m}");
        for ok in [
            "sqlite://doraboard.db",
            "sqlite::memory:",
            "postgres://dora@localhost/dora",
            "postgresql://dora@localhost/dora",
        ] {
            parse(&format!("database_url = \"{ok}\"")).expect(ok);
        }
    }

    #[test]
    fn env_names_and_urls() {
        let m = invalid(
            parse("[github]\ntoken_env = \"ghp_abcdefSECRET123\""),
            "test.toml",
            "github.token_env",
        );
        assert!(!m.contains("SECRET123"), "{m}");
        invalid(
            parse("[github]\napi_url = \"api.github.com\""),
            "test.toml",
            "github.api_url",
        );
        let c = parse("[github]\napi_url = \"https://ghe.example.com/api/v3/\"").expect("valid");
        assert_eq!(c.github.api_url, "https://ghe.example.com/api/v3");
    }

    #[test]
    fn env_overrides_file_values() {
        let text = "[collector]\nschedule = \"0 0 * * * *\"\n[metrics]\ntiers = \"2021\"";
        let c = parse_env(
            text,
            &[
                ("DORABOARD_DATABASE_URL", "postgres://dora@db/dora"),
                ("DORABOARD_COLLECTOR_SCHEDULE", "0 */5 * * * *"),
                ("DORABOARD_COLLECTOR_SINCE", "2024-01-01"),
                ("DORABOARD_INCIDENTS_ATTRIBUTION_WINDOW", "3d"),
                ("DORABOARD_GITHUB_API_URL", "https://ghe.example.com/api/v3"),
                ("DORABOARD_METRICS_TIERS", "2023"),
                ("DORABOARD_METRICS_SMALL_SAMPLE", "25"),
                ("DORABOARD_METRICS_TIME_ZONE", "Europe/Warsaw"),
                ("DORABOARD_FILTERS_INCLUDE_BOTS", "true"),
                ("DORABOARD_FILTERS_BOT_AUTHORS", r#"["^ci-", "-bot$"]"#),
                ("DORABOARD_FILTERS_EXCLUDE_TITLES", "^WIP"),
                ("DORABOARD_DEPLOYMENTS_SOURCE", "workflow_runs"),
                ("DORABOARD_DEPLOYMENTS_WORKFLOW", "123"),
                // Not ours: ignored.
                ("DORABOARD_LOG", "debug"),
                ("DORABOARD_INGEST_TOKEN", "s3cret"),
                ("GITHUB_TOKEN", "ghp_x"),
            ],
        )
        .expect("valid overrides");
        assert_eq!(c.database_url, "postgres://dora@db/dora");
        assert_eq!(c.collector.schedule, "0 */5 * * * *");
        assert_eq!(
            c.collector.since,
            NaiveDate::from_ymd_opt(2024, 1, 1).expect("date")
        );
        assert_eq!(c.incidents.attribution_window, Duration::days(3));
        assert_eq!(c.github.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(c.metrics.tiers, "2023");
        assert_eq!(c.metrics.small_sample, 25);
        assert_eq!(c.metrics.time_zone, Tz::Europe__Warsaw);
        assert!(c.filters.include_bots);
        assert_eq!(c.filters.bot_authors, vec!["^ci-", "-bot$"]);
        assert_eq!(c.filters.exclude_titles, vec!["^WIP"]);
        assert_eq!(c.deployments.workflow.as_deref(), Some("123"));
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
    fn env_override_errors_name_the_variable() {
        let m = invalid(
            parse_env("", &[("DORABOARD_COLLECTOR_SCHEDULE", "*/5 * * * *")]),
            "environment variable DORABOARD_COLLECTOR_SCHEDULE",
            "collector.schedule",
        );
        assert!(m.contains("seconds first"), "{m}");
        invalid(
            parse_env("", &[("DORABOARD_INCIDENTS_ATTRIBUTION_WINDOW", "week")]),
            "environment variable DORABOARD_INCIDENTS_ATTRIBUTION_WINDOW",
            "incidents.attribution_window",
        );
        invalid(
            parse_env("", &[("DORABOARD_FILTERS_INCLUDE_BOTS", "yes")]),
            "environment variable DORABOARD_FILTERS_INCLUDE_BOTS",
            "filters.include_bots",
        );
        invalid(
            parse_env("", &[("DORABOARD_METRICS_SMALL_SAMPLE", "-3")]),
            "environment variable DORABOARD_METRICS_SMALL_SAMPLE",
            "metrics.small_sample",
        );
        invalid(
            parse_env("", &[("DORABOARD_FILTERS_BOT_AUTHORS", "(")]),
            "environment variable DORABOARD_FILTERS_BOT_AUTHORS",
            "filters.bot_authors[0]",
        );
        // Variables naming no key are ignored (and a likely typo logged): Kubernetes defines
        // DORABOARD_API_PORT and the like for a Service named `doraboard-api`.
        let c = parse_env(
            "",
            &[
                ("DORABOARD_COLLECTOR_SCHEDUEL", "x"),
                ("DORABOARD_API_PORT", "tcp://10.0.0.1:80"),
                ("DORABOARD_API_SERVICE_HOST", "10.0.0.1"),
                ("DORABOARD_COLLECTOR_PORT_3000_TCP", "tcp://10.0.0.2:3000"),
            ],
        )
        .expect("not keys: ignored");
        assert_eq!(c.collector.schedule, "0 */15 * * * *");
        // A cross-field error caused by the environment names the variable.
        invalid(
            parse_env("", &[("DORABOARD_DEPLOYMENTS_SOURCE", "workflow_runs")]),
            "environment variable DORABOARD_DEPLOYMENTS_SOURCE",
            "deployments.workflow",
        );
    }

    #[test]
    fn env_override_into_a_non_table_section() {
        let e = parse_env("github = 3", &[("DORABOARD_GITHUB_API_URL", "https://x")])
            .expect_err("github is not a table");
        assert!(e.to_string().contains("DORABOARD_GITHUB_API_URL"), "{e}");
    }

    #[test]
    fn secret_variables_are_not_overrides() {
        // Secrets whose names look like overrides are left alone.
        let c = parse_env(
            "[github]\ntoken_env = \"DORABOARD_GITHUB_TOKEN\"",
            &[
                ("DORABOARD_GITHUB_TOKEN", "ghp_secret"),
                ("DORABOARD_API_TOKEN", "s3cret"),
                ("DORABOARD_API_INGEST_TOKEN_ENV", "DORABOARD_API_TOKEN"),
            ],
        )
        .expect("secret variables are skipped");
        assert_eq!(c.github.token_env, "DORABOARD_GITHUB_TOKEN");
        assert_eq!(c.api.ingest_token_env, "DORABOARD_API_TOKEN");
    }

    #[test]
    fn a_github_app_replaces_the_token() {
        let app = "[github]\napp_id = 123\ninstallation_id = 456\n\
                   private_key_env = \"GITHUB_APP_KEY\"\n";
        let c = parse(app).expect("valid");
        let auth = c
            .github_auth_from(|v| (v == "GITHUB_APP_KEY").then(|| "PEM".to_string()))
            .expect("the app");
        let GithubAuth::App {
            app_id,
            installation_id,
            private_key,
            key_origin,
        } = &auth
        else {
            panic!("an app: {auth:?}")
        };
        assert_eq!((*app_id, *installation_id), (123, 456));
        assert_eq!(private_key.expose(), "PEM");
        assert_eq!(key_origin, "github.private_key_env (GITHUB_APP_KEY)");
        assert!(!format!("{auth:?}").contains("PEM"));
        let e = c.github_auth_from(|_| None).expect_err("no key");
        assert!(e.to_string().contains("GITHUB_APP_KEY"), "{e}");
        // Without an app, the token.
        let token = parse("")
            .expect("defaults")
            .github_auth_from(|_| Some("t".into()));
        assert_eq!(token.expect("a token"), GithubAuth::Token(Secret::new("t")));

        let without_installation = app.replace("installation_id = 456\n", "");
        invalid(
            parse(&without_installation),
            "test.toml",
            "github.installation_id",
        );
        let without_key = app.replace("private_key_env = \"GITHUB_APP_KEY\"\n", "");
        invalid(parse(&without_key), "test.toml", "github.private_key_env");
        let two_keys = format!("{app}private_key_file = \"app.pem\"\n");
        invalid(parse(&two_keys), "test.toml", "github.private_key_file");
        let with_token = format!("{app}token_env = \"MY_TOKEN\"\n");
        let m = invalid(parse(&with_token), "test.toml", "github.token_env");
        assert!(m.contains("choose one"), "{m}");

        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("app.pem");
        std::fs::write(&file, "PEM FROM FILE").expect("write");
        let from_file = app.replace(
            "private_key_env = \"GITHUB_APP_KEY\"",
            &format!("private_key_file = {:?}", file.display().to_string()),
        );
        let auth = parse(&from_file)
            .expect("valid")
            .github_auth_from(|_| None)
            .expect("read");
        let GithubAuth::App { private_key, .. } = auth else {
            panic!("an app")
        };
        assert_eq!(private_key.expose(), "PEM FROM FILE");
    }

    #[test]
    fn read_token_is_optional_and_an_unset_or_empty_variable_is_an_error_naming_the_key() {
        let open = Config::default();
        assert!(
            open.read_token_from(|_| Some("t".into()))
                .expect("open")
                .is_none()
        );
        let c = parse("[api]\nread_token_env = \"DASH_TOKEN\"").expect("valid");
        assert_eq!(c.api.read_token_env.as_deref(), Some("DASH_TOKEN"));
        let unset = c.read_token_from(|_| None).expect_err("unset").to_string();
        assert!(
            unset.contains("api.read_token_env") && unset.contains("DASH_TOKEN, which is unset"),
            "{unset}"
        );
        let empty = c
            .read_token_from(|_| Some(" ".into()))
            .expect_err("empty")
            .to_string();
        assert!(empty.contains("DASH_TOKEN, which is empty"), "{empty}");
        let t = c
            .read_token_from(|v| (v == "DASH_TOKEN").then(|| "r34d".to_string()))
            .expect("set")
            .expect("some");
        assert_eq!(t.expose(), "r34d");
        let m = invalid(
            parse("[api]\nread_token_env = \"r34d-the-token\""),
            "test.toml",
            "api.read_token_env",
        );
        assert!(!m.contains("r34d"), "the value is not shown: {m}");
        // The variable it names holds a secret, never an override.
        let c = parse_env(
            "",
            &[
                ("DORABOARD_API_READ_TOKEN_ENV", "DORABOARD_API_READ"),
                ("DORABOARD_API_READ", "r34d"),
            ],
        )
        .expect("the secret is skipped");
        assert_eq!(c.api.read_token_env.as_deref(), Some("DORABOARD_API_READ"));
    }

    #[test]
    fn github_token() {
        let c = Config::default();
        let e = c.github_token_from(|_| None).expect_err("missing");
        assert_eq!(
            e.to_string(),
            "collect needs a GitHub token: set GITHUB_TOKEN"
        );
        c.github_token_from(|_| Some(String::new()))
            .expect_err("empty is missing");
        let t = c
            .github_token_from(|v| (v == "GITHUB_TOKEN").then(|| "ghp_abc".to_string()))
            .expect("set");
        assert_eq!(t.expose(), "ghp_abc");
        assert_eq!(format!("{t:?}"), "Secret(***)");
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
        assert!(c.digest_schedule().expect("schedule").is_some());
        assert!(Config::default().digest_schedule().expect("none").is_none());

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
