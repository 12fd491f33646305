//! A fake GitHub REST API for the collector's tests and benchmark: an axum server on 127.0.0.1
//! serving GitHub-shaped JSON (GitHub's own field names) for every endpoint the collector uses,
//! from an in-memory world the test builds and changes.
//!
//! Like GitHub it paginates with `page`/`per_page` and `Link` headers, answers `If-None-Match`
//! with `304` when the body's ETag matches (without spending rate limit), and sends
//! `x-ratelimit-*` headers. It counts every request, and injects faults on demand: bursts of
//! 503, secondary rate limits (403 with `retry-after`, 429 without), slow answers and truncated
//! bodies.
//!
//! The repository's history is a commit graph replayed from the world (see [`graph`]): each merged
//! pull request is a squash commit or, with [`Strategy::MergeCommit`], its own commits plus a
//! merge commit, on its base branch; a pull request whose head is a branch of the repository
//! merges that branch; direct pushes are commits of their own. Listing commits, `compare` and the
//! pull requests of a commit answer by reachability, as GitHub does.
#![allow(
    dead_code,
    reason = "shared by the tests and the benchmarks in examples/, each using a part of it"
)]

pub mod app;
pub mod branching;
pub mod graph;
pub mod harness;
pub mod scenario;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use graph::Graph;
pub use graph::{FakeBranch, FakeMerge};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub type Time = DateTime<Utc>;

pub fn at(s: &str) -> Time {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("fixture time {s}: {e}"))
        .with_timezone(&Utc)
}

/// A 40-digit hex sha derived from `seed` (FNV-1a, three lanes).
pub fn sha(seed: &str) -> String {
    let lane = |salt: u64| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    let s = format!("{:016x}{:016x}{:016x}", lane(1), lane(2), lane(3));
    s[..40].to_string()
}

// ---- The world -------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// One commit on the default branch (the merge sha).
    Squash,
    /// The pull request's commits and a merge commit (the merge sha) land on the default branch.
    MergeCommit,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub login: String,
    pub bot: bool,
}

