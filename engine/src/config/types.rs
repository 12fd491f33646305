//! The sections of `doraboard.toml` as typed values, with their defaults. Each field's
//! deserializer ([`super::de`]) checks its value, so an error carries the key's path.

use super::cron_expr::CronExpr;
use super::de::{
    de_attempts, de_concurrency, de_date, de_duration, de_env_name, de_http_url, de_non_empty,
    de_opt_duration, de_opt_env_name, de_opt_http_url, de_opt_non_empty, de_opt_positive,
    de_opt_rate, de_opt_tz, de_pending_deliveries, de_slug, de_tiers, de_tz,
};
use super::patterns::{Globs, Regexes};
use crate::filters::NoiseFilters;
use crate::model::RepoSlug;
use crate::tiers::Bands;
use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// The tier tables `metrics.tiers` accepts.
pub const TIER_TABLES: &[&str] = &["2024", "2023", "2021", "custom"];

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

/// `[collector]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CollectorConfig {
    /// Cron expression of the built-in schedule, seconds field first (6 or 7 fields), parsed.
    pub schedule: CronExpr,
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
    /// The bands used when `tiers = "custom"`, in the shape of [`crate::tiers::CustomBands`],
    /// as written (checked at load time; [`MetricsConfig::bands`] holds them made into bands).
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
    /// The table `tiers` names (`custom_tiers` when custom), resolved once when the
    /// configuration is validated rather than on every question.
    #[serde(skip)]
    pub(super) bands: Bands,
}

impl MetricsConfig {
    /// The tier table that rates the figures: the one `tiers` names, or `custom_tiers`.
    pub fn bands(&self) -> &Bands {
        &self.bands
    }
}

/// `[filters]`: noise removed before measuring.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FiltersConfig {
    /// Count changes by bots (`false`: drop them).
    pub include_bots: bool,
    /// Extra author patterns (regular expressions) treated as bots, beside
    /// [`crate::filters::BUILT_IN_BOT_PATTERNS`].
    pub bot_authors: Regexes,
    /// Changes whose title matches one of these regular expressions are dropped.
    pub exclude_titles: Regexes,
    /// Changes touching only paths matching these globs are dropped.
    pub exclude_paths: Globs,
    /// The filters these settings make, built once when the configuration is validated rather
    /// than on every question.
    #[serde(skip)]
    pub(super) noise: NoiseFilters,
}

impl FiltersConfig {
    /// The noise filters the settings make: the built-in bot patterns, `bot_authors`,
    /// `exclude_titles` and `exclude_paths`.
    pub fn noise(&self) -> &NoiseFilters {
        &self.noise
    }
}

/// Compared by the settings: the filters follow from them.
impl PartialEq for FiltersConfig {
    fn eq(&self, other: &Self) -> bool {
        self.include_bots == other.include_bots
            && self.bot_authors == other.bot_authors
            && self.exclude_titles == other.exclude_titles
            && self.exclude_paths == other.exclude_paths
    }
}

/// The settings only, printed as before the filters were kept beside them: rows filtered by
/// them are stored under this text ([`crate::query`]), so it must not change.
impl fmt::Debug for FiltersConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FiltersConfig")
            .field("include_bots", &self.include_bots)
            .field("bot_authors", &self.bot_authors)
            .field("exclude_titles", &self.exclude_titles)
            .field("exclude_paths", &self.exclude_paths)
            .finish()
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
    /// period, parsed; unset: `serve` sends none.
    pub schedule: Option<CronExpr>,
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
            schedule: "0 */15 * * * *"
                .parse()
                .expect("the default schedule is a valid cron expression"),
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
        let bands = Bands::latest();
        MetricsConfig {
            tiers: bands.name.clone(),
            custom_tiers: None,
            time_zone: Tz::UTC,
            small_sample: 10,
            benchmark: crate::score::benchmarks::DEFAULT_BENCHMARK.to_string(),
            benchmark_edition: crate::score::benchmarks::EDITIONS[1],
            bands: Bands::latest(),
        }
    }
}

/// A database URL. It may carry a password, so its `Debug` output (and so the configuration's,
/// in any log or error) shows `***` in its place.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(pub(super) String);

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

/// The most deliveries `[api] max_pending_deliveries` may allow in flight.
pub const MAX_PENDING_DELIVERIES: usize = 1024;

#[cfg(test)]
mod tests {
    use crate::config::testing::*;

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
}
