use super::*;
use chrono::{Datelike, Weekday};
use engine::analysis::{FailureKind, FailureLink};
use engine::metrics::facts::ChangeFact;
use engine::model::DeploymentStatus;
use engine::store::{IncidentLinkDetail, Store};
use std::collections::{BTreeMap, HashMap, HashSet};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// A mid-quarter end, an end on a quarter's first day, and one after a leap day.
fn ends() -> [NaiveDate; 3] {
    [date(2026, 11, 22), date(2026, 10, 1), date(2028, 3, 1)]
}

fn team_of(repo: &RepoSlug) -> &'static str {
    REPOS
        .iter()
        .find(|r| r.name == repo.name())
        .map(|r| r.team)
        .expect("a demo repository")
}

fn median(mut values: Vec<i64>) -> i64 {
    assert!(!values.is_empty(), "median of nothing");
    values.sort_unstable();
    values[values.len() / 2]
}

/// (year, quarter) of a UTC timestamp.
fn quarter(t: Timestamp) -> (i32, u32) {
    (t.year(), t.month0() / 3 + 1)
}

/// What the store's analysis derived for the demo, seeded as `serve --demo` seeds it: every
/// shipped change (with its deployment's time), every failure link, every incident link.
struct Derived {
    changes: Vec<ChangeFact>,
    failures: Vec<FailureLink>,
    links: Vec<IncidentLinkDetail>,
}

fn analyses(org: &DemoOrg, end: NaiveDate) -> Derived {
    let cal = Calendar::new(end);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let store = Store::connect("sqlite::memory:").await.expect("a store");
        seed(&store, end).await.expect("the demo seeds");
        let repos: Vec<RepoSlug> = REPOS.iter().map(|r| repo_slug(r.name)).collect();
        let (from, to) = (
            cal.start_ts - Duration::days(1),
            cal.end_ts + Duration::days(1),
        );
        let inputs = store
            .metric_inputs(&repos, &[], "production", from, to)
            .await
            .expect("facts");
        assert_eq!(
            inputs.deployments.len(),
            org.deployments.len(),
            "every deployment is in the window"
        );
        let mut failures = Vec::new();
        for deployment in inputs.deployments.iter().filter(|d| d.failed) {
            let detail = store
                .deployment_detail(&deployment.key)
                .await
                .expect("a detail")
                .expect("a known deployment");
            failures.extend(detail.failures);
        }
        let links = store
            .incident_links(&repos, &[], from, to)
            .await
            .expect("incident links");
        Derived {
            changes: inputs.changes,
            failures,
            links,
        }
    })
}

/// Lead times (seconds) of the changes first shipped by a team's deployments, keyed by the
/// deployment's time.
fn lead_times(all: &Derived, team: &str) -> Vec<(Timestamp, i64)> {
    all.changes
        .iter()
        .filter(|c| team_of(&c.repo) == team)
        .map(|c| {
            (
                c.deployed_at,
                (c.deployed_at - c.first_commit_at).num_seconds(),
            )
        })
        .collect()
}

#[test]
fn the_same_date_gives_identical_records() {
    let a = generate(date(2026, 11, 22));
    let b = generate(date(2026, 11, 22));
    assert_eq!(a, b);
    let json = |org: &DemoOrg| {
        serde_json::to_string(&(&org.changes, &org.deployments, &org.incidents))
            .expect("records serialize")
    };
    assert_eq!(json(&a), json(&b));
    assert_eq!(a.config_toml, b.config_toml);
    let other = generate(date(2026, 11, 23));
    assert_ne!(json(&a), json(&other), "another end date, another history");
}

#[test]
fn every_key_and_sha_is_unique() {
    for end in ends() {
        check_every_key_and_sha_is_unique(end, &generate(end));
    }
}

