use super::*;
use crate::model::{Change, Deployment, DeploymentStatus, Incident, Source};
use crate::store::codec::Statement;
use crate::store::testing::TestStore;
use chrono::{DateTime, Duration, Utc};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn full(sha: &str) -> String {
    sha.repeat(40 / sha.len())
}

fn change(number: i64, sha: &str, merged: DateTime<Utc>) -> Change {
    Change {
        key: format!("acme/shop#{number}"),
        repo: "acme/shop".parse().unwrap(),
        number: Some(number),
        title: format!("Change {number}"),
        author: "alice".into(),
        bot: false,
        first_commit_at: merged - Duration::hours(1),
        opened_at: None,
        first_review_at: None,
        merged_at: merged,
        merge_sha: Some(full(sha)),
        commits: vec![],
        labels: vec![],
        branch: None,
        paths: vec![],
        reverts: None,
        fixes: None,
        cherry_picks: Vec::new(),
        side_branch: None,
    }
}

fn deployment(key: &str, sha: &str, finished: DateTime<Utc>) -> Deployment {
    Deployment {
        key: key.into(),
        repo: "acme/shop".parse().unwrap(),
        environment: "Production".into(),
        sha: full(sha),
        status: DeploymentStatus::Success,
        started_at: None,
        finished_at: finished,
        source: Source::Import,
        rollback: false,
        declared_changes: None,
        declared_commits: None,
    }
}

fn incident(key: &str, opened: DateTime<Utc>) -> Incident {
    Incident {
        key: key.into(),
        repo: Some("acme/shop".parse().unwrap()),
        team: None,
        title: "Checkout errors".into(),
        opened_at: opened,
        resolved_at: None,
        source: Source::Import,
        cause: None,
    }
}

/// Derived rows of the store, in order: (table, row as text).
struct Derived {
    shipments: Vec<(String, String)>,
    failures: Vec<(String, String, String, String)>,
    rework: Vec<(String, String)>,
    links: Vec<(String, Option<String>, String)>,
}

async fn analyse(
    changes: &[Change],
    deployments: &[Deployment],
    incidents: &[Incident],
) -> Derived {
    let test = TestStore::sqlite().await;
    let store = &test.store;
    store.upsert_changes(changes).await.unwrap();
    store.upsert_deployments(deployments).await.unwrap();
    store.upsert_incidents(incidents).await.unwrap();
    let report = store
        .reanalyze(&["acme/shop".parse().unwrap()], &AnalysisOptions::default())
        .await
        .unwrap();
    let read = |sql: &'static str| Statement::new(sql, vec![]);
    let derived = Derived {
        shipments: store
            .fetch_all(
                read(
                    "SELECT d.key AS deployment, c.key AS change FROM deployment_change dc \
                     JOIN deployment d ON d.id = dc.deployment_id \
                     JOIN change c ON c.id = dc.change_id ORDER BY c.key",
                ),
                |r| Ok((r.text("deployment")?, r.text("change")?)),
            )
            .await
            .unwrap(),
        failures: store
            .fetch_all(
                read(
                    "SELECT deployment, kind, evidence, reason FROM failure_link \
                      ORDER BY deployment, kind, evidence",
                ),
                |r| {
                    Ok((
                        r.text("deployment")?,
                        r.text("kind")?,
                        r.text("evidence")?,
                        r.text("reason")?,
                    ))
                },
            )
            .await
            .unwrap(),
        rework: store
            .fetch_all(
                read("SELECT deployment, reason FROM rework ORDER BY deployment, reason"),
                |r| Ok((r.text("deployment")?, r.text("reason")?)),
            )
            .await
            .unwrap(),
        links: store
            .fetch_all(
                read("SELECT incident, deployment, reason FROM incident_link ORDER BY incident"),
                |r| {
                    Ok((
                        r.text("incident")?,
                        r.opt_text("deployment")?,
                        r.text("reason")?,
                    ))
                },
            )
            .await
            .unwrap(),
    };
    assert_eq!(report.shipments, derived.shipments.len());
    assert_eq!(report.failures, derived.failures.len());
    assert_eq!(report.rework, derived.rework.len());
    assert_eq!(report.incident_links, derived.links.len());
    test.finish().await;
    derived
}

#[tokio::test]
async fn a_change_ships_once_at_its_first_deployment() {
    let t = at("2026-03-02T09:00:00Z");
    let changes = [change(1, "a", t), change(2, "b", t + Duration::days(1))];
    let mut again = deployment("d3", "c", t + Duration::days(2));
    again.declared_changes = Some(vec!["acme/shop#1".into(), "acme/shop#2".into()]);
    let deployments = [
        deployment("d1", "a", t + Duration::hours(1)),
        deployment("d2", "b", t + Duration::days(1) + Duration::hours(1)),
        again,
    ];
    let derived = analyse(&changes, &deployments, &[]).await;
    assert_eq!(
        derived.shipments,
        [
            ("d1".into(), "acme/shop#1".into()),
            ("d2".into(), "acme/shop#2".into())
        ]
    );
}

