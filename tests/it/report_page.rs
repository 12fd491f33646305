//! The executive report over HTTP, against the demo organisation: its figures are the metrics
//! API's, it is one well-formed page, it has an ETag, and an empty period says so.

use crate::support;

use serde_json::Value;
use support::server::{Server, demo_server, demo_server_ending};

const PERIOD: &str = "from=2026-08-01&to=2026-11-01";

async fn page(server: &Server, query: &str) -> String {
    let response = reqwest::get(format!("{}/api/v1/report?{query}", server.base))
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    response.text().await.expect("body")
}

async fn metrics(server: &Server, team: &str) -> Value {
    reqwest::get(format!(
        "{}/api/v1/metrics?team={team}&{PERIOD}",
        server.base
    ))
    .await
    .expect("request")
    .json()
    .await
    .expect("json")
}

fn parse(html: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(html, options).expect("the page is well-formed")
}

/// The metrics JSON's headline value of `metric`, as the page's `data-value` writes it.
fn api_value(m: &Value, metric: &str) -> Option<f64> {
    let key = match metric {
        "deployment_frequency" => "per_week",
        "lead_time" | "time_to_restore" => "median_seconds",
        _ => "rate",
    };
    m[metric][key].as_f64()
}

/// Equal up to the last bit or two: the client's JSON parser may round the last digit.
fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()),
        (a, b) => a == b,
    }
}

fn data_value(node: roxmltree::Node) -> Option<f64> {
    node.attribute("data-value")
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().expect("a number"))
}

/// In DORA's grouped order, as the page lists them: throughput, then instability.
const METRICS: [&str; 5] = [
    "lead_time",
    "deployment_frequency",
    "time_to_restore",
    "change_failure_rate",
    "rework_rate",
];

#[tokio::test]
async fn the_reports_figures_are_the_metrics_apis() {
    let server = demo_server().await;
    let html = page(&server, PERIOD).await;
    let doc = parse(&html);

    // Headline tiles: the organisation.
    let org = metrics(&server, "").await;
    let tiles: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("tile"))
        .collect();
    assert_eq!(tiles.len(), 5);
    let groups: Vec<(&str, usize)> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("tile-group"))
        .map(|g| {
            let tiles = g
                .descendants()
                .filter(|n| n.attribute("class") == Some("tile"))
                .count();
            (g.attribute("data-group").expect("group"), tiles)
        })
        .collect();
    assert_eq!(groups, [("throughput", 3), ("instability", 2)]);
    for (tile, metric) in tiles.iter().zip(METRICS) {
        assert_eq!(tile.attribute("data-metric"), Some(metric));
        assert!(
            same(data_value(*tile), api_value(&org, metric)),
            "{metric}: {:?} vs {:?}",
            data_value(*tile),
            api_value(&org, metric)
        );
        // The big number shown is the API's `shown`, the one rounding every view uses.
        let api_shown = org[metric]["shown"].as_str().expect("shown");
        let big = api_shown
            .split(' ')
            .next()
            .expect("a number")
            .trim_end_matches('%');
        let shown = tile
            .descendants()
            .find(|n| n.attribute("class") == Some("big"))
            .and_then(|n| n.text())
            .expect("a big number");
        assert_eq!(shown, big, "{metric}");
        if let Some(tier) = org[metric]["tier"].as_str() {
            assert_eq!(tile.attribute("data-tier"), Some(tier), "{metric}");
        }
        let previous = org[metric]["previous"].clone();
        assert!(
            same(
                tile.attribute("data-previous")
                    .filter(|v| !v.is_empty())
                    .map(|v| v.parse::<f64>().expect("number")),
                api_value(&serde_json::json!({ metric: previous }), metric),
            ),
            "{metric} previous"
        );
    }

    // The table: every tribe and team row, every cell.
    let rows: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("tr") && n.attribute("data-team").is_some())
        .filter(|n| n.ancestors().any(|a| a.attribute("class") == Some("teams")))
        .collect();
    assert_eq!(rows.len(), 3 + 7, "three tribes and seven teams");
    for row in rows {
        let slug = row.attribute("data-team").expect("slug");
        let m = metrics(&server, slug).await;
        let name = row
            .children()
            .find(|n| n.has_tag_name("th"))
            .and_then(|n| n.text())
            .expect("name");
        assert_eq!(name, m["name"].as_str().expect("name"));
        let cells: Vec<_> = row.children().filter(|n| n.has_tag_name("td")).collect();
        assert_eq!(cells.len(), 5, "{slug}");
        for (cell, metric) in cells.into_iter().zip(METRICS) {
            assert_eq!(cell.attribute("data-metric"), Some(metric));
            assert!(
                same(data_value(cell), api_value(&m, metric)),
                "{slug} {metric}: {:?} vs {:?}",
                data_value(cell),
                api_value(&m, metric)
            );
        }
    }

    // The Quick Check score is the API's, said as "8.1 / 10, All industries average 6.7".
    let score = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("score"))
        .expect("a score section");
    let api = &org["dora_score"];
    let overall = api["overall"]
        .as_f64()
        .expect("the demo organisation is scored");
    assert!(same(
        score
            .attribute("data-overall")
            .map(|v| v.parse().expect("number")),
        Some(overall)
    ));
    let headline = score
        .descendants()
        .find(|n| n.attribute("class") == Some("headline"))
        .and_then(|n| n.text())
        .expect("headline");
    let mean = api["benchmark"]["overall"]["mean"].as_f64().expect("mean");
    assert_eq!(
        headline,
        format!("{overall:.1} / 10, All industries average {mean:.1}")
    );
    assert!(html.contains("DORA, dora.dev Quick Check benchmarks"));

    // The four trend charts are inline SVG.
    let charts: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("figure"))
        .map(|n| n.attribute("data-chart").expect("named"))
        .collect();
    assert_eq!(
        charts,
        [
            "lead_time",
            "deployment_frequency",
            "time_to_restore",
            "change_failure_rate"
        ]
    );
    assert_eq!(
        doc.descendants().filter(|n| n.has_tag_name("svg")).count(),
        4
    );
    for heading in [
        "In plain words",
        "Tribes and teams",
        "KPI targets",
        "Read with care",
        "What these metrics mean",
    ] {
        assert!(
            doc.descendants()
                .any(|n| n.has_tag_name("h2") && n.text() == Some(heading)),
            "section {heading}"
        );
    }
    assert!(
        html.contains("@page { size: A4 landscape"),
        "print stylesheet"
    );
}

