//! Access tokens as the configuration gives them, shared by ingestion (`api.ingest_token_env`)
//! and read protection (`api.read_token_env`): one or more, comma-separated, each the token
//! itself or `sha256:<hex digest of the token>`, so a deployment's configuration need not hold
//! the token in clear. Only digests are kept, compared in constant time; neither `Debug` nor an
//! error ever shows a token.

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use engine::config::Secret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The digests of the configured tokens.
#[derive(Clone, Default)]
pub struct Tokens {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({})", self.digests.len())
    }
}

/// Why a variable's value is not a list of tokens. The value itself is never shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error(
        "entry {entry} (counting from 1) is `sha256:` followed by something other than 64 hex digits"
    )]
    BadDigest { entry: usize },
    #[error("it holds no token, only commas and spaces")]
    Empty,
}

impl Tokens {
    /// `secret`: comma-separated tokens or `sha256:<hex>` digests of tokens; blank entries are
    /// skipped, a malformed digest is refused.
    pub fn parse(secret: &Secret) -> Result<Tokens, TokenError> {
        let digests = secret
            .expose()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .enumerate()
            .map(|(i, entry)| match entry.strip_prefix("sha256:") {
                Some(digest) => hex::decode(digest.trim())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or(TokenError::BadDigest { entry: i + 1 }),
                None => Ok(Sha256::digest(entry.as_bytes()).into()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if digests.is_empty() {
            return Err(TokenError::Empty);
        }
        Ok(Tokens { digests })
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `token` is one of the configured ones: its digest is compared with every
    /// configured digest in constant time.
    pub fn accepts(&self, token: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.digests
            .iter()
            .fold(subtle::Choice::from(0), |found, known| {
                found | known.ct_eq(&digest)
            })
            .into()
    }
}

/// Which `Authorization` schemes carry a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schemes {
    /// `Bearer <token>` only (machines).
    Bearer,
    /// `Bearer <token>`, or HTTP Basic with the token as the password and any user name, so a
    /// browser can prompt for it.
    BearerOrBasic,
}

/// The token the request's `Authorization` header presents, if any.
pub fn presented(headers: &HeaderMap, schemes: Schemes) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.trim().split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.to_string());
    }
    if schemes == Schemes::BearerOrBasic && scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_user, password) = text.split_once(':')?;
        return Some(password.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_may_be_given_in_clear_or_as_digests() {
        let digest = hex::encode(Sha256::digest(b"ci-token"));
        let tokens =
            Tokens::parse(&Secret::new(format!("first-token, sha256:{digest},"))).expect("valid");
        assert!(tokens.accepts("first-token"));
        assert!(tokens.accepts("ci-token"));
        assert!(!tokens.accepts(&format!("sha256:{digest}")));
        assert!(!tokens.accepts(""));
        assert!(!Tokens::default().accepts(""));
    }

    #[test]
    fn a_malformed_digest_or_no_token_is_refused_without_showing_the_value() {
        let e = Tokens::parse(&Secret::new("good, sha256:s3cr3t")).expect_err("bad digest");
        assert_eq!(e, TokenError::BadDigest { entry: 2 });
        assert!(!e.to_string().contains("s3cr3t"));
        assert_eq!(
            Tokens::parse(&Secret::new(" , ,")).expect_err("empty"),
            TokenError::Empty
        );
    }

    #[test]
    fn debug_output_shows_no_token() {
        let tokens = Tokens::parse(&Secret::new("t0k3n")).expect("valid");
        assert_eq!(format!("{tokens:?}"), "Tokens(1)");
    }

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn bearer_and_basic_credentials_are_read() {
        let bearer = with_authorization("Bearer  t0k3n ");
        assert_eq!(
            presented(&bearer, Schemes::Bearer).as_deref(),
            Some("t0k3n")
        );
        // "anyone:t0k:3n": the password is everything after the first colon.
        let basic = with_authorization("basic YW55b25lOnQwazozbg==");
        assert_eq!(
            presented(&basic, Schemes::BearerOrBasic).as_deref(),
            Some("t0k:3n")
        );
        assert_eq!(presented(&basic, Schemes::Bearer), None);
        for bad in ["Basic !!!", "Basic dXNlcg==", "Digest x", "Bearer"] {
            assert_eq!(
                presented(&with_authorization(bad), Schemes::BearerOrBasic),
                None,
                "{bad}"
            );
        }
        assert_eq!(presented(&HeaderMap::new(), Schemes::BearerOrBasic), None);
    }
}