/// A deployment declaring its changes ships those of its repository that no earlier deployment
/// shipped, each once; a linear cut after it takes what is left.
#[tokio::test]
async fn declared_changes_ship_once_and_only_if_of_the_repository() {
    let t = at("2026-03-02T09:00:00Z");
    let other = Change {
        key: "acme/other#1".into(),
        repo: "acme/other".parse().unwrap(),
        ..change(1, "f", t)
    };
    let changes = [
        change(1, "a", t),
        change(2, "b", t + Duration::hours(1)),
        change(3, "c", t + Duration::hours(2)),
        other,
    ];
    let declaring = |key: &str, sha: &str, hours: i64, declared: &[&str]| Deployment {
        declared_changes: Some(declared.iter().map(|k| k.to_string()).collect()),
        ..deployment(key, sha, t + Duration::hours(hours))
    };
    let deployments = [
        declaring(
            "d1",
            "a",
            3,
            &["acme/shop#1", "acme/other#1", "acme/shop#9", "acme/shop#1"],
        ),
        declaring("d2", "b", 4, &["acme/shop#1", "acme/shop#2"]),
        deployment("d3", "c", t + Duration::hours(5)),
    ];
    let derived = analyse(&changes, &deployments, &[]).await;
    let shipped = |d: &str, c: &str| (d.to_string(), c.to_string());
    assert_eq!(
        derived.shipments,
        [
            shipped("d1", "acme/shop#1"),
            shipped("d2", "acme/shop#2"),
            shipped("d3", "acme/shop#3")
        ]
    );
}

#[tokio::test]
async fn deployments_to_other_environments_are_ignored() {
    let t = at("2026-03-02T09:00:00Z");
    let mut staging = deployment("s1", "a", t + Duration::hours(1));
    staging.environment = "staging".into();
    let derived = analyse(&[change(1, "a", t)], &[staging], &[]).await;
    assert!(derived.shipments.is_empty());
}

#[tokio::test]
async fn a_rollback_link_says_which_deployment_rolled_back_and_to_what() {
    let t = at("2026-03-02T10:00:00Z");
    let deployments = [
        deployment("d1", "a", t),
        deployment("d2", "b", t + Duration::days(1)),
        deployment("d3", "a", t + Duration::days(1) + Duration::hours(1)),
    ];
    let derived = analyse(&[], &deployments, &[]).await;
    let [(failed, kind, evidence, reason)] = &derived.failures[..] else {
        panic!("one failure expected: {:?}", derived.failures);
    };
    assert_eq!(
        (failed.as_str(), kind.as_str(), evidence.as_str()),
        ("d2", "rollback", "d3")
    );
    assert!(reason.contains("rolled back by deployment d3"), "{reason}");
    assert!(reason.contains("aaaaaaa"), "{reason}");
    assert_eq!(derived.rework.len(), 1);
    assert_eq!(derived.rework[0].0, "d3");
}

#[tokio::test]
async fn an_incident_link_records_the_window_reason() {
    let t = at("2026-03-02T10:00:00Z");
    let deployments = [deployment("d1", "a", t)];
    let opened = t + Duration::minutes(210);
    let derived = analyse(&[], &deployments, &[incident("INC-7", opened)]).await;
    let (_, deployment, reason) = &derived.links[0];
    assert_eq!(deployment.as_deref(), Some("d1"));
    assert!(reason.contains("3h 30m earlier"), "{reason}");
    assert!(reason.contains("7d attribution window"), "{reason}");
}

