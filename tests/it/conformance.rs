//! Metric conformance suite: small fixtures whose figures were computed by hand, run through the
//! whole engine (store, analysis, formulas). Each case's first doc line says what it pins down;
//! `docs/metrics.md` explains the definitions they follow.
//!
//! Every case runs on SQLite and, when `TEST_POSTGRES_URL` is set, on PostgreSQL.
//!
//! Unless a case says otherwise: team `shop` owns `acme/shop`, time zone UTC, `collector.since`
//! 2026-01-01, attribution window 7 days, period March 2026 (31 days), previous period the 31
//! days before it.

use crate::support;

use support::*;

on_both_backends!(
    no_deployments_gives_zero_frequency_and_empty_figures,
    several_prs_in_one_deployment_share_its_deploy_time,
    a_deployment_with_no_changes_counts_for_frequency_only,
    first_deployment_ships_only_changes_merged_since_the_sync_start,
    squash_and_rebase_merged_prs_are_matched_by_merge_sha,
    a_pr_counts_in_the_period_it_was_deployed_not_merged,
    an_incident_before_any_deployment_is_an_unattributed_outage,
    the_attribution_window_decides_whether_an_incident_fails_a_deployment,
    an_explicit_incident_link_wins_over_the_attribution_window,
    change_failure_rate_counts_distinct_failed_deployments,
    an_open_incident_is_listed_not_counted,
    a_rollback_fails_the_deployment_it_replaces,
    a_revert_pr_fails_the_deployment_of_the_reverted_pr,
    a_hotfix_naming_a_pr_fails_its_deployment,
    failed_attempts_are_not_deployments,
    time_to_restore_pools_incidents_and_rollbacks,
    bots_are_excluded_from_lead_time_and_counted,
    weeks_are_cut_at_local_midnight_across_dst,
    tribes_and_the_organisation_roll_up_their_teams,
    frequency_reports_per_week_and_active_days_and_weeks,
    loading_twice_changes_nothing,
    a_monorepo_team_is_measured_on_its_own_paths,
    a_new_deployment_shows_in_the_next_answer,
    a_team_only_incident_naming_a_change_fails_the_deployment_that_shipped_it,
    an_incident_naming_a_deployment_of_another_repository_fails_that_one,
    an_incident_naming_an_unknown_deployment_falls_back_to_the_window,
    partial_weeks_are_flagged_and_rated_over_their_own_days,
    the_previous_series_sits_in_this_periods_buckets,
    a_period_reaching_past_today_is_measured_up_to_today,
    lead_time_phases_are_summarised_per_bucket,
    the_quick_check_score_leaves_out_what_it_cannot_score,
);

const HOUR: i64 = 3600;

/// No deployments: zero frequency rated low, and no lead time, failure rate or restore figure.
async fn no_deployments_gives_zero_frequency_and_empty_figures() {
    let org = Org::load(ONE_TEAM, vec![], vec![], vec![]).await;
    let m = org.march().await;
    assert_eq!(m.deployment_frequency.deployments, 0);
    assert_eq!(m.deployment_frequency.per_week, 0.0);
    assert_eq!(m.deployment_frequency.tier, Some(engine::tiers::Tier::Low));
    assert_eq!(m.lead_time.changes, 0);
    assert_eq!(m.lead_time.median_seconds, None);
    assert_eq!(m.lead_time.tier, None);
    assert_eq!(m.change_failure_rate.rate, None);
    assert_eq!(m.change_failure_rate.tier, None);
    assert_eq!(m.time_to_restore.median_seconds, None);
    assert_eq!(m.rework_rate.rate, None);
}

/// Three PRs in one deployment: lead times 2h, 4h, 6h -> median 4h, p75 5h, p90 5.6h.
async fn several_prs_in_one_deployment_share_its_deploy_time() {
    let changes = vec![
        pr(
            "acme/shop",
            1,
            &sha("a1"),
            "2026-03-02T08:00:00Z",
            "2026-03-02T09:00:00Z",
        ),
        pr(
            "acme/shop",
            2,
            &sha("a2"),
            "2026-03-02T06:00:00Z",
            "2026-03-02T09:10:00Z",
        ),
        pr(
            "acme/shop",
            3,
            &sha("a3"),
            "2026-03-02T04:00:00Z",
            "2026-03-02T09:20:00Z",
        ),
    ];
    let deployments = vec![deploy(
        "acme/shop",
        "d1",
        &sha("a3"),
        "2026-03-02T10:00:00Z",
    )];
    let org = Org::load(ONE_TEAM, changes, deployments, vec![]).await;
    let m = org.march().await;
    assert_eq!(m.deployment_frequency.deployments, 1);
    assert_eq!(m.lead_time.changes, 3);
    assert_eq!(m.lead_time.median_seconds, Some(4 * HOUR));
    assert_eq!(m.lead_time.p75_seconds, Some(5 * HOUR));
    assert_eq!(m.lead_time.p90_seconds, Some(20_160));
    // Deploy phase: 60, 50 and 40 minutes after merge -> median 50 minutes.
    assert_eq!(m.lead_time.breakdown.deploy.median_seconds, Some(3000));
    assert!(m.lead_time.small_sample);
}

/// A redeploy of the sha just deployed ships no change and is no rollback, but is a deployment.
async fn a_deployment_with_no_changes_counts_for_frequency_only() {
    let changes = vec![pr(
        "acme/shop",
        1,
        &sha("b1"),
        "2026-03-02T08:00:00Z",
        "2026-03-02T09:00:00Z",
    )];
    let deployments = vec![
        deploy("acme/shop", "d1", &sha("b1"), "2026-03-02T10:00:00Z"),
        deploy("acme/shop", "d2", &sha("b1"), "2026-03-03T10:00:00Z"),
    ];
    let org = Org::load(ONE_TEAM, changes, deployments, vec![]).await;
    let m = org.march().await;
    assert_eq!(m.deployment_frequency.deployments, 2);
    assert_eq!(m.lead_time.changes, 1);
    assert_eq!(m.change_failure_rate.failed, 0);
    assert_eq!(m.rework_rate.rework, 0);
}

