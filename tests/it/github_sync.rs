//! The GitHub collector end to end against a fake GitHub on 127.0.0.1: sync, resync, an issue
//! that loses the incident label, faults, kills, failing repositories, and each deployment
//! source, checked against figures worked out by hand (see `fake_github::scenario::org`).

use crate::fake_github;

use collector::sync::{Quiet, SyncOptions, SyncRunner};
use engine::metrics::MetricsReport;
use engine::period::Period;
use engine::store::StoreCounts;
use engine::store::github::RepoRecords;
use fake_github::harness::{
    client, collect, collect_killed_after, configured_client, metrics, records, setup, setup_app,
    setup_file,
};
use fake_github::scenario::{self, START, day_at};
use fake_github::{FakeGithub, Faults, Strategy};
use std::time::Duration;

async fn org_fake() -> FakeGithub {
    let fake = FakeGithub::start().await;
    scenario::org(&mut fake.world());
    fake
}

/// What one uninterrupted, fault-free sync of the organisation stores (computed once), and the
/// requests it took.
async fn clean_org() -> &'static (Vec<RepoRecords>, StoreCounts, u64) {
    static CLEAN: tokio::sync::OnceCell<(Vec<RepoRecords>, StoreCounts, u64)> =
        tokio::sync::OnceCell::const_new();
    CLEAN
        .get_or_init(|| async {
            let fake = org_fake().await;
            let (config, store) = setup(&fake, "deployments").await;
            let report = collect(&config, &store, &client(&fake)).await;
            assert_eq!(report.failed(), 0, "{report:#?}");
            let counts = store.counts().await.expect("counts");
            // The client asks for gzip and reads it: every answer with a body came compressed.
            assert!(fake.compressed_responses() > 0, "no answer was compressed");
            (records(&config, &store).await, counts, fake.requests())
        })
        .await
}

/// Every figure below is counted from the scenario's description, not computed by the engine.
fn assert_org_figures(m: &MetricsReport) {
    // 40 working days x 3 repositories, plus shop's rollback; shop's 15:00 attempt failed.
    assert_eq!(m.deployment_frequency.deployments, 121);
    assert_eq!(m.deployment_frequency.failed_attempts, 1);
    assert!((m.deployment_frequency.per_week - 121.0 / 8.0).abs() < 1e-9);
    assert_eq!(m.deployment_frequency.active_days, 40);
    // 360 pull requests and api's direct push; dependabot's is a bot's.
    assert_eq!(m.lead_time.changes, 361);
    assert_eq!(m.lead_time.excluded.bots, 1);
    // 7 h 10 min for all but the push (5 h 10 min).
    assert_eq!(m.lead_time.median_seconds, Some(25_800));
    assert_eq!(m.lead_time.p90_seconds, Some(25_800));
    // Rolled back (shop day 19), incident (api day 14), reverted (web day 24), incidents (web
    // days 29 and 35, the second still open).
    assert_eq!(m.change_failure_rate.deployments, 121);
    assert_eq!(m.change_failure_rate.failed, 5);
    assert!((m.change_failure_rate.rate.expect("a rate") - 5.0 / 121.0).abs() < 1e-9);
    // Samples 30 min, 1 h (the rollback), 2 h: median 1 h; p90 = 1 h + 0.8 x 1 h.
    assert_eq!(m.time_to_restore.incidents, 2);
    assert_eq!(m.time_to_restore.rollbacks, 1);
    assert_eq!(m.time_to_restore.open_incidents, 1);
    assert_eq!(m.time_to_restore.median_seconds, Some(3_600));
    assert_eq!(m.time_to_restore.p90_seconds, Some(6_480));
    // The rollback, and web's day 25 that shipped the revert.
    assert_eq!(m.rework_rate.deployments, 121);
    assert_eq!(m.rework_rate.rework, 2);
}