fn check_every_key_and_sha_is_unique(_end: NaiveDate, org: &DemoOrg) {
    let mut keys = HashSet::new();
    for key in org.changes.iter().map(|c| &c.key) {
        assert!(keys.insert(key.clone()), "duplicate change key {key}");
    }
    for key in org.deployments.iter().map(|d| &d.key) {
        assert!(keys.insert(key.clone()), "duplicate deployment key {key}");
    }
    for key in org.incidents.iter().map(|i| &i.key) {
        assert!(keys.insert(key.clone()), "duplicate incident key {key}");
    }
    let mut shas = HashSet::new();
    for c in &org.changes {
        let merge = c
            .merge_sha
            .as_ref()
            .expect("every demo change has a merge sha");
        for sha in c.commits.iter().chain([merge]) {
            assert_eq!(sha.len(), 40, "{sha}");
            assert!(sha.chars().all(|ch| ch.is_ascii_hexdigit()), "{sha}");
            assert!(shas.insert(sha.clone()), "duplicate sha {sha}");
        }
        assert!((1..=8).contains(&c.commits.len()), "{}", c.key);
    }
}

#[test]
fn pull_request_numbers_increase_with_opening_time() {
    for end in ends() {
        check_pull_request_numbers_increase_with_opening_time(end, &generate(end));
    }
}

fn check_pull_request_numbers_increase_with_opening_time(_end: NaiveDate, org: &DemoOrg) {
    let mut by_repo: BTreeMap<String, Vec<&Change>> = BTreeMap::new();
    for c in &org.changes {
        assert_eq!(c.key, format!("{}#{}", c.repo, c.number.expect("numbered")));
        by_repo.entry(c.repo.to_string()).or_default().push(c);
    }
    assert_eq!(by_repo.len(), REPOS.len());
    for (repo, mut changes) in by_repo {
        changes.sort_by_key(|c| c.number);
        for pair in changes.windows(2) {
            assert!(
                pair[0].opened_at <= pair[1].opened_at,
                "{repo}: #{:?} opened after #{:?}",
                pair[0].number,
                pair[1].number
            );
        }
    }
}

#[test]
fn declared_commits_are_commits_of_the_repository() {
    for end in ends() {
        check_declared_commits_are_commits_of_the_repository(end, &generate(end));
    }
}

fn check_declared_commits_are_commits_of_the_repository(_end: NaiveDate, org: &DemoOrg) {
    let mut shas: HashMap<&RepoSlug, HashSet<&str>> = HashMap::new();
    for c in &org.changes {
        let set = shas.entry(&c.repo).or_default();
        set.extend(c.commits.iter().map(String::as_str));
        set.extend(c.merge_sha.as_deref());
    }
    for d in &org.deployments {
        assert_eq!(d.source, Source::Demo);
        assert_eq!(d.environment, "production");
        assert!(d.declared_changes.is_none());
        let known = &shas[&d.repo];
        assert!(known.contains(d.sha.as_str()), "{}: unknown sha", d.key);
        let declared = d
            .declared_commits
            .as_ref()
            .expect("every demo deployment declares its commits");
        for sha in declared {
            assert!(known.contains(sha.as_str()), "{}: foreign {sha}", d.key);
        }
        let is_rollback = declared.is_empty();
        assert!(
            is_rollback || declared.contains(&d.sha),
            "{}: the deployed sha is in its own compare",
            d.key
        );
    }
}

#[test]
fn timestamps_are_ordered_and_inside_the_year() {
    for end in ends() {
        check_timestamps_are_ordered_and_inside_the_year(end, &generate(end));
    }
}

fn check_timestamps_are_ordered_and_inside_the_year(end: NaiveDate, org: &DemoOrg) {
    let cal = Calendar::new(end);
    let inside = |t: Timestamp, what: &str| {
        assert!(
            t >= cal.start_ts && t < cal.end_ts,
            "{what} at {t} outside [{}, {})",
            cal.start_ts,
            cal.end_ts
        );
    };
    for c in &org.changes {
        let opened = c.opened_at.expect("opened");
        assert!(c.first_commit_at <= opened, "{}", c.key);
        if let Some(review) = c.first_review_at {
            assert!(opened <= review && review <= c.merged_at, "{}", c.key);
        }
        assert!(opened <= c.merged_at, "{}", c.key);
        inside(c.first_commit_at, &c.key);
        inside(c.merged_at, &c.key);
    }
    for d in &org.deployments {
        let started = d.started_at.expect("started");
        assert!(started <= d.finished_at, "{}", d.key);
        inside(started, &d.key);
        inside(d.finished_at, &d.key);
    }
    for i in &org.incidents {
        inside(i.opened_at, &i.key);
        if let Some(resolved) = i.resolved_at {
            assert!(i.opened_at < resolved, "{}", i.key);
            inside(resolved, &i.key);
        }
    }
}

