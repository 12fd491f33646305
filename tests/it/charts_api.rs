//! Charts over HTTP: the real server on 127.0.0.1 with a free port, over the demo organisation.
//! SVGs are read with an XML parser, PNGs decoded; the points drawn are counted against
//! `/api/v1/metrics` for the same parameters.

use crate::support;

use serde_json::Value;
use support::server::{Server, demo_server};

const PERIOD: &str = "from=2026-08-01&to=2026-11-01";

async fn fetch(server: &Server, path: &str) -> reqwest::Response {
    reqwest::get(format!("{}{path}", server.base))
        .await
        .expect("request")
}

async fn svg(server: &Server, path: &str) -> String {
    let response = fetch(server, path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    response.text().await.expect("body")
}

async fn json(server: &Server, path: &str) -> Value {
    fetch(server, path).await.json().await.expect("json")
}

/// Every text element's content, trimmed.
fn texts_in(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().trim().to_string())
        .collect()
}

/// Circles drawn in `colour` (filled, or the ring of a hollow marker).
fn markers(doc: &roxmltree::Document, colour: &str) -> usize {
    doc.descendants()
        .filter(|n| n.has_tag_name("circle"))
        .filter(|n| n.attribute("fill") == Some(colour) || n.attribute("stroke") == Some(colour))
        .count()
}

/// Buckets of a metric's series that have a value.
fn points(metrics: &Value, metric: &str) -> usize {
    let value_key = match metric {
        "deployment_frequency" => "per_week",
        "lead_time" | "time_to_restore" => "median_seconds",
        _ => "rate",
    };
    metrics[metric]["series"]
        .as_array()
        .expect("series")
        .iter()
        .filter(|p| !p[value_key].is_null())
        .count()
}

const BLUE: &str = "#0072B2";
const ORANGE: &str = "#E69F00";

#[tokio::test]
async fn every_metric_chart_is_svg_with_its_title_axis_labels_and_a_marker_per_point() {
    let server = demo_server().await;
    let metrics = json(
        &server,
        &format!("/api/v1/metrics?team=checkout&{PERIOD}&bucket=week"),
    )
    .await;
    let expected = [
        (
            "deployment_frequency",
            "Deployment frequency",
            "Deployments per week",
        ),
        ("lead_time", "Change lead time", "Median lead time ("),
        (
            "change_failure_rate",
            "Change fail rate",
            "Change fail rate (%",
        ),
        (
            "time_to_restore",
            "Failed deployment recovery time",
            "Median recovery time (",
        ),
        ("rework_rate", "Deployment rework rate", "Rework rate (%"),
    ];
    for (metric, title, y_label) in expected {
        let body = svg(
            &server,
            &format!("/api/v1/charts/{metric}.svg?team=checkout&{PERIOD}"),
        )
        .await;
        let doc = roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{metric}: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("role"), Some("img"));
        let doc_title = root
            .children()
            .find(|n| n.has_tag_name("title"))
            .and_then(|n| n.text());
        assert_eq!(doc_title, Some(title), "{metric}: the accessible name");
        let texts = texts_in(&doc);
        assert!(texts.iter().any(|t| t == title), "{metric}: no drawn title");
        assert!(
            texts.iter().any(|t| t.starts_with(y_label)),
            "{metric}: no y axis label {y_label:?} in {texts:?}"
        );
        assert!(
            texts.iter().any(|t| t == "week starting"),
            "{metric}: no x axis label"
        );
        assert!(
            texts.iter().any(|t| t == "3 Aug"),
            "{metric}: no bucket labels"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("Checkout") || t.contains("Checkout")),
            "{metric}: the caption or legend names the team"
        );
        assert_eq!(
            markers(&doc, BLUE),
            points(&metrics, metric),
            "{metric}: one marker per bucket with a value"
        );
    }
}

