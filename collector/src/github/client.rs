//! The GitHub REST client and its request policy: conditional requests, rate limits, retries.
//!
//! The transport is octocrab's client, built without its retry and redirect layers; doraboard
//! owns the whole policy around each request (octocrab's retry layer retries without waiting,
//! and its rate-limit handler may sleep for an hour unannounced):
//!
//! - **Conditional requests.** A caller passes the ETag of the last answer; GitHub answers
//!   `304 Not Modified`, which costs no rate limit, when nothing changed.
//! - **Primary rate limit.** Every answer's `x-ratelimit-remaining` / `x-ratelimit-reset` are
//!   kept; when the remaining budget falls to [`RetryPolicy::reserve`] the next request waits for
//!   the reset, and says so in the log.
//! - **Secondary rate limits** (403 or 429 whose body or headers say so): wait `retry-after`
//!   seconds when given; else until `x-ratelimit-reset` when the budget is 0; else at least
//!   [`RetryPolicy::secondary_wait`], doubling on each repeat.
//! - **Faults.** 5xx, connection errors, timeouts and truncated or malformed bodies are retried
//!   with exponential backoff and jitter, at most [`RetryPolicy::max_attempts`] times in all.
//! - **Pages.** `Link: <...>; rel="next"` is followed only to the configured host, so the token
//!   never leaves it.
//!
//! Every wait goes through [`RetryPolicy::wait_scale`], so tests run the real policy in
//! milliseconds. The token is an [`engine::config::Secret`], sent as a header marked sensitive;
//! neither the header nor the token appears in logs or in `Debug` output. A GitHub App's
//! installation token ([`super::app`]) is obtained before the first request, renewed before it
//! expires, and renewed once more when GitHub answers 401 to it.

use super::app::{AppCredentials, Credentials, InstallationToken};
pub use super::policy::RetryPolicy;
use super::policy::{self, RateState, header};
use crate::telemetry;
use bytes::Bytes;
use engine::config::Secret;
use engine::store::Counter;
use http_body_util::{BodyExt, Limited};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Request, StatusCode, Uri};
use octocrab::{OctoBody, Octocrab};
use serde::de::DeserializeOwned;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// The largest answer body read (a compare page with 300 changed files is a few MiB).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
const USER_AGENT: &str = concat!("doraboard/", env!("CARGO_PKG_VERSION"));
const API_VERSION: &str = "2022-11-28";
/// Redirects followed for one request (GitHub answers 301 for a renamed repository).
const MAX_REDIRECTS: usize = 3;

/// Where and how the client talks to GitHub.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server.
    pub api_url: String,
    /// A token, or a GitHub App installation; None: anonymous (tests, public data).
    pub credentials: Option<Credentials>,
    /// Limit of one attempt, answer body included.
    pub timeout: Duration,
    /// Requests in flight at once, over every repository being synced.
    pub max_in_flight: usize,
    pub retry: RetryPolicy,
}

impl ClientOptions {
    pub fn new(api_url: impl Into<String>, token: Option<Secret>) -> Self {
        ClientOptions {
            api_url: api_url.into(),
            credentials: token.map(Credentials::Token),
            timeout: Duration::from_secs(30),
            max_in_flight: 4,
            retry: RetryPolicy::default(),
        }
    }
}

/// Why a request gave up.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// GitHub refused the request for good (401, 403 without a rate limit, 404, 422...).
    #[error("GitHub answered {status} to GET {path}: {message}")]
    Status {
        status: u16,
        path: String,
        message: String,
    },
    /// Every attempt failed on a fault or a rate limit.
    #[error("GET {path} failed {attempts} times, last: {last}")]
    Exhausted {
        path: String,
        attempts: u32,
        last: String,
    },
    /// The configuration or a link is unusable (bad URL, a link to another host, a bad key).
    #[error("{0}")]
    Invalid(String),
    /// A credential the configuration names is missing or unreadable.
    #[error(transparent)]
    Config(#[from] engine::config::ConfigError),
}

