//! Secrets: read from the environment variables the configuration names, never kept in
//! [`Config`], and never printed by `Debug`.

use super::{Config, ConfigError};
use std::fmt;

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

impl Config {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::*;

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
}
