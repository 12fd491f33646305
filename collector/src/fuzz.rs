//! Property tests of every parser that takes input from outside: generic events (NDJSON and
//! CSV), GitHub and PagerDuty webhook payloads, CDEvents. Thousands of random inputs and random mutations
//! of valid ones: none may panic, and every refusal must say something.
//!
//! Each property runs [`CASES`] cases (proptest shrinks any failure to a minimal input).

use crate::events::EventContext;
use crate::events::csv::CsvReader;
use crate::events::ndjson::parse_body;
use crate::events::schema::parse_event;
use crate::{cdevents, pagerduty, webhooks};
use engine::config::Config;
use engine::model::Source;
use engine::test_support::mutated;
use proptest::prelude::*;

const CASES: u32 = 2_000;

const VALID_NDJSON: &str = r#"{"type": "change", "id": "acme/shop#42", "repo": "acme/shop", "number": 42, "title": "Faster checkout", "author": "alice", "first_commit_at": "2026-03-01T09:00:00Z", "opened_at": "2026-03-01T12:00:00Z", "first_review_at": "2026-03-02T08:00:00Z", "merged_at": "2026-03-02T10:00:00Z", "merge_sha": "3f2a0000", "commits": ["9c1e0000", "3f2a0000"], "labels": ["feature"]}
{"type": "deployment", "id": "jenkins-shop-1187", "repo": "acme/shop", "environment": "production", "sha": "3f2a0000", "status": "success", "started_at": "2026-03-02T11:00:00Z", "finished_at": "2026-03-02T11:06:00Z", "changes": ["acme/shop#42"]}
{"type": "incident", "id": "PD-Q1W2E3", "repo": "acme/shop", "title": "Checkout errors", "opened_at": "2026-03-02T13:00:00Z", "resolved_at": "2026-03-02T14:30:00Z", "deployment": "jenkins-shop-1187"}
"#;

const VALID_CSV: &str = "type,id,repo,environment,sha,status,finished_at,opened_at,merged_at,first_commit_at\n\
deployment,d1,acme/shop,production,3f2a0000,success,2026-03-02T11:06:00Z,,,\n\
incident,i1,acme/shop,,,,,2026-03-02T13:00:00Z,,\n\
change,acme/shop#1,acme/shop,,,,,,2026-03-02T10:00:00Z,2026-03-01T09:00:00Z\n";

const GITHUB_PULL: &str = r#"{"action": "closed", "number": 42, "repository": {"full_name": "acme/shop", "default_branch": "main"}, "pull_request": {"number": 42, "state": "closed", "title": "Faster checkout", "body": "Reverts acme/shop#41", "user": {"login": "alice", "type": "User"}, "labels": [{"name": "hotfix"}], "created_at": "2026-03-02T08:00:00Z", "updated_at": "2026-03-02T11:00:00Z", "merged_at": "2026-03-02T11:00:00Z", "merge_commit_sha": "3f2a000000000000000000000000000000000000", "head": {"ref": "hotfix/x", "sha": "aa"}, "base": {"ref": "main", "sha": "bb"}}}"#;

const PAGERDUTY: &str = r#"{"event": {"id": "01ABC", "event_type": "incident.resolved", "resource_type": "incident", "occurred_at": "2026-03-02T14:30:00Z", "data": {"id": "Q1W2E3", "type": "incident", "title": "Checkout errors", "created_at": "2026-03-02T13:00:00Z", "service": {"id": "PSHOP01", "type": "service_reference"}}}}"#;

const CDEVENT: &str = r#"{"specversion": "1.0", "id": "c1", "source": "/argocd", "type": "dev.cdevents.service.deployed.0.2.0", "data": {"context": {"id": "c1", "source": "/argocd", "type": "dev.cdevents.service.deployed.0.2.0", "timestamp": "2026-03-02T11:06:00Z"}, "subject": {"id": "service/shop", "content": {"environment": {"id": "production"}, "artifactId": "pkg:github/acme/shop@3f2a%300000?x=1"}}, "customData": {"started_at": "2026-03-02T11:00:00Z"}}}"#;

fn config() -> Config {
    Config::from_toml_str(
        "[[teams]]\nslug = \"shop\"\nname = \"Shop\"\nrepos = [\"acme/shop\"]\n",
        "fuzz config",
    )
    .expect("a valid config")
}