impl Account {
    pub fn user(login: &str) -> Account {
        Account {
            login: login.into(),
            bot: false,
        }
    }
    pub fn bot(login: &str) -> Account {
        Account {
            login: login.into(),
            bot: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FakeCommit {
    pub sha: String,
    pub message: String,
    pub author: Account,
    pub authored_at: Time,
    pub committed_at: Time,
}

#[derive(Debug, Clone)]
pub struct FakeReview {
    pub id: u64,
    pub login: String,
    pub state: String,
    pub submitted_at: Option<Time>,
}

#[derive(Debug, Clone)]
pub struct FakePull {
    pub number: i64,
    pub title: String,
    pub body: String,
    pub author: Account,
    pub labels: Vec<String>,
    pub head: String,
    pub base: String,
    pub created_at: Time,
    pub updated_at: Time,
    pub closed_at: Option<Time>,
    pub merged_at: Option<Time>,
    pub merge_sha: Option<String>,
    pub strategy: Strategy,
    pub commits: Vec<FakeCommit>,
    pub reviews: Vec<FakeReview>,
}

#[derive(Debug, Clone)]
pub struct FakeDeployment {
    pub id: u64,
    pub sha: String,
    pub environment: String,
    pub created_at: Time,
    pub updated_at: Time,
    /// (id, state, created_at), oldest first.
    pub statuses: Vec<(u64, String, Time)>,
}

#[derive(Debug, Clone)]
pub struct FakeRun {
    pub id: u64,
    pub workflow: String,
    pub head_sha: String,
    pub head_branch: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
}

#[derive(Debug, Clone)]
pub struct FakeRelease {
    pub id: u64,
    pub tag: String,
    pub sha: String,
    pub draft: bool,
    pub prerelease: bool,
    pub created_at: Time,
    pub published_at: Option<Time>,
}

#[derive(Debug, Clone)]
pub struct FakeIssue {
    pub number: i64,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub created_at: Time,
    pub updated_at: Time,
    pub closed_at: Option<Time>,
    /// An issue-list item that is a pull request (carries `pull_request`).
    pub is_pull: bool,
}

impl FakePull {
    /// The pull request as the issues list shows it.
    fn as_issue(&self) -> FakeIssue {
        FakeIssue {
            number: self.number,
            title: self.title.clone(),
            body: self.body.clone(),
            labels: self.labels.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            closed_at: self.closed_at,
            is_pull: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FakeRepo {
    pub default_branch: String,
    pub pulls: BTreeMap<i64, FakePull>,
    pub pushes: Vec<FakeCommit>,
    pub deployments: Vec<FakeDeployment>,
    pub runs: Vec<FakeRun>,
    pub releases: Vec<FakeRelease>,
    pub issues: Vec<FakeIssue>,
    /// Branches other than the default one, created from another branch's tip.
    pub branches: Vec<FakeBranch>,
    /// Commits pushed straight to other branches: (branch, commit).
    pub branch_pushes: Vec<(String, FakeCommit)>,
    /// Branches merged into others without a pull request.
    pub merges: Vec<FakeMerge>,
}

impl Default for FakeRepo {
    fn default() -> Self {
        FakeRepo {
            default_branch: "main".into(),
            pulls: BTreeMap::new(),
            pushes: Vec::new(),
            deployments: Vec::new(),
            runs: Vec::new(),
            releases: Vec::new(),
            issues: Vec::new(),
            branches: Vec::new(),
            branch_pushes: Vec::new(),
            merges: Vec::new(),
        }
    }
}

#[derive(Debug, Default)]
pub struct World {
    pub repos: BTreeMap<String, FakeRepo>,
    /// Per repository: its commit graph, rebuilt after every change to the repository.
    history: HashMap<String, Arc<Graph>>,
}

impl World {
    pub fn repo(&mut self, slug: &str) -> &mut FakeRepo {
        self.history.remove(slug);
        self.repos.entry(slug.to_string()).or_default()
    }

    fn history(&mut self, slug: &str) -> Option<Arc<Graph>> {
        if let Some(h) = self.history.get(slug) {
            return Some(h.clone());
        }
        let graph = Arc::new(Graph::build(self.repos.get(slug)?));
        self.history.insert(slug.to_string(), graph.clone());
        Some(graph)
    }
}

// ---- Faults and counters ---------------------------------------------------------------------

/// Switchable faults, each applied to request numbers `n` (1-based, every request counts).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// `(every, burst)`: requests with `n % every < burst` answer 503.
    pub server_errors: Option<(u64, u64)>,
    /// `(every, retry_after)`: `n % every == 0` answers 403 "secondary rate limit" with
    /// `retry-after: retry_after`.
    pub secondary_limit: Option<(u64, u64)>,
    /// `every`: `n % every == 0` answers 429 with no `retry-after` (budget left).
    pub too_many_requests: Option<u64>,
    /// `(every, delay)`: `n % every == 0` answers after `delay`.
    pub slow: Option<(u64, Duration)>,
    /// `every`: `n % every == 0` sends half its body, then drops the connection.
    pub truncate: Option<u64>,
    /// From this request number on, every request answers 500 (a GitHub outage).
    pub outage_from: Option<u64>,
    /// Requests for paths containing this answer 502, always (one repository keeps failing).
    pub always_fail_path: Option<String>,
    /// A request (path and query) is faulted at most this many times, then served: the faults
    /// stay frequent without ever exhausting a client's retries by bad luck. 0: no cap.
    pub per_request_cap: u32,
}

impl Faults {
    /// Every kind of fault, often enough to hit each several times in a small sync.
    pub fn all() -> Faults {
        Faults {
            server_errors: Some((11, 2)),
            secondary_limit: Some((17, 1)),
            too_many_requests: Some(23),
            slow: Some((29, Duration::from_millis(150))),
            truncate: Some(19),
            outage_from: None,
            always_fail_path: None,
            per_request_cap: 3,
        }
    }
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub conditional: bool,
    pub status: u16,
}

#[derive(Debug)]
pub struct Shared {
    pub world: Mutex<World>,
    pub faults: Mutex<Faults>,
    pub latency: Mutex<Duration>,
    /// The token the fake expects (`Authorization: Bearer ...`); requests without one pass.
    pub token: Mutex<Option<String>>,
    /// A GitHub App: its installation tokens are then the only ones accepted.
    pub app: Mutex<Option<app::FakeApp>>,
    /// `(remaining, reset)`; remaining is spent by every answer but a 304.
    pub budget: Mutex<(u64, u64)>,
    pub requests: AtomicU64,
    /// Answers sent gzip-compressed (to a client that asked for it, as GitHub does).
    pub compressed: AtomicU64,
    /// Renamed repositories: old `owner/name` -> new; answered 301 like GitHub.
    pub moved: Mutex<HashMap<String, String>>,
    seen: Mutex<Vec<Seen>>,
    faulted: Mutex<HashMap<String, u32>>,
    record: bool,
}

/// A running fake; stops when dropped.
pub struct FakeGithub {
    pub url: String,
    pub shared: Arc<Shared>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl FakeGithub {
    pub async fn start() -> FakeGithub {
        Self::start_with(true).await
    }

    /// `record`: keep a log of every request (off for the benchmark's 40,000).
    pub async fn start_with(record: bool) -> FakeGithub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake GitHub");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let shared = Arc::new(Shared {
            world: Mutex::new(World::default()),
            faults: Mutex::new(Faults::default()),
            latency: Mutex::new(Duration::ZERO),
            token: Mutex::new(None),
            app: Mutex::new(None),
            budget: Mutex::new((1_000_000, now_secs() + 3600)),
            requests: AtomicU64::new(0),
            compressed: AtomicU64::new(0),
            moved: Mutex::new(HashMap::new()),
            seen: Mutex::new(Vec::new()),
            faulted: Mutex::new(HashMap::new()),
            record,
        });
        let counted = shared.clone();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Served {
                shared: shared.clone(),
                base: url.clone(),
            })
            // GitHub compresses its answers for a client that accepts gzip.
            .layer(tower_http::compression::CompressionLayer::new())
            .layer(axum::middleware::map_response(move |response: Response| {
                let counted = counted.clone();
                async move {
                    if response
                        .headers()
                        .get("content-encoding")
                        .is_some_and(|v| v == "gzip")
                    {
                        counted.compressed.fetch_add(1, Ordering::SeqCst);
                    }
                    response
                }
            }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("fake GitHub serves");
        });
        FakeGithub {
            url,
            shared,
            _stop: stop,
        }
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.shared.world)
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared.faults) = faults;
    }

    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }

    pub fn set_budget(&self, remaining: u64, reset_in_secs: u64) {
        *lock(&self.shared.budget) = (remaining, now_secs() + reset_in_secs);
    }

    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Answers sent gzip-compressed.
    pub fn compressed_responses(&self) -> u64 {
        self.shared.compressed.load(Ordering::SeqCst)
    }

    /// Every request seen since the last [`FakeGithub::clear_log`].
    pub fn log(&self) -> Vec<Seen> {
        lock(&self.shared.seen).clone()
    }

    pub fn clear_log(&self) {
        lock(&self.shared.seen).clear();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

// ---- Serving ---------------------------------------------------------------------------------

#[derive(Clone)]
struct Served {
    shared: Arc<Shared>,
    base: String,
}

/// What a route answers before pagination, ETags and headers.
enum Answer {
    Json(Value),
    /// A list, paginated by the fake.
    List(Vec<Value>),
    /// One page of a long list the route sliced itself (rendering only the page), and the
    /// length of the whole list.
    Page(Vec<Value>, usize),
    /// An object holding a list under `key`, paginated by the fake (compare, workflow runs).
    Wrapped(Value, &'static str, Vec<Value>),
    Status(StatusCode, &'static str),
}

async fn handle(State(s): State<Served>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let n = s.shared.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let path = uri.path().to_string();
    let query = parse_query(uri.query().unwrap_or(""));
    let conditional = headers.contains_key("if-none-match");
    let latency = *lock(&s.shared.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut faults = lock(&s.shared.faults).clone();
    if faults.per_request_cap > 0 {
        let mut faulted = lock(&s.shared.faulted);
        let count = faulted.entry(uri.to_string()).or_default();
        if *count >= faults.per_request_cap {
            faults = Faults {
                always_fail_path: faults.always_fail_path.clone(),
                outage_from: faults.outage_from,
                ..Faults::default()
            };
        } else {
            *count += 1;
        }
    }
    let (status, response) =
        serve_one(&s, n, &method, &uri, &path, &query, &headers, &faults).await;
    if s.shared.record {
        lock(&s.shared.seen).push(Seen {
            path: uri.to_string(),
            conditional,
            status,
        });
    }
    response
}

#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one request, taken apart once by the handler"
)]
async fn serve_one(
    s: &Served,
    n: u64,
    method: &Method,
    uri: &Uri,
    path: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    faults: &Faults,
) -> (u16, Response) {
    let hit = |every: Option<u64>| every.is_some_and(|e| e > 0 && n.is_multiple_of(e));
    if let Some((every, burst)) = faults.server_errors
        && every > 0
        && n % every < burst
    {
        return error(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", s);
    }
    if faults.outage_from.is_some_and(|from| n >= from) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "Server Error", s);
    }
    if faults
        .always_fail_path
        .as_deref()
        .is_some_and(|p| path.contains(p))
    {
        return error(StatusCode::BAD_GATEWAY, "Server Error", s);
    }
    if let Some((every, retry_after)) = faults.secondary_limit
        && hit(Some(every))
    {
        let (status, mut response) = error(
            StatusCode::FORBIDDEN,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            s,
        );
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(retry_after));
        return (status, response);
    }
    if hit(faults.too_many_requests) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "You have exceeded a secondary rate limit.",
            s,
        );
    }
    if let Some((every, delay)) = faults.slow
        && hit(Some(every))
    {
        tokio::time::sleep(delay).await;
    }
    let sent = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let issued = (method == Method::POST)
        .then(|| {
            lock(&s.shared.app)
                .as_mut()
                .map(|app| app.issue(path, sent, now_secs()))
        })
        .flatten();
    match issued {
        Some(Ok(body)) => return json_answer(StatusCode::CREATED, &body, s),
        Some(Err((status, message))) => return error(status, message, s),
        None => {}
    }
    if method != Method::GET {
        return error(StatusCode::NOT_FOUND, "Not Found", s);
    }
    let app_accepts = lock(&s.shared.app)
        .as_mut()
        .map(|app| app.accepts(sent, now_secs()));
    let accepted = match (app_accepts, lock(&s.shared.token).clone()) {
        (Some(accepted), _) => accepted,
        (None, Some(expected)) => sent == format!("Bearer {expected}"),
        (None, None) => true,
    };
    if !accepted {
        return error(StatusCode::UNAUTHORIZED, "Bad credentials", s);
    }
    let renamed = lock(&s.shared.moved).iter().find_map(|(old, new)| {
        let prefix = format!("/repos/{old}");
        let rest = path.strip_prefix(&prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then(|| format!("/repos/{new}{rest}"))
    });
    if let Some(target) = renamed {
        let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        let (_, mut response) = error(StatusCode::MOVED_PERMANENTLY, "Moved Permanently", s);
        response.headers_mut().insert(
            "location",
            HeaderValue::from_str(&format!("{}{target}{query}", s.base)).expect("location"),
        );
        return (301, response);
    }
    let answer = route(s, path, query);
    let (body, link) = match answer {
        Answer::Status(status, message) => return error(status, message, s),
        Answer::Json(v) => (v, None),
        Answer::Page(items, total) => {
            let link = links(total, uri, query, &s.base);
            (Value::Array(items), link)
        }
        Answer::List(items) => {
            let (items, link) = paginate(items, uri, query, &s.base);
            (Value::Array(items), link)
        }
        Answer::Wrapped(mut object, key, items) => {
            let (items, link) = paginate(items, uri, query, &s.base);
            object[key] = Value::Array(items);
            (object, link)
        }
    };
    let bytes = serde_json::to_vec(&body).expect("JSON");
    let etag = format!("W/\"{:016x}\"", fast_hash(&bytes));
    let matches = headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    if matches {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
            .headers_mut()
            .insert("etag", HeaderValue::from_str(&etag).expect("etag"));
        rate_headers(s, false, response.headers_mut());
        return (304, response);
    }
    let truncated = hit(faults.truncate);
    let length = bytes.len();
    let mut response = if truncated {
        let half = Bytes::copy_from_slice(&bytes[..length / 2]);
        let stream = futures_util::stream::iter(vec![
            Ok::<_, std::io::Error>(half),
            Err(std::io::Error::other("connection dropped")),
        ]);
        Response::new(Body::from_stream(stream))
    } else {
        Response::new(Body::from(bytes))
    };
    let h = response.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if truncated {
        h.insert("content-length", HeaderValue::from(length));
    }
    h.insert("etag", HeaderValue::from_str(&etag).expect("etag"));
    if let Some(link) = link {
        h.insert("link", HeaderValue::from_str(&link).expect("link"));
    }
    rate_headers(s, true, h);
    (200, response)
}