#[tokio::test]
async fn the_report_answers_for_a_team_and_refuses_unknown_ones() {
    let server = demo_server().await;
    let html = page(&server, &format!("team=checkout&{PERIOD}")).await;
    let doc = parse(&html);
    let checkout = metrics(&server, "checkout").await;
    let tile = doc
        .descendants()
        .find(|n| {
            n.attribute("data-metric") == Some("lead_time") && n.attribute("class") == Some("tile")
        })
        .expect("lead time tile");
    assert!(same(data_value(tile), api_value(&checkout, "lead_time")));
    assert!(html.contains("Delivery performance · Checkout team"));
    // Checkout set targets: they are on the page.
    assert!(
        doc.descendants()
            .any(|n| n.attribute("data-team") == Some("checkout")
                && n.has_tag_name("tr")
                && n.ancestors()
                    .any(|a| a.attribute("class") == Some("targets"))),
        "Checkout's targets"
    );

    let response = reqwest::get(format!(
        "{}/api/v1/report?team=nobody&{PERIOD}",
        server.base
    ))
    .await
    .expect("request");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["parameter"], "team");
    let response = reqwest::get(format!("{}/api/v1/report?from=2026-13-01", server.base))
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn an_empty_period_renders_the_honest_empty_state() {
    let server = demo_server().await;
    let html = page(&server, "from=2020-01-01&to=2020-04-01").await;
    let doc = parse(&html);
    let status = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("empty"))
        .and_then(|n| n.text())
        .expect("an empty-state notice");
    assert!(
        status.starts_with("No deployments in this period"),
        "{status}"
    );
    let lead_chart: String = doc
        .descendants()
        .find(|n| n.attribute("data-chart") == Some("lead_time"))
        .expect("lead time chart")
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        lead_chart.contains("No changes reached production in this period"),
        "{lead_chart}"
    );
    assert!(html.contains("made no production deployments in this period"));
    // No figure is invented: lead time has no value.
    let lead = doc
        .descendants()
        .find(|n| {
            n.attribute("class") == Some("tile") && n.attribute("data-metric") == Some("lead_time")
        })
        .expect("tile");
    assert_eq!(lead.attribute("data-value"), Some(""));
}

#[tokio::test]
async fn the_report_carries_an_etag_and_answers_304() {
    let server = demo_server().await;
    let url = format!("{}/api/v1/report?{PERIOD}", server.base);
    let client = reqwest::Client::new();
    let first = client.get(&url).send().await.expect("request");
    let etag = first.headers()["etag"].to_str().expect("etag").to_string();
    assert!(first.headers().contains_key("cache-control"));
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);
}

/// The tiles' `data-value`s of a report page, by metric.
fn tile_values(html: &str) -> Vec<(String, Option<f64>)> {
    let doc = parse(html);
    doc.descendants()
        .filter(|n| n.attribute("class") == Some("tile"))
        .map(|n| {
            (
                n.attribute("data-metric").expect("metric").to_string(),
                data_value(n),
            )
        })
        .collect()
}

/// `report --demo`, `metrics --demo` and the served demo (`serve --demo`) share one demo clock:
/// the same period gives the same figures from all three.
#[tokio::test]
async fn the_demo_commands_and_the_served_demo_agree() {
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (
        today - chrono::Duration::days(90),
        today - chrono::Duration::days(20),
    );
    let (from, to) = (from.to_string(), to.to_string());
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_doraboard"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("DORABOARD_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let json = run(&["metrics", "--demo", "--from", &from, "--to", &to, "--json"]);
    let cli: Value = serde_json::from_slice(&json).expect("metrics JSON");
    run(&[
        "report",
        "--demo",
        "--from",
        &from,
        "--to",
        &to,
        "--out",
        "report.html",
    ]);
    let file = std::fs::read_to_string(dir.path().join("report.html")).expect("report file");
    let server = demo_server_ending(today + chrono::Duration::days(1)).await;
    let served = page(&server, &format!("from={from}&to={to}")).await;

    let from_file = tile_values(&file);
    assert_eq!(from_file.len(), 5);
    assert_eq!(
        from_file,
        tile_values(&served),
        "report --demo vs the served report"
    );
    for (metric, value) in from_file {
        assert!(
            same(value, api_value(&cli, &metric)),
            "{metric}: {value:?} vs metrics --demo"
        );
    }
}
