//! Pins what the renderer draws, byte for byte, for hand-made charts covering every body and
//! option: each drawing's SHA-256 must stay what it was, so a restructuring of the renderer is
//! proven to change nothing. When a drawing changes on purpose, look at the new output and put
//! the digest the failing assertion prints in its place.

use super::{png, svg, svg_scaled};
use crate::charts::model::{
    Band, Body, Chart, ChartKind, Marker, MetricKey, Point, Series, Unit, palette,
};
use engine::tiers::Tier;
use sha2::{Digest, Sha256};

fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn point(value: f64, samples: usize) -> Option<Point> {
    Some(Point { value, samples })
}

fn chart(body: Body, unit: Unit, markers: Vec<Marker>) -> Chart {
    Chart {
        kind: ChartKind::Metric(MetricKey::ALL[0]),
        title: "Median lead time & <friends>".to_string(),
        caption: "Per week, team shop, March 2026: 12 changes over 5 deployments, with a caption \
                  long enough to wrap onto a second line at the design width of the chart"
            .to_string(),
        unit,
        y_label: "Median lead time (days)".to_string(),
        x_label: "week starting".to_string(),
        categories: (1..=6).map(|d| format!("2026-03-{:02}", d * 4)).collect(),
        body,
        markers,
    }
}

/// Lines over bands with a previous period, a small sample, a gap, a partial bucket, an
/// isolated previous value and annotations (one near the right edge).
fn lines() -> Chart {
    let series = Series {
        name: "shop".to_string(),
        colour: palette::BLUE,
        points: vec![
            point(2.5, 4),
            point(3.1, 1),
            None,
            point(1.2, 6),
            point(4.8, 5),
            point(0.6, 3),
        ],
    };
    let previous = Series {
        name: "previous period".to_string(),
        colour: palette::PREVIOUS,
        points: vec![
            point(2.0, 3),
            None,
            point(1.5, 2),
            None,
            point(3.5, 4),
            None,
        ],
    };
    let bands = vec![
        Band {
            tier: Tier::Elite,
            low: 0.0,
            high: 1.0,
        },
        Band {
            tier: Tier::High,
            low: 1.0,
            high: 7.0,
        },
        Band {
            tier: Tier::Medium,
            low: 7.0,
            high: 30.0,
        },
        Band {
            tier: Tier::Low,
            low: 30.0,
            high: f64::INFINITY,
        },
    ];
    let markers = vec![
        Marker {
            at: 1.5,
            label: "Freeze".to_string(),
        },
        Marker {
            at: 1.7,
            label: "Migration".to_string(),
        },
        Marker {
            at: 5.9,
            label: "A long annotation title".to_string(),
        },
    ];
    chart(
        Body::Lines {
            series: vec![series],
            previous: Some(previous),
            bands,
            small_sample: 3,
            partial: vec![false, false, false, false, false, true],
        },
        Unit::Days,
        markers,
    )
}

fn stacked() -> Chart {
    let layer = |name: &str, colour, values: [f64; 6]| Series {
        name: name.to_string(),
        colour,
        points: values.iter().map(|v| point(*v, 2)).collect(),
    };
    chart(
        Body::Stacked {
            layers: vec![
                layer("coding", palette::BLUE, [1.0, 2.0, 0.0, 3.0, 1.5, 0.5]),
                layer("review", palette::ORANGE, [0.5, 1.0, 2.0, 0.0, 1.0, 0.25]),
            ],
        },
        Unit::Hours,
        Vec::new(),
    )
}

fn bars() -> Chart {
    chart(
        Body::Bars {
            series: Series {
                name: "changes".to_string(),
                colour: palette::SKY_BLUE,
                points: vec![
                    point(3.0, 3),
                    point(0.0, 0),
                    None,
                    point(12.0, 12),
                    point(7.0, 7),
                    point(1.0, 1),
                ],
            },
        },
        Unit::Count,
        Vec::new(),
    )
}

fn percent() -> Chart {
    let series = Series {
        name: "shop".to_string(),
        colour: palette::VERMILLION,
        points: vec![
            point(10.0, 5),
            point(95.0, 4),
            point(50.0, 2),
            None,
            None,
            point(0.0, 6),
        ],
    };
    chart(
        Body::Lines {
            series: vec![series],
            previous: None,
            bands: Vec::new(),
            small_sample: 3,
            partial: Vec::new(),
        },
        Unit::Percent,
        Vec::new(),
    )
}