#[test]
fn people_merge_on_working_days() {
    for end in ends() {
        check_people_merge_on_working_days(end, &generate(end));
    }
}

fn check_people_merge_on_working_days(_end: NaiveDate, org: &DemoOrg) {
    for c in &org.changes {
        let team = org::team(team_of(&c.repo));
        let local = c.merged_at.with_timezone(&team.tz);
        assert!(
            !matches!(local.weekday(), Weekday::Sat | Weekday::Sun),
            "{} merged on a weekend",
            c.key
        );
    }
}

#[test]
fn checkout_moved_from_weekly_batches_to_small_daily_deployments() {
    for end in ends() {
        check_checkout_moved_from_weekly_batches_to_small_daily_deployments(end, &generate(end));
    }
}

fn check_checkout_moved_from_weekly_batches_to_small_daily_deployments(
    end: NaiveDate,
    org: &DemoOrg,
) {
    let cal = Calendar::new(end);
    let first_quarter_end = cal.start_ts + Duration::days(91);
    let last_quarter_start = cal.end_ts - Duration::days(91);
    let checkout: Vec<&Change> = org
        .changes
        .iter()
        .filter(|c| team_of(&c.repo) == "checkout")
        .collect();
    let cycle = |c: &&Change| (c.merged_at - c.first_commit_at).num_seconds();
    let early: Vec<i64> = checkout
        .iter()
        .filter(|c| c.merged_at < first_quarter_end)
        .map(cycle)
        .collect();
    let late: Vec<i64> = checkout
        .iter()
        .filter(|c| c.merged_at >= last_quarter_start)
        .map(cycle)
        .collect();
    let (early, late) = (median(early), median(late));
    assert!(
        late * 3 < early,
        "{end}: PR cycle {late}s late vs {early}s early"
    );

    let all = analyses(org, end);
    let leads = lead_times(&all, "checkout");
    let early: Vec<i64> = leads
        .iter()
        .filter(|(t, _)| *t < first_quarter_end)
        .map(|(_, s)| *s)
        .collect();
    let late: Vec<i64> = leads
        .iter()
        .filter(|(t, _)| *t >= last_quarter_start)
        .map(|(_, s)| *s)
        .collect();
    let day = 86_400;
    assert!(
        median(early) > 5 * day,
        "{end}: early lead time about a week"
    );
    assert!(median(late) < day, "{end}: late lead time under a day");

    let deployments = |from: Timestamp, to: Timestamp| {
        org.deployments
            .iter()
            .filter(|d| team_of(&d.repo) == "checkout")
            .filter(|d| d.status == DeploymentStatus::Success)
            .filter(|d| d.finished_at >= from && d.finished_at < to)
            .count()
    };
    let before = deployments(cal.start_ts, first_quarter_end);
    let after = deployments(last_quarter_start, cal.end_ts);
    assert!(before <= 50, "{end}: weekly releases early ({before})");
    assert!(after > 3 * before, "{end}: {after} deployments late");
}

#[test]
fn payments_has_the_most_incidents_in_its_bad_quarter() {
    for end in ends() {
        check_payments_has_the_most_incidents_in_its_bad_quarter(end, &generate(end));
    }
}

fn check_payments_has_the_most_incidents_in_its_bad_quarter(end: NaiveDate, org: &DemoOrg) {
    let cal = Calendar::new(end);
    let payments = repo_slug("payments-gateway");
    let mut per_quarter: BTreeMap<(i32, u32), usize> = BTreeMap::new();
    for i in &org.incidents {
        if i.repo.as_ref() == Some(&payments) || i.team.as_deref() == Some("payments") {
            *per_quarter.entry(quarter(i.opened_at)).or_default() += 1;
        }
    }
    let bad = quarter(clock::midnight_utc(cal.bad_quarter.0));
    let bad_count = per_quarter.get(&bad).copied().unwrap_or(0);
    for (q, n) in &per_quarter {
        assert!(
            *q == bad || *n < bad_count,
            "{end}: quarter {q:?} has {n} incidents, the bad quarter {bad:?} {bad_count}"
        );
    }
}