#[tokio::test]
async fn collect_then_metrics_match_the_figures_worked_out_by_hand() {
    let fake = org_fake().await;
    let (config, store) = setup(&fake, "deployments").await;
    let gh = client(&fake);
    let report = collect(&config, &store, &gh).await;
    assert_eq!(report.failed(), 0, "{report:#?}");
    assert_eq!(report.repos.len(), 3);

    assert_org_figures(&metrics(&config, &store, None).await);
    assert_org_figures(&metrics(&config, &store, Some("digital")).await);

    let shop = metrics(&config, &store, Some("shop")).await;
    assert_eq!(shop.deployment_frequency.deployments, 41);
    assert_eq!(shop.change_failure_rate.failed, 1);
    assert_eq!(shop.lead_time.changes, 120);
    assert_eq!(shop.time_to_restore.rollbacks, 1);
    assert_eq!(shop.time_to_restore.median_seconds, Some(3_600));
    assert_eq!(shop.rework_rate.rework, 1);
    // Coding 09:00 -> opened 11:00, pickup -> bob's review 12:00 (the author's own does not
    // count), review -> merged 13:00..13:02, deploy -> 16:10.
    let b = &shop.lead_time.breakdown;
    assert_eq!(b.coding.median_seconds, Some(7_200));
    assert_eq!(b.pickup.median_seconds, Some(3_600));

    let platform = metrics(&config, &store, Some("platform")).await;
    assert_eq!(platform.deployment_frequency.deployments, 80);
    assert_eq!(platform.change_failure_rate.failed, 4);
    assert_eq!(platform.lead_time.changes, 241);
    assert_eq!(platform.time_to_restore.incidents, 2);
    assert_eq!(platform.time_to_restore.median_seconds, Some(4_500));

    // What landed, record by record.
    let api = store
        .repo_records(&"acme/api".parse().expect("slug"))
        .await
        .expect("records");
    let push = api
        .changes
        .iter()
        .find(|c| c.number.is_none())
        .expect("the direct push");
    assert_eq!(push.title, "Bump version");
    assert_eq!(push.first_commit_at, day_at(11, "11:00"));
    assert_eq!(api.changes.len(), 121);
    assert_eq!(
        api.incidents.len(),
        1,
        "the pull request labelled incident is dropped"
    );
    assert_eq!(api.incidents[0].key, "acme/api#1001");
    let web = store
        .repo_records(&"acme/web".parse().expect("slug"))
        .await
        .expect("records");
    let revert = web
        .changes
        .iter()
        .find(|c| c.key == "acme/web#76")
        .expect("the revert");
    assert_eq!(revert.reverts.as_deref(), Some("#74"));
    let shop_records = store
        .repo_records(&"acme/shop".parse().expect("slug"))
        .await
        .expect("records");
    // The abandoned pull request was never merged; the backport was merged into release-1.x,
    // which no deployment reaches: stored, never shipped (shop's figures above leave it out).
    assert!(shop_records.changes.iter().all(|c| c.number != Some(950)));
    assert!(shop_records.changes.iter().any(|c| c.number == Some(951)));
    assert!(
        shop_records
            .changes
            .iter()
            .any(|c| c.bot && c.author == "dependabot[bot]")
    );
    assert_eq!(
        shop_records.deployments.len(),
        42,
        "41 deployments and one failed attempt"
    );
}

#[tokio::test]
async fn a_sync_as_a_github_app_equals_a_sync_with_a_token() {
    let (clean, clean_counts, clean_requests) = clean_org().await;
    let fake = org_fake().await;
    // Installation tokens live 8 s and serve 40 requests: the sync renews them before they
    // expire and when the fake refuses a spent one (401).
    let (config, store) = setup_app(&fake, 8, Some(40)).await;
    let gh = configured_client(&config);
    let report = collect(&config, &store, &gh).await;
    assert_eq!(report.failed(), 0, "{report:#?}");
    assert_eq!(&records(&config, &store).await, clean);
    assert_eq!(&store.counts().await.expect("counts"), clean_counts);
    assert_org_figures(&metrics(&config, &store, None).await);

    let log = fake.log();
    let exchanges = log
        .iter()
        .filter(|seen| seen.path.ends_with("/access_tokens") && seen.status == 201)
        .count() as u64;
    let refused = log.iter().filter(|seen| seen.status == 401).count() as u64;
    assert_eq!(exchanges, gh.token_exchanges());
    assert!(
        exchanges >= clean_requests.div_ceil(40) && refused >= 1,
        "{exchanges} tokens, {refused} refusals for {clean_requests} requests"
    );
    assert_eq!(fake.requests() - exchanges - refused, *clean_requests);
    println!(
        "first sync as an app: {clean_requests} requests, as with a token, plus {exchanges} \
         installation tokens and {refused} requests repeated after a 401"
    );
}

