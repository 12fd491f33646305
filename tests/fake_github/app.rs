//! The fake's GitHub App: `POST /app/installations/{id}/access_tokens` verifies the JWT's RS256
//! signature with the app's public key (and its issuer and expiry) and issues installation
//! tokens that expire after a few seconds, or after a number of uses, so that a sync has to
//! renew them both ways: before they expire, and when refused with a 401.

use axum::http::StatusCode;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use std::collections::HashMap;

/// A 2048-bit RSA key made for these tests only; the app's private and public halves.
pub const APP_KEY: &str = include_str!("app_key.pem");
const APP_PUBLIC_KEY: &str = include_str!("app_key.pub.pem");

/// The app as GitHub knows it, and the installation tokens it has issued.
#[derive(Debug)]
pub struct FakeApp {
    pub app_id: u64,
    pub installation_id: u64,
    /// Seconds an issued token lives.
    pub lifetime: u64,
    /// Requests a token serves before it is refused (a revocation), if limited.
    pub max_uses: Option<u64>,
    tokens: HashMap<String, Issued>,
}

#[derive(Debug)]
struct Issued {
    expires_at: u64,
    uses: u64,
}

impl FakeApp {
    pub fn new(app_id: u64, installation_id: u64, lifetime: u64, max_uses: Option<u64>) -> Self {
        FakeApp {
            app_id,
            installation_id,
            lifetime,
            max_uses,
            tokens: HashMap::new(),
        }
    }

    /// Answers `POST path` with `Authorization: <authorization>`: the 201 body, or a refusal.
    pub fn issue(
        &mut self,
        path: &str,
        authorization: &str,
        now: u64,
    ) -> Result<Value, (StatusCode, &'static str)> {
        let installation = path
            .strip_prefix("/app/installations/")
            .and_then(|rest| rest.strip_suffix("/access_tokens"))
            .ok_or((StatusCode::NOT_FOUND, "Not Found"))?;
        let jwt = authorization.strip_prefix("Bearer ").ok_or((
            StatusCode::UNAUTHORIZED,
            "A JSON web token could not be decoded",
        ))?;
        let key = DecodingKey::from_rsa_pem(APP_PUBLIC_KEY.as_bytes())
            .map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "the fake's public key"))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_required_spec_claims(&["iat", "exp", "iss"]);
        validation.set_issuer(&[self.app_id.to_string()]);
        jsonwebtoken::decode::<Value>(jwt, &key, &validation).map_err(|_| {
            (
                StatusCode::UNAUTHORIZED,
                "A JSON web token could not be decoded",
            )
        })?;
        if installation != self.installation_id.to_string() {
            return Err((StatusCode::NOT_FOUND, "Not Found"));
        }
        let token = format!("ghs_fake{:04}", self.tokens.len() + 1);
        let expires_at = now + self.lifetime;
        self.tokens.insert(
            token.clone(),
            Issued {
                expires_at,
                uses: 0,
            },
        );
        let expires = chrono::DateTime::from_timestamp(expires_at as i64, 0)
            .ok_or((StatusCode::INTERNAL_SERVER_ERROR, "time"))?;
        Ok(json!({
            "token": token,
            "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "permissions": {"actions": "read", "contents": "read", "deployments": "read",
                "issues": "read", "metadata": "read", "pull_requests": "read"},
            "repository_selection": "selected"
        }))
    }

    /// Whether `authorization` carries a live installation token; counts one use of it.
    pub fn accepts(&mut self, authorization: &str, now: u64) -> bool {
        let Some(issued) = authorization
            .strip_prefix("Bearer ")
            .and_then(|token| self.tokens.get_mut(token))
        else {
            return false;
        };
        issued.uses += 1;
        now < issued.expires_at && self.max_uses.is_none_or(|max| issued.uses <= max)
    }

    /// Tokens issued so far.
    pub fn issued(&self) -> usize {
        self.tokens.len()
    }
}
