//! Exports and integration routes end to end, over the demo organisation on 127.0.0.1:0: the CSV
//! downloads agree with the JSON they come from, `GET /metrics` is well-formed Prometheus text
//! with the API's figures, `GET /api/v1/targets` rates the targets of the configuration, and the
//! OpenAPI document lists every route the server answers.

use crate::support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use support::server::{DEMO_END, Server, demo_server_ending};

const PERIOD: &str = "from=2026-08-01&to=2026-11-01";

async fn server() -> Server {
    demo_server_ending(engine::period::Period::parse_date(DEMO_END).expect("date")).await
}

struct Answer {
    status: u16,
    content_type: String,
    disposition: String,
    total: String,
    body: String,
}

async fn get(server: &Server, path: &str) -> Answer {
    let response = reqwest::get(format!("{}{path}", server.base))
        .await
        .expect("request");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    Answer {
        status: response.status().as_u16(),
        content_type: header("content-type"),
        disposition: header("content-disposition"),
        total: header("x-total-count"),
        body: response.text().await.expect("body"),
    }
}

async fn json(server: &Server, path: &str) -> Value {
    let answer = get(server, path).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    serde_json::from_str(&answer.body).expect("json")
}

/// A CSV body as header + rows of column -> cell.
fn parse_csv(body: &str) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

fn hours(seconds: &Value) -> String {
    seconds
        .as_f64()
        .map(|s| format!("{:.2}", s / 3600.0))
        .unwrap_or_default()
}

fn ratio(r: &Value) -> String {
    r.as_f64().map(|r| format!("{r:.4}")).unwrap_or_default()
}

async fn csv_answer(server: &Server, path: &str) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let answer = get(server, path).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    assert!(
        answer.content_type.starts_with("text/csv"),
        "{path}: {}",
        answer.content_type
    );
    assert!(
        answer
            .disposition
            .starts_with("attachment; filename=\"doraboard-"),
        "{path}: {}",
        answer.disposition
    );
    parse_csv(&answer.body)
}

#[tokio::test]
async fn metrics_csv_has_one_row_per_scope_with_the_json_figures() {
    let server = server().await;
    let (header, rows) = csv_answer(&server, &format!("/api/v1/metrics.csv?{PERIOD}")).await;
    assert_eq!(header, api::exports::METRICS_HEADER);
    let teams = json(&server, "/api/v1/teams").await;
    let teams = teams.as_array().expect("teams");
    assert_eq!(
        rows.len(),
        1 + teams.len(),
        "organisation, then every tribe and team"
    );
    assert_eq!(rows[0]["kind"], "organisation");
    for row in &rows {
        let slug = &row["team"];
        let m = json(&server, &format!("/api/v1/metrics?team={slug}&{PERIOD}")).await;
        let context = format!("row {slug}");
        assert_eq!(
            row["deployments"],
            m["deployment_frequency"]["deployments"].to_string(),
            "{context}"
        );
        assert_eq!(
            row["lead_time_median_hours"],
            hours(&m["lead_time"]["median_seconds"]),
            "{context}"
        );
        assert_eq!(
            row["change_failure_rate"],
            ratio(&m["change_failure_rate"]["rate"]),
            "{context}"
        );
        assert_eq!(
            row["time_to_restore_median_hours"],
            hours(&m["time_to_restore"]["median_seconds"]),
            "{context}"
        );
        assert_eq!(
            row["rework_rate"],
            ratio(&m["rework_rate"]["rate"]),
            "{context}"
        );
        assert_eq!(
            row["lead_time_tier"],
            m["lead_time"]["tier"].as_str().unwrap_or_default(),
            "{context}"
        );
        let score = |v: &Value| v.as_f64().map_or_else(String::new, |v| format!("{v:.2}"));
        let s = &m["dora_score"];
        assert_eq!(row["dora_score_overall"], score(&s["overall"]), "{context}");
        assert_eq!(
            row["dora_score_lead_time"],
            score(&s["lead_time"]["score"]),
            "{context}"
        );
        assert_eq!(row["benchmark"], "industry:all 2025", "{context}");
        assert_eq!(row["benchmark_overall_mean"], "6.72", "{context}");
    }
    // A tribe lists itself, then its teams.
    let (_, rows) = csv_answer(
        &server,
        &format!("/api/v1/metrics.csv?team=commerce&{PERIOD}"),
    )
    .await;
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str()).collect();
    assert_eq!(kinds[0], "tribe");
    assert!(
        kinds[1..].iter().all(|k| *k == "team") && kinds.len() > 1,
        "{kinds:?}"
    );
}