fn empty() -> Chart {
    chart(
        Body::Empty {
            message: "No deployments in this period: nothing to measure yet, so nothing is \
                      drawn."
                .to_string(),
        },
        Unit::PerWeek,
        Vec::new(),
    )
}

/// Every fixture drawn every way: full SVG at two sizes, compact SVG, PNG.
fn drawings() -> Vec<(String, Vec<u8>)> {
    let charts = [
        ("lines", lines()),
        ("stacked", stacked()),
        ("bars", bars()),
        ("percent", percent()),
        ("empty", empty()),
    ];
    let mut out = Vec::new();
    for (name, chart) in &charts {
        let draw = |what: &str, bytes: Vec<u8>| (format!("{name} {what}"), bytes);
        out.push(draw(
            "svg 960x540",
            svg(chart, 960, 540).expect("svg").into_bytes(),
        ));
        out.push(draw(
            "svg 1920x1080",
            svg(chart, 1920, 1080).expect("svg").into_bytes(),
        ));
        out.push(draw(
            "compact svg 320x200",
            svg_scaled(chart, 320, 200, 1.0, true)
                .expect("svg")
                .into_bytes(),
        ));
        out.push(draw("png 480x270", png(chart, 480, 270).expect("png")));
    }
    out
}

#[test]
fn drawings_stay_byte_identical() {
    let got: Vec<String> = drawings()
        .into_iter()
        .map(|(name, bytes)| format!("{name}: {}", digest(&bytes)))
        .collect();
    let expected: Vec<&str> = EXPECTED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(got, expected, "new digests:\n{}", got.join("\n"));
}

const EXPECTED: &str = "
lines svg 960x540: 36ffc849f7cb418a1f23017779655c4d83c3fe823b31a29373631fb5b6fcb32e
lines svg 1920x1080: 8d6b3881548aa5aa17cd9b8743be4e588fbec18b348685482ee2bf532c36ae95
lines compact svg 320x200: 8934616820976628a90773ca0a9d212eeb8534826595ed98b592c75023756d0c
lines png 480x270: 146c30cf10df14537917f0e4dd23f99968de83d71b712d3e55090a1f634d2720
stacked svg 960x540: 4ce184003b5d3d21261c700011e678ad4ed95669228c4d565952c23f2e8b3e98
stacked svg 1920x1080: 941bf25a0ea3985e245ebfa89680bfc0b398b0ebd8454af1763741df42b4a9ca
stacked compact svg 320x200: c104e2af015139b731b328030b7b7176ec22f4ee7003fc72a560c8db387f3c7f
stacked png 480x270: ce834acc00af289bcfe513292dca2d9955c60a9279b5bc46c134304be65d2e24
bars svg 960x540: 49d04f8ead7b583692c4ef1fe60828fdfdec45ca448072550c2f2322b50f18e4
bars svg 1920x1080: 9d5347369e49a4c6218f6dd53fe84700542d7f88e23a494512cb1d69c7d9e282
bars compact svg 320x200: 4b0f4db06fc693a722dfa6b18341da0d3e09dd157a40ca90f082b28f0f9ca08a
bars png 480x270: f8abb03b5440e58dd63513b25ecc2c52ae0e6cc4d8bf3f7a39d8e6fbc648e7e7
percent svg 960x540: eba0390a1fe6e4fb1aff19c37e636c553b4f6be594104021a827a35c0880030b
percent svg 1920x1080: b5883969fdf1d799f5acbe5f1149aea312dca37e60170967fed27dea6d7a2748
percent compact svg 320x200: f46d2bb1cb8029a9dc8e07407644f30f2c3174cbed59fa08a6c7f1c7849b54c7
percent png 480x270: 246f44e3ad90e29e240d006aa2b32e5235d89a806992e246576f5a5c81015b66
empty svg 960x540: 3400c42f9df3d2375e7e12b9cce965d86b699c24fa2d7a6832ba7c723e0e16c3
empty svg 1920x1080: d1183f5e3de691b30e4e4024264f537310ed6153457786c15d4e7658358cf01a
empty compact svg 320x200: 40197aed47278af51a6838af8fcf03edb8d88b0a9ccaa4687025f6475be2a519
empty png 480x270: 1af10f5841cc4a43cc2e7c371e5a3bc4fa30e8bd50c979c5f59c1dcdd694330e
";
