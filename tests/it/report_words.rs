//! What the report says: sentences that follow the data (two demo quarters with different
//! stories), names escaped wherever they appear, the slide, and the `doraboard report` command.

use api::charts::MetricKey;
use api::report::{Report, build, html, slide};
use engine::config::Config;
use engine::period::Period;
use engine::store::Store;

const DEMO_END: &str = "2026-11-01";

fn period(from: &str, to: &str) -> Period {
    Period::new(
        Period::parse_date(from).expect("from"),
        Period::parse_date(to).expect("to"),
    )
    .expect("period")
}

async fn demo() -> (Config, Store) {
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let end = Period::parse_date(DEMO_END).expect("date");
    let config = collector::demo::seed(&store, end).await.expect("demo");
    (config, store)
}

async fn organisation_report(config: &Config, store: &Store, from: &str, to: &str) -> Report {
    let scope = config.scope(None).expect("organisation");
    build(store, config, &scope, period(from, to))
        .await
        .expect("report")
}

/// Q2 2026 is Checkout's turnaround (daily deploys, small pull requests); Q3 is Payments' bad
/// quarter (failures, slow restores). The highlights and sentences say so, and differ.
#[tokio::test]
async fn sentences_follow_the_data_of_each_period() {
    let (config, store) = demo().await;
    let q2 = organisation_report(&config, &store, "2026-04-01", "2026-07-01").await;
    let q3 = organisation_report(&config, &store, "2026-07-01", "2026-10-01").await;

    let improvement = q2.improvement.as_ref().expect("Q2 has an improvement");
    assert_eq!(improvement.name, "Checkout", "{improvement:?}");
    assert!(
        improvement.sentence.starts_with("Checkout "),
        "{}",
        improvement.sentence
    );
    let risk = q3.risk.as_ref().expect("Q3 has a risk");
    assert_eq!(risk.name, "Payments", "{risk:?}");
    assert!(
        matches!(
            risk.figure.metric,
            MetricKey::ChangeFailureRate | MetricKey::TimeToRestore | MetricKey::ReworkRate
        ),
        "{risk:?}"
    );
    assert!(risk.sentence.contains("Payments"), "{}", risk.sentence);
    assert!(risk.sentence.contains("up from"), "{}", risk.sentence);
    assert!(
        !risk.sentence.contains("DORA"),
        "a risk names no tier: {}",
        risk.sentence
    );
    for report in [&q2, &q3] {
        if let (Some(best), Some(worst)) = (&report.improvement, &report.risk) {
            assert_ne!(
                best.team, worst.team,
                "one team cannot be both the improvement and the risk"
            );
        }
    }

    // Every headline sentence is about this period's figures: none repeats across quarters.
    assert_eq!(q2.sentences.len(), 5);
    assert_eq!(q3.sentences.len(), 5);
    for (a, b) in q2.sentences.iter().zip(&q3.sentences) {
        assert_ne!(a, b);
    }
    // They quote the figures the report holds.
    let lead = api::report::narrative::figure(&q3.headline, MetricKey::LeadTime);
    let said = lead.words().expect("a median");
    assert_eq!(
        Some(&said),
        q3.headline.lead_time.shown.as_ref(),
        "as the API shows it"
    );
    assert!(
        q3.sentences[1].contains(&said),
        "{} / {said}",
        q3.sentences[1]
    );
    assert!(
        q3.sentences[1].contains("last quarter"),
        "{}",
        q3.sentences[1]
    );

    let page_q2 = html::render(&q2).expect("page");
    let page_q3 = html::render(&q3).expect("page");
    assert!(page_q2.contains(&escape(&improvement.sentence)));
    assert!(page_q3.contains(&escape(&risk.sentence)));
    assert!(!page_q2.contains(&escape(&risk.sentence)));
}

fn escape(s: &str) -> String {
    api::charts::render::escape(s)
}

/// A configuration whose names try to break out of the page: they come out as text.
const HOSTILE: &str = r#"
[collector]
since = "2026-01-01"

[[tribes]]
slug = "evil"
name = "<script>alert('tribe')</script> & Co"

[[teams]]
slug = "quotes"
name = "O'Brien \"<b>bold</b>\""
tribe = "evil"
repos = ["acme/shop"]
targets = { lead_time = "1d" }
"#;

#[tokio::test]
async fn names_from_configuration_are_escaped_everywhere() {
    let config = Config::from_toml_str(HOSTILE, "test config").expect("config");
    let store = Store::connect("sqlite::memory:").await.expect("store");
    for slug in [None, Some("evil"), Some("quotes")] {
        let scope = config.scope(slug).expect("scope");
        let report = build(&store, &config, &scope, period("2026-03-01", "2026-04-01"))
            .await
            .expect("report");
        let page = html::render(&report).expect("page");
        assert!(!page.contains("<script>"), "{slug:?}");
        assert!(!page.contains("<b>bold"), "{slug:?}");
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let doc = roxmltree::Document::parse_with_options(&page, options)
            .unwrap_or_else(|e| panic!("{slug:?}: the page stays well-formed: {e}"));
        assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
        assert!(!doc.descendants().any(|n| n.has_tag_name("b")));
        let text: String = doc
            .descendants()
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join(" ");
        match slug {
            Some("quotes") => assert!(
                text.contains("O'Brien \"<b>bold</b>\""),
                "the name reads as written"
            ),
            _ => assert!(
                text.contains("<script>alert('tribe')</script> & Co"),
                "the name reads as written"
            ),
        }
    }
}

#[tokio::test]
async fn the_slide_is_a_1920_by_1080_png() {
    let (config, store) = demo().await;
    let report = organisation_report(&config, &store, "2026-08-01", "2026-11-01").await;
    let png = slide::render(&report).expect("slide");
    let reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .expect("a PNG");
    assert_eq!((reader.info().width, reader.info().height), (1920, 1080));
}

#[test]
fn the_report_command_writes_html_or_a_png_slide() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |out: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_doraboard"))
            .args([
                "report",
                "--demo",
                "--team",
                "commerce",
                "--from",
                "2026-07-01",
                "--to",
                "2026-10-01",
                "--out",
            ])
            .arg(out)
            .env("RUST_LOG", "warn")
            .output()
            .expect("runs")
    };
    let html = dir.path().join("q3.html");
    let output = run(&html);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page = std::fs::read_to_string(&html).expect("written");
    assert!(page.contains("Delivery performance · Commerce tribe"));
    assert!(page.contains("Biggest risk"));

    let png = dir.path().join("slides").join("q3.png");
    let output = run(&png);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&png).expect("written");
    let reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG");
    assert_eq!((reader.info().width, reader.info().height), (1920, 1080));

    let output = run(&dir.path().join("q3.txt"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--out") && stderr.contains(".png"),
        "{stderr}"
    );
}
