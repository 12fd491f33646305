//! GitHub App installation authentication: a JWT (RS256) signed with the app's private key is
//! exchanged at `POST /app/installations/{id}/access_tokens` for an installation token, which
//! the client sends like any token until it nears its expiry (or GitHub answers 401), then
//! renews.
//!
//! An installation belongs to the organisation, not to a person, is scoped to the repositories
//! chosen when installing it, and gets a higher rate limit than a user's token. Neither the key
//! nor a token ever appears in logs or in `Debug` output.

use super::client::GithubError;
use engine::config::{GithubAuth, Secret};
use hyper::header::HeaderValue;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

/// A JWT is valid for at most ten minutes; doraboard asks for nine, backdated by one to absorb
/// clock drift (GitHub's own advice).
const JWT_LIFETIME_SECS: u64 = 9 * 60;
const JWT_BACKDATE_SECS: u64 = 60;
/// An installation token is renewed this long before it expires at the most (an hour-long token
/// at 55 minutes); a short-lived one a quarter of its lifetime before.
const RENEW_MARGIN_SECS: u64 = 5 * 60;

/// The app's identity and key.
#[derive(Clone)]
pub struct AppCredentials {
    app_id: u64,
    installation_id: u64,
    key: EncodingKey,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("installation_id", &self.installation_id)
            .finish_non_exhaustive()
    }
}

/// How the client authenticates: a token, or an app installation (from [`GithubAuth`]).
#[derive(Debug, Clone)]
pub enum Credentials {
    Token(Secret),
    App(AppCredentials),
}

impl Credentials {
    /// Parses the app's key; an error names where the key came from.
    pub fn from_config(auth: GithubAuth) -> Result<Credentials, GithubError> {
        match auth {
            GithubAuth::Token(token) => Ok(Credentials::Token(token)),
            GithubAuth::App {
                app_id,
                installation_id,
                private_key,
                key_origin,
            } => AppCredentials::new(app_id, installation_id, &private_key, &key_origin)
                .map(Credentials::App),
        }
    }
}

#[derive(serde::Serialize)]
struct Claims {
    iat: u64,
    exp: u64,
    iss: String,
}

impl AppCredentials {
    /// `key_origin` names the key in errors (`github.private_key_env (VAR)`).
    pub fn new(
        app_id: u64,
        installation_id: u64,
        pem: &Secret,
        key_origin: &str,
    ) -> Result<Self, GithubError> {
        let key = EncodingKey::from_rsa_pem(pem.expose().trim().as_bytes()).map_err(|e| {
            GithubError::Invalid(format!(
                "{key_origin}: not an RSA private key in PEM (the .pem file GitHub generates \
                 for the app, -----BEGIN RSA PRIVATE KEY-----): {e}"
            ))
        })?;
        Ok(AppCredentials {
            app_id,
            installation_id,
            key,
        })
    }

    /// The JWT that authenticates as the app at `now` (Unix seconds).
    pub fn jwt(&self, now: u64) -> Result<String, GithubError> {
        let claims = Claims {
            iat: now.saturating_sub(JWT_BACKDATE_SECS),
            exp: now + JWT_LIFETIME_SECS,
            iss: self.app_id.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| GithubError::Invalid(format!("signing the GitHub App's JWT: {e}")))
    }

    /// The API path that issues installation tokens.
    pub fn access_tokens_path(&self) -> String {
        format!("/app/installations/{}/access_tokens", self.installation_id)
    }
}

/// An installation token and its lifetime.
#[derive(Clone)]
pub struct InstallationToken {
    /// `Bearer <token>`, marked sensitive.
    pub header: HeaderValue,
    /// Unix seconds, by this machine's clock.
    pub received_at: u64,
    pub expires_at: u64,
}

impl InstallationToken {
    /// Reads GitHub's `{"token": ..., "expires_at": "2026-03-02T12:00:00Z"}`, received at
    /// `now`; the error never shows the body (it holds the token).
    pub fn from_answer(body: &[u8], now: u64) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        struct Answer {
            token: String,
            expires_at: chrono::DateTime<chrono::Utc>,
        }
        let answer: Answer = serde_json::from_slice(body).map_err(|e| {
            format!(
                "the installation token answer is not {{token, expires_at}} (at column {})",
                e.column()
            )
        })?;
        let mut header = HeaderValue::from_str(&format!("Bearer {}", answer.token))
            .map_err(|_| "the installation token holds invalid characters".to_string())?;
        header.set_sensitive(true);
        Ok(InstallationToken {
            header,
            received_at: now,
            expires_at: u64::try_from(answer.expires_at.timestamp()).unwrap_or(0),
        })
    }

    /// Whether it may still be sent at `now`: not within the renewal margin of its expiry (a
    /// quarter of its lifetime, at most `RENEW_MARGIN_SECS`: five minutes).
    pub fn usable_at(&self, now: u64) -> bool {
        let lifetime = self.expires_at.saturating_sub(self.received_at);
        let margin = (lifetime / 4).min(RENEW_MARGIN_SECS);
        now + margin < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2048-bit key made for these tests only.
    const TEST_KEY: &str = include_str!("../../../tests/fake_github/app_key.pem");
    const TEST_PUBLIC_KEY: &str = include_str!("../../../tests/fake_github/app_key.pub.pem");

    fn app() -> AppCredentials {
        AppCredentials::new(
            42,
            7,
            &Secret::new(TEST_KEY),
            "github.private_key_env (KEY)",
        )
        .expect("a valid key")
    }

    #[test]
    fn the_jwt_is_rs256_signed_by_the_app_key_and_short_lived() {
        let now = 1_800_000_000;
        let jwt = app().jwt(now).expect("signed");
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(TEST_PUBLIC_KEY.as_bytes()).expect("pub");
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss", "iat", "exp"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(&jwt, &key, &validation)
            .expect("verifies")
            .claims;
        assert_eq!(claims["iss"], "42");
        assert_eq!(claims["iat"], now - 60);
        assert_eq!(claims["exp"], now + 540);
        assert_eq!(
            app().access_tokens_path(),
            "/app/installations/7/access_tokens"
        );
    }

    #[test]
    fn a_bad_key_names_where_it_came_from_and_nothing_shows_it() {
        let e = AppCredentials::new(
            1,
            2,
            &Secret::new("not a key"),
            "github.private_key_file (a.pem)",
        )
        .expect_err("refused");
        assert!(
            e.to_string()
                .starts_with("github.private_key_file (a.pem): "),
            "{e}"
        );
        let shown = format!("{:?}", Credentials::App(app()));
        assert!(!shown.contains("PRIVATE"), "{shown}");
    }

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        let body = br#"{"token": "ghs_abc", "expires_at": "2026-03-02T12:00:00Z",
            "permissions": {"contents": "read"}}"#;
        let expires = 1_772_452_800; // 2026-03-02T12:00:00Z
        let hour = InstallationToken::from_answer(body, expires - 3600).expect("read");
        assert_eq!(hour.expires_at, expires);
        assert!(hour.header.is_sensitive());
        // An hour-long token is renewed five minutes before it expires...
        assert!(hour.usable_at(expires - 301));
        assert!(!hour.usable_at(expires - 300));
        // ...a four-second one a second before.
        let short = InstallationToken::from_answer(body, expires - 4).expect("read");
        assert!(short.usable_at(expires - 2));
        assert!(!short.usable_at(expires - 1));
        let e = InstallationToken::from_answer(br#"{"token": "ghs_secret"}"#, 0)
            .err()
            .expect("refused");
        assert!(!e.contains("ghs_secret"), "{e}");
    }
}