impl GithubError {
    /// The HTTP status GitHub refused the request with, if it did.
    pub fn status(&self) -> Option<u16> {
        match self {
            GithubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The answer to a GET: unchanged since the ETag sent, or a page.
#[derive(Debug)]
pub enum Fetch<T> {
    NotModified,
    Fresh(Page<T>),
}

/// One decoded answer.
#[derive(Debug)]
pub struct Page<T> {
    pub body: T,
    pub etag: Option<String>,
    /// The `rel="next"` link, absolute.
    pub next: Option<String>,
}

/// Requests made on behalf of one repository (or any unit the caller tallies).
#[derive(Debug, Default)]
pub struct Tally {
    pub requests: AtomicU64,
    pub not_modified: AtomicU64,
    pub retries: AtomicU64,
}

impl Tally {
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    pub fn not_modified(&self) -> u64 {
        self.not_modified.load(Ordering::Relaxed)
    }
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
}

/// How requests are authenticated.
enum Auth {
    None,
    /// `Bearer <token>`, marked sensitive.
    Token(HeaderValue),
    /// The installation token in use, renewed under the lock (one exchange at a time).
    App {
        app: AppCredentials,
        token: tokio::sync::Mutex<Option<InstallationToken>>,
    },
}

/// What the attempts of one request have met so far.
#[derive(Default)]
struct AttemptState {
    secondary_hits: u32,
    /// The installation token was refused (401) and renewed once already.
    renewed_after_401: bool,
}

/// A GitHub REST client; cloning it is cheap and shares connections and rate-limit knowledge.
#[derive(Clone)]
pub struct GitHub {
    inner: Arc<Inner>,
}

struct Inner {
    /// Octocrab as the HTTP client only: no auth of its own (the header is ours), no retry, no
    /// redirects followed.
    http: Octocrab,
    /// `scheme://authority/prefix` without a trailing slash.
    base: String,
    /// `scheme://authority`: the only place links may lead to.
    origin: String,
    /// The base's path (`/api/v3` on GitHub Enterprise Server, empty on github.com).
    base_path: String,
    auth: Auth,
    /// Installation tokens obtained (a GitHub App).
    token_exchanges: AtomicU64,
    timeout: Duration,
    retry: RetryPolicy,
    in_flight: Semaphore,
    rate: Mutex<RateState>,
    jitter: AtomicU64,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field("base", &self.inner.base)
            .field(
                "auth",
                &match &self.inner.auth {
                    Auth::None => "none".to_string(),
                    Auth::Token(_) => "token ***".to_string(),
                    Auth::App { app, .. } => format!("{app:?}"),
                },
            )
            .finish()
    }
}

/// What one attempt came to.
enum Attempt<T> {
    Done(Result<Fetch<T>, GithubError>),
    /// A redirect (a renamed or transferred repository): ask there instead.
    Moved(String),
    /// Worth another try after `wait` (None: the usual backoff).
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
}

impl GitHub {
    /// Builds the client; inside a Tokio runtime (octocrab's client spawns its connection task).
    pub fn new(options: ClientOptions) -> Result<GitHub, GithubError> {
        let base = options.api_url.trim_end_matches('/').to_string();
        let uri: Uri = base
            .parse()
            .map_err(|e| GithubError::Invalid(format!("github.api_url `{base}`: {e}")))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(GithubError::Invalid(format!(
                "github.api_url `{base}` is not an absolute http(s) URL"
            )));
        };
        let origin = format!("{scheme}://{authority}");
        let base_path = uri.path().trim_end_matches('/').to_string();
        let http = Octocrab::builder()
            .base_uri(base.as_str())
            .map_err(|e| GithubError::Invalid(format!("github.api_url `{base}`: {e}")))?
            .set_connect_timeout(Some(options.timeout))
            .set_read_timeout(Some(options.timeout))
            .build()
            .map_err(|e| GithubError::Invalid(format!("the HTTP client: {e}")))?;
        let auth = match options.credentials {
            Some(Credentials::Token(token)) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|_| {
                        GithubError::Invalid("the GitHub token holds invalid characters".into())
                    })?;
                value.set_sensitive(true);
                Auth::Token(value)
            }
            Some(Credentials::App(app)) => Auth::App {
                app,
                token: tokio::sync::Mutex::new(None),
            },
            None => Auth::None,
        };
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
            | 1;
        Ok(GitHub {
            inner: Arc::new(Inner {
                http,
                base,
                origin,
                base_path,
                auth,
                token_exchanges: AtomicU64::new(0),
                timeout: options.timeout,
                retry: options.retry,
                in_flight: Semaphore::new(options.max_in_flight.max(1)),
                rate: Mutex::new(RateState::default()),
                jitter: AtomicU64::new(seed),
            }),
        })
    }

    /// The absolute URL of an API path (`/repos/acme/shop/pulls?...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base)
    }

    /// Installation tokens obtained so far (a GitHub App; 0 with a token).
    pub fn token_exchanges(&self) -> u64 {
        self.inner.token_exchanges.load(Ordering::Relaxed)
    }

    /// The last `x-ratelimit-remaining` seen, if any.
    pub fn rate_limit_remaining(&self) -> Option<u64> {
        self.rate().remaining
    }

    /// GETs `url` (absolute, or a path under the API base), conditionally on `etag`, and decodes
    /// the JSON answer, applying the whole policy; counts into `tally`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        url: &str,
        etag: Option<&str>,
        tally: &Tally,
    ) -> Result<Fetch<T>, GithubError> {
        let mut url = self.absolute(url)?;
        for _ in 0..=MAX_REDIRECTS {
            match self.get_at::<T>(&url, etag, tally).await? {
                Ok(fetch) => return Ok(fetch),
                Err(location) => {
                    tracing::info!(
                        from = url.as_str(),
                        to = location.as_str(),
                        "GitHub redirected: following"
                    );
                    url = self.absolute(&location)?;
                }
            }
        }
        Err(GithubError::Invalid(format!(
            "more than {MAX_REDIRECTS} redirects from {url}"
        )))
    }

    /// `url` as an absolute URL on the configured host (a path is taken as under the API base,
    /// an absolute path as on the host), or an error for any other host.
    fn absolute(&self, url: &str) -> Result<String, GithubError> {
        let url = if url.starts_with("http://") || url.starts_with("https://") {
            url.to_string()
        } else if url.starts_with('/') && !url.starts_with(&self.inner.base_path) {
            self.url(url)
        } else {
            format!("{}{url}", self.inner.origin)
        };
        if !url.starts_with(&format!("{}/", self.inner.origin)) {
            return Err(GithubError::Invalid(format!(
                "refusing to follow a link away from {}: {url}",
                self.inner.origin
            )));
        }
        Ok(url)
    }

    /// One GET with the whole retry policy: the answer, or `Err(location)` for a redirect.
    async fn get_at<T: DeserializeOwned>(
        &self,
        url: &str,
        etag: Option<&str>,
        tally: &Tally,
    ) -> Result<Result<Fetch<T>, String>, GithubError> {
        let uri: Uri = url
            .parse()
            .map_err(|e| GithubError::Invalid(format!("bad URL {url}: {e}")))?;
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.to_string());
        let policy = &self.inner.retry;
        let mut state = AttemptState::default();
        let mut last = String::new();
        for attempt in 1..=policy.max_attempts.max(1) {
            self.pace(&path).await;
            let outcome = {
                let _permit = self.inner.in_flight.acquire().await;
                tally.requests.fetch_add(1, Ordering::Relaxed);
                telemetry::bump(Counter::GithubRequests);
                self.attempt::<T>(&uri, &path, etag, tally, &mut state)
                    .await
            };
            match outcome {
                Attempt::Done(result) => return result.map(Ok),
                Attempt::Moved(location) => return Ok(Err(location)),
                Attempt::Retry { reason, wait } => {
                    last = reason;
                    if attempt == policy.max_attempts.max(1) {
                        break;
                    }
                    tally.retries.fetch_add(1, Ordering::Relaxed);
                    let wait = wait.unwrap_or_else(|| self.backoff(attempt));
                    tracing::warn!(
                        path,
                        attempt,
                        reason = last.as_str(),
                        wait_ms = wait.as_millis() as u64,
                        "GitHub request failed, retrying"
                    );
                    self.sleep(wait).await;
                }
            }
        }
        Err(GithubError::Exhausted {
            path,
            attempts: policy.max_attempts.max(1),
            last,
        })
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        uri: &Uri,
        path: &str,
        etag: Option<&str>,
        tally: &Tally,
        state: &mut AttemptState,
    ) -> Attempt<T> {
        let authorization = match self.authorization().await {
            Ok(value) => value,
            Err(attempt) => return attempt,
        };
        let mut request = Request::get(uri.clone())
            .header("accept", "application/vnd.github+json")
            .header("accept-encoding", "gzip")
            .header("x-github-api-version", API_VERSION)
            .header("user-agent", USER_AGENT);
        if let Some(auth) = &authorization {
            request = request.header("authorization", auth.clone());
        }
        if let Some(etag) = etag
            && let Ok(value) = HeaderValue::from_str(etag)
        {
            request = request.header("if-none-match", value);
        }
        let request = match request.body(OctoBody::empty()) {
            Ok(r) => r,
            Err(e) => return Attempt::Done(Err(GithubError::Invalid(e.to_string()))),
        };
        let (parts, body) = match self.exchange_answer(request).await {
            Ok(answer) => answer,
            Err(attempt) => return attempt,
        };
        let status = parts.status;
        self.observe_rate(&parts.headers);
        if status == StatusCode::NOT_MODIFIED {
            tally.not_modified.fetch_add(1, Ordering::Relaxed);
            telemetry::bump(Counter::GithubNotModified);
            return Attempt::Done(Ok(Fetch::NotModified));
        }
        if status.is_success() {
            return match serde_json::from_slice::<T>(&body) {
                Ok(decoded) => Attempt::Done(Ok(Fetch::Fresh(Page {
                    body: decoded,
                    etag: header(&parts.headers, "etag").map(str::to_string),
                    next: header(&parts.headers, "link").and_then(next_link),
                }))),
                Err(e) => Attempt::Retry {
                    reason: format!("truncated or malformed body ({} bytes): {e}", body.len()),
                    wait: None,
                },
            };
        }
        if status.is_redirection()
            && let Some(location) = header(&parts.headers, "location")
        {
            return Attempt::Moved(location.to_string());
        }
        let message = error_message(&body);
        if status == StatusCode::UNAUTHORIZED
            && let (Auth::App { token, .. }, Some(sent)) = (&self.inner.auth, &authorization)
            && !state.renewed_after_401
        {
            // Revoked or expired early: forget it (unless another request renewed it already)
            // and try once more with a new one.
            let mut current = token.lock().await;
            if current.as_ref().is_some_and(|t| t.header == sent) {
                *current = None;
            }
            state.renewed_after_401 = true;
            return Attempt::Retry {
                reason: format!("{status}: the installation token was refused"),
                wait: Some(Duration::ZERO),
            };
        }
        if status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
            if let Some(wait) = policy::rate_limit_wait(
                &parts.headers,
                &message,
                &self.inner.retry,
                &mut state.secondary_hits,
                now_secs(),
            ) {
                tracing::warn!(
                    path,
                    status = status.as_u16(),
                    wait_ms = wait.as_millis() as u64,
                    "GitHub rate limit hit, waiting before retrying"
                );
                return Attempt::Retry {
                    reason: format!("{status}: {message}"),
                    wait: Some(wait),
                };
            }
        } else if status.is_server_error() {
            return Attempt::Retry {
                reason: format!("{status}: {message}"),
                wait: None,
            };
        }
        Attempt::Done(Err(GithubError::Status {
            status: status.as_u16(),
            path: path.to_string(),
            message,
        }))
    }

    /// The `Authorization` header to send: the token, or a usable installation token (obtained
    /// first if there is none, or it nears its expiry). A failed exchange is an attempt's
    /// outcome: retried on a fault, final when GitHub refuses the app.
    async fn authorization<T>(&self) -> Result<Option<HeaderValue>, Attempt<T>> {
        let (app, token) = match &self.inner.auth {
            Auth::None => return Ok(None),
            Auth::Token(value) => return Ok(Some(value.clone())),
            Auth::App { app, token } => (app, token),
        };
        let mut current = token.lock().await;
        if let Some(token) = current.as_ref()
            && token.usable_at(now_secs())
        {
            return Ok(Some(token.header.clone()));
        }
        let fresh = self.exchange(app).await?;
        let header = fresh.header.clone();
        *current = Some(fresh);
        Ok(Some(header))
    }

    /// `POST /app/installations/{id}/access_tokens`, authenticated by the app's JWT.
    async fn exchange<T>(&self, app: &AppCredentials) -> Result<InstallationToken, Attempt<T>> {
        let path = app.access_tokens_path();
        let jwt = app.jwt(now_secs()).map_err(|e| Attempt::Done(Err(e)))?;
        let mut bearer = HeaderValue::from_str(&format!("Bearer {jwt}"))
            .map_err(|e| Attempt::Done(Err(GithubError::Invalid(e.to_string()))))?;
        bearer.set_sensitive(true);
        let request = Request::post(self.url(&path))
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", API_VERSION)
            .header("user-agent", USER_AGENT)
            .header("authorization", bearer)
            .body(OctoBody::empty())
            .map_err(|e| Attempt::Done(Err(GithubError::Invalid(e.to_string()))))?;
        self.inner.token_exchanges.fetch_add(1, Ordering::Relaxed);
        telemetry::bump(Counter::GithubRequests);
        let (parts, body) = self.exchange_answer(request).await?;
        self.observe_rate(&parts.headers);
        if parts.status.is_success() {
            tracing::debug!(path, "GitHub App installation token obtained");
            return InstallationToken::from_answer(&body, now_secs())
                .map_err(|reason| Attempt::Retry { reason, wait: None });
        }
        let message = error_message(&body);
        if parts.status.is_server_error() {
            return Err(Attempt::Retry {
                reason: format!("{}: {message}", parts.status),
                wait: None,
            });
        }
        Err(Attempt::Done(Err(GithubError::Status {
            status: parts.status.as_u16(),
            path: format!("{path} (the GitHub App's installation token)"),
            message,
        })))
    }

    /// One exchange of a request for its answer, within the timeout.
    async fn exchange_answer<T>(
        &self,
        request: Request<OctoBody>,
    ) -> Result<(hyper::http::response::Parts, Bytes), Attempt<T>> {
        let exchange = async {
            let response = self.inner.http.execute(request).await?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY_BYTES).collect().await?;
            let body = decompressed(&parts.headers, body.to_bytes())?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((parts, body))
        };
        match tokio::time::timeout(self.inner.timeout, exchange).await {
            Err(_) => Err(Attempt::Retry {
                reason: format!("no complete answer within {:?}", self.inner.timeout),
                wait: None,
            }),
            Ok(Err(e)) => Err(Attempt::Retry {
                reason: format!("connection or body error: {}", error_chain(&*e)),
                wait: None,
            }),
            Ok(Ok(answer)) => Ok(answer),
        }
    }

    /// Waits for the reset when the remaining budget is down to the reserve.
    async fn pace(&self, path: &str) {
        let state = self.rate();
        let Some(wait) = policy::pace_wait(state, self.inner.retry.reserve, now_secs()) else {
            return;
        };
        let (remaining, reset) = (state.remaining, state.reset);
        tracing::warn!(
            path,
            remaining,
            reset,
            wait_s = wait.as_secs(),
            "GitHub rate limit nearly spent: pausing until it resets"
        );
        self.sleep(wait).await;
        // Unknown until the next answer tells.
        let mut rate = self.inner.rate.lock().unwrap_or_else(|p| p.into_inner());
        if rate.reset == reset {
            *rate = RateState::default();
        }
    }

    fn observe_rate(&self, headers: &HeaderMap) {
        let remaining =
            header(headers, "x-ratelimit-remaining").and_then(|v| v.parse::<u64>().ok());
        let reset = header(headers, "x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok());
        if let Some(remaining) = remaining {
            telemetry::observe_rate_limit_remaining(remaining, chrono::Utc::now());
            let mut rate = self.inner.rate.lock().unwrap_or_else(|p| p.into_inner());
            rate.remaining = Some(remaining);
            if reset.is_some() {
                rate.reset = reset;
            }
        }
    }

    fn rate(&self) -> RateState {
        *self.inner.rate.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Exponential backoff with jitter: base x 2^(attempt-1), capped, times 0.5..1.5.
    fn backoff(&self, attempt: u32) -> Duration {
        policy::backoff(&self.inner.retry, attempt, self.jitter())
    }

    /// A pseudo-random number in [0, 1) (xorshift; good enough to spread retries).
    fn jitter(&self) -> f64 {
        let mut x = self.inner.jitter.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.inner.jitter.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    async fn sleep(&self, wait: Duration) {
        let policy = &self.inner.retry;
        let scaled = wait
            .min(policy.max_wait)
            .mul_f64(policy.wait_scale.max(0.0));
        if !scaled.is_zero() {
            tokio::time::sleep(scaled).await;
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        is_next.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

/// The answer's body as GitHub wrote it: gunzipped when it came compressed (requests accept gzip:
/// pages of JSON shrink several-fold on the wire), within the same size limit once decompressed.
fn decompressed(headers: &HeaderMap, body: Bytes) -> std::io::Result<Bytes> {
    let gzip = headers
        .get(hyper::header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    if !gzip {
        return Ok(body);
    }
    let mut out = Vec::with_capacity(body.len() * 4);
    flate2::read::GzDecoder::new(&body[..])
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut out)?;
    if out.len() > MAX_BODY_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the answer exceeds {MAX_BODY_BYTES} bytes once decompressed"),
        ));
    }
    Ok(out.into())
}

/// GitHub's `{"message": "..."}`, or the start of a non-JSON body.
fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Message {
        message: String,
    }
    match serde_json::from_slice::<Message>(body) {
        Ok(m) => m.message,
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Percent-encodes a query value or path segment.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let link = "<https://api.github.com/repositories/1/pulls?page=2>; rel=\"next\", \
                    <https://api.github.com/repositories/1/pulls?page=9>; rel=\"last\"";
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/1/pulls?page=2")
        );
        assert_eq!(
            next_link("<https://x/?page=1>; rel=\"prev\", <https://x/?page=1>; rel=\"first\""),
            None
        );
    }

    #[tokio::test]
    async fn the_token_never_shows_in_debug_output() {
        let client = GitHub::new(ClientOptions::new(
            "https://api.github.com/",
            Some(Secret::new("ghp_supersecret")),
        ))
        .expect("a client");
        let shown = format!("{client:?}");
        assert!(!shown.contains("supersecret"), "{shown}");
        assert_eq!(
            client.url("/rate_limit"),
            "https://api.github.com/rate_limit"
        );
    }

    #[test]
    fn values_are_percent_encoded() {
        assert_eq!(encode("a b/c:d"), "a%20b%2Fc%3Ad");
        assert_eq!(encode(">=2026-01-01"), "%3E%3D2026-01-01");
    }
}
