//! The dashboard in a real browser: headless Chromium, driven over the Chrome DevTools Protocol,
//! against the real server over the demo organisation on 127.0.0.1 with a free port.
//!
//! It opens the overview, navigates to a team, changes the period and the bucket, and checks
//! that every figure shown equals `GET /api/v1/metrics` for the same scope and period. Any
//! console error, uncaught exception or failed request fails it. Screenshots land in
//! `artifacts/browser/` (gitignored); with `DORABOARD_SCREENSHOTS=DIR` the README's images are
//! written to DIR too (`DORABOARD_SCREENSHOTS=docs/images cargo test --test browser_dashboard`).
//!
//! Without Chromium it prints `SKIPPED` and passes, unless `DORABOARD_REQUIRE_EXTERNAL=1` (CI).
//! `DORABOARD_CHROMIUM` names the browser binary when it is not `chromium` on the PATH.

use crate::support;

use base64::Engine as _;
use chrono::{Duration, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use support::server::{Server, demo_server_ending, protected_demo_server};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long Chromium may take to start listening: a bound for a loaded 2-core machine running
/// the other tests at the same time (two launches once took over 30 s there), not a speed check.
const LAUNCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

// ---- a minimal DevTools client ---------------------------------------------------------------------

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

type Listener = Arc<Mutex<Option<tokio::sync::mpsc::UnboundedSender<Value>>>>;

/// One WebSocket to the browser (clones share it); commands are matched to answers by id, events
/// are kept (and passed to a listener, if one is set: for events that need an answer).
#[derive(Clone)]
struct Cdp {
    sink: Arc<tokio::sync::Mutex<Sink>>,
    pending: Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>,
    events: Arc<Mutex<Vec<Value>>>,
    listener: Listener,
    next_id: Arc<AtomicU64>,
}

impl Cdp {
    async fn connect(url: &str) -> Cdp {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect to the browser's DevTools socket");
        let (sink, mut stream) = socket.split();
        let pending: Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>> = Arc::default();
        let events: Arc<Mutex<Vec<Value>>> = Arc::default();
        let listener: Listener = Arc::default();
        let (p, e, l) = (pending.clone(), events.clone(), listener.clone());
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if let Some(id) = value.get("id").and_then(Value::as_u64) {
                    if let Some(tx) = p.lock().expect("lock").remove(&id) {
                        let _ = tx.send(value);
                    }
                } else {
                    if let Some(listener) = l.lock().expect("lock").as_ref() {
                        let _ = listener.send(value.clone());
                    }
                    e.lock().expect("lock").push(value);
                }
            }
        });
        Cdp {
            sink: Arc::new(tokio::sync::Mutex::new(sink)),
            pending,
            events,
            listener,
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The events from now on, as they come.
    fn listen(&self) -> tokio::sync::mpsc::UnboundedReceiver<Value> {
        let (send, receive) = tokio::sync::mpsc::unbounded_channel();
        *self.listener.lock().expect("lock") = Some(send);
        receive
    }

    /// A new tab, attached, with the runtime, log and page domains enabled.
    async fn open_page(&self) -> Page<'_> {
        let target = self
            .call(None, "Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = self
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        let page = Page {
            cdp: self,
            session: attached["sessionId"].as_str().expect("session").to_string(),
        };
        for domain in ["Runtime.enable", "Log.enable", "Page.enable"] {
            page.call(domain, json!({})).await;
        }
        page
    }

    async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("lock").insert(id, tx);
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        self.sink
            .lock()
            .await
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send to browser");
        let answer = tokio::time::timeout(TIMEOUT, rx)
            .await
            .unwrap_or_else(|_| panic!("{method}: no answer within {TIMEOUT:?}"))
            .expect("answer");
        if let Some(error) = answer.get("error") {
            panic!("{method} failed: {error}");
        }
        answer["result"].clone()
    }
}

/// A page (tab) of the browser.
struct Page<'a> {
    cdp: &'a Cdp,
    session: String,
}