/// FNV-1a over 8-byte words: quick even in a debug build, and enough for an ETag.
fn fast_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h ^= u64::from_le_bytes(word);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    for b in chunks.remainder() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ bytes.len() as u64
}

fn error(status: StatusCode, message: &str, s: &Served) -> (u16, Response) {
    let body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.as_u16().to_string(),
    });
    json_answer(status, &body, s)
}

/// A JSON answer with the rate-limit headers.
fn json_answer(status: StatusCode, body: &Value, s: &Served) -> (u16, Response) {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    rate_headers(
        s,
        status != StatusCode::NOT_MODIFIED,
        response.headers_mut(),
    );
    (status.as_u16(), response)
}

fn rate_headers(s: &Served, spend: bool, h: &mut HeaderMap) {
    let mut budget = lock(&s.shared.budget);
    if now_secs() >= budget.1 {
        *budget = (5000, now_secs() + 3600);
    }
    if spend {
        budget.0 = budget.0.saturating_sub(1);
    }
    h.insert("x-ratelimit-limit", HeaderValue::from(5000u64));
    h.insert("x-ratelimit-remaining", HeaderValue::from(budget.0));
    h.insert("x-ratelimit-reset", HeaderValue::from(budget.1));
    h.insert(
        "x-ratelimit-used",
        HeaderValue::from(5000u64.saturating_sub(budget.0)),
    );
    h.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
}