/// The first deployment of a repository ships only changes merged after `collector.since`.
async fn first_deployment_ships_only_changes_merged_since_the_sync_start() {
    let changes = vec![
        pr(
            "acme/shop",
            1,
            &sha("c1"),
            "2025-12-19T09:00:00Z",
            "2025-12-20T09:00:00Z",
        ),
        pr(
            "acme/shop",
            2,
            &sha("c2"),
            "2026-03-01T09:00:00Z",
            "2026-03-01T10:00:00Z",
        ),
    ];
    let deployments = vec![deploy(
        "acme/shop",
        "d1",
        &sha("c2"),
        "2026-03-01T12:00:00Z",
    )];
    let org = Org::load(ONE_TEAM, changes, deployments, vec![]).await;
    let m = org.march().await;
    assert_eq!(m.lead_time.changes, 1);
    assert_eq!(m.lead_time.median_seconds, Some(3 * HOUR));
}

/// A squash-merged PR (merge sha not among its commits) and a rebase-merged PR (merge sha is the
/// rebased tip) are both found from the deployment's commit list.
async fn squash_and_rebase_merged_prs_are_matched_by_merge_sha() {
    let mut squash = pr(
        "acme/shop",
        1,
        &sha("sq"),
        "2026-03-02T08:00:00Z",
        "2026-03-02T09:00:00Z",
    );
    squash.commits = vec![sha("branch1"), sha("branch2")];
    let mut rebase = pr(
        "acme/shop",
        2,
        &sha("rb2new"),
        "2026-03-02T07:00:00Z",
        "2026-03-02T09:30:00Z",
    );
    rebase.commits = vec![sha("rb1old"), sha("rb2old")];
    let mut d1 = deploy("acme/shop", "d1", &sha("rb2new"), "2026-03-02T10:00:00Z");
    d1.declared_commits = Some(vec![sha("sq"), sha("rb1new"), sha("rb2new")]);
    let org = Org::load(ONE_TEAM, vec![squash, rebase], vec![d1], vec![]).await;
    let m = org.march().await;
    assert_eq!(m.lead_time.changes, 2);
    // 2h and 3h -> median 2.5h.
    assert_eq!(m.lead_time.median_seconds, Some(9000));
}

/// A PR merged in February and deployed in March counts in March, at its deploy time.
async fn a_pr_counts_in_the_period_it_was_deployed_not_merged() {
    let changes = vec![pr(
        "acme/shop",
        1,
        &sha("e1"),
        "2026-02-28T10:00:00Z",
        "2026-02-28T20:00:00Z",
    )];
    let deployments = vec![deploy(
        "acme/shop",
        "d1",
        &sha("e1"),
        "2026-03-02T10:00:00Z",
    )];
    let org = Org::load(ONE_TEAM, changes, deployments, vec![]).await;
    let m = org.march().await;
    assert_eq!(m.lead_time.changes, 1);
    assert_eq!(m.lead_time.median_seconds, Some(48 * HOUR));
    // Nothing at all happened in the 28 days before March: no earlier data, not a zero.
    assert!(m.lead_time.previous.is_none());
    assert!(m.deployment_frequency.previous.is_none());
}

/// An incident before the repository's first deployment blames nobody: an outage counted apart,
/// but still a time-to-restore sample.
async fn an_incident_before_any_deployment_is_an_unattributed_outage() {
    let changes = vec![pr(
        "acme/shop",
        1,
        &sha("f1"),
        "2026-03-01T08:00:00Z",
        "2026-03-01T09:00:00Z",
    )];
    let deployments = vec![deploy(
        "acme/shop",
        "d1",
        &sha("f1"),
        "2026-03-01T10:00:00Z",
    )];
    let incidents = vec![incident(
        "acme/shop",
        "INC-1",
        "2026-03-01T05:00:00Z",
        Some("2026-03-01T06:00:00Z"),
    )];
    let org = Org::load(ONE_TEAM, changes, deployments, incidents).await;
    let m = org.march().await;
    assert_eq!(m.change_failure_rate.failed, 0);
    assert_eq!(m.change_failure_rate.unattributed_incidents, 1);
    assert_eq!(m.time_to_restore.incidents, 1);
    assert_eq!(m.time_to_restore.median_seconds, Some(HOUR));
}

/// An incident 8 days after the last deployment is outside the 7-day window; 6 days is inside.
async fn the_attribution_window_decides_whether_an_incident_fails_a_deployment() {
    let deployments = vec![deploy(
        "acme/shop",
        "d1",
        &sha("g1"),
        "2026-03-02T10:00:00Z",
    )];
    let outside = vec![incident(
        "acme/shop",
        "INC-1",
        "2026-03-10T10:00:00Z",
        Some("2026-03-10T12:00:00Z"),
    )];
    let org = Org::load(ONE_TEAM, vec![], deployments.clone(), outside).await;
    let m = org.march().await;
    assert_eq!(
        (
            m.change_failure_rate.failed,
            m.change_failure_rate.unattributed_incidents
        ),
        (0, 1)
    );
    assert_eq!(m.time_to_restore.median_seconds, Some(2 * HOUR));

    let inside = vec![incident(
        "acme/shop",
        "INC-1",
        "2026-03-08T10:00:00Z",
        Some("2026-03-08T12:00:00Z"),
    )];
    let org = Org::load(ONE_TEAM, vec![], deployments, inside).await;
    let m = org.march().await;
    assert_eq!(
        (
            m.change_failure_rate.failed,
            m.change_failure_rate.unattributed_incidents
        ),
        (1, 0)
    );
    assert_eq!(m.change_failure_rate.rate, Some(1.0));
}

/// An incident that names its deployment blames that one, not the latest before it.
async fn an_explicit_incident_link_wins_over_the_attribution_window() {
    let deployments = vec![
        deploy("acme/shop", "d1", &sha("h1"), "2026-03-02T10:00:00Z"),
        deploy("acme/shop", "d2", &sha("h2"), "2026-03-10T10:00:00Z"),
    ];
    let named = caused_by_deployment(
        incident(
            "acme/shop",
            "INC-1",
            "2026-03-11T10:00:00Z",
            Some("2026-03-11T11:00:00Z"),
        ),
        "d1",
    );
    let org = Org::load(ONE_TEAM, vec![], deployments, vec![named]).await;
    let m = org
        .metrics(Some("shop"), "2026-03-01", "2026-04-01", Some("week"))
        .await;
    assert_eq!(m.change_failure_rate.failed, 1);
    assert_eq!(m.change_failure_rate.rate, Some(0.5));
    // d1 is in the week of Monday 2 March, d2 in the week of 9 March.
    let weeks = &m.change_failure_rate.series;
    assert_eq!(
        (weeks[1].start.to_string(), weeks[1].count),
        ("2026-03-02".to_string(), 1)
    );
    assert_eq!(weeks[2].count, 0);
}