#[tokio::test]
async fn tier_bands_and_the_previous_period_are_drawn_behind_the_series() {
    let server = demo_server().await;
    let body = svg(
        &server,
        "/api/v1/charts/lead_time.svg?team=checkout&from=2026-03-01&to=2026-09-01",
    )
    .await;
    let doc = roxmltree::Document::parse(&body).expect("xml");
    let texts = texts_in(&doc);
    for tier in ["elite", "high", "medium"] {
        assert!(
            texts.iter().any(|t| t == tier),
            "band {tier} named: {texts:?}"
        );
    }
    assert!(
        texts.iter().any(|t| t.starts_with("previous period (")),
        "the previous period is in the legend"
    );
    let grey_lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some("#8C8C8C"))
        .count();
    assert!(
        grey_lines >= 2,
        "legend swatch and at least one previous-period line"
    );
    // Rework rate has no published tiers: no bands.
    let body = svg(
        &server,
        &format!("/api/v1/charts/rework_rate.svg?team=checkout&{PERIOD}"),
    )
    .await;
    let doc = roxmltree::Document::parse(&body).expect("xml");
    assert!(!texts_in(&doc).iter().any(|t| t == "elite"));
}

#[tokio::test]
async fn compare_draws_each_team_in_its_own_colour() {
    let server = demo_server().await;
    let body = svg(
        &server,
        &format!("/api/v1/charts/change_failure_rate.svg?compare=checkout,payments&{PERIOD}"),
    )
    .await;
    let doc = roxmltree::Document::parse(&body).expect("xml");
    let texts = texts_in(&doc);
    assert!(texts.iter().any(|t| t == "Checkout"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "Payments"), "{texts:?}");
    assert!(!texts.iter().any(|t| t.starts_with("previous period")));
    for (team, colour) in [("checkout", BLUE), ("payments", ORANGE)] {
        let metrics = json(
            &server,
            &format!("/api/v1/metrics?team={team}&{PERIOD}&bucket=week"),
        )
        .await;
        assert_eq!(
            markers(&doc, colour),
            points(&metrics, "change_failure_rate"),
            "{team}"
        );
    }
    // `team` comes first, `compare` adds to it.
    let body = svg(
        &server,
        &format!("/api/v1/charts/lead_time.svg?team=search&compare=email&{PERIOD}"),
    )
    .await;
    let doc = roxmltree::Document::parse(&body).expect("xml");
    let caption = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("desc"))
        .and_then(|n| n.text())
        .unwrap_or_default();
    assert!(caption.contains("Search vs Email"), "{caption}");
}

#[tokio::test]
async fn png_charts_decode_at_the_requested_size() {
    let server = demo_server().await;
    for (path, size) in [
        (format!("lead_time.png?team=checkout&{PERIOD}"), (960, 540)),
        (
            format!("deployment_frequency.png?{PERIOD}&width=640&height=360"),
            (640, 360),
        ),
        (
            format!("lead_time_breakdown.png?team=payments&{PERIOD}&width=1920&height=1080"),
            (1920, 1080),
        ),
        (
            format!("lead_time_distribution.png?team=email&{PERIOD}&width=320&height=200"),
            (320, 200),
        ),
    ] {
        let response = fetch(&server, &format!("/api/v1/charts/{path}")).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], "image/png");
        let bytes = response.bytes().await.expect("body");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
        let reader = decoder.read_info().expect("a PNG");
        let info = reader.info();
        assert_eq!((info.width, info.height), size, "{path}");
    }
}

#[tokio::test]
async fn lead_time_breakdown_stacks_four_phases_and_the_distribution_counts_every_change() {
    let server = demo_server().await;
    let body = svg(
        &server,
        &format!("/api/v1/charts/lead_time_breakdown.svg?team=payments&{PERIOD}"),
    )
    .await;
    let doc = roxmltree::Document::parse(&body).expect("xml");
    let texts = texts_in(&doc);
    for phase in ["coding", "pickup", "review", "deploy"] {
        assert!(texts.iter().any(|t| t == phase), "legend names {phase}");
    }
    let body = svg(
        &server,
        &format!("/api/v1/charts/lead_time_distribution.svg?team=payments&{PERIOD}"),
    )
    .await;
    let doc = roxmltree::Document::parse(&body).expect("xml");
    let metrics = json(&server, &format!("/api/v1/metrics?team=payments&{PERIOD}")).await;
    let changes = metrics["lead_time"]["changes"].as_u64().expect("changes");
    // Each bin writes its count above its bar; the counts add up to the changes measured.
    let bins = [
        "< 1 h",
        "1–4 h",
        "4–12 h",
        "12–24 h",
        "1–2 d",
        "2–4 d",
        "4–7 d",
        "1–2 w",
        "2–4 w",
        "> 4 w",
    ];
    let texts = texts_in(&doc);
    for bin in bins {
        assert!(texts.iter().any(|t| t == bin), "bin {bin}");
    }
    let counted: u64 = texts
        .iter()
        .skip_while(|t| *t != "> 4 w")
        .skip(2) // the last bin label and the x axis name
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    assert_eq!(counted, changes, "{texts:?}");
}