#[tokio::test]
async fn metrics_csv_with_a_bucket_has_one_row_per_bucket() {
    let server = server().await;
    let path = format!("team=checkout&{PERIOD}&bucket=month");
    let (_, rows) = csv_answer(&server, &format!("/api/v1/metrics.csv?{path}")).await;
    let m = json(&server, &format!("/api/v1/metrics?{path}")).await;
    let series = m["deployment_frequency"]["series"]
        .as_array()
        .expect("series");
    assert_eq!(rows.len(), series.len());
    assert_eq!(rows.len(), 3, "August, September, October");
    for (row, point) in rows.iter().zip(series) {
        assert_eq!(row["from"], point["start"].as_str().expect("start"));
        assert_eq!(row["deployments"], point["deployments"].to_string());
    }
    let lead = m["lead_time"]["series"].as_array().expect("series");
    for (row, point) in rows.iter().zip(lead) {
        assert_eq!(
            row["lead_time_median_hours"],
            hours(&point["median_seconds"])
        );
    }
}

#[tokio::test]
async fn explain_csvs_list_the_same_rows_as_the_json_with_proper_quoting() {
    let server = server().await;
    let query = format!("team=checkout&{PERIOD}");
    let explained = json(&server, &format!("/api/v1/explain?{query}")).await;

    let (_, changes) = csv_answer(&server, &format!("/api/v1/explain/changes.csv?{query}")).await;
    let expected = explained["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), expected.len());
    for (row, change) in changes.iter().zip(expected) {
        assert_eq!(row["key"], change["key"].as_str().expect("key"));
        // Titles with commas and double quotes (`Revert "..."`) survive the round trip.
        assert_eq!(row["title"], change["title"].as_str().expect("title"));
        assert_eq!(row["lead_time_hours"], hours(&change["lead_time_seconds"]));
        if let Some(n) = change["number"].as_i64() {
            assert_eq!(
                row["url"],
                format!(
                    "https://github.com/{}/pull/{n}",
                    change["repo"].as_str().expect("repo")
                )
            );
        }
    }
    assert!(
        changes.iter().any(|r| r["title"].contains('"')),
        "the demo has a revert title with quotes to escape"
    );

    let (_, deployments) =
        csv_answer(&server, &format!("/api/v1/explain/deployments.csv?{query}")).await;
    let expected = explained["deployments"].as_array().expect("deployments");
    assert_eq!(deployments.len(), expected.len());
    let failed = deployments.iter().filter(|r| r["failed"] == "true").count();
    let m = json(&server, &format!("/api/v1/metrics?{query}")).await;
    assert_eq!(
        failed as u64,
        m["change_failure_rate"]["failed"].as_u64().expect("failed")
    );
    for row in deployments.iter().filter(|r| r["failed"] == "true") {
        assert!(!row["failure_kinds"].is_empty(), "{row:?}");
        assert!(!row["failure_reasons"].is_empty(), "{row:?}");
    }

    let (_, incidents) =
        csv_answer(&server, &format!("/api/v1/explain/incidents.csv?{query}")).await;
    let expected = explained["incidents"].as_array().expect("incidents");
    assert_eq!(incidents.len(), expected.len());
    assert!(!incidents.is_empty());
    for row in &incidents {
        assert!(
            row["state"] == "open" || !row["duration_hours"].is_empty(),
            "{row:?}"
        );
    }
}

#[tokio::test]
async fn explanations_and_their_exports_page_with_limit_and_offset_and_say_the_totals() {
    let server = server().await;
    let query = format!("team=checkout&{PERIOD}");
    let full = json(&server, &format!("/api/v1/explain?{query}")).await;
    let changes = full["changes"].as_array().expect("changes");
    let deployments = full["deployments"].as_array().expect("deployments");
    assert!(changes.len() > 4 && deployments.len() > 4);
    assert_eq!(full["totals"]["changes"], changes.len());
    assert_eq!(full["totals"]["deployments"], deployments.len());
    assert_eq!(
        full["totals"]["incidents"],
        full["incidents"].as_array().expect("incidents").len()
    );

    let page = json(
        &server,
        &format!("/api/v1/explain?{query}&limit=3&offset=2"),
    )
    .await;
    assert_eq!(
        page["totals"], full["totals"],
        "totals count the whole lists"
    );
    assert_eq!(page["changes"].as_array().expect("page"), &changes[2..5]);
    assert_eq!(
        page["deployments"].as_array().expect("page"),
        &deployments[2..5]
    );

    let answer = get(
        &server,
        &format!("/api/v1/explain/changes.csv?{query}&limit=3&offset=2"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.total, changes.len().to_string());
    let (_, rows) = parse_csv(&answer.body);
    let keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str()).collect();
    let expected: Vec<&str> = changes[2..5]
        .iter()
        .map(|c| c["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, expected);

    for (path, parameter) in [
        (format!("/api/v1/explain?{query}&limit=10001"), "limit"),
        (format!("/api/v1/explain?{query}&limit=0"), "limit"),
        (format!("/api/v1/explain?{query}&offset=-3"), "offset"),
        (
            format!("/api/v1/explain/deployments.csv?{query}&limit=100001"),
            "limit",
        ),
    ] {
        let answer = get(&server, &path).await;
        assert_eq!(answer.status, 400, "{path}");
        let body: Value = serde_json::from_str(&answer.body).expect("json error");
        assert_eq!(body["error"]["parameter"], parameter, "{path}: {body}");
    }
}

#[tokio::test]
async fn csv_routes_reject_bad_parameters_like_the_json_ones() {
    let server = server().await;
    for path in [
        "/api/v1/metrics.csv?team=nobody",
        "/api/v1/explain/changes.csv?from=2026-02-31",
        "/api/v1/targets.csv?bucket=fortnight",
    ] {
        let answer = get(&server, path).await;
        assert_eq!(answer.status, 400, "{path}");
        let body: Value = serde_json::from_str(&answer.body).expect("json error");
        assert!(body["error"]["parameter"].is_string(), "{path}: {body}");
    }
}

#[tokio::test]
async fn targets_rate_each_team_against_its_configured_goals() {
    let server = server().await;
    let all = json(&server, &format!("/api/v1/targets?{PERIOD}&bucket=week")).await;
    let teams = all["teams"].as_array().expect("teams");
    assert_eq!(teams.len(), 7, "every demo team");
    let checkout = teams
        .iter()
        .find(|t| t["team"] == "checkout")
        .expect("checkout");
    let m = json(
        &server,
        &format!("/api/v1/metrics?team=checkout&{PERIOD}&bucket=week"),
    )
    .await;
    let metrics: Vec<&str> = checkout["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t["metric"].as_str().expect("metric"))
        .collect();
    assert_eq!(
        metrics,
        ["deployment_frequency", "lead_time", "change_failure_rate"]
    );
    for t in checkout["targets"].as_array().expect("targets") {
        let (value, target) = (
            t["value"].as_f64().expect("value"),
            t["target"].as_f64().expect("target"),
        );
        let expected_value = match t["metric"].as_str().expect("metric") {
            "deployment_frequency" => m["deployment_frequency"]["per_week"].as_f64(),
            "lead_time" => m["lead_time"]["median_seconds"].as_f64(),
            _ => m["change_failure_rate"]["rate"].as_f64(),
        }
        .expect("figure");
        assert_eq!(value, expected_value);
        let met = if t["direction"] == "at_least" {
            value >= target
        } else {
            value <= target
        };
        assert_eq!(t["status"], if met { "met" } else { "missed" }, "{t}");
        // 14 ISO weeks touch the period; a week with no change has no lead time to rate.
        let measured = t["buckets_measured"].as_u64().expect("measured");
        assert!((12..=14).contains(&measured), "{t}");
        assert!(t["buckets_met"].as_u64().expect("met") <= measured);
    }
    assert_eq!(
        checkout["targets"][1]["target"].as_f64(),
        Some(86_400.0),
        "lead_time = \"1d\""
    );
    // A tribe answers for its teams; a team without targets has an empty list.
    let platform = json(&server, &format!("/api/v1/targets?team=platform&{PERIOD}")).await;
    let slugs: BTreeSet<&str> = platform["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .map(|t| t["team"].as_str().expect("team"))
        .collect();
    assert_eq!(slugs, BTreeSet::from(["storefront", "search"]));
    let (_, rows) = csv_answer(
        &server,
        &format!("/api/v1/targets.csv?team=checkout&{PERIOD}"),
    )
    .await;
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["unit"], "hours");
    assert_eq!(rows[1]["target"], "24.00");
}

/// One sample of a family: its labels and value.
type Sample = (BTreeMap<String, String>, f64);

/// Parses the text exposition format strictly enough to catch malformed output: every sample
/// belongs to a family announced by HELP and TYPE lines, label sets are well-formed, values parse.
fn parse_prometheus(text: &str) -> BTreeMap<String, Vec<Sample>> {
    let mut families: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
    let mut helped = BTreeSet::new();
    let mut typed = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().expect("name");
            assert!(helped.insert(name.to_string()), "HELP twice for {name}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().expect("name").to_string();
            let kind = parts.next().expect("type");
            assert!(matches!(kind, "gauge" | "counter"), "{line}");
            assert!(helped.contains(&name), "TYPE before HELP: {line}");
            typed.insert(name.clone(), kind.to_string());
            families.entry(name).or_default();
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "stray line: {line:?}"
        );
        let (series, value) = line.rsplit_once(' ').expect("value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let inner = rest.strip_suffix('}').expect("closing brace");
                (name, parse_labels(inner))
            }
            None => (series, BTreeMap::new()),
        };
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "metric name {name}"
        );
        assert!(typed.contains_key(name), "sample before its TYPE: {line}");
        if typed[name] == "counter" {
            assert!(
                name.ends_with("_total"),
                "counter {name} should end in _total"
            );
        }
        families
            .get_mut(name)
            .expect("family")
            .push((labels, value));
    }
    families
}

fn parse_labels(inner: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut chars = inner.chars().peekable();
    while chars.peek().is_some() {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert_eq!(chars.next(), Some('"'), "label {key} is quoted");
        let mut value = String::new();
        loop {
            match chars.next().expect("unterminated label value") {
                '\\' => match chars.next().expect("escape") {
                    'n' => value.push('\n'),
                    c @ ('\\' | '"') => value.push(c),
                    c => panic!("bad escape \\{c}"),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        labels.insert(key, value);
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    labels
}

#[tokio::test]
async fn prometheus_metrics_are_well_formed_and_match_the_api_for_the_last_30_days() {
    let today = chrono::Utc::now().date_naive();
    let server = demo_server_ending(today + chrono::Duration::days(1)).await;
    let answer = get(&server, "/metrics").await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.content_type,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let families = parse_prometheus(&answer.body);
    for name in [
        "doraboard_deployments_per_week",
        "doraboard_lead_time_median_seconds",
        "doraboard_change_failure_rate",
        "doraboard_time_to_restore_median_seconds",
        "doraboard_rework_rate",
        "doraboard_sync_runs_total",
        "doraboard_github_requests_total",
        "doraboard_webhook_deliveries_total",
        "doraboard_events_ingested_total",
        "doraboard_github_rate_limit_remaining",
        "doraboard_kpi_target_met",
    ] {
        assert!(families.contains_key(name), "no {name}");
    }
    let window = api::prometheus::window(today);
    let m = json(
        &server,
        &format!(
            "/api/v1/metrics?team=checkout&from={}&to={}",
            window.from, window.to
        ),
    )
    .await;
    let sample = |family: &str, team: &str| -> Option<f64> {
        families[family]
            .iter()
            .find(|(labels, _)| labels["team"] == team)
            .map(|(_, v)| *v)
    };
    // serde_json parses floats to within an ulp: compare closely, not bit for bit.
    let close = |family: &str, figure: &Value| {
        let shown = sample(family, "checkout").unwrap_or_else(|| panic!("no {family}"));
        let api = figure.as_f64().expect("figure");
        assert!(
            (shown - api).abs() <= 1e-9 * api.abs().max(1.0),
            "{family}: {shown} vs {api}"
        );
    };
    close(
        "doraboard_deployments_per_week",
        &m["deployment_frequency"]["per_week"],
    );
    close(
        "doraboard_lead_time_median_seconds",
        &m["lead_time"]["median_seconds"],
    );
    close(
        "doraboard_change_failure_rate",
        &m["change_failure_rate"]["rate"],
    );
    // Every team, every tribe and the organisation have their deployments gauge.
    let teams = json(&server, "/api/v1/teams").await;
    assert_eq!(
        families["doraboard_deployments"].len(),
        teams.as_array().expect("teams").len() + 1
    );
    // The trend gauge carries the JSON's trend word, as 1 / 0 / -1.
    let trends = &families["doraboard_trend"];
    for metric in [
        "deployment_frequency",
        "lead_time",
        "change_failure_rate",
        "time_to_restore",
        "rework_rate",
    ] {
        let exported = trends
            .iter()
            .find(|(l, _)| l["team"] == "checkout" && l["metric"] == metric)
            .map(|(l, v)| (l["trend"].clone(), *v));
        let expected = m[metric]["trend"].as_str().map(|word| {
            let value = match word {
                "better" => 1.0,
                "same" => 0.0,
                _ => -1.0,
            };
            (word.to_string(), value)
        });
        assert_eq!(exported, expected, "{metric}");
    }
    assert!(trends.iter().any(|(l, _)| l["team"] == "checkout"));
    // The Quick Check scores: every one the JSON has, none it has not.
    let scores = &families["doraboard_dora_score"];
    for name in [
        "overall",
        "throughput",
        "stability",
        "deployment_frequency",
        "lead_time",
        "change_failure_rate",
        "time_to_restore",
        "rework_rate",
    ] {
        let exported = scores
            .iter()
            .find(|(l, _)| l["team"] == "checkout" && l["score"] == name)
            .map(|(l, v)| {
                assert_eq!(l["benchmark"], "industry:all");
                assert_eq!(l["edition"], "2025");
                *v
            });
        let s = &m["dora_score"];
        let json = if s[name].is_object() {
            &s[name]["score"]
        } else {
            &s[name]
        };
        match (exported, json.as_f64()) {
            (Some(e), Some(j)) => assert!((e - j).abs() <= 1e-9, "{name}: {e} vs {j}"),
            (None, None) => {}
            other => panic!("{name}: exported and JSON disagree: {other:?}"),
        }
    }
    let benchmark = &families["doraboard_dora_score_benchmark"];
    let org = benchmark
        .iter()
        .find(|(l, _)| l["kind"] == "organisation")
        .expect("the organisation's benchmark");
    assert_eq!(org.0["name"], "All industries");
    assert!((org.1 - 6.72).abs() < 1e-9, "{}", org.1);
    let tiers = &families["doraboard_tier"];
    assert!(tiers.iter().all(|(l, v)| {
        let expected = match l["tier"].as_str() {
            "elite" => 1.0,
            "high" => 2.0,
            "medium" => 3.0,
            _ => 4.0,
        };
        *v == expected
    }));
}

/// The query parameters of the metrics-like routes.
const SCOPE_PERIOD_BUCKET: &[&str] = &["team", "from", "to", "bucket"];
/// The query parameters of the lists behind the figures.
const SCOPE_PERIOD_PAGE: &[&str] = &["team", "from", "to", "limit", "offset"];

/// Routes of the interface contract and of this crate: method, template, a request that reaches
/// it, and its query parameters in the document's order.
const ROUTES: &[(&str, &str, &str, &[&str])] = &[
    ("get", "/healthz", "/healthz", &[]),
    ("get", "/api/v1/teams", "/api/v1/teams", &[]),
    (
        "get",
        "/api/v1/metrics",
        "/api/v1/metrics",
        &["team", "from", "to", "bucket", "phases_per_bucket"],
    ),
    (
        "get",
        "/api/v1/metrics/scopes",
        "/api/v1/metrics/scopes",
        &["from", "to", "bucket"],
    ),
    (
        "get",
        "/api/v1/explain",
        "/api/v1/explain",
        SCOPE_PERIOD_PAGE,
    ),
    (
        "get",
        "/api/v1/explain/deployments/{key}",
        "/api/v1/explain/deployments/no-such-deployment",
        &[],
    ),
    (
        "get",
        "/api/v1/targets",
        "/api/v1/targets",
        SCOPE_PERIOD_BUCKET,
    ),
    (
        "get",
        "/api/v1/metrics.csv",
        "/api/v1/metrics.csv",
        SCOPE_PERIOD_BUCKET,
    ),
    (
        "get",
        "/api/v1/targets.csv",
        "/api/v1/targets.csv",
        SCOPE_PERIOD_BUCKET,
    ),
    (
        "get",
        "/api/v1/explain/changes.csv",
        "/api/v1/explain/changes.csv",
        SCOPE_PERIOD_PAGE,
    ),
    (
        "get",
        "/api/v1/explain/deployments.csv",
        "/api/v1/explain/deployments.csv",
        SCOPE_PERIOD_PAGE,
    ),
    (
        "get",
        "/api/v1/explain/incidents.csv",
        "/api/v1/explain/incidents.csv",
        SCOPE_PERIOD_PAGE,
    ),
    (
        "get",
        "/api/v1/charts/{file}",
        "/api/v1/charts/lead_time.svg",
        &["team", "from", "to", "bucket", "compare", "width", "height"],
    ),
    (
        "get",
        "/api/v1/report",
        "/api/v1/report",
        &["team", "from", "to"],
    ),
    (
        "post",
        "/api/v1/webhooks/github",
        "/api/v1/webhooks/github",
        &[],
    ),
    (
        "post",
        "/api/v1/webhooks/pagerduty",
        "/api/v1/webhooks/pagerduty",
        &[],
    ),
    ("post", "/api/v1/events", "/api/v1/events", &["wait"]),
    (
        "get",
        "/api/v1/annotations",
        "/api/v1/annotations",
        &["team", "from", "to"],
    ),
    ("post", "/api/v1/annotations", "/api/v1/annotations", &[]),
    (
        "delete",
        "/api/v1/annotations/{id}",
        "/api/v1/annotations/1",
        &[],
    ),
    ("get", "/metrics", "/metrics", &[]),
    ("get", "/api/v1/openapi.json", "/api/v1/openapi.json", &[]),
    ("get", "/api/v1/sync/status", "/api/v1/sync/status", &[]),
    ("get", "/api/v1/setup", "/api/v1/setup", &[]),
];

/// Every route of [`ROUTES`] is served (not by the fallback) and in the document with exactly its
/// query parameters. (The router registers API routes only with their documentation, see
/// `api::routes::router`; the api crate's unit tests ask it for every documented operation.)
#[tokio::test]
async fn openapi_document_lists_every_route_the_server_answers() {
    let server = server().await;
    let doc = json(&server, "/api/v1/openapi.json").await;
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    let client = reqwest::Client::new();
    let mut missing = Vec::new();
    for (method, template, probe, query) in ROUTES {
        let url = format!("{}{probe}", server.base);
        let response = match *method {
            "post" => client.post(&url).body("{}").send().await,
            "delete" => client.delete(&url).send().await,
            _ => client.get(&url).send().await,
        }
        .expect("request");
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        assert!(
            !body.contains("no route") && status != 405,
            "{method} {probe} is not routed: {status} {body}"
        );
        let Some(operation) = paths.get(*template).and_then(|p| p.get(*method)) else {
            missing.push(format!("{} {template}", method.to_uppercase()));
            continue;
        };
        let documented: Vec<&str> = operation["parameters"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().expect("name"))
            .collect();
        assert_eq!(documented, *query, "{method} {template}: query parameters");
    }
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
    // Every documented operation has a response.
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            assert!(
                op["responses"].is_object(),
                "{method} {path} has no responses"
            );
        }
    }
}

#[tokio::test]
async fn dashboard_page_and_assets_are_served_with_etags() {
    let server = server().await;
    let page = get(&server, "/").await;
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    assert!(
        page.body.contains("content=\"https://github.com\""),
        "code host filled in"
    );
    for asset in [
        "app.js",
        "views.js",
        "score.js",
        "format.js",
        "app.css",
        "favicon.svg",
    ] {
        let answer = get(&server, &format!("/assets/{asset}")).await;
        assert_eq!(answer.status, 200, "{asset}");
        assert!(
            page.body.contains(asset) || asset.ends_with(".js"),
            "{asset} is referenced"
        );
    }
    let client = reqwest::Client::new();
    let first = client
        .get(format!("{}/assets/app.js", server.base))
        .send()
        .await
        .expect("request");
    let etag = first.headers()["etag"].to_str().expect("etag").to_string();
    let again = client
        .get(format!("{}/assets/app.js", server.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert_eq!(again.headers()["cache-control"], "no-cache");
    let missing = get(&server, "/assets/nope.js").await;
    assert_eq!(missing.status, 404);
    let body: serde_json::Value = serde_json::from_str(&missing.body).expect("a JSON error");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("nope.js"), "{body}");
}