/// Two incidents blamed on one deployment fail it once: the rate is over distinct deployments.
async fn change_failure_rate_counts_distinct_failed_deployments() {
    let deployments = vec![
        deploy("acme/shop", "d1", &sha("i1"), "2026-03-02T10:00:00Z"),
        deploy("acme/shop", "d2", &sha("i2"), "2026-03-20T10:00:00Z"),
    ];
    let incidents = vec![
        incident(
            "acme/shop",
            "INC-1",
            "2026-03-03T10:00:00Z",
            Some("2026-03-03T11:00:00Z"),
        ),
        incident(
            "acme/shop",
            "INC-2",
            "2026-03-04T10:00:00Z",
            Some("2026-03-04T13:00:00Z"),
        ),
    ];
    let org = Org::load(ONE_TEAM, vec![], deployments, incidents).await;
    let m = org.march().await;
    assert_eq!(
        (
            m.change_failure_rate.deployments,
            m.change_failure_rate.failed
        ),
        (2, 1)
    );
    assert_eq!(m.change_failure_rate.rate, Some(0.5));
    // Restores of 1h and 3h -> median 2h.
    assert_eq!(m.time_to_restore.median_seconds, Some(2 * HOUR));
}

/// An open incident is listed, never a restore sample.
async fn an_open_incident_is_listed_not_counted() {
    let deployments = vec![deploy(
        "acme/shop",
        "d1",
        &sha("j1"),
        "2026-03-02T10:00:00Z",
    )];
    let incidents = vec![incident("acme/shop", "INC-1", "2026-03-03T10:00:00Z", None)];
    let org = Org::load(ONE_TEAM, vec![], deployments, incidents).await;
    let m = org.march().await;
    assert_eq!(m.time_to_restore.open_incidents, 1);
    assert_eq!(m.time_to_restore.incidents, 0);
    assert_eq!(m.time_to_restore.median_seconds, None);
    assert_eq!(m.change_failure_rate.failed, 1);
}

/// Re-deploying an older sha is a rollback: the deployment before it failed, the rollback is
/// rework, and restore time runs from the failed deployment to the rollback (1.5h).
async fn a_rollback_fails_the_deployment_it_replaces() {
    let deployments = vec![
        deploy("acme/shop", "d1", &sha("k1"), "2026-03-02T10:00:00Z"),
        deploy("acme/shop", "d2", &sha("k2"), "2026-03-03T10:00:00Z"),
        deploy("acme/shop", "d3", &sha("k1"), "2026-03-03T11:30:00Z"),
    ];
    let org = Org::load(ONE_TEAM, vec![], deployments, vec![]).await;
    let m = org.march().await;
    assert_eq!(
        (
            m.change_failure_rate.deployments,
            m.change_failure_rate.failed
        ),
        (3, 1)
    );
    assert_eq!(m.time_to_restore.rollbacks, 1);
    assert_eq!(m.time_to_restore.median_seconds, Some(5400));
    assert_eq!(m.rework_rate.rework, 1);
}

/// A `Revert "<title>"` PR fails the deployment that shipped the reverted PR and is rework.
async fn a_revert_pr_fails_the_deployment_of_the_reverted_pr() {
    let mut original = pr(
        "acme/shop",
        1,
        &sha("l1"),
        "2026-03-02T08:00:00Z",
        "2026-03-02T09:00:00Z",
    );
    original.title = "Add coupons".into();
    let mut revert = pr(
        "acme/shop",
        2,
        &sha("l2"),
        "2026-03-03T08:00:00Z",
        "2026-03-03T09:00:00Z",
    );
    revert.title = "Revert \"Add coupons\"".into();
    let deployments = vec![
        deploy("acme/shop", "d1", &sha("l1"), "2026-03-02T10:00:00Z"),
        deploy("acme/shop", "d2", &sha("l2"), "2026-03-03T10:00:00Z"),
    ];
    let org = Org::load(ONE_TEAM, vec![original, revert], deployments, vec![]).await;
    let m = org.march().await;
    assert_eq!(m.change_failure_rate.failed, 1);
    assert_eq!(m.rework_rate.rework, 1);
    assert_eq!(m.rework_rate.rate, Some(0.5));
}

/// A hotfix PR naming `#1` fails the deployment that shipped #1.
async fn a_hotfix_naming_a_pr_fails_its_deployment() {
    let first = pr(
        "acme/shop",
        1,
        &sha("m1"),
        "2026-03-02T08:00:00Z",
        "2026-03-02T09:00:00Z",
    );
    let mut hotfix = pr(
        "acme/shop",
        2,
        &sha("m2"),
        "2026-03-02T11:00:00Z",
        "2026-03-02T11:30:00Z",
    );
    hotfix.labels = vec!["hotfix".into()];
    hotfix.fixes = Some("#1".into());
    let deployments = vec![
        deploy("acme/shop", "d1", &sha("m1"), "2026-03-02T10:00:00Z"),
        deploy("acme/shop", "d2", &sha("m2"), "2026-03-02T12:00:00Z"),
    ];
    let org = Org::load(ONE_TEAM, vec![first, hotfix], deployments, vec![]).await;
    let m = org.march().await;
    assert_eq!((m.change_failure_rate.failed, m.rework_rate.rework), (1, 1));
}