/// Random text, mutated valid input, or valid input.
fn inputs(seed: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[{}\\[\\]\":,a-z0-9 \n-]{0,200}",
        mutated(seed, 1..8),
        Just(seed.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn ndjson_bodies_never_panic_and_refusals_name_a_line(body in inputs(VALID_NDJSON)) {
        let ctx = EventContext::new(&config(), Source::Webhook);
        if let Err(errors) = parse_body(&body, &ctx) {
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    #[test]
    fn csv_files_never_panic_and_refusals_say_why(text in inputs(VALID_CSV)) {
        let ctx = EventContext::new(&config(), Source::Import);
        match CsvReader::new(text.as_bytes()) {
            Err(e) => prop_assert!(!e.to_string().is_empty()),
            Ok(reader) => {
                for item in reader {
                    let Ok(item) = item else { continue };
                    match item.value {
                        Ok(value) => {
                            if let Err(e) = parse_event(&value, &ctx) {
                                prop_assert!(!e.to_string().is_empty());
                            }
                        }
                        Err(e) => prop_assert!(!e.to_string().is_empty()),
                    }
                }
            }
        }
    }

    #[test]
    fn github_webhook_payloads_never_panic(body in inputs(GITHUB_PULL)) {
        let settings = webhooks::github::Settings::from_config(&config());
        match webhooks::github::parse(body.as_bytes()) {
            Err(e) => prop_assert!(!e.to_string().is_empty()),
            Ok(value) => {
                for event in ["pull_request", "deployment_status", "workflow_run", "release", "issues", "push", "ping"] {
                    if let Err(e) = webhooks::github::normalize(event, &value, &settings) {
                        prop_assert!(!e.to_string().is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn cdevents_never_panic_and_refusals_say_why(body in inputs(CDEVENT)) {
        let ctx = EventContext::new(&config(), Source::Webhook);
        let services = [("service/shop".to_string(), "acme/shop".to_string())].into_iter().collect();
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&body)
            && let Err(e) = cdevents::parse(&value, &ctx, &services)
        {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn pagerduty_payloads_never_panic(body in inputs(PAGERDUTY)) {
        let services = [("PSHOP01".to_string(), "shop".to_string())].into_iter().collect();
        match pagerduty::parse(body.as_bytes()) {
            Err(e) => prop_assert!(!e.to_string().is_empty()),
            Ok(event) => {
                if let Err(e) = pagerduty::normalize(&event, &services) {
                    prop_assert!(!e.to_string().is_empty());
                }
            }
        }
    }
}

/// The seeds are valid, so their mutations reach deep into each parser.
#[test]
fn the_seeds_are_valid_inputs() {
    let ctx = EventContext::new(&config(), Source::Webhook);
    assert_eq!(
        parse_body(VALID_NDJSON, &ctx).map(|e| e.len()).ok(),
        Some(3)
    );
    let items: Vec<_> = CsvReader::new(VALID_CSV.as_bytes())
        .expect("a header")
        .map(|item| item.expect("readable"))
        .collect();
    assert_eq!(items.len(), 3);
    for item in items {
        let value = item.value.expect("a row");
        parse_event(&value, &ctx).unwrap_or_else(|e| panic!("line {}: {e}", item.line));
    }
    let settings = webhooks::github::Settings::from_config(&config());
    let value = webhooks::github::parse(GITHUB_PULL.as_bytes()).expect("JSON");
    let handled = webhooks::github::normalize("pull_request", &value, &settings).expect("valid");
    assert!(handled.into_record().is_some());
    let services = [("PSHOP01".to_string(), "shop".to_string())]
        .into_iter()
        .collect();
    let event = pagerduty::parse(PAGERDUTY.as_bytes()).expect("JSON");
    let handled = pagerduty::normalize(&event, &services).expect("valid");
    assert!(handled.into_record().is_some());
    let cdevent = serde_json::from_str(CDEVENT).expect("JSON");
    let services = [("service/shop".to_string(), "acme/shop".to_string())]
        .into_iter()
        .collect();
    let handled = cdevents::parse(&cdevent, &ctx, &services).expect("valid");
    assert!(handled.into_record().is_some());
}