/// `(page, per_page)` as asked, GitHub's defaults otherwise.
fn page_of(query: &HashMap<String, String>) -> (usize, usize) {
    let per_page: usize = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    (page, per_page)
}

/// The slice of `items` the query's page covers.
fn window<'a, T>(items: &'a [T], query: &HashMap<String, String>) -> &'a [T] {
    let (page, per_page) = page_of(query);
    let start = ((page - 1) * per_page).min(items.len());
    &items[start..(start + per_page).min(items.len())]
}

fn paginate(
    items: Vec<Value>,
    uri: &Uri,
    query: &HashMap<String, String>,
    base: &str,
) -> (Vec<Value>, Option<String>) {
    let total = items.len();
    let (page, per_page) = page_of(query);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    (slice, links(total, uri, query, base))
}

/// GitHub's `Link` header for the query's page of a list of `total` items.
fn links(total: usize, uri: &Uri, query: &HashMap<String, String>, base: &str) -> Option<String> {
    let (page, per_page) = page_of(query);
    let last = total.div_ceil(per_page).max(1);
    let link_to = |p: usize| {
        let mut pairs: Vec<String> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("page="))
            .map(str::to_string)
            .collect();
        pairs.push(format!("page={p}"));
        format!("{base}{}?{}", uri.path(), pairs.join("&"))
    };
    let mut links = Vec::new();
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", link_to(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", link_to(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", link_to(1)));
        links.push(format!("<{}>; rel=\"prev\"", link_to(page - 1)));
    }
    (!links.is_empty()).then(|| links.join(", "))
}

fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%' && i + 3 <= bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (hex, bytes[i]) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---- Routes ----------------------------------------------------------------------------------