#[test]
fn every_kind_of_trouble_occurs() {
    for end in ends() {
        check_every_kind_of_trouble_occurs(end, &generate(end));
    }
}

fn check_every_kind_of_trouble_occurs(end: NaiveDate, org: &DemoOrg) {
    let all = analyses(org, end);
    let failures = &all.failures;
    let kinds: HashSet<FailureKind> = failures.iter().map(|f| f.kind).collect();
    for kind in [
        FailureKind::Incident,
        FailureKind::Rollback,
        FailureKind::Revert,
        FailureKind::Hotfix,
    ] {
        assert!(kinds.contains(&kind), "no {kind:?} failure");
    }
    // Rollbacks both ways: the deployment tool's flag, and a plain redeploy of an older sha.
    let by_key: HashMap<&str, &Deployment> = org
        .deployments
        .iter()
        .map(|d| (d.key.as_str(), d))
        .collect();
    let rollbacks: Vec<&Deployment> = failures
        .iter()
        .filter(|f| f.kind == FailureKind::Rollback)
        .map(|f| by_key[f.evidence.as_str()])
        .collect();
    assert!(rollbacks.iter().any(|d| d.rollback));
    assert!(rollbacks.iter().any(|d| !d.rollback));
    assert_eq!(
        rollbacks.len(),
        org.deployments
            .iter()
            .filter(|d| d.declared_commits.as_ref().is_some_and(Vec::is_empty))
            .count(),
        "every rollback the demo made is found, and nothing else"
    );

    assert!(
        org.changes
            .iter()
            .any(|c| c.reverts.is_some() && c.title.starts_with("Revert \""))
    );
    assert!(
        org.changes
            .iter()
            .any(|c| c.fixes.is_some() && c.labels.iter().any(|l| l == "hotfix"))
    );
    assert!(org.changes.iter().any(|c| c.bot));
    assert!(
        org.deployments
            .iter()
            .any(|d| d.status == DeploymentStatus::Failure)
    );

    assert!(org.incidents.iter().any(|i| i.resolved_at.is_none()));
    assert!(
        org.incidents
            .iter()
            .any(|i| i.repo.is_none() && i.team.is_some())
    );
    assert!(
        org.incidents
            .iter()
            .any(|i| matches!(i.cause, Some(IncidentCause::Deployment(_))))
    );
    assert!(
        org.incidents
            .iter()
            .any(|i| matches!(i.cause, Some(IncidentCause::Change(_))))
    );
    let links: Vec<(Option<&str>, &str)> = all
        .links
        .iter()
        .filter_map(|l| Some((l.deployment.as_deref(), l.reason.as_deref()?)))
        .collect();
    assert!(
        links
            .iter()
            .any(|(d, reason)| d.is_some() && reason.contains("attribution window")),
        "some incidents are attributed by the window"
    );
    assert!(
        links.iter().any(|(d, _)| d.is_none()),
        "some outages have no deployment to blame"
    );
    assert!(
        links
            .iter()
            .filter(|(_, reason)| reason.contains("the incident names"))
            .all(|(d, _)| d.is_some()),
        "every explicit cause names a deployment or change that shipped"
    );
}

#[test]
fn teams_perform_as_described() {
    for end in ends() {
        check_teams_perform_as_described(end, &generate(end));
    }
}

fn check_teams_perform_as_described(end: NaiveDate, org: &DemoOrg) {
    let all = analyses(org, end);
    let hour = 3600;
    let lead = |team: &str| median(lead_times(&all, team).into_iter().map(|(_, s)| s).collect());
    let deployments = |team: &str| {
        org.deployments
            .iter()
            .filter(|d| team_of(&d.repo) == team && d.status == DeploymentStatus::Success)
            .count()
    };
    assert!(lead("search") < 6 * hour, "Search is elite");
    assert!(
        deployments("search") > 2 * 250,
        "Search deploys several times a day"
    );
    assert!(lead("email") > 7 * 24 * hour, "Email's lead time is weeks");
    let email = deployments("email");
    assert!(
        (10..=30).contains(&email),
        "{end}: Email deploys monthly ({email})"
    );
    for team in ["loyalty", "storefront", "catalog"] {
        let l = lead(team);
        assert!(
            l > 6 * hour && l < 14 * 24 * hour,
            "{team} in between: {l}s"
        );
    }
}