#[tokio::test]
async fn an_empty_period_draws_the_honest_empty_state_not_an_empty_axis() {
    let server = demo_server().await;
    for (metric, message) in [
        ("deployment_frequency", "No deployments in this period"),
        ("lead_time", "No changes reached production in this period"),
        (
            "time_to_restore",
            "No incidents or rollbacks in this period",
        ),
        (
            "lead_time_breakdown",
            "No changes reached production in this period",
        ),
        (
            "lead_time_distribution",
            "No changes reached production in this period",
        ),
    ] {
        let body = svg(
            &server,
            &format!("/api/v1/charts/{metric}.svg?team=checkout&from=2020-01-01&to=2020-04-01"),
        )
        .await;
        let doc = roxmltree::Document::parse(&body).expect("xml");
        let texts = texts_in(&doc);
        assert!(
            texts.iter().any(|t| t.starts_with(message)),
            "{metric}: {texts:?}"
        );
        assert!(!texts.iter().any(|t| t == "0"), "{metric}: no axis ticks");
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("circle"))
                .count(),
            0
        );
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("polyline"))
                .count(),
            0,
            "{metric}: no axis or line"
        );
    }
    let png = fetch(
        &server,
        "/api/v1/charts/lead_time.png?team=checkout&from=2020-01-01&to=2020-04-01",
    )
    .await;
    assert_eq!(png.status(), 200);
}

#[tokio::test]
async fn charts_carry_an_etag_and_answer_304_when_it_still_holds() {
    let server = demo_server().await;
    let url = format!(
        "{}/api/v1/charts/lead_time.svg?team=checkout&{PERIOD}",
        server.base
    );
    let client = reqwest::Client::new();
    let first = client.get(&url).send().await.expect("request");
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("etag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert_eq!(first.headers()["cache-control"], "public, max-age=60");
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().expect("etag"), etag);
    assert!(again.bytes().await.expect("body").is_empty());
    let weak = client
        .get(&url)
        .header("if-none-match", format!("\"other\", W/{etag}"))
        .send()
        .await
        .expect("request");
    assert_eq!(weak.status(), 304, "weak comparison, lists");
    let other = client
        .get(format!("{url}&bucket=month"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), 200, "other parameters, other picture");
    assert_ne!(other.headers()["etag"].to_str().expect("etag"), etag);
    let png = client
        .get(url.replace(".svg", ".png"))
        .send()
        .await
        .expect("request");
    assert_ne!(
        png.headers()["etag"].to_str().expect("etag"),
        etag,
        "formats differ"
    );
}

#[tokio::test]
async fn invalid_chart_parameters_answer_400_naming_the_parameter() {
    let server = demo_server().await;
    let cases = [
        ("lead_time.svg?team=nobody", "team"),
        ("lead_time.svg?compare=checkout,nobody", "compare"),
        ("lead_time.svg?from=2026-13-01", "from"),
        ("lead_time.svg?from=2026-05-01&to=2026-04-01", "from"),
        ("lead_time.svg?bucket=fortnight", "bucket"),
        ("lead_time.png?width=10", "width"),
        ("lead_time.png?width=99999", "width"),
        ("lead_time.png?height=tall", "height"),
        (
            "lead_time_breakdown.svg?team=checkout&compare=payments",
            "compare",
        ),
        (
            "lead_time.svg?compare=loyalty,email,checkout,payments,catalog,storefront,search",
            "compare",
        ),
    ];
    for (path, parameter) in cases {
        let response = fetch(&server, &format!("/api/v1/charts/{path}")).await;
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"]["parameter"], parameter, "{path}: {body}");
    }
    for path in ["nothing.svg", "lead_time.gif", "lead_time"] {
        let response = fetch(&server, &format!("/api/v1/charts/{path}")).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.expect("json");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("lead_time_distribution")),
            "the 404 lists the charts: {body}"
        );
    }
}
