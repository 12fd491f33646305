//! Snapshots of what the charts draw, on a small hand-made fixture (not the demo, so the
//! snapshots move only when the drawing does). The SVG is reduced to its structure: elements in
//! drawing order with their colours and texts, without coordinates or font sizes, so a review
//! sees "a band went missing" or "the caption changed" rather than floating-point noise.

use crate::support;

use api::charts::{ChartKind, ChartParams, MetricKey, chart_for, render};
use support::*;

/// March 2026 for team `shop`: four weekly releases, the second one blamed for an incident,
/// and one release in February for the previous-period line.
async fn shop() -> Org {
    let reviewed =
        |number: i64, tag: &str, first: &str, opened: &str, review: &str, merged: &str| {
            engine::model::Change {
                opened_at: Some(at(opened)),
                first_review_at: Some(at(review)),
                ..pr("acme/shop", number, &sha(tag), first, merged)
            }
        };
    let changes = vec![
        pr(
            "acme/shop",
            1,
            &sha("f1"),
            "2026-02-09T09:00:00Z",
            "2026-02-10T15:00:00Z",
        ),
        reviewed(
            2,
            "a1",
            "2026-03-02T09:00:00Z",
            "2026-03-02T12:00:00Z",
            "2026-03-02T16:00:00Z",
            "2026-03-03T10:00:00Z",
        ),
        reviewed(
            3,
            "a2",
            "2026-03-04T09:00:00Z",
            "2026-03-05T09:00:00Z",
            "2026-03-06T09:00:00Z",
            "2026-03-09T10:00:00Z",
        ),
        pr(
            "acme/shop",
            4,
            &sha("a3"),
            "2026-03-12T09:00:00Z",
            "2026-03-16T11:00:00Z",
        ),
        pr(
            "acme/shop",
            5,
            &sha("a4"),
            "2026-03-20T09:00:00Z",
            "2026-03-23T11:00:00Z",
        ),
    ];
    let deployments = vec![
        deploy("acme/shop", "d0", &sha("f1"), "2026-02-11T10:00:00Z"),
        deploy("acme/shop", "d1", &sha("a1"), "2026-03-03T15:00:00Z"),
        deploy("acme/shop", "d2", &sha("a2"), "2026-03-10T15:00:00Z"),
        deploy("acme/shop", "d3", &sha("a3"), "2026-03-17T15:00:00Z"),
        deploy("acme/shop", "d4", &sha("a4"), "2026-03-24T15:00:00Z"),
    ];
    let incidents = vec![caused_by_deployment(
        incident(
            "acme/shop",
            "INC-1",
            "2026-03-10T18:00:00Z",
            Some("2026-03-10T20:30:00Z"),
        ),
        "d2",
    )];
    Org::load(ONE_TEAM, changes, deployments, incidents).await
}

/// Elements in drawing order with their colours and texts; no coordinates.
fn structure(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is XML");
    let mut out = String::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let mut line = node.tag_name().name().to_string();
        for attribute in ["role", "fill", "stroke", "text-anchor", "font-weight"] {
            if let Some(value) = node.attribute(attribute) {
                line.push_str(&format!(" {attribute}={value}"));
            }
        }
        if let Some(text) = node.text().map(str::trim).filter(|t| !t.is_empty()) {
            line.push_str(&format!(" {text:?}"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

async fn chart_svg(org: &Org, chart: &str, query: &str) -> String {
    let params: ChartParams = serde_json::from_value(serde_json::json!(
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
            .collect::<serde_json::Map<_, _>>()
    ))
    .expect("params");
    let kind: ChartKind = chart.parse().expect("a chart");
    let request = params.request(&org.config, kind).expect("valid");
    let chart = chart_for(&org.store, &org.config, &request)
        .await
        .expect("chart");
    render::svg(&chart, 960, 540).expect("svg")
}

const MARCH: &str = "team=shop&from=2026-03-01&to=2026-04-01";

#[tokio::test]
async fn metric_charts_keep_their_structure() {
    let org = shop().await;
    for metric in MetricKey::ALL {
        let svg = chart_svg(&org, metric.as_str(), MARCH).await;
        insta::assert_snapshot!(format!("chart_{}", metric.as_str()), structure(&svg));
    }
}

#[tokio::test]
async fn lead_time_views_keep_their_structure() {
    let org = shop().await;
    for chart in ["lead_time_breakdown", "lead_time_distribution"] {
        let svg = chart_svg(&org, chart, MARCH).await;
        insta::assert_snapshot!(format!("chart_{chart}"), structure(&svg));
    }
}

#[tokio::test]
async fn the_empty_state_keeps_its_structure() {
    let org = shop().await;
    let svg = chart_svg(
        &org,
        "deployment_frequency",
        "team=shop&from=2025-06-01&to=2025-07-01",
    )
    .await;
    insta::assert_snapshot!("chart_empty", structure(&svg));
}