fn route(s: &Served, path: &str, query: &HashMap<String, String>) -> Answer {
    let segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    if seg == ["rate_limit"] {
        let (remaining, reset) = *lock(&s.shared.budget);
        return Answer::Json(json!({
            "resources": {"core": {"limit": 5000, "remaining": remaining, "reset": reset, "used": 5000 - remaining.min(5000)}},
            "rate": {"limit": 5000, "remaining": remaining, "reset": reset, "used": 5000 - remaining.min(5000)}
        }));
    }
    if seg.len() < 3 || seg[0] != "repos" {
        return Answer::Status(StatusCode::NOT_FOUND, "Not Found");
    }
    let slug = format!("{}/{}", seg[1], seg[2]);
    let mut world = lock(&s.shared.world);
    let Some(history) = world.history(&slug) else {
        return Answer::Status(StatusCode::NOT_FOUND, "Not Found");
    };
    let Some(repo) = world.repos.get(&slug) else {
        return Answer::Status(StatusCode::NOT_FOUND, "Not Found");
    };
    let api = format!("{}/repos/{slug}", s.base);
    let rest = &seg[3..];
    match rest {
        [] => Answer::Json(repo_json(&slug, repo, &s.base)),
        ["pulls"] => {
            let state = query.get("state").map_or("open", String::as_str);
            let mut pulls: Vec<&FakePull> = repo
                .pulls
                .values()
                .filter(|p| match state {
                    "all" => true,
                    "closed" => p.closed_at.is_some(),
                    _ => p.closed_at.is_none(),
                })
                .filter(|p| query.get("base").is_none_or(|b| *b == p.base))
                .collect();
            let desc = query.get("direction").map(String::as_str) != Some("asc");
            match query.get("sort").map(String::as_str) {
                Some("updated") => pulls.sort_by_key(|p| (p.updated_at, p.number)),
                _ => pulls.sort_by_key(|p| (p.created_at, p.number)),
            }
            if desc {
                pulls.reverse();
            }
            let page = window(&pulls, query);
            Answer::Page(
                page.iter()
                    .map(|p| pull_json(&slug, repo, p, &api))
                    .collect(),
                pulls.len(),
            )
        }
        ["pulls", number, "commits"] => {
            let Some(pr) = number.parse().ok().and_then(|n: i64| repo.pulls.get(&n)) else {
                return Answer::Status(StatusCode::NOT_FOUND, "Not Found");
            };
            if let Some(brought) = history.pull_commits(pr.number) {
                return Answer::List(
                    brought
                        .iter()
                        .take(250)
                        .map(|c| commit_json(&c.commit, &c.parents, &api))
                        .collect(),
                );
            }
            let mut parent: Option<String> = None;
            let commits = pr
                .commits
                .iter()
                .take(250)
                .map(|c| {
                    let v = commit_json(c, &parent.iter().cloned().collect::<Vec<_>>(), &api);
                    parent = Some(c.sha.clone());
                    v
                })
                .collect();
            Answer::List(commits)
        }
        ["pulls", number, "reviews"] => {
            match number.parse().ok().and_then(|n: i64| repo.pulls.get(&n)) {
                Some(pr) => Answer::List(
                    pr.reviews
                        .iter()
                        .map(|r| review_json(r, pr.number, &api))
                        .collect(),
                ),
                None => Answer::Status(StatusCode::NOT_FOUND, "Not Found"),
            }
        }
        ["commits"] => {
            let reference = query
                .get("sha")
                .map_or(repo.default_branch.as_str(), String::as_str);
            let Some(head) = history.resolve(reference) else {
                if reference == repo.default_branch {
                    return Answer::List(vec![]);
                }
                return Answer::Status(StatusCode::NOT_FOUND, "No commit found for SHA");
            };
            let since = query.get("since").map(|s| at(s));
            let listed: Vec<_> = history
                .log(head)
                .into_iter()
                .filter(|c| since.is_none_or(|s| c.commit.committed_at >= s))
                .collect();
            let page = window(&listed, query);
            Answer::Page(
                page.iter()
                    .map(|c| commit_json(&c.commit, &c.parents, &api))
                    .collect(),
                listed.len(),
            )
        }
        ["commits", reference, "pulls"] => {
            let found = repo
                .pulls
                .values()
                .filter(|p| {
                    p.merge_sha.as_deref() == Some(reference)
                        || p.commits.iter().any(|c| c.sha == *reference)
                        || history
                            .pull_commits(p.number)
                            .is_some_and(|list| list.iter().any(|c| c.commit.sha == *reference))
                })
                .map(|p| pull_json(&slug, repo, p, &api))
                .collect();
            Answer::List(found)
        }
        ["commits", reference] => {
            let sha = repo
                .releases
                .iter()
                .find(|r| r.tag == *reference)
                .map(|r| r.sha.clone())
                .unwrap_or_else(|| reference.to_string());
            match history.commit(&sha) {
                Some(c) => Answer::Json(commit_json(&c.commit, &c.parents, &api)),
                None => Answer::Status(StatusCode::UNPROCESSABLE_ENTITY, "No commit found for SHA"),
            }
        }
        ["compare", spec] => {
            let Some((base, head)) = spec.split_once("...") else {
                return Answer::Status(StatusCode::NOT_FOUND, "Not Found");
            };
            let (Some(b), Some(h)) = (history.resolve(base), history.resolve(head)) else {
                return Answer::Status(StatusCode::NOT_FOUND, "Not Found");
            };
            let ahead = history.only_in(h, Some(b));
            let behind = history.only_in(b, Some(h)).len();
            let commits: Vec<Value> = ahead
                .iter()
                .filter_map(|&i| history.commit_at(i))
                .map(|c| commit_json(&c.commit, &c.parents, &api))
                .collect();
            let status = match (ahead.is_empty(), behind == 0) {
                (true, true) => "identical",
                (false, true) => "ahead",
                (true, false) => "behind",
                (false, false) => "diverged",
            };
            let base_commit = history.commit_at(b).expect("a resolved commit");
            let merge_base = history
                .merge_base(b, h)
                .and_then(|i| history.commit_at(i))
                .unwrap_or(base_commit);
            let object = json!({
                "url": format!("{api}/compare/{base}...{head}"),
                "html_url": format!("https://github.com/{slug}/compare/{base}...{head}"),
                "permalink_url": format!("https://github.com/{slug}/compare/{slug}:{base}...{slug}:{head}"),
                "diff_url": format!("https://github.com/{slug}/compare/{base}...{head}.diff"),
                "patch_url": format!("https://github.com/{slug}/compare/{base}...{head}.patch"),
                "base_commit": commit_json(&base_commit.commit, &base_commit.parents, &api),
                "merge_base_commit": commit_json(&merge_base.commit, &merge_base.parents, &api),
                "status": status,
                "ahead_by": ahead.len(),
                "behind_by": behind,
                "total_commits": ahead.len(),
                "files": [],
            });
            Answer::Wrapped(object, "commits", commits)
        }
        ["deployments"] => {
            let mut list: Vec<&FakeDeployment> = repo
                .deployments
                .iter()
                .filter(|d| query.get("environment").is_none_or(|e| *e == d.environment))
                .filter(|d| query.get("sha").is_none_or(|x| *x == d.sha))
                .collect();
            list.sort_by_key(|d| std::cmp::Reverse(d.id));
            Answer::List(
                list.iter()
                    .map(|d| deployment_json(&slug, d, &api))
                    .collect(),
            )
        }
        ["deployments", id, "statuses"] => {
            match repo.deployments.iter().find(|d| d.id.to_string() == *id) {
                Some(d) => Answer::List(
                    d.statuses
                        .iter()
                        .rev()
                        .map(|(sid, state, t)| status_json(d, *sid, state, *t, &api))
                        .collect(),
                ),
                None => Answer::Status(StatusCode::NOT_FOUND, "Not Found"),
            }
        }
        ["actions", "workflows", workflow, "runs"] => {
            let (from, to) = created_range(query.get("created").map(String::as_str));
            let mut runs: Vec<&FakeRun> = repo
                .runs
                .iter()
                .filter(|r| r.workflow == *workflow)
                .filter(|r| query.get("branch").is_none_or(|b| *b == r.head_branch))
                .filter(|r| from.is_none_or(|f| r.created_at >= f))
                .filter(|r| to.is_none_or(|t| r.created_at <= t))
                .collect();
            runs.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
            let total = runs.len();
            // GitHub returns at most 1,000 results for a filtered query.
            let items: Vec<Value> = runs
                .iter()
                .take(1000)
                .map(|r| run_json(&slug, r, &api))
                .collect();
            Answer::Wrapped(json!({"total_count": total}), "workflow_runs", items)
        }
        ["actions", "runs", id] => match repo.runs.iter().find(|r| r.id.to_string() == *id) {
            Some(r) => Answer::Json(run_json(&slug, r, &api)),
            None => Answer::Status(StatusCode::NOT_FOUND, "Not Found"),
        },
        ["releases"] => {
            let mut list: Vec<&FakeRelease> = repo.releases.iter().collect();
            list.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
            Answer::List(list.iter().map(|r| release_json(&slug, r, &api)).collect())
        }
        ["issues"] => {
            let labels: Vec<&str> = query
                .get("labels")
                .map(|l| l.split(',').collect())
                .unwrap_or_default();
            let state = query.get("state").map_or("open", String::as_str);
            let since = query.get("since").map(|s| at(s));
            // Like GitHub, the issues list holds the pull requests too.
            let pulls: Vec<FakeIssue> = repo.pulls.values().map(FakePull::as_issue).collect();
            let mut list: Vec<&FakeIssue> = repo
                .issues
                .iter()
                .chain(&pulls)
                .filter(|i| labels.iter().all(|l| i.labels.iter().any(|x| x == l)))
                .filter(|i| match state {
                    "all" => true,
                    "closed" => i.closed_at.is_some(),
                    _ => i.closed_at.is_none(),
                })
                .filter(|i| since.is_none_or(|s| i.updated_at >= s))
                .collect();
            list.sort_by_key(|i| (i.updated_at, i.number));
            if query.get("direction").map(String::as_str) != Some("asc") {
                list.reverse();
            }
            let page = window(&list, query);
            Answer::Page(
                page.iter().map(|i| issue_json(&slug, i, &api)).collect(),
                list.len(),
            )
        }
        _ => Answer::Status(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// `>=A`, `<=B`, `A..B` (inclusive), or a single date.
fn created_range(q: Option<&str>) -> (Option<Time>, Option<Time>) {
    let Some(q) = q else { return (None, None) };
    let parse = |s: &str| {
        if s.len() == 10 {
            at(&format!("{s}T00:00:00Z"))
        } else {
            at(s)
        }
    };
    if let Some(a) = q.strip_prefix(">=") {
        (Some(parse(a)), None)
    } else if let Some(b) = q.strip_prefix("<=") {
        (None, Some(parse(b)))
    } else if let Some((a, b)) = q.split_once("..") {
        (Some(parse(a)), Some(parse(b)))
    } else {
        (Some(parse(q)), Some(parse(q)))
    }
}

// ---- Payloads (GitHub's field names) -----------------------------------------------------------

fn iso(t: Time) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn opt_iso(t: Option<Time>) -> Value {
    t.map_or(Value::Null, |t| Value::String(iso(t)))
}

fn account_json(a: &Account) -> Value {
    let id = u64::from_str_radix(&sha(&a.login)[..8], 16).unwrap_or(1);
    json!({
        "login": a.login,
        "id": id,
        "node_id": format!("MDQ6VXNlcj{id}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": format!("https://api.github.com/users/{}", a.login),
        "html_url": format!("https://github.com/{}", a.login),
        "type": if a.bot { "Bot" } else { "User" },
        "site_admin": false,
    })
}

fn repo_json(slug: &str, repo: &FakeRepo, base: &str) -> Value {
    let (owner, name) = slug.split_once('/').expect("owner/name");
    json!({
        "id": u64::from_str_radix(&sha(slug)[..8], 16).unwrap_or(1),
        "node_id": "R_kgDO",
        "name": name,
        "full_name": slug,
        "private": true,
        "owner": account_json(&Account::user(owner)),
        "html_url": format!("https://github.com/{slug}"),
        "url": format!("{base}/repos/{slug}"),
        "default_branch": repo.default_branch,
        "visibility": "private",
        "archived": false,
        "fork": false,
    })
}

fn pull_json(slug: &str, repo: &FakeRepo, p: &FakePull, api: &str) -> Value {
    let state = if p.closed_at.is_some() {
        "closed"
    } else {
        "open"
    };
    let head_sha = p
        .commits
        .last()
        .map_or_else(|| sha(&p.head), |c| c.sha.clone());
    let base_repo = json!({"id": 1, "name": slug.split('/').nth(1), "full_name": slug});
    json!({
        "url": format!("{api}/pulls/{}", p.number),
        "id": 1_000_000 + p.number,
        "node_id": format!("PR_kwDO{}", p.number),
        "html_url": format!("https://github.com/{slug}/pull/{}", p.number),
        "diff_url": format!("https://github.com/{slug}/pull/{}.diff", p.number),
        "number": p.number,
        "state": state,
        "locked": false,
        "title": p.title,
        "user": account_json(&p.author),
        "body": if p.body.is_empty() { Value::Null } else { Value::String(p.body.clone()) },
        "labels": p.labels.iter().map(|l| json!({"id": 1, "name": l, "color": "d73a4a", "default": false})).collect::<Vec<_>>(),
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
        "closed_at": opt_iso(p.closed_at),
        "merged_at": opt_iso(p.merged_at),
        "merge_commit_sha": p.merge_sha,
        "assignees": [],
        "requested_reviewers": [],
        "draft": false,
        "commits_url": format!("{api}/pulls/{}/commits", p.number),
        "review_comments_url": format!("{api}/pulls/{}/comments", p.number),
        "statuses_url": format!("{api}/statuses/{head_sha}"),
        "head": {"label": format!("acme:{}", p.head), "ref": p.head, "sha": head_sha, "user": account_json(&p.author), "repo": base_repo},
        "base": {"label": format!("acme:{}", p.base), "ref": p.base, "sha": sha(&format!("{slug}/{}", repo.default_branch)), "repo": base_repo},
        "author_association": "MEMBER",
        "auto_merge": null,
        "active_lock_reason": null,
    })
}

fn commit_json(c: &FakeCommit, parents: &[String], api: &str) -> Value {
    json!({
        "sha": c.sha,
        "node_id": format!("C_kwDO{}", &c.sha[..8]),
        "commit": {
            "author": {"name": c.author.login, "email": format!("{}@users.noreply.github.com", c.author.login), "date": iso(c.authored_at)},
            "committer": {"name": "GitHub", "email": "noreply@github.com", "date": iso(c.committed_at)},
            "message": c.message,
            "tree": {"sha": sha(&format!("tree {}", c.sha)), "url": format!("{api}/git/trees/x")},
            "url": format!("{api}/git/commits/{}", c.sha),
            "comment_count": 0,
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null},
        },
        "url": format!("{api}/commits/{}", c.sha),
        "html_url": format!("https://github.com/commit/{}", c.sha),
        "author": account_json(&c.author),
        "committer": account_json(&Account::user("web-flow")),
        "parents": parents.iter().map(|p| json!({"sha": p, "url": format!("{api}/commits/{p}")})).collect::<Vec<_>>(),
    })
}

fn review_json(r: &FakeReview, number: i64, api: &str) -> Value {
    let mut v = json!({
        "id": r.id,
        "node_id": format!("PRR_kwDO{}", r.id),
        "user": account_json(&Account::user(&r.login)),
        "body": "",
        "state": r.state,
        "html_url": format!("https://github.com/pull/{number}#pullrequestreview-{}", r.id),
        "pull_request_url": format!("{api}/pulls/{number}"),
        "commit_id": sha(&format!("review {}", r.id)),
        "author_association": "MEMBER",
    });
    if let Some(t) = r.submitted_at {
        v["submitted_at"] = Value::String(iso(t));
    }
    v
}

fn deployment_json(slug: &str, d: &FakeDeployment, api: &str) -> Value {
    json!({
        "url": format!("{api}/deployments/{}", d.id),
        "id": d.id,
        "node_id": format!("DE_kwDO{}", d.id),
        "sha": d.sha,
        "ref": "main",
        "task": "deploy",
        "payload": {},
        "original_environment": d.environment,
        "environment": d.environment,
        "description": null,
        "creator": account_json(&Account::bot("github-actions[bot]")),
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
        "statuses_url": format!("{api}/deployments/{}/statuses", d.id),
        "repository_url": format!("{api}"),
        "transient_environment": false,
        "production_environment": true,
        "performed_via_github_app": null,
        "repository": {"full_name": slug},
    })
}

fn status_json(d: &FakeDeployment, id: u64, state: &str, t: Time, api: &str) -> Value {
    json!({
        "url": format!("{api}/deployments/{}/statuses/{id}", d.id),
        "id": id,
        "node_id": format!("DES_kwDO{id}"),
        "state": state,
        "creator": account_json(&Account::bot("github-actions[bot]")),
        "description": "",
        "environment": d.environment,
        "target_url": "",
        "log_url": "",
        "environment_url": "",
        "created_at": iso(t),
        "updated_at": iso(t),
        "deployment_url": format!("{api}/deployments/{}", d.id),
        "repository_url": api,
    })
}

fn run_json(slug: &str, r: &FakeRun, api: &str) -> Value {
    json!({
        "id": r.id,
        "name": "Deploy",
        "node_id": format!("WFR_kwLO{}", r.id),
        "head_branch": r.head_branch,
        "head_sha": r.head_sha,
        "path": format!(".github/workflows/{}", r.workflow),
        "display_title": "Deploy",
        "run_number": r.id % 100_000,
        "event": "push",
        "status": r.status,
        "conclusion": r.conclusion,
        "workflow_id": 4242,
        "check_suite_id": r.id * 3,
        "url": format!("{api}/actions/runs/{}", r.id),
        "html_url": format!("https://github.com/{slug}/actions/runs/{}", r.id),
        "pull_requests": [],
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
        "run_attempt": 1,
        "run_started_at": iso(r.created_at),
        "actor": account_json(&Account::user("alice")),
        "triggering_actor": account_json(&Account::user("alice")),
        "jobs_url": format!("{api}/actions/runs/{}/jobs", r.id),
        "logs_url": format!("{api}/actions/runs/{}/logs", r.id),
        "head_commit": {"id": r.head_sha, "tree_id": sha(&r.head_sha), "message": "deploy", "timestamp": iso(r.created_at)},
        "repository": {"full_name": slug},
    })
}

fn release_json(slug: &str, r: &FakeRelease, api: &str) -> Value {
    json!({
        "url": format!("{api}/releases/{}", r.id),
        "html_url": format!("https://github.com/{slug}/releases/tag/{}", r.tag),
        "assets_url": format!("{api}/releases/{}/assets", r.id),
        "tarball_url": format!("{api}/tarball/{}", r.tag),
        "zipball_url": format!("{api}/zipball/{}", r.tag),
        "id": r.id,
        "node_id": format!("RE_kwDO{}", r.id),
        "tag_name": r.tag,
        "target_commitish": "main",
        "name": r.tag,
        "body": "",
        "draft": r.draft,
        "prerelease": r.prerelease,
        "created_at": iso(r.created_at),
        "published_at": opt_iso(r.published_at),
        "author": account_json(&Account::user("alice")),
        "assets": [],
    })
}

fn issue_json(slug: &str, i: &FakeIssue, api: &str) -> Value {
    let mut v = json!({
        "id": 2_000_000 + i.number,
        "node_id": format!("I_kwDO{}", i.number),
        "url": format!("{api}/issues/{}", i.number),
        "repository_url": api,
        "html_url": format!("https://github.com/{slug}/issues/{}", i.number),
        "number": i.number,
        "state": if i.closed_at.is_some() { "closed" } else { "open" },
        "state_reason": if i.closed_at.is_some() { Value::String("completed".into()) } else { Value::Null },
        "title": i.title,
        "body": i.body,
        "user": account_json(&Account::user("oncall")),
        "labels": i.labels.iter().map(|l| json!({"id": 7, "name": l, "color": "b60205"})).collect::<Vec<_>>(),
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "locked": false,
        "comments": 0,
        "created_at": iso(i.created_at),
        "updated_at": iso(i.updated_at),
        "closed_at": opt_iso(i.closed_at),
        "author_association": "MEMBER",
    });
    if i.is_pull {
        v["pull_request"] = json!({
            "url": format!("{api}/pulls/{}", i.number),
            "html_url": format!("https://github.com/{slug}/pull/{}", i.number),
            "merged_at": null,
        });
    }
    v
}