/// A failed deployment attempt is shown but is no deployment; its change ships with the next
/// successful one, and lead time runs to that (4h).
async fn failed_attempts_are_not_deployments() {
    let changes = vec![pr(
        "acme/shop",
        1,
        &sha("n1"),
        "2026-03-02T08:00:00Z",
        "2026-03-02T09:00:00Z",
    )];
    let deployments = vec![
        failed_attempt("acme/shop", "f1", &sha("n1"), "2026-03-02T10:00:00Z"),
        deploy("acme/shop", "d1", &sha("n1"), "2026-03-02T12:00:00Z"),
    ];
    let org = Org::load(ONE_TEAM, changes, deployments, vec![]).await;
    let m = org.march().await;
    assert_eq!(m.deployment_frequency.deployments, 1);
    assert_eq!(m.deployment_frequency.failed_attempts, 1);
    assert_eq!(m.change_failure_rate.deployments, 1);
    assert_eq!(m.lead_time.median_seconds, Some(4 * HOUR));
}

/// Restore samples mix incidents (1h, 3h) and rollbacks (30m): median 1h, p90 2.6h.
async fn time_to_restore_pools_incidents_and_rollbacks() {
    let deployments = vec![
        deploy("acme/shop", "d1", &sha("o1"), "2026-03-02T10:00:00Z"),
        deploy("acme/shop", "d2", &sha("o2"), "2026-03-20T10:00:00Z"),
        deploy("acme/shop", "d3", &sha("o1"), "2026-03-20T10:30:00Z"),
    ];
    let incidents = vec![
        incident(
            "acme/shop",
            "INC-1",
            "2026-03-03T10:00:00Z",
            Some("2026-03-03T11:00:00Z"),
        ),
        incident(
            "acme/shop",
            "INC-2",
            "2026-03-04T10:00:00Z",
            Some("2026-03-04T13:00:00Z"),
        ),
    ];
    let org = Org::load(ONE_TEAM, vec![], deployments, incidents).await;
    let m = org.march().await;
    assert_eq!(
        (m.time_to_restore.incidents, m.time_to_restore.rollbacks),
        (2, 1)
    );
    assert_eq!(m.time_to_restore.median_seconds, Some(HOUR));
    assert_eq!(m.time_to_restore.p90_seconds, Some(9360));
}

/// Bots leave lead time (and are counted); bot-flagged authors and `[bot]` logins both count.
async fn bots_are_excluded_from_lead_time_and_counted() {
    let human = pr(
        "acme/shop",
        1,
        &sha("p1"),
        "2026-03-02T08:00:00Z",
        "2026-03-02T09:00:00Z",
    );
    let mut dependabot = pr(
        "acme/shop",
        2,
        &sha("p2"),
        "2026-03-01T08:00:00Z",
        "2026-03-02T09:10:00Z",
    );
    dependabot.author = "dependabot[bot]".into();
    let mut flagged = pr(
        "acme/shop",
        3,
        &sha("p3"),
        "2026-03-01T08:00:00Z",
        "2026-03-02T09:20:00Z",
    );
    flagged.author = "deploy-helper".into();
    flagged.bot = true;
    let deployments = vec![deploy(
        "acme/shop",
        "d1",
        &sha("p3"),
        "2026-03-02T10:00:00Z",
    )];
    let org = Org::load(
        ONE_TEAM,
        vec![human, dependabot, flagged],
        deployments,
        vec![],
    )
    .await;
    let m = org.march().await;
    assert_eq!(m.lead_time.changes, 1);
    assert_eq!(m.lead_time.excluded.bots, 2);
    assert_eq!(m.lead_time.median_seconds, Some(2 * HOUR));
}

const WARSAW: &str = r#"
[collector]
since = "2026-01-01"

[[teams]]
slug = "shop"
name = "Shop"
repos = ["acme/shop"]
time_zone = "Europe/Warsaw"
"#;

/// Buckets are cut at local midnight: 00:30 on Monday in Warsaw is Sunday evening in UTC, and the
/// week with the DST change (29 March) still ends at local midnight.
async fn weeks_are_cut_at_local_midnight_across_dst() {
    let deployments = vec![
        // Mon 23 March 00:30 CET (UTC+1): inside the period locally, outside it in UTC.
        deploy("acme/shop", "d1", &sha("q1"), "2026-03-22T23:30:00Z"),
        // Sun 29 March 23:59 CEST (UTC+2): the last minute of the DST week.
        deploy("acme/shop", "d2", &sha("q2"), "2026-03-29T21:59:00Z"),
        // Mon 30 March 00:30 CEST: the next week.
        deploy("acme/shop", "d3", &sha("q3"), "2026-03-29T22:30:00Z"),
    ];
    let org = Org::load(WARSAW, vec![], deployments, vec![]).await;
    let m = org
        .metrics(Some("shop"), "2026-03-23", "2026-04-06", Some("week"))
        .await;
    let weeks: Vec<usize> = m
        .deployment_frequency
        .series
        .iter()
        .map(|p| p.deployments)
        .collect();
    assert_eq!(weeks, vec![2, 1]);
    assert_eq!(m.deployment_frequency.deployments, 3);
    assert_eq!(m.time_zone, "Europe/Warsaw");
    let days = org
        .metrics(Some("shop"), "2026-03-29", "2026-03-31", Some("day"))
        .await;
    let per_day: Vec<usize> = days
        .deployment_frequency
        .series
        .iter()
        .map(|p| p.deployments)
        .collect();
    assert_eq!(per_day, vec![1, 1]);
}

const TRIBE: &str = r#"
[collector]
since = "2026-01-01"

[[tribes]]
slug = "commerce"
name = "Commerce"

[[teams]]
slug = "shop"
name = "Shop"
tribe = "commerce"
repos = ["acme/shop"]

[[teams]]
slug = "pay"
name = "Payments"
tribe = "commerce"
repos = ["acme/pay"]

[[teams]]
slug = "ops"
name = "Ops"
repos = ["acme/ops"]
"#;