#[test]
fn volume_is_a_realistic_year() {
    for end in ends() {
        check_volume_is_a_realistic_year(end, &generate(end));
    }
}

fn check_volume_is_a_realistic_year(_end: NaiveDate, org: &DemoOrg) {
    let (changes, deployments) = (org.changes.len(), org.deployments.len());
    assert!((2_000..=5_000).contains(&changes), "{changes} changes");
    assert!(
        (1_000..=3_000).contains(&deployments),
        "{deployments} deployments"
    );
    assert!((40..=400).contains(&org.incidents.len()));
    let bots = org.changes.iter().filter(|c| c.bot).count();
    assert!(
        bots * 100 > changes * 3 && bots * 100 < changes * 15,
        "{bots} bots"
    );
    let repos: HashSet<&RepoSlug> = org.deployments.iter().map(|d| &d.repo).collect();
    assert_eq!(repos.len(), REPOS.len());
}

#[test]
fn config_parses_like_a_users_file() {
    let end = date(2026, 11, 22);
    let org = generate(end);
    let config = engine::config::Config::from_toml_str(&org.config_toml, "demo configuration")
        .expect("the demo configuration is valid");
    assert_eq!(config.collector.since, date(2025, 11, 22));
    assert_eq!(config.deployments.environment, "production");
    assert_eq!(config.incidents.attribution_window, Duration::days(7));
    assert_eq!(config.tribes.len(), TRIBES.len());
    assert_eq!(config.teams.len(), TEAMS.len());
    for (team, def) in config.teams.iter().zip(TEAMS) {
        assert_eq!(team.slug, def.slug);
        assert_eq!(team.name, def.name);
        assert_eq!(team.tribe.as_deref(), Some(def.tribe));
        assert_eq!(team.time_zone, def.tz);
        assert_eq!(def.targets.is_some(), team.targets.lead_time.is_some());
    }
    let checkout = &config.teams[2];
    assert_eq!(checkout.targets.lead_time, Some(Duration::days(1)));
    assert_eq!(checkout.targets.change_failure_rate, Some(0.10));

    let configured: HashSet<&RepoSlug> = config.teams.iter().flat_map(|t| &t.repos).collect();
    let in_records: HashSet<&RepoSlug> = org.changes.iter().map(|c| &c.repo).collect();
    assert_eq!(
        configured, in_records,
        "every configured repository has records and back"
    );
    let team_slugs: HashSet<&str> = config.teams.iter().map(|t| t.slug.as_str()).collect();
    for i in &org.incidents {
        if let Some(team) = &i.team {
            assert!(team_slugs.contains(team.as_str()), "{team}");
        }
    }
}

type Check = fn(NaiveDate, &DemoOrg);

const CHECKS: &[(&str, Check)] = &[
    ("unique keys", check_every_key_and_sha_is_unique),
    (
        "numbers",
        check_pull_request_numbers_increase_with_opening_time,
    ),
    (
        "declared commits",
        check_declared_commits_are_commits_of_the_repository,
    ),
    (
        "timestamps",
        check_timestamps_are_ordered_and_inside_the_year,
    ),
    ("working days", check_people_merge_on_working_days),
    (
        "checkout",
        check_checkout_moved_from_weekly_batches_to_small_daily_deployments,
    ),
    (
        "payments",
        check_payments_has_the_most_incidents_in_its_bad_quarter,
    ),
    ("trouble", check_every_kind_of_trouble_occurs),
    ("teams", check_teams_perform_as_described),
    ("volume", check_volume_is_a_realistic_year),
];

/// Every check on an end date every nine days over six years (a few minutes in a debug build):
/// `cargo test -p collector demo::tests::many_end_dates -- --ignored`.
#[test]
#[ignore = "slow: every check on hundreds of end dates"]
fn many_end_dates() {
    let mut failed = Vec::new();
    let mut end = date(2025, 1, 1);
    while end < date(2031, 1, 1) {
        let org = generate(end);
        for (name, check) in CHECKS {
            if std::panic::catch_unwind(|| check(end, &org)).is_err() {
                failed.push(format!("{end}: {name}"));
            }
        }
        end += Duration::days(9);
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