#[tokio::test]
async fn an_app_the_installation_does_not_know_fails_without_retrying() {
    let fake = org_fake().await;
    let (config, _store) = setup_app(&fake, 60, None).await;
    let mut config = config;
    config.github.installation_id = Some(78);
    let gh = configured_client(&config);
    let tally = collector::github::Tally::default();
    let e = gh
        .get::<serde_json::Value>("/rate_limit", None, &tally)
        .await
        .expect_err("refused");
    assert_eq!(e.status(), Some(404), "{e}");
    assert!(
        e.to_string()
            .contains("/app/installations/78/access_tokens"),
        "{e}"
    );
    assert_eq!(fake.requests(), 1);
}

#[tokio::test]
async fn a_second_collect_with_nothing_new_sends_only_conditional_requests_all_answered_304() {
    let fake = org_fake().await;
    let (config, store) = setup(&fake, "deployments").await;
    let gh = client(&fake);
    let first = collect(&config, &store, &gh).await;
    assert_eq!(first.failed(), 0);
    let before = records(&config, &store).await;
    fake.clear_log();

    let second = collect(&config, &store, &gh).await;
    assert_eq!(second.failed(), 0);
    let log = fake.log();
    // Per repository: the repository, pulls, default-branch commits, deployments, issues.
    assert_eq!(log.len(), 15, "{log:#?}");
    assert!(
        log.iter().all(|r| r.conditional && r.status == 304),
        "{log:#?}"
    );
    assert_eq!(second.requests(), 15);
    assert_eq!(second.not_modified(), 15);
    assert_eq!(second.records(), 0);
    assert_eq!(records(&config, &store).await, before);
    assert_org_figures(&metrics(&config, &store, None).await);
}

