//! Environment overrides: `DORABOARD_<SECTION>_<KEY>` variables written into the parsed file's
//! table before it is deserialized, and the record of which keys they set, so an error names
//! the variable rather than the file.

use super::{ConfigError, ENV_PREFIX};
use std::collections::{BTreeMap, BTreeSet};

/// Where each value came from: the file, unless an environment variable set the key.
pub(super) struct Origins {
    pub(super) file: String,
    /// key path (`collector.schedule`) -> variable name.
    pub(super) env: BTreeMap<String, String>,
}

impl Origins {
    /// The origin of the first of `keys` set from the environment, else the file.
    pub(super) fn of(&self, keys: &[&str]) -> String {
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

    pub(super) fn invalid(
        &self,
        keys: &[&str],
        key: &str,
        message: impl Into<String>,
    ) -> ConfigError {
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

pub(super) fn apply_env<I>(
    table: &mut toml::Table,
    vars: I,
    origins: &mut Origins,
) -> Result<(), ConfigError>
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

pub(super) fn join_key(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

#[cfg(test)]
mod tests {
    use crate::config::testing::*;
    use chrono::{Duration, NaiveDate};
    use chrono_tz::Tz;

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
        assert_eq!(*c.filters.bot_authors, ["^ci-", "-bot$"]);
        assert_eq!(*c.filters.exclude_titles, ["^WIP"]);
        assert_eq!(c.deployments.workflow.as_deref(), Some("123"));
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
}
