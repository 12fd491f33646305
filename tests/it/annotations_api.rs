//! `/api/v1/annotations` end to end: the real app on 127.0.0.1 over the demo organisation
//! (tribe `commerce` with teams `checkout` and `payments`; tribe `customer` with `loyalty`),
//! the ingestion token for writes, and the annotations drawn on the charts and listed in the
//! report of the scopes the rule gives them to.

use crate::support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::server::{DEMO_END, Server, annotating_demo_server};

const TOKEN: &str = "annotating-token";
const READ: &str = "reading-token";
const PERIOD: &str = "from=2026-08-01&to=2026-11-01";

async fn server() -> Server {
    let end = engine::period::Period::parse_date(DEMO_END).expect("date");
    annotating_demo_server(end, None, TOKEN).await
}

async fn post(server: &Server, token: Option<&str>, body: &str) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/v1/annotations", server.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn delete(server: &Server, token: Option<&str>, id: &Value) -> (StatusCode, String) {
    let mut request =
        reqwest::Client::new().delete(format!("{}/api/v1/annotations/{id}", server.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    (response.status(), response.text().await.expect("body"))
}

async fn get(server: &Server, path: &str) -> reqwest::Response {
    reqwest::get(format!("{}{path}", server.base))
        .await
        .expect("request")
}

/// The titles of the annotations stored through the API (the demo's configuration adds its own,
/// marked `"source": "config"`).
async fn titles(server: &Server, query: &str) -> Vec<String> {
    let response = get(server, &format!("/api/v1/annotations?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    let list: Value = response.json().await.expect("json");
    list.as_array()
        .expect("an array")
        .iter()
        .filter(|a| a["source"] != "config")
        .map(|a| a["title"].as_str().expect("title").to_string())
        .collect()
}

/// The text of every `<text>` element of a chart, as an XML parser reads it.
async fn chart_texts(server: &Server, path: &str) -> Vec<String> {
    let response = get(server, path).await;
    assert_eq!(response.status(), 200, "{path}");
    let svg = response.text().await.expect("svg");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().trim().to_string())
        .collect()
}

#[tokio::test]
async fn added_listed_drawn_on_the_scopes_charts_and_removed() {
    let server = server().await;
    let (status, ci) = post(
        &server,
        Some(TOKEN),
        r#"{"date": "2026-09-10", "title": "New CI system", "team": "checkout", "scope": "inherit"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ci}");
    assert!(ci["id"].is_i64(), "{ci}");
    assert_eq!(
        (
            &ci["date"],
            &ci["title"],
            &ci["team"],
            &ci["scope"],
            &ci["source"]
        ),
        (
            &json!("2026-09-10"),
            &json!("New CI system"),
            &json!("checkout"),
            &json!("inherit"),
            &json!("stored")
        )
    );
    let (_, split) = post(
        &server,
        Some(TOKEN),
        r#"{"date": "2026-08-20", "title": "Team split", "team": "checkout"}"#,
    )
    .await;
    let (_, offsite) = post(
        &server,
        Some(TOKEN),
        r#"{"date": "2026-10-01", "title": "Tribe offsite", "team": "commerce"}"#,
    )
    .await;
    let (_, org) = post(
        &server,
        Some(TOKEN),
        r#"{"date": "2026-10-20", "title": "Holiday freeze"}"#,
    )
    .await;
    assert_eq!(split["scope"], "own");
    assert_eq!(offsite["team"], "commerce");
    assert_eq!(org["team"], Value::Null);

    // Every annotation, by date; and per scope, by the rule.
    let all = [
        "Team split",
        "New CI system",
        "Tribe offsite",
        "Holiday freeze",
    ];
    assert_eq!(titles(&server, PERIOD).await, all);
    assert_eq!(
        titles(&server, &format!("{PERIOD}&team=checkout")).await,
        all
    );
    assert_eq!(
        titles(&server, &format!("{PERIOD}&team=commerce")).await,
        ["New CI system", "Tribe offsite", "Holiday freeze"],
        "the tribe: its own, its team's inheriting one, the organisation's"
    );
    assert_eq!(
        titles(&server, &format!("{PERIOD}&team=payments")).await,
        ["Tribe offsite", "Holiday freeze"],
        "a sibling team: its tribe's and the organisation's"
    );
    assert_eq!(
        titles(&server, &format!("{PERIOD}&team=loyalty")).await,
        ["Holiday freeze"]
    );
    assert_eq!(
        titles(&server, "from=2026-09-10&to=2026-10-01").await,
        ["New CI system"],
        "`to` is exclusive"
    );

    // The same on the charts: each title in the SVG's text where the rule puts it.
    let on_chart = |texts: &[String], title: &str| texts.iter().any(|t| t == title);
    let checkout = chart_texts(
        &server,
        &format!("/api/v1/charts/lead_time.svg?team=checkout&{PERIOD}"),
    )
    .await;
    for title in all {
        assert!(
            on_chart(&checkout, title),
            "{title} on checkout: {checkout:?}"
        );
    }
    let organisation = chart_texts(
        &server,
        &format!("/api/v1/charts/deployment_frequency.svg?{PERIOD}"),
    )
    .await;
    assert!(on_chart(&organisation, "New CI system"));
    assert!(on_chart(&organisation, "Holiday freeze"));
    assert!(!on_chart(&organisation, "Team split"), "not inherited");
    assert!(!on_chart(&organisation, "Tribe offsite"), "not inherited");
    let breakdown = chart_texts(
        &server,
        &format!("/api/v1/charts/lead_time_breakdown.svg?team=payments&{PERIOD}"),
    )
    .await;
    assert!(on_chart(&breakdown, "Tribe offsite"));
    assert!(!on_chart(&breakdown, "New CI system"));

    // The report lists the period's annotations of its scope.
    let report = get(&server, &format!("/api/v1/report?team=commerce&{PERIOD}"))
        .await
        .text()
        .await
        .expect("html");
    let page = roxmltree::Document::parse_with_options(
        &report,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("the page is well-formed");
    let listed: Vec<String> = page
        .descendants()
        .filter(|n| n.has_tag_name("ul") && n.attribute("class") == Some("annotations"))
        .flat_map(|ul| ul.children().filter(|n| n.has_tag_name("li")))
        .map(|li| {
            li.descendants()
                .filter(|n| n.is_text())
                .filter_map(|n| n.text())
                .collect::<String>()
        })
        .collect();
    assert_eq!(
        listed,
        [
            "10 Sep 2026 New CI system (checkout)",
            // The demo's own, from its configuration: payments' review, marked `inherit`.
            "1 Oct 2026 Payments incident review (payments)",
            "1 Oct 2026 Tribe offsite (commerce)",
            "20 Oct 2026 Holiday freeze (organisation)"
        ],
        "the commerce tribe's annotations, by date"
    );
    assert!(!report.contains("Team split"));

    // A chart's ETag and picture change with its annotations; removing one takes it off.
    let png_path = format!("/api/v1/charts/lead_time.png?team=checkout&{PERIOD}");
    let svg_path = format!("/api/v1/charts/lead_time.svg?team=checkout&{PERIOD}");
    let before = get(&server, &png_path).await;
    let etag = before.headers()["etag"].clone();
    let png_before = before.bytes().await.expect("png");
    let (status, body) = delete(&server, Some(TOKEN), &split["id"]).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let after = reqwest::Client::new()
        .get(format!("{}{png_path}", server.base))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("request");
    assert_eq!(after.status(), 200, "a new ETag, not a 304");
    assert_ne!(after.bytes().await.expect("png"), png_before);
    assert!(!on_chart(
        &chart_texts(&server, &svg_path).await,
        "Team split"
    ));
    assert_eq!(
        titles(&server, PERIOD).await,
        ["New CI system", "Tribe offsite", "Holiday freeze"]
    );

    let (status, body) = delete(&server, Some(TOKEN), &split["id"]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("\"error\""), "a JSON error: {body}");
    let (status, _) = delete(&server, Some(TOKEN), &json!("abc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field_and_stores_nothing() {
    let server = server().await;
    let long = "x".repeat(engine::annotations::MAX_TITLE_CHARS + 1);
    let cases = [
        (r#"{"title": "x"}"#.to_string(), "date"),
        (
            r#"{"date": "2026-09-31", "title": "x"}"#.to_string(),
            "date",
        ),
        (
            r#"{"date": "10/09/2026", "title": "x"}"#.to_string(),
            "date",
        ),
        (r#"{"date": "2026-09-10"}"#.to_string(), "title"),
        (
            r#"{"date": "2026-09-10", "title": "   "}"#.to_string(),
            "title",
        ),
        (
            format!(r#"{{"date": "2026-09-10", "title": "{long}"}}"#),
            "title",
        ),
        (r#"{"date": "2026-09-10", "title": 7}"#.to_string(), "title"),
        (
            r#"{"date": "2026-09-10", "title": "x", "team": "nobody"}"#.to_string(),
            "team",
        ),
        (
            r#"{"date": "2026-09-10", "title": "x", "scope": "everywhere"}"#.to_string(),
            "scope",
        ),
        (
            r#"{"date": "2026-09-10", "title": "x", "scope": "inherit"}"#.to_string(),
            "scope",
        ),
        (
            r#"{"date": "2026-09-10", "title": "x", "colour": "red"}"#.to_string(),
            "body",
        ),
        ("not json".to_string(), "body"),
    ];
    for (body, field) in cases {
        let (status, answer) = post(&server, Some(TOKEN), &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"]["parameter"], field, "{body}: {answer}");
    }
    let unknown = post(
        &server,
        Some(TOKEN),
        r#"{"date": "2026-09-10", "title": "x", "team": "nobody"}"#,
    )
    .await
    .1;
    let message = unknown["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("checkout"),
        "lists the known slugs: {message}"
    );
    let colour = post(
        &server,
        Some(TOKEN),
        r#"{"date": "2026-09-10", "title": "x", "colour": "red"}"#,
    )
    .await
    .1;
    assert!(
        colour["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("colour")),
        "names the unknown field: {colour}"
    );
    let huge = format!(
        r#"{{"date": "2026-09-10", "title": "x", "pad": "{}"}}"#,
        "y".repeat(api::annotations::BODY_LIMIT)
    );
    assert_eq!(
        post(&server, Some(TOKEN), &huge).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert!(titles(&server, PERIOD).await.is_empty(), "nothing stored");

    for query in [
        "from=2026-13-01",
        "team=nobody",
        "from=2026-10-01&to=2026-09-01",
    ] {
        let response = get(&server, &format!("/api/v1/annotations?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
    }
}

#[tokio::test]
async fn writes_take_the_ingestion_token_and_reads_the_read_token() {
    let end = engine::period::Period::parse_date(DEMO_END).expect("date");
    let server = annotating_demo_server(end, Some(READ), TOKEN).await;
    let body = r#"{"date": "2026-09-10", "title": "New CI system"}"#;
    assert_eq!(post(&server, None, body).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        post(&server, Some("wrong"), body).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(&server, Some(READ), body).await.0,
        StatusCode::UNAUTHORIZED,
        "a read token writes nothing"
    );
    let (status, created) = post(&server, Some(TOKEN), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        delete(&server, None, &created["id"]).await.0,
        StatusCode::UNAUTHORIZED
    );

    let list = format!("{}/api/v1/annotations?{PERIOD}", server.base);
    let client = reqwest::Client::new();
    let refused = client.get(&list).send().await.expect("request");
    assert_eq!(refused.status(), 401, "reads follow read protection");
    let read = client
        .get(&list)
        .bearer_auth(READ)
        .send()
        .await
        .expect("request");
    assert_eq!(read.status(), 200);
    let listed: Value = read.json().await.expect("json");
    assert_eq!(listed[0]["title"], "New CI system");
    assert_eq!(
        delete(&server, Some(TOKEN), &created["id"]).await.0,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_annotation_routes() {
    let server = server().await;
    let doc: Value = get(&server, "/api/v1/openapi.json")
        .await
        .json()
        .await
        .expect("json");
    let paths = &doc["paths"];
    for (path, method) in [
        ("/api/v1/annotations", "post"),
        ("/api/v1/annotations", "get"),
        ("/api/v1/annotations/{id}", "delete"),
    ] {
        assert!(
            paths[path][method]["responses"].is_object(),
            "{method} {path}"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer",
        "the writes' security requirement names a defined scheme"
    );
    let schema = &doc["components"]["schemas"]["Annotation"]["properties"];
    for field in ["id", "date", "title", "team", "scope", "source"] {
        assert!(schema[field].is_object(), "Annotation.{field}: {schema}");
    }
}