impl Page<'_> {
    async fn call(&self, method: &str, params: Value) -> Value {
        self.cdp.call(Some(&self.session), method, params).await
    }

    /// Evaluates an expression (awaiting a promise) and returns its JSON value.
    async fn eval(&self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("evaluating `{expression}` threw: {exception}");
        }
        result["result"]["value"].clone()
    }

    async fn set_viewport(&self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
    }

    /// Opens `url` and waits until its document has loaded.
    async fn load(&self, url: &str) {
        self.call("Page.navigate", json!({"url": url})).await;
        let loaded = format!(
            "document.readyState === 'complete' && location.href === {:?}",
            url
        );
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        while self.eval(&loaded).await != json!(true) {
            assert!(tokio::time::Instant::now() < deadline, "{url} did not load");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page says it is ready and `condition` (a JS expression) holds.
    async fn wait_for(&self, condition: &str) {
        // Before the document exists `document.body` is null: that is "not yet", not a failure.
        let expression = format!(
            "(() => {{ try {{ return document.body.dataset.state === 'ready' && !!({condition}); }} catch (e) {{ return false; }} }})()"
        );
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if self.eval(&expression).await == json!(true) {
                return;
            }
            let state = self
                .eval("document.body ? document.body.dataset.state : null")
                .await;
            if state == json!("error") {
                let text = self.eval("document.getElementById('view').innerText").await;
                panic!("the page shows an error: {text}");
            }
            if tokio::time::Instant::now() > deadline {
                panic!("timed out waiting for {condition} (page state {state})");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits for the charts and other late images to settle.
    async fn settle(&self) {
        self.wait_for("document.querySelectorAll('figure.chart.loading').length === 0")
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }

    /// A PNG of the whole page at the current width, or of its top `max_height` pixels.
    async fn screenshot(&self, path: &Path, max_height: Option<f64>) {
        let metrics = self.call("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let w = size["width"].as_f64().unwrap_or(1366.0);
        let h = size["height"].as_f64().unwrap_or(900.0);
        let h = max_height.map_or(h, |m| h.min(m));
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true,
                       "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}}),
            )
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("data"))
            .expect("base64");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write screenshot");
    }
}

/// Console errors, uncaught exceptions and failed loads the browser reported.
fn console_errors(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| {
            let p = &e["params"];
            match e["method"].as_str()? {
                "Runtime.exceptionThrown" => Some(format!("exception: {}", p["exceptionDetails"])),
                "Runtime.consoleAPICalled"
                    if matches!(p["type"].as_str(), Some("error") | Some("assert")) =>
                {
                    Some(format!("console.{}: {}", p["type"], p["args"]))
                }
                "Log.entryAdded" if p["entry"]["level"] == "error" => Some(format!(
                    "{}: {} {}",
                    p["entry"]["source"], p["entry"]["text"], p["entry"]["url"]
                )),
                _ => None,
            }
        })
        .collect()
}

// ---- the browser process -------------------------------------------------------------------------

struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    ws_url: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_chromium() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("DORABOARD_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

async fn launch(binary: &Path) -> Browser {
    let profile = tempfile::tempdir().expect("profile dir");
    let child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--remote-debugging-port=0",
            "--window-size=1366,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    // Chromium writes its port and browser target path here once it listens.
    let port_file = profile.path().join("DevToolsActivePort");
    let deadline = std::time::Instant::now() + LAUNCH_TIMEOUT;
    let ws_url = loop {
        if let Ok(text) = std::fs::read_to_string(&port_file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                break format!("ws://127.0.0.1:{port}{path}");
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Chromium did not open its DevTools port"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    Browser {
        child,
        _profile: profile,
        ws_url,
    }
}

// ---- the server --------------------------------------------------------------------------------------

/// The demo organisation ending today, as `doraboard serve --demo` serves it.
async fn demo_server() -> Server {
    demo_server_ending(Utc::now().date_naive() + Duration::days(1)).await
}

async fn get_json(server: &Server, path: &str) -> Value {
    get_json_as(server, path, None).await
}

/// `get_json` with a bearer token.
async fn get_json_as(server: &Server, path: &str, token: Option<&str>) -> Value {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

// ---- checks ------------------------------------------------------------------------------------------

/// The headline figure of a metric in the metrics JSON, as the page shows it.
fn headline(report: &Value, metric: &str) -> Option<f64> {
    let m = &report[metric];
    match metric {
        "deployment_frequency" => m["per_week"].as_f64(),
        "lead_time" | "time_to_restore" => m["median_seconds"].as_f64(),
        _ => m["rate"].as_f64(),
    }
}

const METRICS: [&str; 5] = [
    "deployment_frequency",
    "lead_time",
    "change_failure_rate",
    "time_to_restore",
    "rework_rate",
];

/// The figures the page shows under `selector`: metric -> (raw value, text).
async fn shown(page: &Page<'_>, selector: &str) -> Vec<(String, Option<f64>, String)> {
    let value = page
        .eval(&format!(
            "[...document.querySelectorAll({selector:?})].map(e => [e.dataset.metric, e.dataset.value, e.textContent])"
        ))
        .await;
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|row| {
            let metric = row[0].as_str().expect("metric").to_string();
            let raw = row[1].as_str().expect("value");
            let number = (!raw.is_empty()).then(|| raw.parse::<f64>().expect("number"));
            (metric, number, row[2].as_str().expect("text").to_string())
        })
        .collect()
}

fn assert_same_figures(context: &str, shown: &[(String, Option<f64>, String)], report: &Value) {
    assert_eq!(
        shown.len(),
        5,
        "{context}: five figures expected, got {shown:?}"
    );
    for (metric, value, text) in shown {
        assert!(METRICS.contains(&metric.as_str()), "{context}: {metric}");
        let expected = headline(report, metric);
        match (value, expected) {
            (Some(v), Some(e)) => assert!(
                (v - e).abs() <= 1e-9 * e.abs().max(1.0),
                "{context}: {metric} shows {v} ({text}), the API says {e}"
            ),
            (None, None) => assert_eq!(text, "–", "{context}: {metric}"),
            _ => panic!("{context}: {metric} shows {value:?} ({text}), the API says {expected:?}"),
        }
        assert!(!text.trim().is_empty(), "{context}: {metric} shows no text");
        // Rounded as the API rounds it for every view.
        if let Some(api_text) = report[metric]["shown"].as_str() {
            assert_eq!(text, api_text, "{context}: {metric}");
        }
    }
}

/// The DORA Quick Check score the page shows: its overall figure, headline text and each
/// metric's score, compared with the metrics JSON's `dora_score`.
async fn assert_same_score(context: &str, page: &Page<'_>, report: &Value) {
    let shown = page
        .eval(
            "(() => { const p = document.querySelector('.dora-score'); return p && [p.dataset.overall, \
             p.querySelector('.score-main').textContent, \
             [...p.querySelectorAll('tr[data-metric]')].map(r => [r.dataset.metric, r.dataset.score])]; })()",
        )
        .await;
    assert!(shown.is_array(), "{context}: no score panel");
    let api = &report["dora_score"];
    let overall = api["overall"].as_f64();
    let on_page = shown[0]
        .as_str()
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<f64>().expect("number"));
    match (on_page, overall) {
        (Some(p), Some(a)) => assert!((p - a).abs() <= 1e-9, "{context}: {p} vs {a}"),
        (None, None) => {}
        other => panic!("{context}: overall score {other:?}"),
    }
    if let Some(a) = overall {
        let b = &api["benchmark"];
        let expected = format!(
            "{a:.1} / 10, {} average {:.1}",
            b["name"].as_str().expect("name"),
            b["overall"]["mean"].as_f64().expect("mean")
        );
        assert_eq!(shown[1].as_str(), Some(expected.as_str()), "{context}");
    }
    let rows = shown[2].as_array().expect("rows");
    assert_eq!(rows.len(), 5, "{context}: a score per metric");
    for row in rows {
        let metric = row[0].as_str().expect("metric");
        let page_score = row[1]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(|v| v.parse::<f64>().expect("number"));
        // serde_json parses floats to within an ulp: compare closely, not bit for bit.
        match (page_score, api[metric]["score"].as_f64()) {
            (Some(p), Some(a)) => assert!((p - a).abs() <= 1e-9, "{context}: {metric} {p} vs {a}"),
            (None, None) => {}
            other => panic!("{context}: {metric} score {other:?}"),
        }
    }
}

async fn view_period(page: &Page<'_>) -> (String, String, String) {
    let v = page
        .eval(
            "(({from, to, bucket}) => [from, to, bucket])(document.getElementById('view').dataset)",
        )
        .await;
    (
        v[0].as_str().expect("from").to_string(),
        v[1].as_str().expect("to").to_string(),
        v[2].as_str().expect("bucket").to_string(),
    )
}

fn artifacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/browser")
}

/// The browser, or `None` when there is none and the test may be skipped (it says so).
fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let binary = find_chromium();
    if binary.is_none() {
        if std::env::var("DORABOARD_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
            panic!(
                "DORABOARD_REQUIRE_EXTERNAL=1 but no chromium on the PATH (set DORABOARD_CHROMIUM)"
            );
        }
        println!("SKIPPED: {test} needs chromium (apt-get install chromium)");
    }
    binary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_the_api_figures_for_overview_team_and_period() {
    let Some(binary) =
        chromium_or_skip("dashboard_shows_the_api_figures_for_overview_team_and_period")
    else {
        return;
    };
    let server = demo_server().await;
    let browser = launch(&binary).await;
    let cdp = Cdp::connect(&browser.ws_url).await;
    let page = cdp.open_page().await;
    page.set_viewport(1366, 900).await;
    let out = artifacts();

    // The error capture works: a probe error is seen, then forgotten.
    page.eval("console.error('probe')").await;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while console_errors(&cdp.events.lock().expect("lock")).is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "console errors are not captured"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    cdp.events.lock().expect("lock").clear();

    // 1. The overview: the organisation's five figures and every tribe's and team's.
    page.call("Page.navigate", json!({"url": format!("{}/", server.base)}))
        .await;
    page.wait_for("document.getElementById('view').dataset.view === 'overview'")
        .await;
    let (from, to, bucket) = view_period(&page).await;
    let today = Utc::now().date_naive();
    assert_eq!(
        to,
        (today + Duration::days(1)).to_string(),
        "last 90 days end today"
    );
    assert_eq!(
        from,
        (today + Duration::days(1) - Duration::days(90)).to_string()
    );
    let org = get_json(
        &server,
        &format!("/api/v1/metrics?from={from}&to={to}&bucket={bucket}"),
    )
    .await;
    assert_same_figures("overview", &shown(&page, ".cards .value").await, &org);
    assert!(
        org["dora_score"]["overall"].is_number(),
        "the demo is scored"
    );
    assert_same_score("overview", &page, &org).await;
    let teams = get_json(&server, "/api/v1/teams").await;
    let teams = teams.as_array().expect("teams");
    for entry in teams {
        let slug = entry["slug"].as_str().expect("slug");
        let report = get_json(
            &server,
            &format!("/api/v1/metrics?team={slug}&from={from}&to={to}"),
        )
        .await;
        let row = shown(&page, &format!("tr[data-scope=\"{slug}\"] .value")).await;
        assert_same_figures(&format!("overview row {slug}"), &row, &report);
        // Its Quick Check score, as the API gives it.
        let score = page
            .eval(&format!(
                "document.querySelector('tr[data-scope=\"{slug}\"] .score').dataset.score"
            ))
            .await;
        let on_page = score
            .as_str()
            .filter(|v| !v.is_empty())
            .map(|v| v.parse::<f64>().expect("number"));
        match (on_page, report["dora_score"]["overall"].as_f64()) {
            (Some(p), Some(a)) => assert!((p - a).abs() <= 1e-9, "{slug}: {p} vs {a}"),
            (None, None) => {}
            other => panic!("overview row {slug}: score {other:?}"),
        }
    }
    page.screenshot(&out.join("overview-1366.png"), None).await;

    // Keyboard: the first Tab lands on the skip link.
    for kind in ["keyDown", "keyUp"] {
        page.call(
            "Input.dispatchKeyEvent",
            json!({"type": kind, "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9}),
        )
        .await;
    }
    assert_eq!(
        page.eval("document.activeElement.className").await,
        json!("skip-link")
    );

    // 2. A team, reached by its link in the grid.
    let team = "checkout";
    page.eval(&format!(
        "document.querySelector('tr[data-scope=\"{team}\"] a').click()"
    ))
    .await;
    page.wait_for(&format!(
        "document.getElementById('view').dataset.scope === '{team}'"
    ))
    .await;
    let hash = page.eval("location.hash").await;
    assert!(
        hash.as_str()
            .is_some_and(|h| h.starts_with("#/team/checkout?")),
        "shareable address: {hash}"
    );
    let report = get_json(
        &server,
        &format!("/api/v1/metrics?team={team}&from={from}&to={to}&bucket={bucket}"),
    )
    .await;
    assert_same_figures("team", &shown(&page, ".cards .value").await, &report);
    assert_same_score("team", &page, &report).await;
    // Its targets, as the API rates them.
    let targets = get_json(
        &server,
        &format!("/api/v1/targets?team={team}&from={from}&to={to}&bucket={bucket}"),
    )
    .await;
    let expected: Vec<(String, String)> = targets["teams"][0]["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            (
                t["metric"].as_str().expect("metric").to_string(),
                t["status"].as_str().expect("status").to_string(),
            )
        })
        .collect();
    let on_page: Vec<(String, String)> = serde_json::from_value(
        page.eval("[...document.querySelectorAll('.target')].map(e => [e.dataset.metric, e.dataset.status])")
            .await,
    )
    .expect("pairs");
    assert!(!expected.is_empty());
    assert_eq!(on_page, expected, "targets shown");
    // The slowest change links to its pull request.
    let explained = get_json(
        &server,
        &format!("/api/v1/explain?team={team}&from={from}&to={to}"),
    )
    .await;
    let slowest = explained["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["excluded"].is_null())
        .expect("a change");
    let link = page
        .eval("document.querySelector('table.changes tbody a').href")
        .await;
    assert_eq!(
        link,
        json!(format!(
            "https://github.com/{}/pull/{}",
            slowest["repo"].as_str().expect("repo"),
            slowest["number"]
        ))
    );
    // A failed deployment not rolled back shows when its incident was resolved, never "–".
    let rolled_back: Vec<&str> = explained["rollbacks"]
        .as_array()
        .expect("rollbacks")
        .iter()
        .filter_map(|r| r["failed_deployment"].as_str())
        .collect();
    let restored_by_incident = explained["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .filter(|d| d["failed"] == json!(true))
        .filter(|d| !rolled_back.contains(&d["key"].as_str().unwrap_or_default()))
        .filter(|d| {
            explained["incidents"]
                .as_array()
                .expect("incidents")
                .iter()
                .any(|l| l["deployment"] == d["key"] && !l["incident"]["resolved_at"].is_null())
        })
        .count();
    let restored_cells = page
        .eval("[...document.querySelectorAll('section[aria-labelledby=failures] tbody tr td:last-child')].filter(td => td.textContent.startsWith('restored ')).length")
        .await;
    assert!(restored_by_incident > 0);
    assert_eq!(restored_cells, json!(restored_by_incident));
    page.settle().await;
    page.screenshot(&out.join("team-1366.png"), None).await;

    // 3. Another period, from the selector.
    page.eval("(s => { s.value = '30d'; s.dispatchEvent(new Event('change')); })(document.getElementById('period'))")
        .await;
    page.wait_for(&format!(
        "document.getElementById('view').dataset.from !== '{from}'"
    ))
    .await;
    let (from30, to30, bucket30) = view_period(&page).await;
    assert_eq!(to30, to);
    assert_eq!(
        from30,
        (today + Duration::days(1) - Duration::days(30)).to_string()
    );
    let report = get_json(
        &server,
        &format!("/api/v1/metrics?team={team}&from={from30}&to={to30}&bucket={bucket30}"),
    )
    .await;
    assert_same_figures(
        "team, 30 days",
        &shown(&page, ".cards .value").await,
        &report,
    );
    assert!(
        page.eval("location.hash")
            .await
            .as_str()
            .is_some_and(|h| h.contains("period=30d")),
        "the period is in the address"
    );

    // 4. A bucket and a custom period, straight from a shared address.
    let custom = format!(
        "{}/#/tribe/commerce?period=custom&from=2026-01-01&to=2026-04-01&bucket=month",
        server.base
    );
    let custom_from = (today - Duration::days(120)).to_string();
    let custom_to = (today - Duration::days(30)).to_string();
    let custom = custom
        .replace("2026-01-01", &custom_from)
        .replace("2026-04-01", &custom_to);
    page.call("Page.navigate", json!({"url": custom})).await;
    page.wait_for(&format!(
        "document.getElementById('view').dataset.scope === 'commerce' && document.getElementById('view').dataset.from === '{custom_from}'"
    ))
    .await;
    let (f, t, b) = view_period(&page).await;
    assert_eq!(
        (f.as_str(), t.as_str(), b.as_str()),
        (custom_from.as_str(), custom_to.as_str(), "month")
    );
    let report = get_json(
        &server,
        &format!("/api/v1/metrics?team=commerce&from={f}&to={t}&bucket=month"),
    )
    .await;
    assert_same_figures(
        "tribe, custom",
        &shown(&page, ".cards .value").await,
        &report,
    );

    // 5. Projector width.
    page.set_viewport(1920, 1080).await;
    page.call(
        "Page.navigate",
        json!({"url": format!("{}/#/team/checkout?period=90d&bucket=week", server.base)}),
    )
    .await;
    page.wait_for("document.getElementById('view').dataset.scope === 'checkout'")
        .await;
    page.settle().await;
    page.screenshot(&out.join("team-1920.png"), None).await;
    let overflow = page
        .eval("document.documentElement.scrollWidth > window.innerWidth")
        .await;
    assert_eq!(overflow, json!(false), "no horizontal scrolling at 1920px");

    // README images, on request.
    if let Ok(dir) = std::env::var("DORABOARD_SCREENSHOTS") {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        page.set_viewport(1366, 900).await;
        page.call(
            "Page.navigate",
            json!({"url": format!("{}/#/", server.base)}),
        )
        .await;
        page.wait_for("document.getElementById('view').dataset.view === 'overview'")
            .await;
        page.screenshot(&dir.join("dashboard.png"), None).await;
        page.call(
            "Page.navigate",
            json!({"url": format!("{}/#/team/checkout?period=90d&bucket=week", server.base)}),
        )
        .await;
        page.wait_for("document.getElementById('view').dataset.scope === 'checkout'")
            .await;
        page.settle().await;
        page.screenshot(&dir.join("dashboard-team.png"), Some(1190.0))
            .await;
    }

    let errors = console_errors(&cdp.events.lock().expect("lock"));
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
    drop(browser);
}

/// Answers every request the page pauses, and every authentication challenge with `cto` and
/// `password` (`None`: cancels the prompt), recording the challenges: what a person at the
/// browser's sign-in prompt does.
async fn answer_prompts(page: &Page<'_>, password: Option<&'static str>) -> Arc<Mutex<Vec<Value>>> {
    let (cdp, session) = (page.cdp.clone(), page.session.clone());
    let challenges: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = challenges.clone();
    let mut events = cdp.listen();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if event["sessionId"].as_str() != Some(session.as_str()) {
                continue;
            }
            let request = json!(event["params"]["requestId"]);
            match event["method"].as_str() {
                Some("Fetch.requestPaused") => {
                    cdp.call(
                        Some(&session),
                        "Fetch.continueRequest",
                        json!({"requestId": request}),
                    )
                    .await;
                }
                Some("Fetch.authRequired") => {
                    seen.lock()
                        .expect("lock")
                        .push(event["params"]["authChallenge"].clone());
                    let response = match password {
                        Some(password) => json!({
                            "response": "ProvideCredentials", "username": "cto", "password": password,
                        }),
                        None => json!({"response": "CancelAuth"}),
                    };
                    cdp.call(
                        Some(&session),
                        "Fetch.continueWithAuth",
                        json!({"requestId": request, "authChallengeResponse": response}),
                    )
                    .await;
                }
                _ => {}
            }
        }
    });
    page.call("Fetch.enable", json!({"handleAuthRequests": true}))
        .await;
    challenges
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_dashboard_refuses_strangers_and_works_once_signed_in() {
    const TOKEN: &str = "dashboard-token";
    let Some(binary) =
        chromium_or_skip("a_protected_dashboard_refuses_strangers_and_works_once_signed_in")
    else {
        return;
    };
    let server = protected_demo_server(Utc::now().date_naive() + Duration::days(1), TOKEN).await;
    let browser = launch(&binary).await;
    let cdp = Cdp::connect(&browser.ws_url).await;

    // 1. No credentials (the prompt is cancelled): the page and the API answer 401 with the
    //    JSON error.
    let stranger = cdp.open_page().await;
    let refused = answer_prompts(&stranger, None).await;
    let home = format!("{}/", server.base);
    stranger.load(&home).await;
    let status = stranger
        .eval("performance.getEntriesByType('navigation')[0].responseStatus")
        .await;
    assert_eq!(status, json!(401), "the dashboard without credentials");
    let text = stranger.eval("document.body.innerText").await;
    assert!(
        text.as_str()
            .is_some_and(|t| t.contains("this server is protected")),
        "the page shows the JSON error: {text}"
    );
    let api = stranger
        .eval("fetch('/api/v1/teams').then(r => r.status)")
        .await;
    assert_eq!(api, json!(401), "the API without credentials");
    assert!(
        !refused.lock().expect("lock").is_empty(),
        "the browser prompted"
    );

    // 2. Signing in at the prompt (any user name, the token as the password): the page, its API
    //    calls and its charts all load.
    let page = cdp.open_page().await;
    let challenges = answer_prompts(&page, Some(TOKEN)).await;
    cdp.events.lock().expect("lock").clear();
    let team = "checkout";
    page.call(
        "Page.navigate",
        json!({"url": format!("{}/#/team/{team}?period=90d&bucket=week", server.base)}),
    )
    .await;
    page.wait_for(&format!(
        "document.getElementById('view').dataset.scope === '{team}'"
    ))
    .await;
    page.settle().await;
    let challenge = challenges.lock().expect("lock").first().cloned();
    let challenge = challenge.expect("the browser was asked for credentials");
    assert_eq!(challenge["scheme"], json!("basic"), "{challenge}");
    assert_eq!(challenge["realm"], json!("doraboard"), "{challenge}");
    let (from, to, bucket) = view_period(&page).await;
    let report = get_json_as(
        &server,
        &format!("/api/v1/metrics?team={team}&from={from}&to={to}&bucket={bucket}"),
        Some(TOKEN),
    )
    .await;
    assert_same_figures("signed in", &shown(&page, ".cards .value").await, &report);
    let charts = page
        .eval("[document.querySelectorAll('figure.chart img').length, document.querySelectorAll('.chart-missing').length]")
        .await;
    let drawn = charts[0].as_u64().expect("count");
    assert!(drawn > 0, "charts drawn: {charts}");
    assert_eq!(charts[1], json!(0), "no chart missing");
    let errors = console_errors(&cdp.events.lock().expect("lock"));
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
    drop(browser);
}

/// The series points of a metric in the metrics JSON: (value shown on the sparkline, partial).
fn series_points(report: &Value, metric: &str) -> Vec<(Option<f64>, bool)> {
    let field = match metric {
        "deployment_frequency" => "per_week",
        "lead_time" | "time_to_restore" => "median_seconds",
        _ => "rate",
    };
    report[metric]["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|p| (p[field].as_f64(), p["partial"] == json!(true)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_buckets_and_periods_reaching_past_today_read_honestly() {
    let test = "partial_buckets_and_periods_reaching_past_today_read_honestly";
    let Some(binary) = chromium_or_skip(test) else {
        return;
    };
    let server = demo_server().await;
    let browser = launch(&binary).await;
    let cdp = Cdp::connect(&browser.ws_url).await;
    let page = cdp.open_page().await;
    page.set_viewport(1366, 900).await;
    let today = Utc::now().date_naive();
    let team = "checkout";

    // 1. A period from a Saturday to a Thursday, by week: a two-day week first, a four-day last.
    let mut from = today - Duration::days(70);
    while from.format("%a").to_string() != "Sat" {
        from -= Duration::days(1);
    }
    let to = from + Duration::days(61);
    page.call(
        "Page.navigate",
        json!({"url": format!("{}/#/team/{team}?period=custom&from={from}&to={to}&bucket=week", server.base)}),
    )
    .await;
    page.wait_for(&format!(
        "document.getElementById('view').dataset.scope === '{team}' && document.getElementById('view').dataset.from === '{from}'"
    ))
    .await;
    let report = get_json(
        &server,
        &format!("/api/v1/metrics?team={team}&from={from}&to={to}&bucket=week"),
    )
    .await;
    assert_same_figures(
        "saturday start",
        &shown(&page, ".cards .value").await,
        &report,
    );
    for metric in ["deployment_frequency", "lead_time"] {
        let points = series_points(&report, metric);
        let flags: Vec<bool> = points.iter().map(|(_, partial)| *partial).collect();
        assert_eq!(
            flags.first(),
            Some(&true),
            "{metric}: the two-day week is partial"
        );
        assert_eq!(
            flags.last(),
            Some(&true),
            "{metric}: the four-day week is partial"
        );
        assert!(
            flags[1..flags.len() - 1].iter().all(|p| !p),
            "{metric}: the rest are whole"
        );
        let card = format!(".card.metric[data-metric=\"{metric}\"] svg.spark");
        // The line joins whole weeks only; partial weeks are hollow dots off it.
        let on_line = page
            .eval(&format!("document.querySelector('{card} polyline').getAttribute('points').trim().split(/\\s+/).length"))
            .await;
        let whole = points.iter().filter(|(v, p)| v.is_some() && !p).count();
        assert_eq!(on_line, json!(whole), "{metric}: points on the line");
        let hollow = page
            .eval(&format!(
                "document.querySelectorAll('{card} circle.partial').length"
            ))
            .await;
        let partial = points.iter().filter(|(v, p)| v.is_some() && *p).count();
        assert_eq!(hollow, json!(partial), "{metric}: hollow partial weeks");
    }
    // "Met in N of M whole weeks" counts whole weeks only.
    let targets = get_json(
        &server,
        &format!("/api/v1/targets?team={team}&from={from}&to={to}&bucket=week"),
    )
    .await;
    let whole_weeks = series_points(&report, "deployment_frequency")
        .iter()
        .filter(|(_, partial)| !partial)
        .count();
    let texts: Vec<String> = serde_json::from_value(
        page.eval("[...document.querySelectorAll('.target')].map(e => e.innerText)")
            .await,
    )
    .expect("texts");
    let standing = targets["teams"][0]["targets"].as_array().expect("targets");
    assert!(!standing.is_empty(), "checkout sets targets");
    assert_eq!(texts.len(), standing.len());
    for (text, t) in texts.iter().zip(standing) {
        let measured = t["buckets_measured"].as_u64().expect("measured") as usize;
        assert!(
            measured <= whole_weeks,
            "{}: {measured} of {whole_weeks}",
            t["metric"]
        );
        let words = format!("met in {} of {measured} whole week", t["buckets_met"]);
        assert!(text.contains(&words), "{text:?} should say {words:?}");
    }
    // The cards' trend words are the API's verdicts, and the executive report's.
    let verdicts: Vec<(String, String, String)> = serde_json::from_value(
        page.eval("[...document.querySelectorAll('.card.metric')].map(c => { const t = c.querySelector('.metric-trend .trend'); return [c.dataset.metric, t.className.replace('trend trend-', ''), t.textContent]; })")
            .await,
    )
    .expect("verdicts");
    let html = reqwest::get(format!(
        "{}/api/v1/report?team={team}&from={from}&to={to}",
        server.base
    ))
    .await
    .expect("report")
    .text()
    .await
    .expect("report text");
    assert_eq!(verdicts.len(), 5);
    for (metric, verdict, text) in verdicts {
        let api = report[&metric]["trend"].as_str().unwrap_or("none");
        assert_eq!(verdict, api, "{metric}: dashboard vs API");
        // The size of the move is the engine's `change`, as it wrote it.
        if let ("better" | "worse", Some(change)) = (api, report[&metric]["change"].as_str()) {
            assert!(
                text.contains(change),
                "{metric}: {text:?} should say {change:?}"
            );
        }
        let tile = format!("data-metric=\"{metric}\"");
        let at = html
            .find(&tile)
            .unwrap_or_else(|| panic!("report tile {metric}"));
        let word = html[at..]
            .split("data-trend=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("data-trend");
        let word = if word == "unknown" { "none" } else { word };
        assert_eq!(word, api, "{metric}: report vs API");
    }
    // The 2024 change failure rate column is out of tier order: the card and the report say so.
    let note = &report["change_failure_rate"]["tier_note"];
    assert!(
        note.as_str()
            .is_some_and(|n| n.starts_with("As published, high (20%)")),
        "{note}"
    );
    assert_eq!(
        &page
            .eval("document.querySelector('.card.metric[data-metric=\"change_failure_rate\"] .tier-note').textContent")
            .await,
        note
    );
    assert!(
        html.contains(note.as_str().unwrap_or_default()),
        "the report cites it too"
    );
    page.settle().await;
    // Charts are drawn at the width they are shown, so their 12 px text is not shrunk.
    let sizes: Vec<(f64, f64)> = serde_json::from_value(
        page.eval("[...document.querySelectorAll('figure.chart img')].map(i => [i.naturalWidth, i.clientWidth])")
            .await,
    )
    .expect("sizes");
    assert!(sizes.len() >= 5, "{sizes:?}");
    for (drawn, shown) in sizes {
        assert!(
            (drawn - shown).abs() <= 0.05 * shown,
            "drawn {drawn} px wide, shown {shown}"
        );
    }
    page.screenshot(&artifacts().join("team-saturday.png"), None)
        .await;

    // 2. A period reaching 30 days past today is measured up to today, and says so.
    let (from, to) = (today - Duration::days(20), today + Duration::days(30));
    page.call(
        "Page.navigate",
        json!({"url": format!("{}/#/team/{team}?period=custom&from={from}&to={to}&bucket=week", server.base)}),
    )
    .await;
    page.wait_for(&format!(
        "document.getElementById('view').dataset.from === '{from}'"
    ))
    .await;
    let report = get_json(
        &server,
        &format!("/api/v1/metrics?team={team}&from={from}&to={to}&bucket=week"),
    )
    .await;
    // Today in the team's own zone, which may not be UTC's today.
    let tz: chrono_tz::Tz = report["time_zone"]
        .as_str()
        .and_then(|z| z.parse().ok())
        .expect("zone");
    let local_tomorrow = Utc::now().with_timezone(&tz).date_naive() + Duration::days(1);
    let tomorrow = local_tomorrow.to_string();
    assert_eq!(report["measured_to"], json!(tomorrow));
    // Per week over the days measured, not over the 50 asked.
    let days = (local_tomorrow - from).num_days() as f64;
    let deployments = report["deployment_frequency"]["deployments"]
        .as_f64()
        .expect("count");
    let per_week = report["deployment_frequency"]["per_week"]
        .as_f64()
        .expect("per week");
    assert!(
        (per_week - deployments / (days / 7.0)).abs() < 1e-9,
        "{per_week} vs {deployments} in {days} days"
    );
    assert_same_figures("future", &shown(&page, ".cards .value").await, &report);
    assert_eq!(
        page.eval("document.querySelector('.subtitle .measured').dataset.measuredTo")
            .await,
        json!(tomorrow)
    );

    let errors = console_errors(&cdp.events.lock().expect("lock"));
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
    drop(browser);
}

/// A first run (no team configured, nothing collected) shows what to do, in the API's words,
/// instead of an organisation rated "low" on nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_store_shows_the_first_steps() {
    let Some(binary) = chromium_or_skip("an_empty_store_shows_the_first_steps") else {
        return;
    };
    let store = engine::store::Store::connect("sqlite::memory:")
        .await
        .expect("store");
    let server = support::server::serve(store, engine::config::Config::default()).await;
    let browser = launch(&binary).await;
    let cdp = Cdp::connect(&browser.ws_url).await;
    let page = cdp.open_page().await;
    page.set_viewport(1366, 900).await;
    page.call("Page.navigate", json!({"url": format!("{}/", server.base)}))
        .await;
    page.wait_for("document.getElementById('view').dataset.view === 'setup'")
        .await;
    let steps = get_json(&server, "/api/v1/setup").await;
    assert_eq!(steps["steps"].as_array().map(Vec::len), Some(4));
    let shown = page
        .eval("[...document.querySelectorAll('.first-run ol.steps li')].map(li => li.textContent)")
        .await;
    assert_eq!(shown, steps["steps"]);
    let rated = page
        .eval("document.querySelectorAll('.tier, .small-sample, .cards').length")
        .await;
    assert_eq!(rated, json!(0), "no tier, badge or card on nothing");
    page.screenshot(&artifacts().join("first-run.png"), None)
        .await;
    let errors = console_errors(&cdp.events.lock().expect("lock"));
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
    drop(browser);
}

/// An annotation created through the API shows on the team page, in the list and on its charts
/// (the SVG the page drew carries the title); the overview lists the organisation's and the
/// inheriting ones, not a team's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_annotation_made_through_the_api_shows_on_the_team_page_and_its_charts() {
    let Some(binary) = chromium_or_skip(
        "an_annotation_made_through_the_api_shows_on_the_team_page_and_its_charts",
    ) else {
        return;
    };
    const TOKEN: &str = "browser-annotations";
    let today = Utc::now().date_naive();
    let server =
        support::server::annotating_demo_server(today + Duration::days(1), None, TOKEN).await;
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for (days_ago, title, team) in [
        (30, "New CI system", Some("checkout")),
        (20, "Holiday freeze", None),
    ] {
        let mut body =
            json!({"date": (today - Duration::days(days_ago)).to_string(), "title": title});
        if let Some(team) = team {
            body["team"] = json!(team);
        }
        let response = client
            .post(format!("{}/api/v1/annotations", server.base))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.expect("json");
        ids.push(created["id"].clone());
    }

    let browser = launch(&binary).await;
    let cdp = Cdp::connect(&browser.ws_url).await;
    let page = cdp.open_page().await;
    page.set_viewport(1366, 900).await;
    page.call(
        "Page.navigate",
        json!({"url": format!("{}/#/team/checkout", server.base)}),
    )
    .await;
    page.wait_for("document.getElementById('view').dataset.view === 'team'")
        .await;
    let listed = page
        .eval("[...document.querySelectorAll('ul.annotations li')].map(li => [li.dataset.annotationId, li.querySelector('.annotation-title').textContent])")
        .await;
    assert_eq!(
        listed,
        json!([
            [ids[0].to_string(), "New CI system"],
            [ids[1].to_string(), "Holiday freeze"]
        ])
    );
    page.settle().await;
    // The pictures the page drew: every chart over time carries both titles as SVG text.
    let texts = page
        .eval(
            "Promise.all([...document.querySelectorAll('figure.chart img')].map(img => \
               fetch(img.dataset.url).then(r => r.text()).then(svg => [img.closest('figure').dataset.chart, \
                 [...new DOMParser().parseFromString(svg, 'image/svg+xml').querySelectorAll('text')].map(t => t.textContent.trim())])))",
        )
        .await;
    let charts = texts.as_array().expect("charts");
    assert!(charts.len() >= 6, "the team's charts: {charts:?}");
    for chart in charts {
        let name = chart[0].as_str().expect("name");
        let has = |title: &str| {
            chart[1]
                .as_array()
                .expect("texts")
                .iter()
                .any(|t| t == title)
        };
        let over_time = name != "lead_time_distribution";
        assert_eq!(has("New CI system"), over_time, "{name}");
        assert_eq!(has("Holiday freeze"), over_time, "{name}");
    }
    page.screenshot(&artifacts().join("team-annotations.png"), None)
        .await;

    page.call(
        "Page.navigate",
        json!({"url": format!("{}/#/", server.base)}),
    )
    .await;
    page.wait_for("document.getElementById('view').dataset.view === 'overview'")
        .await;
    let overview = page
        .eval("[...document.querySelectorAll('ul.annotations .annotation-title')].map(t => t.textContent)")
        .await;
    // The demo configuration's payments review is marked `inherit`; the one posted is not.
    assert_eq!(
        overview,
        json!(["Payments incident review", "Holiday freeze"]),
        "a team's own annotation stays on its pages"
    );
    let errors = console_errors(&cdp.events.lock().expect("lock"));
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
    drop(browser);
}