/// A tribe rolls up its teams; the organisation rolls up everyone; a team-only incident counts
/// for its team.
async fn tribes_and_the_organisation_roll_up_their_teams() {
    let deployments = vec![
        deploy("acme/shop", "s1", &sha("r1"), "2026-03-02T10:00:00Z"),
        deploy("acme/pay", "p1", &sha("r2"), "2026-03-03T10:00:00Z"),
        deploy("acme/pay", "p2", &sha("r3"), "2026-03-04T10:00:00Z"),
        deploy("acme/ops", "o1", &sha("r4"), "2026-03-05T10:00:00Z"),
    ];
    let mut team_incident = incident(
        "acme/ops",
        "PD-1",
        "2026-03-20T10:00:00Z",
        Some("2026-03-20T10:45:00Z"),
    );
    team_incident.repo = None;
    team_incident.team = Some("pay".into());
    let org = Org::load(TRIBE, vec![], deployments, vec![team_incident]).await;
    let tribe = org
        .metrics(Some("commerce"), "2026-03-01", "2026-04-01", None)
        .await;
    assert_eq!(tribe.deployment_frequency.deployments, 3);
    assert_eq!(tribe.kind, "tribe");
    assert_eq!(tribe.time_to_restore.incidents, 1);
    let whole = org.metrics(None, "2026-03-01", "2026-04-01", None).await;
    assert_eq!(whole.deployment_frequency.deployments, 4);
    assert_eq!(whole.team, None);
    let pay = org
        .metrics(Some("pay"), "2026-03-01", "2026-04-01", None)
        .await;
    assert_eq!(pay.time_to_restore.median_seconds, Some(2700));
    let shop = org
        .metrics(Some("shop"), "2026-03-01", "2026-04-01", None)
        .await;
    assert_eq!(shop.time_to_restore.incidents, 0);
}

/// Frequency: 4 deployments on 3 distinct days in a 31-day period -> 0.903 per week, 3/31 of days,
/// and 2 of the 6 ISO weeks that touch March 2026.
async fn frequency_reports_per_week_and_active_days_and_weeks() {
    let deployments = vec![
        deploy("acme/shop", "d1", &sha("s1"), "2026-03-02T10:00:00Z"),
        deploy("acme/shop", "d2", &sha("s2"), "2026-03-02T15:00:00Z"),
        deploy("acme/shop", "d3", &sha("s3"), "2026-03-04T10:00:00Z"),
        deploy("acme/shop", "d4", &sha("s4"), "2026-03-17T10:00:00Z"),
    ];
    let org = Org::load(ONE_TEAM, vec![], deployments, vec![]).await;
    let f = org.march().await.deployment_frequency;
    assert_eq!(f.deployments, 4);
    assert!((f.per_week - 4.0 / (31.0 / 7.0)).abs() < 1e-9);
    assert_eq!(f.active_days, 3);
    assert_eq!(f.active_weeks, 2);
    assert!((f.active_weeks_share - 2.0 / 6.0).abs() < 1e-9);
}

/// Loading the same records twice changes no figure.
async fn loading_twice_changes_nothing() {
    let changes = vec![pr(
        "acme/shop",
        1,
        &sha("t1"),
        "2026-03-02T08:00:00Z",
        "2026-03-02T09:00:00Z",
    )];
    let deployments = vec![deploy(
        "acme/shop",
        "d1",
        &sha("t1"),
        "2026-03-02T10:00:00Z",
    )];
    let incidents = vec![incident(
        "acme/shop",
        "INC-1",
        "2026-03-03T10:00:00Z",
        Some("2026-03-03T11:00:00Z"),
    )];
    let org = Org::load(
        ONE_TEAM,
        changes.clone(),
        deployments.clone(),
        incidents.clone(),
    )
    .await;
    let before = org.march().await;
    org.store.upsert_changes(&changes).await.expect("changes");
    org.store
        .upsert_deployments(&deployments)
        .await
        .expect("deployments");
    org.store
        .upsert_incidents(&incidents)
        .await
        .expect("incidents");
    engine::query::refresh(&org.store, &org.config)
        .await
        .expect("refresh");
    assert_eq!(org.march().await, before);
}

const MONOREPO: &str = r#"
[collector]
since = "2026-01-01"

[[teams]]
slug = "loyalty"
name = "Loyalty"
repos = ["acme/mono"]
paths = { "acme/mono" = ["services/loyalty/**"] }

[[teams]]
slug = "search"
name = "Search"
repos = ["acme/mono"]
paths = { "acme/mono" = ["services/search/**"] }
"#;

/// In a shared monorepo each team counts only the deployments that shipped its paths, and the
/// lead time of its own changes; an incident blamed on a deployment counts for its owners.
async fn a_monorepo_team_is_measured_on_its_own_paths() {
    let mut loyalty = pr(
        "acme/mono",
        1,
        &sha("u1"),
        "2026-03-02T08:00:00Z",
        "2026-03-02T09:00:00Z",
    );
    loyalty.paths = vec!["services/loyalty/src/points.rs".into()];
    let mut search = pr(
        "acme/mono",
        2,
        &sha("u2"),
        "2026-03-03T06:00:00Z",
        "2026-03-03T09:00:00Z",
    );
    search.paths = vec!["services/search/index.rs".into(), "README.md".into()];
    let deployments = vec![
        deploy("acme/mono", "d1", &sha("u1"), "2026-03-02T10:00:00Z"),
        deploy("acme/mono", "d2", &sha("u2"), "2026-03-03T10:00:00Z"),
    ];
    let incidents = vec![incident(
        "acme/mono",
        "INC-1",
        "2026-03-03T12:00:00Z",
        Some("2026-03-03T13:00:00Z"),
    )];
    let org = Org::load(MONOREPO, vec![loyalty, search], deployments, incidents).await;
    let loyalty = org
        .metrics(Some("loyalty"), "2026-03-01", "2026-04-01", None)
        .await;
    assert_eq!(loyalty.deployment_frequency.deployments, 1);
    assert_eq!(loyalty.lead_time.median_seconds, Some(2 * HOUR));
    assert_eq!(loyalty.change_failure_rate.failed, 0);
    assert_eq!(loyalty.time_to_restore.incidents, 0);
    let search = org
        .metrics(Some("search"), "2026-03-01", "2026-04-01", None)
        .await;
    assert_eq!(search.deployment_frequency.deployments, 1);
    assert_eq!(search.lead_time.median_seconds, Some(4 * HOUR));
    assert_eq!(
        (
            search.change_failure_rate.failed,
            search.time_to_restore.incidents
        ),
        (1, 1)
    );
    let whole = org.metrics(None, "2026-03-01", "2026-04-01", None).await;
    assert_eq!(whole.deployment_frequency.deployments, 2);
}