/// An incident naming a deployment is blamed on it only if it is a successful deployment of the
/// repository; the reason tells a failed deployment from one never stored.
#[tokio::test]
async fn an_incident_naming_a_deployment_is_blamed_on_it_only_if_it_succeeded() {
    use crate::model::IncidentCause;
    let t = at("2026-03-02T10:00:00Z");
    let failed = Deployment {
        status: DeploymentStatus::Failure,
        ..deployment("d2", "b", t + Duration::hours(1))
    };
    let deployments = [deployment("d1", "a", t), failed];
    let naming = |key: &str, named: &str| Incident {
        cause: Some(IncidentCause::Deployment(named.into())),
        ..incident(key, t + Duration::hours(2))
    };
    let incidents = [
        naming("INC-1", "d1"),
        naming("INC-2", "d2"),
        naming("INC-3", "d9"),
    ];
    let derived = analyse(&[], &deployments, &incidents).await;
    let blamed: Vec<(&str, Option<&str>)> = derived
        .links
        .iter()
        .map(|(i, d, _)| (i.as_str(), d.as_deref()))
        .collect();
    assert_eq!(
        blamed,
        [
            ("INC-1", Some("d1")),
            ("INC-2", Some("d1")),
            ("INC-3", Some("d1"))
        ]
    );
    let reasons: Vec<&str> = derived.links.iter().map(|(_, _, r)| r.as_str()).collect();
    assert!(
        reasons[1].contains("d2") && reasons[1].contains("not a known successful deployment"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("d9") && reasons[2].contains("not a known deployment"),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn abbreviated_shas_find_their_change_either_way() {
    let t = at("2026-03-02T09:00:00Z");
    let mut abbreviated = change(2, "cd", t + Duration::hours(1));
    abbreviated.merge_sha = Some("cdcdcdcd".into());
    let changes = [change(1, "ab", t), abbreviated];
    let mut d1 = deployment("d1", "ef", t + Duration::hours(2));
    d1.declared_commits = Some(vec!["ABABABA".into(), full("cd")]);
    let derived = analyse(&changes, &[d1], &[]).await;
    assert_eq!(derived.shipments.len(), 2, "{:?}", derived.shipments);
}

#[tokio::test]
async fn a_fix_for_an_incident_is_rework_without_failing_anything() {
    let t = at("2026-03-03T09:00:00Z");
    let mut fix = change(2, "b", t);
    fix.fixes = Some("INC-7".into());
    let deployments = [deployment("d2", "b", t + Duration::hours(1))];
    let open = incident("INC-7", t - Duration::days(30));
    let derived = analyse(&[fix], &deployments, &[open]).await;
    assert_eq!(derived.rework.len(), 1);
    assert!(derived.rework[0].1.contains("a fix for incident `INC-7`"));
    assert!(derived.failures.is_empty());
}

/// Declared commits and linear cuts of one page are written in batches, yet the first
/// deployment to claim a change still ships it.
#[tokio::test]
async fn batched_shipments_keep_the_first_claim() {
    let t = at("2026-03-02T09:00:00Z");
    let changes = [
        change(1, "a", t),
        change(2, "b", t + Duration::hours(1)),
        change(3, "c", t + Duration::hours(2)),
    ];
    let mut d1 = deployment("d1", "f", t + Duration::hours(3));
    d1.declared_commits = Some(vec![full("c")]);
    let d2 = deployment("d2", "c", t + Duration::hours(4));
    let mut d3 = deployment("d3", "e", t + Duration::hours(5));
    d3.declared_commits = Some(vec![full("a"), full("b"), full("c")]);
    let derived = analyse(&changes, &[d1, d2, d3], &[]).await;
    let pairs: Vec<(&str, &str)> = derived
        .shipments
        .iter()
        .map(|(d, c)| (d.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("d2", "acme/shop#1"),
            ("d2", "acme/shop#2"),
            ("d1", "acme/shop#3")
        ]
    );
}

/// Long enough to cross several pages: each deployment ships its own change, a redeployment
/// on a later page of a sha from the first page is a rollback, and a revert reaches back to
/// the first page.
#[tokio::test]
async fn a_history_longer_than_a_page_is_analysed_as_a_whole() {
    let t = at("2026-01-01T00:00:00Z");
    let n = 3 * PAGE + 7;
    let sha = |i: i64| format!("{i:040x}");
    let mut changes: Vec<Change> = (0..n)
        .map(|i| {
            let mut c = change(i, "a", t + Duration::hours(i));
            c.merge_sha = Some(sha(i));
            c
        })
        .collect();
    // Pairs of deployments finish in the same second: their keys order them, so each ships
    // its own change (the other way round, the second would ship both).
    let mut deployments: Vec<Deployment> = (0..n)
        .map(|i| {
            let mut d = deployment(
                &format!("d{i:04}"),
                "a",
                t + Duration::hours(i / 2 * 2) + Duration::minutes(90),
            );
            d.sha = sha(i);
            d
        })
        .collect();
    let mut rollback = deployment("z-rollback", "a", t + Duration::hours(n + 5));
    rollback.sha = sha(3);
    deployments.push(rollback);
    let mut revert = change(n, "f", t + Duration::hours(n + 1));
    revert.title = "Revert \"Change 5\"".into();
    changes.push(revert);
    let derived = analyse(&changes, &deployments, &[]).await;
    assert_eq!(derived.shipments.len() as i64, n);
    for (deployment, change) in &derived.shipments {
        let i: i64 = change.trim_start_matches("acme/shop#").parse().unwrap();
        assert_eq!(deployment, &format!("d{i:04}"), "{change}");
    }
    let failed: Vec<(&str, &str)> = derived
        .failures
        .iter()
        .map(|f| (f.0.as_str(), f.1.as_str()))
        .collect();
    assert_eq!(
        failed,
        [
            ("d0005", "revert"),
            (&*format!("d{:04}", n - 1), "rollback")
        ]
    );
}
