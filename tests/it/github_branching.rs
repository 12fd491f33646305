//! Lead times on every branching model: GitFlow (`develop`, release pull requests), a maintenance
//! branch merged forward, a hotfix branch deployed and merged back, a cherry-picked hotfix and a
//! first deployment that does not reach every merged pull request, collected from the fake GitHub
//! and checked against the figures worked out by hand in `fake_github::branching`.

use crate::fake_github;

use engine::metrics::MetricsReport;
use engine::store::Store;
use fake_github::branching::{ABSORBED, SHIPPED, branching, hm};
use fake_github::harness::{
    client, collect, collect_killed_after, metrics, records, setup, setup_file,
};
use fake_github::{FakeGithub, Faults};
use std::collections::BTreeSet;

async fn branching_fake() -> FakeGithub {
    let fake = FakeGithub::start().await;
    branching(&mut fake.world());
    fake
}

/// (repository, pull request number, deployment id) of every change each deployment shipped.
async fn shipments(store: &Store) -> BTreeSet<(String, i64, u64)> {
    let mut found = BTreeSet::new();
    for (repo, deployments) in [("acme/shop", 4), ("acme/api", 5), ("acme/web", 3)] {
        for id in 1..=deployments {
            let key = format!("{repo}/deployments/{id}");
            let detail = store
                .deployment_detail(&key)
                .await
                .expect("detail")
                .unwrap_or_else(|| panic!("deployment {key} stored"));
            for change in detail.changes {
                let number = change.number.expect("a pull request, not a direct push");
                found.insert((repo.to_string(), number, id));
            }
        }
    }
    found
}

fn assert_lead_time(m: &MetricsReport, changes: usize, median: i64, p90: i64) {
    let name = &m.name;
    assert_eq!(m.lead_time.changes, changes, "{name}: changes");
    assert_eq!(m.lead_time.median_seconds, Some(median), "{name}: median");
    assert_eq!(m.lead_time.p90_seconds, Some(p90), "{name}: p90");
}

async fn assert_hand_computed_figures(config: &engine::config::Config, store: &Store) {
    let expected: BTreeSet<(String, i64, u64)> = SHIPPED
        .iter()
        .map(|(repo, number, deployment, _)| (repo.to_string(), *number, *deployment))
        .collect();
    assert_eq!(shipments(store).await, expected);

    // shop: 2h10m, 26h10m, 29h10m, 50h10m, 50h10m, 53h10m.
    let shop = metrics(config, store, Some("shop")).await;
    assert_lead_time(&shop, 6, hm(39, 40), hm(51, 40));
    assert_eq!(shop.deployment_frequency.deployments, 4);
    // api: 55m, 5h10m, 5h10m, 26h10m; web: 4h10m, 4h10m, 29h10m.
    let platform = metrics(config, store, Some("platform")).await;
    assert_lead_time(&platform, 7, hm(5, 10), 98_520);
    assert_eq!(platform.deployment_frequency.deployments, 8);
    // The hotfix branch's deployment is rework; nothing failed.
    assert_eq!(platform.rework_rate.rework, 1);
    assert_eq!(platform.change_failure_rate.failed, 0);
    // All 13: median the 7th (26h10m), p90 between the 11th and 12th (both 50h10m).
    let org = metrics(config, store, None).await;
    assert_lead_time(&org, 13, hm(26, 10), hm(50, 10));
    assert_eq!(org.lead_time.excluded.bots, 0);
    assert_eq!(org.deployment_frequency.deployments, 12);
    assert_eq!(org.change_failure_rate.failed, 0);
}

#[tokio::test]
async fn lead_times_on_every_branching_model_equal_the_hand_computation() {
    let fake = branching_fake().await;
    let (config, store) = setup(&fake, "deployments").await;
    let report = collect(&config, &store, &client(&fake)).await;
    assert_eq!(report.failed(), 0, "{report:#?}");
    assert_hand_computed_figures(&config, &store).await;

    // Every merged pull request is collected, whatever its base; none of their commits is taken
    // for a direct push; releases, forward and back merges and the cherry-pick are stored but
    // not changes of their own.
    let mut stored = BTreeSet::new();
    for repo in records(&config, &store).await {
        for change in &repo.changes {
            let number = change
                .number
                .unwrap_or_else(|| panic!("no direct push expected: {}", change.key));
            stored.insert((change.repo.to_string(), number));
        }
    }
    let expected: BTreeSet<(String, i64)> = SHIPPED
        .iter()
        .map(|(repo, number, _, _)| (repo.to_string(), *number))
        .chain(ABSORBED.iter().map(|(repo, n)| (repo.to_string(), *n)))
        .collect();
    assert_eq!(stored, expected);
    for (repo, number) in ABSORBED {
        let key = format!("{repo}#{number}");
        let shipped = shipments(&store).await;
        assert!(
            !shipped.iter().any(|(r, n, _)| r == repo && n == number),
            "{key} is not a change of its own"
        );
    }
}

#[tokio::test]
async fn a_first_sync_takes_the_pages_the_data_needs_and_a_resync_only_304s() {
    let fake = branching_fake().await;
    let (config, store) = setup(&fake, "deployments").await;
    collect(&config, &store, &client(&fake)).await;
    let first = fake.requests();
    // Per repository: the repository, one page each of pull requests, default-branch commits,
    // deployments, incident issues and updated issues (a label taken off), and the first
    // deployment's commits; per merged pull
    // request its commits and reviews; per deployment its statuses; per later deployment one
    // compare. shop: 10 pull requests, 4 deployments; api: 5 and 5; web: 4 and 3.
    let per_repo = 7;
    let pulls = 10 + 5 + 4;
    let deployments = 4 + 5 + 3;
    let compares = 3 + 4 + 2;
    let expected = 3 * per_repo + 2 * pulls + deployments + compares;
    println!("first sync of the branching organisation: {first} requests");
    assert_eq!(first, expected, "{:#?}", fake.log());

    fake.clear_log();
    let second = collect(&config, &store, &client(&fake)).await;
    assert_eq!(second.failed(), 0, "{second:#?}");
    let log = fake.log();
    assert_eq!(log.len(), 3 * 5, "{log:#?}");
    assert!(
        log.iter().all(|r| r.conditional && r.status == 304),
        "a resync with nothing new costs only 304s: {log:#?}"
    );
    assert_hand_computed_figures(&config, &store).await;
}

#[tokio::test]
async fn a_sync_killed_midway_or_under_faults_ends_with_the_same_figures() {
    let clean = branching_fake().await;
    let (config, store) = setup(&clean, "deployments").await;
    collect(&config, &store, &client(&clean)).await;
    let expected = records(&config, &store).await;
    let full = clean.requests();

    for kill_after in [full / 3, full / 2, full - full / 5] {
        let fake = branching_fake().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let (config, store) = setup_file(&fake, "deployments", dir.path()).await;
        let gh = client(&fake);
        collect_killed_after(&fake, &config, &store, &gh, kill_after).await;
        let report = collect(&config, &store, &gh).await;
        assert_eq!(report.failed(), 0, "{report:#?}");
        assert_eq!(
            records(&config, &store).await,
            expected,
            "killed at {kill_after}"
        );
        assert_hand_computed_figures(&config, &store).await;
    }

    let faulty = branching_fake().await;
    faulty.set_faults(Faults::all());
    let (config, store) = setup(&faulty, "deployments").await;
    let report = collect(&config, &store, &client(&faulty)).await;
    assert_eq!(report.failed(), 0, "{report:#?}");
    assert_eq!(records(&config, &store).await, expected);
    assert_hand_computed_figures(&config, &store).await;
}
