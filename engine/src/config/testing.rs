//! What the configuration's unit tests share: the example file, parsing helpers and a team.

use super::{Config, ConfigError};

pub(crate) const EXAMPLE: &str = include_str!("../../../doraboard.example.toml");

pub(crate) fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(text, "test.toml")
}

pub(crate) fn parse_env(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_toml_str_with_env(
        text,
        "test.toml",
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

/// The error message, asserting it is an `Invalid` naming `origin` and `key`.
#[track_caller]
pub(crate) fn invalid(result: Result<Config, ConfigError>, origin: &str, key: &str) -> String {
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

pub(crate) const TEAM: &str = r#"
[[teams]]
slug = "loyalty"
repos = ["acme/loyalty"]
"#;