#[tokio::test]
async fn new_activity_is_picked_up_incrementally_with_few_requests() {
    let fake = org_fake().await;
    let (config, store) = setup(&fake, "deployments").await;
    let gh = client(&fake);
    collect(&config, &store, &gh).await;

    // Day 40 in shop: three pull requests, and a deployment still in progress at the next sync.
    {
        let mut world = fake.world();
        let sha = scenario::workday(&mut world, "acme/shop", 40, Strategy::Squash);
        let repo = world.repo("acme/shop");
        repo.deployment(
            9_001,
            &sha,
            day_at(40, "16:00"),
            &[("in_progress", day_at(40, "16:01"))],
        );
    }
    fake.clear_log();
    let report = collect(&config, &store, &gh).await;
    assert_eq!(report.failed(), 0);
    let shop = &report.repos[1];
    assert_eq!(shop.repo, "acme/shop");
    assert_eq!(shop.changes, 3);
    assert_eq!(shop.deployments, 0, "still in progress");
    // repository 304, pulls page + 3 x (commits, reviews), commits page, deployments page +
    // statuses, issues page (it lists the new pull requests too); the two other repositories
    // all 304.
    let fresh: Vec<_> = fake.log().into_iter().filter(|r| r.status != 304).collect();
    assert_eq!(fresh.len(), 11, "{fresh:#?}");

    // It finishes: only its statuses are asked again, and it ships day 40's changes.
    fake.world()
        .repo("acme/shop")
        .add_status(9_001, "success", day_at(40, "16:12"));
    fake.clear_log();
    let report = collect(&config, &store, &gh).await;
    assert_eq!(report.repos[1].deployments, 1, "{:#?}", fake.log());
    let fresh: Vec<_> = fake.log().into_iter().filter(|r| r.status != 304).collect();
    // Statuses, the compare with day 39's sha, and the deployments list (its updated_at moved).
    assert_eq!(fresh.len(), 3, "{fresh:#?}");
    let detail = store
        .deployment_detail("acme/shop/deployments/9001")
        .await
        .expect("detail")
        .expect("stored");
    assert_eq!(detail.changes.len(), 3);
    assert_eq!(
        detail.deployment.declared_commits.as_ref().map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn an_incident_issue_that_loses_its_label_is_deleted_and_no_longer_counted() {
    let fake = org_fake().await;
    let (config, store) = setup(&fake, "deployments").await;
    let gh = client(&fake);
    collect(&config, &store, &gh).await;
    assert_org_figures(&metrics(&config, &store, None).await);

    // api#1001 (day 14, two hours to restore) was no incident after all: the label comes off,
    // which moves the issue's updated_at.
    fake.world()
        .repo("acme/api")
        .unlabel(1001, "incident", day_at(40, "09:00"));
    fake.clear_log();
    let report = collect(&config, &store, &gh).await;
    assert_eq!(report.failed(), 0, "{report:#?}");
    // As many requests as a sync with nothing new: only api's issues page is fresh.
    let log = fake.log();
    assert_eq!(log.len(), 15, "{log:#?}");
    let fresh: Vec<_> = log.iter().filter(|r| r.status != 304).collect();
    assert_eq!(fresh.len(), 1, "{fresh:#?}");
    assert!(
        fresh[0]
            .path
            .starts_with("/repos/acme/api/issues?state=all"),
        "{fresh:#?}"
    );
    let api = &report.repos[0];
    assert_eq!(api.repo, "acme/api");
    assert_eq!((api.incidents, api.incidents_deleted), (0, 1));
    assert_eq!(store.incident("acme/api#1001").await.expect("read"), None);
    assert_eq!(store.counts().await.expect("counts").incidents, 2);

    // Worked out by hand without it. Failed: shop's rollback (day 19), web's revert (day 24)
    // and web's incidents (days 29 and 35): 4 of 121. Time to restore: 30 min (web's day-29
    // incident) and 1 h (the rollback): median 45 min, p90 = 30 min + 0.9 x 30 min.
    let m = metrics(&config, &store, None).await;
    assert_eq!(m.change_failure_rate.deployments, 121);
    assert_eq!(m.change_failure_rate.failed, 4);
    assert!((m.change_failure_rate.rate.expect("a rate") - 4.0 / 121.0).abs() < 1e-9);
    assert_eq!(m.time_to_restore.incidents, 1);
    assert_eq!(m.time_to_restore.rollbacks, 1);
    assert_eq!(m.time_to_restore.open_incidents, 1);
    assert_eq!(m.time_to_restore.median_seconds, Some(2_700));
    assert_eq!(m.time_to_restore.p90_seconds, Some(3_420));
    assert_eq!(m.rework_rate.rework, 2);
    // Platform (api and web): web's day-29 incident alone, 30 min.
    let platform = metrics(&config, &store, Some("platform")).await;
    assert_eq!(platform.change_failure_rate.failed, 3);
    assert_eq!(platform.time_to_restore.incidents, 1);
    assert_eq!(platform.time_to_restore.median_seconds, Some(1_800));

    // The label goes back on: the incident returns, and every figure with it.
    fake.world()
        .repo("acme/api")
        .label(1001, "incident", day_at(40, "10:00"));
    let report = collect(&config, &store, &gh).await;
    assert_eq!((report.repos[0].incidents, report.failed()), (1, 0));
    assert_org_figures(&metrics(&config, &store, None).await);
    fake.clear_log();
    let again = collect(&config, &store, &gh).await;
    assert_eq!((again.requests(), again.not_modified()), (15, 15));
}

/// One sync with `since` set to `date`, as `doraboard collect --since DATE` runs it.
async fn collect_since(
    config: &mut engine::config::Config,
    store: &engine::store::Store,
    gh: &collector::github::GitHub,
    date: chrono::NaiveDate,
) -> collector::sync::SyncReport {
    config.collector.since = date;
    let options = SyncOptions { since: Some(date) };
    let report = SyncRunner::new()
        .run(config, store, gh, &options, &Quiet)
        .await
        .expect("a sync runs");
    assert_eq!(report.failed(), 0, "{report:#?}");
    report
}

#[tokio::test]
async fn a_since_moved_earlier_fetches_the_older_history_and_moved_later_deletes_nothing() {
    let (expected, expected_counts, _) = clean_org().await;
    let fake = org_fake().await;
    let (mut config, store) = setup(&fake, "deployments").await;
    let gh = client(&fake);
    let early = config.collector.since;
    let late = day_at(20, "00:00").date_naive();
    let shop: engine::model::RepoSlug = "acme/shop".parse().expect("slug");
    let api: engine::model::RepoSlug = "acme/api".parse().expect("slug");

    // History from day 20 on only.
    collect_since(&mut config, &store, &gh, late).await;
    let first = store.repo_records(&shop).await.expect("records");
    assert!(
        first
            .changes
            .iter()
            .all(|c| c.merged_at >= day_at(20, "00:00")),
        "nothing before the late since"
    );
    assert_eq!(first.deployments.len(), 20, "days 20 to 39");
    assert!(
        store
            .repo_records(&api)
            .await
            .expect("records")
            .incidents
            .is_empty()
    );

    // Moved earlier: the walks reach back to it.
    collect_since(&mut config, &store, &gh, early).await;
    let reached = store.repo_records(&shop).await.expect("records");
    assert!(
        reached.changes.iter().any(|c| c.key == "acme/shop#1"),
        "day 0's pull request"
    );
    assert!(
        reached
            .deployments
            .iter()
            .any(|d| d.key == "acme/shop/deployments/5001"),
        "day 0's deployment"
    );
    let api_records = store.repo_records(&api).await.expect("records");
    assert_eq!(api_records.incidents.len(), 1, "day 14's incident");
    assert!(
        api_records.changes.iter().any(|c| c.number.is_none()),
        "day 11's direct push"
    );
    // Exactly what one sync from the early since stores and derives, so the same figures.
    assert_eq!(&records(&config, &store).await, expected);
    assert_eq!(&store.counts().await.expect("counts"), expected_counts);
    assert_org_figures(&metrics(&config, &store, None).await);

    // Moved later: nothing stored is deleted.
    collect_since(&mut config, &store, &gh, late).await;
    assert_eq!(&records(&config, &store).await, expected);

    // Back to the early since, already fetched from: nothing is fetched again.
    fake.clear_log();
    collect_since(&mut config, &store, &gh, early).await;
    let refetched: Vec<_> = fake
        .log()
        .into_iter()
        .filter(|r| r.path.contains("/reviews") || r.path.contains("/statuses"))
        .collect();
    assert!(refetched.is_empty(), "{refetched:#?}");
    assert_eq!(&records(&config, &store).await, expected);
    assert_eq!(&store.counts().await.expect("counts"), expected_counts);
    assert_org_figures(&metrics(&config, &store, None).await);
}

#[tokio::test]
async fn with_faults_on_the_sync_ends_with_the_same_data() {
    let (expected, expected_counts, _) = clean_org().await;
    let faulty = org_fake().await;
    faulty.set_faults(Faults::all());
    let (config2, store2) = setup(&faulty, "deployments").await;
    let report = collect(&config2, &store2, &client(&faulty)).await;
    assert_eq!(report.failed(), 0, "{report:#?}");
    let retries: u64 = report.repos.iter().map(|r| r.retries).sum();
    assert!(retries > 20, "faults were hit: {retries} retries");
    let statuses: std::collections::BTreeSet<u16> = faulty.log().iter().map(|r| r.status).collect();
    for status in [403, 429, 503] {
        assert!(
            statuses.contains(&status),
            "{status} injected: {statuses:?}"
        );
    }
    assert_eq!(&records(&config2, &store2).await, expected);
    assert_eq!(&store2.counts().await.expect("counts"), expected_counts);
    assert_org_figures(&metrics(&config2, &store2, None).await);
}

#[tokio::test]
async fn a_sync_killed_midway_then_rerun_ends_with_the_same_data() {
    let (expected, expected_counts, full) = clean_org().await;
    let full = *full;
    // Mid-way (every repository among its pull requests), and near the end (deployments,
    // incidents, reanalysis).
    for kill_after in [full / 2, full - full / 10] {
        let fake = org_fake().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let (config, store) = setup_file(&fake, "deployments", dir.path()).await;
        let gh = client(&fake);
        let killed_at = collect_killed_after(&fake, &config, &store, &gh, kill_after).await;
        let report = collect(&config, &store, &gh).await;
        assert_eq!(report.failed(), 0, "{report:#?}");
        assert_eq!(
            &records(&config, &store).await,
            expected,
            "killed after {killed_at} requests"
        );
        assert_eq!(&store.counts().await.expect("counts"), expected_counts);
        if kill_after > full / 2 {
            let rerun = fake.requests() - killed_at;
            assert!(
                rerun < full / 3,
                "a sync killed late resumes where it stopped: {rerun} more requests, {full} in all"
            );
        }
    }
}

#[tokio::test]
async fn a_repository_that_keeps_failing_is_reported_and_the_others_still_sync() {
    let fake = org_fake().await;
    fake.set_faults(Faults {
        always_fail_path: Some("/repos/acme/web".into()),
        ..Faults::default()
    });
    let (config, store) = setup(&fake, "deployments").await;
    let runner = SyncRunner::new();
    let report = runner
        .run(
            &config,
            &store,
            &client(&fake),
            &SyncOptions::default(),
            &Quiet,
        )
        .await
        .expect("runs");
    assert_eq!(report.failed(), 1);
    let web = report
        .repos
        .iter()
        .find(|r| r.repo == "acme/web")
        .expect("web");
    assert!(
        web.error.as_deref().is_some_and(|e| e.contains("502")),
        "{web:?}"
    );
    // The store keeps the outcome as reported, failure and all.
    let last = store.last_sync_run().await.expect("read");
    assert_eq!(last, Some(report));
    let shop = metrics(&config, &store, Some("shop")).await;
    assert_eq!(shop.deployment_frequency.deployments, 41);
}

#[tokio::test]
async fn a_nearly_spent_rate_limit_pauses_until_the_reset() {
    let fake = FakeGithub::start().await;
    scenario::workday(&mut fake.world(), "acme/shop", 0, Strategy::Squash);
    fake.set_budget(10, 2);
    let gh = fake_github::harness::client_with(&fake, Duration::from_secs(5), 0.01);
    let tally = collector::github::Tally::default();
    let path = "/repos/acme/shop";
    let started = std::time::Instant::now();
    let _: collector::github::Fetch<serde_json::Value> =
        gh.get(path, None, &tally).await.expect("first");
    assert_eq!(gh.rate_limit_remaining(), Some(9));
    let _: collector::github::Fetch<serde_json::Value> =
        gh.get(path, None, &tally).await.expect("second");
    // The reset is 2-3 s away; waits are scaled by 0.01 in tests, so 20-30 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(tally.requests(), 2);
}

#[tokio::test]
async fn the_token_is_sent_as_a_bearer_and_a_wrong_one_fails_without_retrying() {
    let fake = org_fake().await;
    let (config, store) = setup(&fake, "deployments").await;
    let gh = client(&fake);
    *fake.shared.token.lock().expect("lock") = Some("another".into());
    let report = collect(&config, &store, &gh).await;
    assert_eq!(report.failed(), 3);
    assert!(report.repos.iter().all(|r| r.requests == 1), "{report:#?}");
    assert!(
        report.repos[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("401") && !e.contains("ghp_")),
        "{report:#?}"
    );
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_retried() {
    let fake = FakeGithub::start().await;
    scenario::workday(&mut fake.world(), "acme/shop", 0, Strategy::Squash);
    // Requests 1 and 2 take 600 ms; the client gives up on each after 200 ms.
    fake.set_faults(Faults {
        slow: Some((1, Duration::from_millis(600))),
        ..Faults::default()
    });
    let gh = fake_github::harness::client_with(&fake, Duration::from_millis(200), 0.001);
    let tally = collector::github::Tally::default();
    let waiting = gh.get::<serde_json::Value>("/repos/acme/shop", None, &tally);
    let stop_slowing = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        fake.set_faults(Faults::default());
    };
    let (answer, ()) = tokio::join!(waiting, stop_slowing);
    assert!(matches!(answer, Ok(collector::github::Fetch::Fresh(_))));
    assert!(tally.retries() >= 1, "{tally:?}");
}

async fn metrics_between(
    config: &engine::config::Config,
    store: &engine::store::Store,
    team: Option<&str>,
    to: &str,
) -> MetricsReport {
    let period = Period::new(
        Period::parse_date(START).expect("start"),
        Period::parse_date(to).expect("end"),
    )
    .expect("period");
    engine::query::metrics(store, config, team, period, None)
        .await
        .expect("metrics")
}

#[tokio::test]
async fn workflow_runs_are_deployments_and_a_run_in_progress_is_taken_once_it_completes() {
    let fake = FakeGithub::start().await;
    scenario::org_runs(&mut fake.world(), 20);
    let (config, store) = setup(&fake, "workflow_runs").await;
    let gh = client(&fake);
    let report = collect(&config, &store, &gh).await;
    assert_eq!(report.failed(), 0, "{report:#?}");
    // Shop lists 1,100+ runs from `since` on: the query was split.
    let split = fake
        .log()
        .iter()
        .filter(|r| r.path.contains("acme/shop/actions/workflows") && r.path.contains(".."))
        .count();
    assert!(split >= 1, "the created range was split");

    let to = "2026-03-30";
    let m = metrics_between(&config, &store, None, to).await;
    // 20 days x 3 repositories, less shop's last (in progress); shop's day-5 failure.
    assert_eq!(m.deployment_frequency.deployments, 59);
    assert_eq!(m.deployment_frequency.failed_attempts, 1);
    assert_eq!(m.lead_time.changes, 177);
    assert_eq!(m.lead_time.median_seconds, Some(25_800));
    assert_eq!(m.change_failure_rate.failed, 0);

    // The run completes; the next sync asks for it alone and ships the last day's changes.
    {
        let mut world = fake.world();
        let repo = world.repo("acme/shop");
        let run = repo
            .runs
            .iter_mut()
            .find(|r| r.conclusion.is_none())
            .expect("the run in progress");
        run.status = "completed".into();
        run.conclusion = Some("success".into());
    }
    fake.clear_log();
    let report = collect(&config, &store, &gh).await;
    assert_eq!(report.repos[1].deployments, 1, "{:#?}", fake.log());
    let m = metrics_between(&config, &store, None, to).await;
    assert_eq!(m.deployment_frequency.deployments, 60);
    assert_eq!(m.lead_time.changes, 180);

    // Nothing new: conditional requests only, all 304.
    fake.clear_log();
    collect(&config, &store, &gh).await;
    let log = fake.log();
    assert!(
        log.iter().all(|r| r.conditional && r.status == 304),
        "{log:#?}"
    );
}

#[tokio::test]
async fn published_releases_are_deployments_and_drafts_count_once_published() {
    let fake = FakeGithub::start().await;
    scenario::org_releases(&mut fake.world(), 4);
    let (config, store) = setup(&fake, "releases").await;
    let gh = client(&fake);
    let report = collect(&config, &store, &gh).await;
    assert_eq!(report.failed(), 0, "{report:#?}");

    let to = "2026-03-30";
    let m = metrics_between(&config, &store, None, to).await;
    // Four Fridays x 3 repositories; the draft and the pre-release do not count.
    assert_eq!(m.deployment_frequency.deployments, 12);
    assert_eq!(m.lead_time.changes, 180);
    // Merged Monday..Friday, shipped Friday 17:00, first commit 09:00: 4, 3, 2, 1, 0 days + 8 h,
    // 36 changes each: the median is Wednesday's, the p90 falls among Monday's.
    assert_eq!(m.lead_time.median_seconds, Some(2 * 86_400 + 8 * 3_600));
    assert_eq!(m.lead_time.p90_seconds, Some(4 * 86_400 + 8 * 3_600));

    // The draft is published the following Monday: one more deployment, shipping nothing new.
    {
        let mut world = fake.world();
        let repo = world.repo("acme/web");
        let draft = repo
            .releases
            .iter_mut()
            .find(|r| r.draft)
            .expect("the draft");
        draft.draft = false;
        draft.published_at = Some(day_at(20, "09:30"));
    }
    let report = collect(&config, &store, &gh).await;
    assert_eq!(report.repos[2].deployments, 1, "{report:#?}");
    let m = metrics_between(&config, &store, None, "2026-04-06").await;
    assert_eq!(m.deployment_frequency.deployments, 13);
    assert_eq!(m.lead_time.changes, 180);

    fake.clear_log();
    collect(&config, &store, &gh).await;
    let log = fake.log();
    assert!(
        log.iter().all(|r| r.conditional && r.status == 304),
        "{log:#?}"
    );
}

#[tokio::test]
async fn on_postgresql_the_figures_are_the_same_and_one_process_at_a_time_holds_the_sync_lock() {
    let Some(test_store) =
        engine::store::testing::TestStore::postgres("github sync on PostgreSQL").await
    else {
        return;
    };
    let store = test_store.store.clone();
    let fake = org_fake().await;
    let (config, _) = setup(&fake, "deployments").await;
    let report = collect(&config, &store, &client(&fake)).await;
    assert_eq!(report.failed(), 0, "{report:#?}");
    assert_org_figures(&metrics(&config, &store, None).await);
    let (expected, expected_counts, _) = clean_org().await;
    assert_eq!(&records(&config, &store).await, expected);
    assert_eq!(&store.counts().await.expect("counts"), expected_counts);

    let key = i64::from(std::process::id()) << 20 | 0x5eed;
    let held = store
        .try_sync_lease(key)
        .await
        .expect("lock query")
        .expect("granted");
    assert!(
        store
            .try_sync_lease(key)
            .await
            .expect("lock query")
            .is_none()
    );
    held.release().await;
    let again = store.try_sync_lease(key).await.expect("lock query");
    assert!(again.is_some(), "released");
    if let Some(lease) = again {
        lease.release().await;
    }
    test_store.finish().await;
}

#[tokio::test]
async fn the_schedule_runs_the_sync_and_never_two_at_once() {
    let _runner = crate::support::process_wide_sync().await;
    let fake = org_fake().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut config, store) = setup_file(&fake, "deployments", dir.path()).await;
    // Every second; a sync takes longer here.
    config.collector.schedule = "* * * * * *".parse().expect("a cron expression");
    let config = std::sync::Arc::new(config);
    let gh = client(&fake);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let schedule = tokio::spawn(collector::schedule::run(
        config.clone(),
        store.clone(),
        gh.clone(),
        SyncOptions::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let runner = SyncRunner::global();
    while runner.running_since().is_none() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let overlapping = runner
        .run(&config, &store, &gh, &SyncOptions::default(), &Quiet)
        .await;
    assert!(matches!(
        overlapping,
        Err(collector::sync::RunError::Running)
    ));
    while store.last_sync_run().await.expect("read").is_none() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    schedule.await.expect("joined");
    let last = store
        .last_sync_run()
        .await
        .expect("read")
        .expect("an outcome");
    assert!(last.failed() == 0 && last.repos.len() == 3, "{last:?}");
    assert_org_figures(&metrics(&config, &store, None).await);
}

#[tokio::test]
async fn a_renamed_repository_is_followed_to_its_new_name() {
    let fake = FakeGithub::start().await;
    scenario::workday(&mut fake.world(), "acme/shop", 0, Strategy::Squash);
    fake.shared
        .moved
        .lock()
        .expect("lock")
        .insert("acme/old-shop".into(), "acme/shop".into());
    let gh = client(&fake);
    let tally = collector::github::Tally::default();
    let answer = gh
        .get::<Vec<serde_json::Value>>(
            "/repos/acme/old-shop/pulls?state=closed&per_page=100",
            None,
            &tally,
        )
        .await
        .expect("followed");
    let collector::github::Fetch::Fresh(page) = answer else {
        panic!("a page");
    };
    assert_eq!(page.body.len(), 3);
    assert_eq!(tally.requests(), 2);
}
