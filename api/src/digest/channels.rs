//! The channels of `[digest]`, checked before anything is sent, and delivery to each with
//! bounded retries and doubling waits.
//!
//! The webhook URL and the SMTP URL are secrets (whoever holds the URL can post to the channel,
//! or send mail as the account): they stay in [`Secret`]s, whose `Debug` hides them, and no log
//! line or error names them: HTTP errors drop their URL, configuration errors name only the
//! variable.

use super::{Digest, email, slack};
use crate::report::{Report, slide};
use engine::config::{DigestConfig, Secret};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::fmt;
use std::time::Duration;

/// How long one try at a channel may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A channel the digest goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Channel {
    Slack,
    Email,
}

impl Channel {
    /// The name logs, errors and the store's claims use.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Slack => "slack",
            Channel::Email => "email",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[digest]` is not usable as configured: `key` names what to fix.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        message: message.into(),
    }
}

/// The email channel: the server's URL (a secret), the sender and the recipients.
#[derive(Debug, Clone)]
pub struct EmailChannel {
    smtp_url: Secret,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
}

/// Tries per channel and the first wait between them (each further wait doubles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub backoff: Duration,
}

impl Retry {
    /// The wait after failed try number `attempt` (1-based): `backoff`, then twice that, ...
    pub fn wait(&self, attempt: u32) -> Duration {
        self.backoff.saturating_mul(
            1u32.checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX),
        )
    }
}

/// The configured channels, checked.
#[derive(Debug, Clone)]
pub struct Channels {
    slack: Option<Secret>,
    email: Option<EmailChannel>,
    pub retry: Retry,
}

impl Channels {
    /// The channels of `config`, reading the secrets from the process environment.
    pub fn from_config(config: &DigestConfig) -> Result<Channels, ConfigError> {
        Channels::from_config_with(config, |var| std::env::var(var).ok())
    }

    /// [`Channels::from_config`] with an explicit environment lookup.
    pub fn from_config_with(
        config: &DigestConfig,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Channels, ConfigError> {
        let secret = |key: &str, var: &str| {
            lookup(var)
                .filter(|v| !v.trim().is_empty())
                .map(|v| Secret::new(v.trim()))
                .ok_or_else(|| invalid(key, format!("names {var}, which is not set")))
        };
        let slack = match &config.slack_webhook_env {
            Some(var) => {
                let key = "digest.slack_webhook_env";
                let url = secret(key, var)?;
                let is_http = url.expose().parse::<hyper::Uri>().is_ok_and(|u| {
                    matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
                });
                if !is_http {
                    return Err(invalid(
                        key,
                        format!("{var} holds no http(s) URL (its value is not shown)"),
                    ));
                }
                Some(url)
            }
            None => None,
        };
        let email = match &config.smtp_url_env {
            Some(var) => {
                let key = "digest.smtp_url_env";
                let smtp_url = secret(key, var)?;
                let scheme_ok = ["smtp://", "smtps://"]
                    .iter()
                    .any(|s| smtp_url.expose().starts_with(s));
                if !scheme_ok
                    || AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.expose()).is_err()
                {
                    return Err(invalid(
                        key,
                        format!(
                            "{var} holds no smtp:// or smtps:// URL such as \
                             smtps://user:password@mail.example.com (its value is not shown)"
                        ),
                    ));
                }
                let address = |key: String, text: &str| {
                    text.parse::<Mailbox>().map_err(|e| {
                        invalid(
                            key,
                            format!(
                                "`{text}` is not an email address ({e}); expected \
                                 `name@example.com` or `Name <name@example.com>`"
                            ),
                        )
                    })
                };
                let from = config
                    .from
                    .as_deref()
                    .ok_or_else(|| invalid("digest.from", "the email needs a sender"))?;
                let from = address("digest.from".into(), from)?;
                if config.to.is_empty() {
                    return Err(invalid(
                        "digest.to",
                        "the email needs at least one recipient",
                    ));
                }
                let to = config
                    .to
                    .iter()
                    .enumerate()
                    .map(|(i, text)| address(format!("digest.to[{i}]"), text))
                    .collect::<Result<_, _>>()?;
                Some(EmailChannel { smtp_url, from, to })
            }
            None => None,
        };
        if slack.is_none() && email.is_none() {
            return Err(invalid(
                "digest",
                "no channel to send to: set slack_webhook_env or smtp_url_env",
            ));
        }
        Ok(Channels {
            slack,
            email,
            retry: Retry {
                attempts: config.attempts,
                backoff: config.backoff.to_std().unwrap_or_default(),
            },
        })
    }

    /// The configured channels, in sending order.
    pub fn all(&self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.slack.is_some() {
            out.push(Channel::Slack);
        }
        if self.email.is_some() {
            out.push(Channel::Email);
        }
        out
    }
}

/// Why one try at a channel failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the webhook answered HTTP {0}")]
    Status(hyper::StatusCode),
    /// What went wrong, without the URL.
    #[error("the webhook could not be reached: {0}")]
    Http(String),
    #[error("the mail server refused or could not be reached: {0}")]
    Smtp(lettre::transport::smtp::Error),
    #[error("the email could not be built: {0}")]
    Message(lettre::error::Error),
    #[error("the slide could not be drawn: {0}")]
    Slide(String),
}

impl DeliveryError {
    /// Whether another try could succeed: server errors, 429 and network errors may pass; a
    /// webhook that answers 4xx (revoked, malformed) or a mail server's permanent refusal will
    /// not.
    pub fn transient(&self) -> bool {
        match self {
            DeliveryError::Status(s) => s.is_server_error() || s.as_u16() == 429,
            DeliveryError::Http(_) => true,
            DeliveryError::Smtp(e) => !e.is_permanent(),
            DeliveryError::Message(_) | DeliveryError::Slide(_) => false,
        }
    }
}

/// What came of sending to one channel.
#[derive(Debug)]
pub struct Outcome {
    pub channel: Channel,
    /// Tries made.
    pub attempts: u32,
    /// The last try's error, when every try failed.
    pub error: Option<DeliveryError>,
}

/// Sends `digest` (and, by email, the slide of `report`) to each of `only`, retrying as
/// `channels.retry` says; one outcome per channel, in the order given.
pub async fn deliver(
    channels: &Channels,
    only: &[Channel],
    digest: &Digest,
    report: &Report,
) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(only.len());
    for &channel in only {
        let outcome = match channel {
            Channel::Slack => match &channels.slack {
                Some(url) => {
                    let body = slack::payload(digest);
                    retried(channel, channels.retry, || post_webhook(url, &body)).await
                }
                None => continue,
            },
            Channel::Email => match &channels.email {
                Some(email) => match email_message(email, digest, report).await {
                    Ok(message) => {
                        retried(channel, channels.retry, || send_mail(email, &message)).await
                    }
                    Err(error) => failed(channel, 1, error),
                },
                None => continue,
            },
        };
        outcomes.push(outcome);
    }
    outcomes
}

fn failed(channel: Channel, attempts: u32, error: DeliveryError) -> Outcome {
    tracing::error!(%channel, attempts, %error, "digest not delivered");
    Outcome {
        channel,
        attempts,
        error: Some(error),
    }
}

/// Runs `send` until it succeeds, fails for good, or the tries run out.
async fn retried<F, Fut>(channel: Channel, retry: Retry, mut send: F) -> Outcome
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), DeliveryError>>,
{
    let mut attempt = 1;
    loop {
        match send().await {
            Ok(()) => {
                tracing::info!(%channel, attempts = attempt, "digest delivered");
                return Outcome {
                    channel,
                    attempts: attempt,
                    error: None,
                };
            }
            Err(error) if error.transient() && attempt < retry.attempts => {
                let wait = retry.wait(attempt);
                tracing::warn!(%channel, attempt, %error, ?wait, "digest delivery failed; retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(error) => return failed(channel, attempt, error),
        }
    }
}

/// An error and its sources on one line ("client error (Connect): tcp connect error: ..."):
/// the HTTP stack's errors never carry the request's URL.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(&format!(": {e}"));
        source = e.source();
    }
    text
}

/// One POST of `body` to the webhook, over rustls with ring and the system's roots.
async fn post_webhook(url: &Secret, body: &serde_json::Value) -> Result<(), DeliveryError> {
    let http = |e: &dyn std::error::Error| DeliveryError::Http(chain(e));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| http(&e))?
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector);
    let request = hyper::Request::post(url.expose())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.to_string(),
        )))
        .map_err(|_| DeliveryError::Http("the webhook URL is not a valid request target".into()))?;
    let response = tokio::time::timeout(TIMEOUT, client.request(request))
        .await
        .map_err(|_| DeliveryError::Http(format!("no answer within {TIMEOUT:?}")))?
        .map_err(|e| http(&e))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(DeliveryError::Status(status))
    }
}

/// The email with the slide drawn (off the async threads: drawing takes a moment).
async fn email_message(
    email: &EmailChannel,
    digest: &Digest,
    report: &Report,
) -> Result<lettre::Message, DeliveryError> {
    let report = report.clone();
    let png = tokio::task::spawn_blocking(move || slide::render(&report))
        .await
        .map_err(|e| DeliveryError::Slide(e.to_string()))?
        .map_err(|e| DeliveryError::Slide(e.to_string()))?;
    email::message(digest, &email.from, &email.to, png).map_err(DeliveryError::Message)
}

async fn send_mail(email: &EmailChannel, message: &lettre::Message) -> Result<(), DeliveryError> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(email.smtp_url.expose())
        .map_err(DeliveryError::Smtp)?
        .timeout(Some(TIMEOUT))
        .build();
    transport
        .send(message.clone())
        .await
        .map(|_| ())
        .map_err(DeliveryError::Smtp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> DigestConfig {
        engine::config::Config::from_toml_str(&format!("[digest]\n{extra}"), "test.toml")
            .expect("valid")
            .digest
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |var| {
            pairs
                .iter()
                .find(|(k, _)| *k == var)
                .map(|(_, v)| v.to_string())
        }
    }

    #[track_caller]
    fn key_of(result: Result<Channels, ConfigError>) -> String {
        let e = result.expect_err("invalid");
        assert!(!e.to_string().contains("s3cret"), "{e}");
        e.key
    }

    const EMAIL: &str = "smtp_url_env = \"SMTP\"\nfrom = \"doraboard <d@example.com>\"\n";

    #[test]
    fn every_problem_names_its_key_and_never_the_secret() {
        let slack = config("slack_webhook_env = \"HOOK\"");
        assert_eq!(
            key_of(Channels::from_config_with(&slack, env(&[]))),
            "digest.slack_webhook_env"
        );
        let e = Channels::from_config_with(&slack, env(&[])).expect_err("unset");
        assert!(e.to_string().contains("HOOK, which is not set"), "{e}");
        assert_eq!(
            key_of(Channels::from_config_with(
                &slack,
                env(&[("HOOK", "s3cret")])
            )),
            "digest.slack_webhook_env"
        );

        let mail = config(&format!("{EMAIL}to = [\"cto@example.com\"]"));
        assert_eq!(
            key_of(Channels::from_config_with(
                &mail,
                env(&[("SMTP", "imap://u:s3cret@h")])
            )),
            "digest.smtp_url_env"
        );
        let bad_from = config(
            "smtp_url_env = \"SMTP\"\nfrom = \"not an address\"\nto = [\"cto@example.com\"]",
        );
        assert_eq!(
            key_of(Channels::from_config_with(
                &bad_from,
                env(&[("SMTP", "smtp://u:s3cret@h")])
            )),
            "digest.from"
        );
        let bad_to = config(&format!("{EMAIL}to = [\"cto@example.com\", \"nobody\"]"));
        assert_eq!(
            key_of(Channels::from_config_with(
                &bad_to,
                env(&[("SMTP", "smtp://u:s3cret@h")])
            )),
            "digest.to[1]"
        );
        assert_eq!(
            key_of(Channels::from_config_with(&config(""), env(&[]))),
            "digest"
        );
    }

    #[test]
    fn good_channels_are_listed_and_their_secrets_hidden_from_debug() {
        let c = config(&format!(
            "slack_webhook_env = \"HOOK\"\n{EMAIL}to = [\"cto@example.com\"]"
        ));
        let channels = Channels::from_config_with(
            &c,
            env(&[
                ("HOOK", "https://hooks.example.com/services/s3cret"),
                ("SMTP", "smtps://user:s3cret@mail.example.com"),
            ]),
        )
        .expect("valid");
        assert_eq!(channels.all(), vec![Channel::Slack, Channel::Email]);
        let debug = format!("{channels:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("cto@example.com"), "{debug}");
    }

    #[test]
    fn waits_double_from_the_backoff() {
        let retry = Retry {
            attempts: 4,
            backoff: Duration::from_secs(2),
        };
        let waits: Vec<u64> = (1..=3).map(|a| retry.wait(a).as_secs()).collect();
        assert_eq!(waits, vec![2, 4, 8]);
    }

    #[test]
    fn only_failures_that_may_pass_are_retried() {
        use hyper::StatusCode;
        assert!(DeliveryError::Status(StatusCode::INTERNAL_SERVER_ERROR).transient());
        assert!(DeliveryError::Status(StatusCode::TOO_MANY_REQUESTS).transient());
        assert!(!DeliveryError::Status(StatusCode::NOT_FOUND).transient());
        assert!(!DeliveryError::Slide("no font".into()).transient());
    }
}