/// Answers are cached per data version: a write between two identical questions changes the
/// second answer.
async fn a_new_deployment_shows_in_the_next_answer() {
    let deployments = vec![deploy(
        "acme/shop",
        "d1",
        &sha("v1"),
        "2026-03-02T10:00:00Z",
    )];
    let org = Org::load(ONE_TEAM, vec![], deployments, vec![]).await;
    assert_eq!(org.march().await.deployment_frequency.deployments, 1);
    assert_eq!(org.march().await.deployment_frequency.deployments, 1);
    let more = vec![deploy(
        "acme/shop",
        "d2",
        &sha("v2"),
        "2026-03-03T10:00:00Z",
    )];
    org.store
        .upsert_deployments(&more)
        .await
        .expect("deployments");
    engine::query::refresh(&org.store, &org.config)
        .await
        .expect("refresh");
    assert_eq!(org.march().await.deployment_frequency.deployments, 2);
}

/// The reason stored with the link of `incident`.
async fn link_reason(org: &Org, incident: &str) -> Option<String> {
    let links = org
        .store
        .incident_links(
            &[repo("acme/shop"), repo("acme/pay")],
            &["shop".to_string(), "pay".to_string()],
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("incident links");
    links
        .into_iter()
        .find(|l| l.incident.key == incident)
        .and_then(|l| l.reason)
}

/// A team-only incident (no repository) naming PR #1 fails d1, which shipped it, not d2 (the
/// latest before it): 1 of 2 deployments failed (rate 0.5); restored in 90 minutes.
async fn a_team_only_incident_naming_a_change_fails_the_deployment_that_shipped_it() {
    let changes = vec![
        pr(
            "acme/shop",
            1,
            &sha("t1"),
            "2026-03-02T08:00:00Z",
            "2026-03-02T09:00:00Z",
        ),
        pr(
            "acme/shop",
            2,
            &sha("t2"),
            "2026-03-03T08:00:00Z",
            "2026-03-03T09:00:00Z",
        ),
    ];
    let deployments = vec![
        deploy("acme/shop", "d1", &sha("t1"), "2026-03-02T10:00:00Z"),
        deploy("acme/shop", "d2", &sha("t2"), "2026-03-03T10:00:00Z"),
    ];
    let mut paged = incident(
        "acme/shop",
        "PD-1",
        "2026-03-04T10:00:00Z",
        Some("2026-03-04T11:30:00Z"),
    );
    paged.repo = None;
    paged.team = Some("shop".into());
    paged.cause = Some(engine::model::IncidentCause::Change("acme/shop#1".into()));
    let org = Org::load(ONE_TEAM, changes, deployments, vec![paged]).await;
    let m = org.march().await;
    assert_eq!(
        (
            m.change_failure_rate.deployments,
            m.change_failure_rate.failed,
            m.change_failure_rate.unattributed_incidents
        ),
        (2, 1, 0)
    );
    assert_eq!(m.change_failure_rate.rate, Some(0.5));
    assert_eq!(m.time_to_restore.incidents, 1);
    assert_eq!(m.time_to_restore.median_seconds, Some(90 * 60));
    let inputs = org
        .store
        .metric_inputs(
            &[repo("acme/shop")],
            &["shop".to_string()],
            "production",
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("metric inputs");
    let failed: Vec<&str> = inputs
        .deployments
        .iter()
        .filter(|d| d.failed)
        .map(|d| d.key.as_str())
        .collect();
    assert_eq!(failed, ["d1"]);
    assert_eq!(
        link_reason(&org, "PD-1").await.as_deref(),
        Some("the incident names change `acme/shop#1` of acme/shop, shipped by deployment d1")
    );
}

/// Two teams: `shop` owns acme/shop, `pay` owns acme/pay.
const TWO_TEAMS: &str = r#"
[collector]
since = "2026-01-01"

[[teams]]
slug = "shop"
name = "Shop"
repos = ["acme/shop"]

[[teams]]
slug = "pay"
name = "Pay"
repos = ["acme/pay"]
"#;

/// An incident of acme/shop that names acme/pay's deployment p1 fails p1, not shop's s1 (the
/// latest of its own, an hour before it): pay 1 of 1 failed, shop 0 of 1. The incident stays
/// shop's for time to restore (2h) and is not an unattributed outage.
async fn an_incident_naming_a_deployment_of_another_repository_fails_that_one() {
    let deployments = vec![
        deploy("acme/shop", "s1", &sha("u1"), "2026-03-05T09:00:00Z"),
        deploy("acme/pay", "p1", &sha("u2"), "2026-03-04T10:00:00Z"),
    ];
    let named = caused_by_deployment(
        incident(
            "acme/shop",
            "INC-1",
            "2026-03-05T10:00:00Z",
            Some("2026-03-05T12:00:00Z"),
        ),
        "p1",
    );
    let org = Org::load(TWO_TEAMS, vec![], deployments, vec![named]).await;
    let pay = org
        .metrics(Some("pay"), "2026-03-01", "2026-04-01", None)
        .await;
    assert_eq!(
        (
            pay.change_failure_rate.deployments,
            pay.change_failure_rate.failed
        ),
        (1, 1)
    );
    assert_eq!(pay.change_failure_rate.rate, Some(1.0));
    let shop = org.march().await;
    assert_eq!(
        (
            shop.change_failure_rate.deployments,
            shop.change_failure_rate.failed,
            shop.change_failure_rate.unattributed_incidents
        ),
        (1, 0, 0)
    );
    assert_eq!(shop.change_failure_rate.rate, Some(0.0));
    assert_eq!(shop.time_to_restore.incidents, 1);
    assert_eq!(shop.time_to_restore.median_seconds, Some(2 * HOUR));
    assert_eq!(
        link_reason(&org, "INC-1").await.as_deref(),
        Some("the incident names deployment p1 of acme/pay")
    );
}

/// An incident naming a deployment nobody knows falls back to the window: d1, 3 hours before
/// it, fails (1 of 1), and the reason says the named one is unknown.
async fn an_incident_naming_an_unknown_deployment_falls_back_to_the_window() {
    let deployments = vec![deploy(
        "acme/shop",
        "d1",
        &sha("v1"),
        "2026-03-06T07:00:00Z",
    )];
    let named = caused_by_deployment(
        incident(
            "acme/shop",
            "INC-1",
            "2026-03-06T10:00:00Z",
            Some("2026-03-06T10:30:00Z"),
        ),
        "jenkins-404",
    );
    let org = Org::load(ONE_TEAM, vec![], deployments, vec![named]).await;
    let m = org.march().await;
    assert_eq!(
        (
            m.change_failure_rate.deployments,
            m.change_failure_rate.failed
        ),
        (1, 1)
    );
    assert_eq!(m.time_to_restore.median_seconds, Some(30 * 60));
    assert_eq!(
        link_reason(&org, "INC-1").await.as_deref(),
        Some(
            "the incident names deployment jenkins-404, which is not a known deployment; \
             latest deployment of acme/shop before the incident opened (3h earlier, within the \
             7d attribution window)"
        )
    );
}

/// `deploy` `n` times on one day, an hour apart from 09:00 UTC, with shas `{prefix}{i}`.
fn deploys_on(day: &str, n: usize, prefix: &str) -> Vec<engine::model::Deployment> {
    (0..n)
        .map(|i| {
            let id = format!("{prefix}-{day}-{i}");
            deploy(
                "acme/shop",
                &id,
                &sha(&format!("{prefix}{day}{i}")),
                &format!("{day}T{:02}:00:00Z", 9 + i),
            )
        })
        .collect()
}

/// docs/metrics.md, "Partial buckets": Saturday 7 to Saturday 21 March by week is a two-day
/// week, a whole one and a five-day one; each rate is over its own days, the short ones flagged.
async fn partial_weeks_are_flagged_and_rated_over_their_own_days() {
    let deployments = [
        deploys_on("2026-03-08", 1, "a"),
        deploys_on("2026-03-10", 7, "b"),
        deploys_on("2026-03-17", 5, "c"),
    ]
    .concat();
    let org = Org::load(ONE_TEAM, vec![], deployments, vec![]).await;
    let m = org
        .metrics(Some("shop"), "2026-03-07", "2026-03-21", Some("week"))
        .await;
    let series: Vec<(String, usize, f64, bool)> = m
        .deployment_frequency
        .series
        .iter()
        .map(|p| (p.start.to_string(), p.deployments, p.per_week, p.partial))
        .collect();
    assert_eq!(
        series,
        vec![
            // 1 deployment in 2 days: 1 / (2/7) = 3.5 per week.
            ("2026-03-07".to_string(), 1, 3.5, true),
            ("2026-03-09".to_string(), 7, 7.0, false),
            // 5 in 5 days: 5 / (5/7) = 7 per week.
            ("2026-03-16".to_string(), 5, 7.0, true),
        ]
    );
    // 13 deployments in 14 days: 6.5 per week.
    assert_eq!(m.deployment_frequency.per_week, 6.5);
    let flags: Vec<bool> = m.lead_time.series.iter().map(|p| p.partial).collect();
    assert_eq!(flags, vec![true, false, true]);
}

/// docs/metrics.md, "The previous period": its series is cut at the same positions in its period
/// as this period's buckets (14 days earlier), not at its own calendar weeks.
async fn the_previous_series_sits_in_this_periods_buckets() {
    let deployments = [
        // Previous period: Saturday 21 February to Saturday 7 March.
        deploys_on("2026-02-22", 1, "p"),
        deploys_on("2026-02-24", 3, "q"),
        deploys_on("2026-03-03", 2, "r"),
        // This period.
        deploys_on("2026-03-10", 7, "b"),
    ]
    .concat();
    let org = Org::load(ONE_TEAM, vec![], deployments, vec![]).await;
    let m = org
        .metrics(Some("shop"), "2026-03-07", "2026-03-21", Some("week"))
        .await;
    let previous = m
        .deployment_frequency
        .previous
        .as_ref()
        .expect("earlier data");
    let spans: Vec<(String, String, usize, bool)> = previous
        .series
        .iter()
        .map(|p| {
            (
                p.start.to_string(),
                p.end.to_string(),
                p.deployments,
                p.partial,
            )
        })
        .collect();
    assert_eq!(
        spans,
        vec![
            ("2026-02-21".to_string(), "2026-02-23".to_string(), 1, true),
            ("2026-02-23".to_string(), "2026-03-02".to_string(), 3, false),
            ("2026-03-02".to_string(), "2026-03-07".to_string(), 2, true),
        ]
    );
    assert_eq!(previous.deployments, 6);
    let report = m.previous_report().expect("earlier data");
    assert_eq!(
        (report.from.to_string(), report.to.to_string()),
        ("2026-02-21".to_string(), "2026-03-07".to_string())
    );
}

/// docs/metrics.md, "Periods reaching into the future": March asked on 11 March at noon is
/// measured over 1-11 March, so 11 deployments are 7 per week, not 11 / (31/7) = 2.5.
async fn a_period_reaching_past_today_is_measured_up_to_today() {
    let deployments = (1..=11)
        .flat_map(|d| deploys_on(&format!("2026-03-{d:02}"), 1, "m"))
        .collect();
    let mut org = Org::load(ONE_TEAM, vec![], deployments, vec![]).await;
    org.config.clock = Some(
        chrono::DateTime::parse_from_rfc3339("2026-03-11T12:00:00Z")
            .expect("clock")
            .to_utc(),
    );
    let m = org
        .metrics(Some("shop"), "2026-03-01", "2026-04-01", Some("week"))
        .await;
    assert_eq!(
        (m.from.to_string(), m.to.to_string()),
        ("2026-03-01".to_string(), "2026-04-01".to_string())
    );
    assert_eq!(m.measured_to.to_string(), "2026-03-12");
    assert_eq!(m.deployment_frequency.deployments, 11);
    assert_eq!(m.deployment_frequency.per_week, 7.0);
    // Weeks up to the one holding today, which the period's measured part cuts.
    let last = m.deployment_frequency.series.last().expect("series");
    assert_eq!(
        (last.start.to_string(), last.end.to_string(), last.partial),
        ("2026-03-09".to_string(), "2026-03-12".to_string(), true)
    );
}

/// Each bucket carries the medians of its own changes' phases, each over the changes that have
/// it; a bucket without changes has none.
async fn lead_time_phases_are_summarised_per_bucket() {
    let phased = |mut c: engine::model::Change, opened: &str, reviewed: Option<&str>| {
        c.opened_at = Some(at(opened));
        c.first_review_at = reviewed.map(at);
        c
    };
    let changes = vec![
        // Coding 1 h, pickup 2 h, review 1 h, deploy 22 h (deployed 3 Mar 10:00).
        phased(
            pr(
                "acme/shop",
                1,
                &sha("p1"),
                "2026-03-02T08:00:00Z",
                "2026-03-02T12:00:00Z",
            ),
            "2026-03-02T09:00:00Z",
            Some("2026-03-02T11:00:00Z"),
        ),
        // Coding 4 h, never reviewed, deploy 2 h.
        phased(
            pr(
                "acme/shop",
                2,
                &sha("p2"),
                "2026-03-02T06:00:00Z",
                "2026-03-03T08:00:00Z",
            ),
            "2026-03-02T10:00:00Z",
            None,
        ),
        // The next week: coding 30 min, pickup 30 min, review 3 h, deploy 1 h.
        phased(
            pr(
                "acme/shop",
                3,
                &sha("p3"),
                "2026-03-10T08:00:00Z",
                "2026-03-10T12:00:00Z",
            ),
            "2026-03-10T08:30:00Z",
            Some("2026-03-10T09:00:00Z"),
        ),
    ];
    let deployments = vec![
        deploy("acme/shop", "d1", &sha("p2"), "2026-03-03T10:00:00Z"),
        deploy("acme/shop", "d2", &sha("p3"), "2026-03-10T13:00:00Z"),
    ];
    let org = Org::load(ONE_TEAM, changes, deployments, vec![]).await;
    let figures_only = org
        .metrics(Some("shop"), "2026-03-01", "2026-03-16", Some("week"))
        .await;
    assert!(
        figures_only
            .lead_time
            .series
            .iter()
            .all(|p| p.breakdown.is_none()),
        "phases per bucket are computed only when asked"
    );
    let scope = org.config.scope(Some("shop")).expect("scope");
    let question = engine::query::Question {
        phases_per_bucket: true,
        ..engine::query::Question::figures(
            engine::period::Period::new(figures_only.from, figures_only.to).expect("period"),
            Some(engine::period::Bucket::Week),
        )
    };
    let m = engine::query::answer_one(&org.store, &org.config, &scope, question)
        .await
        .expect("metrics with phases");
    assert_eq!(
        m.lead_time.median_seconds,
        figures_only.lead_time.median_seconds
    );
    let medians = |b: &engine::metrics::Breakdown| {
        [b.coding, b.pickup, b.review, b.deploy].map(|p| (p.count, p.median_seconds))
    };
    let series: Vec<_> = m
        .lead_time
        .series
        .iter()
        .map(|p| (p.start.to_string(), medians(&p.breakdown.expect("asked"))))
        .collect();
    assert_eq!(
        series,
        vec![
            // Sunday 1 March alone: no change.
            ("2026-03-01".to_string(), [(0, None); 4]),
            // Coding (1 h + 4 h) / 2 = 2.5 h; deploy (22 h + 2 h) / 2 = 12 h.
            (
                "2026-03-02".to_string(),
                [
                    (2, Some(9_000)),
                    (1, Some(2 * HOUR)),
                    (1, Some(HOUR)),
                    (2, Some(12 * HOUR)),
                ]
            ),
            (
                "2026-03-09".to_string(),
                [
                    (1, Some(1_800)),
                    (1, Some(1_800)),
                    (1, Some(3 * HOUR)),
                    (1, Some(HOUR)),
                ]
            ),
        ]
    );
    // The whole period's breakdown is the same formula over all three changes.
    assert_eq!(m.lead_time.breakdown.coding.median_seconds, Some(HOUR));
    assert_eq!(m.lead_time.breakdown.review.median_seconds, Some(2 * HOUR));
}

/// docs/metrics.md, "Too small a sample": 12 deployments in March and nothing else score
/// deployment frequency (12 / (31/7) = 2.71 a week: once a day to once a week, 6), change fail
/// rate and rework rate (0 %: 10 each); lead time and recovery time have no data. Throughput 6,
/// stability 10, overall (6 + 10 + 10) / 3. With 3 deployments the rates are too small a sample
/// (fewer than `metrics.small_sample`, 10): no stability score, so no overall score.
async fn the_quick_check_score_leaves_out_what_it_cannot_score() {
    let org = Org::load(ONE_TEAM, vec![], deploys_on("2026-03-10", 12, "q"), vec![]).await;
    let s = org.march().await.dora_score;
    assert_eq!(s.deployment_frequency.answer, Some(4));
    assert_eq!(s.deployment_frequency.score, Some(6.0));
    assert_eq!(s.change_failure_rate.score, Some(10.0));
    assert_eq!(s.rework_rate.score, Some(10.0));
    assert_eq!(s.lead_time.score, None);
    assert_eq!(
        s.lead_time.reason.as_deref(),
        Some("no changes in the period")
    );
    assert_eq!(s.time_to_restore.score, None);
    assert_eq!((s.throughput, s.stability), (Some(6.0), Some(10.0)));
    let overall = s.overall.expect("scored");
    assert!((overall - 26.0 / 3.0).abs() < 1e-12, "{overall}");
    assert_eq!(s.benchmark.id, "industry:all");

    let org = Org::load(ONE_TEAM, vec![], deploys_on("2026-03-10", 3, "q"), vec![]).await;
    let s = org.march().await.dora_score;
    // 3 / (31/7) = 0.68 a week: once a week to once a month.
    assert_eq!(s.deployment_frequency.score, Some(4.0));
    assert_eq!(
        s.change_failure_rate.reason.as_deref(),
        Some("too small a sample: 3 deployments, fewer than metrics.small_sample")
    );
    assert_eq!((s.stability, s.overall), (None, None));
    assert_eq!(
        s.reason.as_deref(),
        Some("no stability metric could be scored")
    );
}
