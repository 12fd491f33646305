//! Builders for the fake's world, and the organisation the end-to-end tests and the benchmark
//! sync: regular enough that every metric can be worked out by hand (see `org`).

use super::{
    Account, FakeBranch, FakeCommit, FakeDeployment, FakeIssue, FakePull, FakeRelease, FakeRepo,
    FakeReview, FakeRun, Strategy, Time, World, at, sha,
};
use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc};

/// The first day of the measured period, a Monday; also `collector.since`.
pub const START: &str = "2026-03-02";
/// The day after the eight weeks (forty working days) of the period.
pub const END: &str = "2026-04-27";
pub const DAYS: u32 = 40;

/// `hh:mm` on working day `day` (0 = Monday 2 March 2026; weekends skipped).
pub fn day_at(day: u32, hh_mm: &str) -> Time {
    let start = NaiveDate::parse_from_str(START, "%Y-%m-%d").expect("start");
    let date = start + Duration::days(i64::from(day / 5 * 7 + day % 5));
    let time = NaiveTime::parse_from_str(hh_mm, "%H:%M").expect("hh:mm");
    Utc.from_utc_datetime(&date.and_time(time))
}

impl FakeRepo {
    /// A pull request merged into the default branch: two commits (the first at `first_commit`),
    /// opened at `opened`, a self-review half an hour later (which does not count) and bob's
    /// review at `reviewed`, merged at `merged`; updated a minute after the merge.
    #[expect(
        clippy::too_many_arguments,
        reason = "every field a scenario varies, named at the call as GitHub names them"
    )]
    pub fn merged_pull(
        &mut self,
        slug: &str,
        number: i64,
        title: &str,
        author: Account,
        first_commit: Time,
        opened: Time,
        reviewed: Option<Time>,
        merged: Time,
        strategy: Strategy,
    ) -> &mut FakePull {
        let commits = vec![
            FakeCommit {
                sha: sha(&format!("{slug}#{number}/1")),
                message: format!("{title}: first step"),
                author: author.clone(),
                authored_at: first_commit,
                committed_at: first_commit,
            },
            FakeCommit {
                sha: sha(&format!("{slug}#{number}/2")),
                message: format!("{title}: done"),
                author: author.clone(),
                authored_at: first_commit + Duration::minutes(90),
                committed_at: first_commit + Duration::minutes(90),
            },
        ];
        let mut reviews = vec![FakeReview {
            id: number as u64 * 10,
            login: author.login.clone(),
            state: "COMMENTED".into(),
            submitted_at: Some(opened + Duration::minutes(30)),
        }];
        if let Some(r) = reviewed {
            reviews.push(FakeReview {
                id: number as u64 * 10 + 1,
                login: "bob".into(),
                state: "APPROVED".into(),
                submitted_at: Some(r),
            });
        }
        reviews.push(FakeReview {
            id: number as u64 * 10 + 2,
            login: "carol".into(),
            state: "PENDING".into(),
            submitted_at: None,
        });
        let pull = FakePull {
            number,
            title: title.into(),
            body: String::new(),
            author,
            labels: vec![],
            head: format!("feature-{number}"),
            base: self.default_branch.clone(),
            created_at: opened,
            updated_at: merged + Duration::minutes(1),
            closed_at: Some(merged),
            merged_at: Some(merged),
            merge_sha: Some(sha(&format!("{slug}#{number}/merge"))),
            strategy,
            commits,
            reviews,
        };
        self.pulls.insert(number, pull);
        self.pulls.get_mut(&number).expect("just inserted")
    }

    /// A commit pushed straight to the default branch.
    pub fn direct_push(
        &mut self,
        slug: &str,
        message: &str,
        authored: Time,
        pushed: Time,
    ) -> String {
        let sha = sha(&format!("{slug}/push/{message}/{pushed}"));
        self.pushes.push(FakeCommit {
            sha: sha.clone(),
            message: message.into(),
            author: Account::user("alice"),
            authored_at: authored,
            committed_at: pushed,
        });
        sha
    }

    /// A branch created at `at` from the tip of `from`.
    pub fn branch(&mut self, name: &str, from: &str, at: Time) {
        self.branches.push(FakeBranch {
            name: name.into(),
            from: from.into(),
            at,
        });
    }

    /// A commit pushed straight to `branch` (not the default branch).
    pub fn push_to(&mut self, branch: &str, message: &str, authored: Time, pushed: Time) -> String {
        let commit = FakeCommit {
            sha: sha(&format!("{branch}/push/{message}/{pushed}")),
            message: message.into(),
            author: Account::user("alice"),
            authored_at: authored,
            committed_at: pushed,
        };
        let sha = commit.sha.clone();
        self.branch_pushes.push((branch.into(), commit));
        sha
    }

    /// A pull request merging the branch `head` into `base` (a release, a forward merge, a
    /// back-merge): its commits are what `head` brings in, worked out by the fake.
    pub fn branch_pull(
        &mut self,
        slug: &str,
        number: i64,
        head: &str,
        base: &str,
        merged: Time,
    ) -> &mut FakePull {
        let pull = self.merged_pull(
            slug,
            number,
            &format!("Merge {head} into {base}"),
            Account::user("carol"),
            merged - Duration::hours(1),
            merged - Duration::hours(1),
            None,
            merged,
            Strategy::MergeCommit,
        );
        pull.head = head.into();
        pull.base = base.into();
        pull.commits.clear();
        pull
    }

    /// A GitHub Deployment of `sha` created at `at` and successful ten minutes later.
    pub fn deployed(&mut self, id: u64, sha: &str, at: Time) {
        let done = at + Duration::minutes(10);
        self.deployment(id, sha, at, &[("in_progress", at), ("success", done)]);
    }

    /// A GitHub Deployment of `sha` with statuses `(state, at)`, oldest first.
    pub fn deployment(&mut self, id: u64, sha: &str, created: Time, statuses: &[(&str, Time)]) {
        let statuses: Vec<(u64, String, Time)> = statuses
            .iter()
            .enumerate()
            .map(|(i, (s, t))| (id * 100 + i as u64, s.to_string(), *t))
            .collect();
        let updated = statuses.last().map_or(created, |s| s.2);
        self.deployments.push(FakeDeployment {
            id,
            sha: sha.into(),
            environment: "production".into(),
            created_at: created,
            updated_at: updated,
            statuses,
        });
    }

    /// Adds a status, as GitHub does when a deployment moves on (or a newer one succeeds and
    /// this one becomes `inactive`).
    pub fn add_status(&mut self, id: u64, state: &str, at: Time) {
        if let Some(d) = self.deployments.iter_mut().find(|d| d.id == id) {
            let sid = id * 100 + d.statuses.len() as u64;
            d.statuses.push((sid, state.into(), at));
            d.updated_at = at;
        }
    }

    pub fn incident(&mut self, number: i64, title: &str, opened: Time, closed: Option<Time>) {
        self.issues.push(FakeIssue {
            number,
            title: title.into(),
            body: "Customers see errors.".into(),
            labels: vec!["incident".into()],
            created_at: opened,
            updated_at: closed.unwrap_or(opened) + Duration::minutes(5),
            closed_at: closed,
            is_pull: false,
        });
    }

    /// Takes `label` off issue `number` at `at`: like GitHub, its `updated_at` moves.
    pub fn unlabel(&mut self, number: i64, label: &str, at: Time) {
        if let Some(issue) = self.issues.iter_mut().find(|i| i.number == number) {
            issue.labels.retain(|l| l != label);
            issue.updated_at = at;
        }
    }

    /// Puts `label` on issue `number` at `at`.
    pub fn label(&mut self, number: i64, label: &str, at: Time) {
        if let Some(issue) = self.issues.iter_mut().find(|i| i.number == number) {
            issue.labels.push(label.into());
            issue.updated_at = at;
        }
    }

    pub fn run(
        &mut self,
        id: u64,
        sha: &str,
        conclusion: Option<&str>,
        created: Time,
        updated: Time,
    ) {
        self.runs.push(FakeRun {
            id,
            workflow: "deploy.yml".into(),
            head_sha: sha.into(),
            head_branch: self.default_branch.clone(),
            status: if conclusion.is_some() {
                "completed"
            } else {
                "in_progress"
            }
            .into(),
            conclusion: conclusion.map(str::to_string),
            created_at: created,
            updated_at: updated,
        });
    }

    pub fn release(
        &mut self,
        id: u64,
        tag: &str,
        sha: &str,
        created: Time,
        published: Option<Time>,
    ) {
        self.releases.push(FakeRelease {
            id,
            tag: tag.into(),
            sha: sha.into(),
            draft: published.is_none(),
            prerelease: false,
            created_at: created,
            published_at: published,
        });
    }
}

/// The merge sha of pull request `number` of `slug` (as [`FakeRepo::merged_pull`] makes it).
pub fn merge_sha(slug: &str, number: i64) -> String {
    sha(&format!("{slug}#{number}/merge"))
}

/// Three pull requests a day per repository, all alike: first commit 09:00, opened 11:00,
/// reviewed by bob 12:00, merged 13:00 + k minutes. Returns the merge sha of the day's last one.
pub fn workday(world: &mut World, slug: &str, day: u32, strategy: Strategy) -> String {
    let repo = world.repo(slug);
    let mut last = String::new();
    for k in 0..3 {
        let number = 1 + 3 * i64::from(day) + k;
        repo.merged_pull(
            slug,
            number,
            &format!("Change {slug} {day}-{k}"),
            Account::user("alice"),
            day_at(day, "09:00"),
            day_at(day, "11:00"),
            Some(day_at(day, "12:00")),
            day_at(day, "13:00") + Duration::minutes(k),
            strategy,
        );
        last = merge_sha(slug, number);
    }
    last
}

/// Where the organisation's deployments come from in the fake.
pub const REPOS: [(&str, Strategy); 3] = [
    ("acme/shop", Strategy::Squash),
    ("acme/api", Strategy::MergeCommit),
    ("acme/web", Strategy::Squash),
];

/// The end-to-end organisation, deployments from GitHub Deployments. Per repository and working
/// day: three pull requests (first commit 09:00) and a deployment at 16:00 of the day's last
/// merge that succeeds at 16:10 (the previous day's turns `inactive`). So every change's lead
/// time is 16:10 - 09:00 = 7 h 10 min, except where said. On top:
///
/// - shop, day 4: a dependabot pull request (a bot: left out of lead time);
/// - shop, day 9: a failed attempt at 15:00 (failure at 15:05) before the day's success;
/// - shop, day 19: at 17:00, a rollback to day 18's sha, successful at 17:10 (day 19's deployment
///   failed; restored after 1 h; the rollback is rework);
/// - shop: a closed, unmerged pull request and one merged into a release branch (neither counts);
/// - api (merge commits): day 11, a commit pushed straight to main, authored 11:00, pushed 12:30
///   (lead time 5 h 10 min); day 14, incident #1001 opened 18:00, closed 20:00 (day 14's
///   deployment failed; restored after 2 h); a pull request labelled `incident` (not an
///   incident); an issue without the label;
/// - web: day 25's first pull request is `Revert "<day 24's second>"` (day 24 failed; day 25 is
///   rework); day 29, incident #2001 opened 17:00, closed 17:30 (30 min); day 35, incident #2002
///   opened 18:00, still open (day 35 failed; no restore time).
pub fn org(world: &mut World) {
    let mut id = 5_000;
    for (slug, strategy) in REPOS {
        world.repo(slug);
        let mut previous: Option<u64> = None;
        for day in 0..DAYS {
            if slug == "acme/api" && day == 11 {
                world.repo(slug).direct_push(
                    slug,
                    "Bump version",
                    day_at(11, "11:00"),
                    day_at(11, "12:30"),
                );
            }
            let mut deployed = workday(world, slug, day, strategy);
            let repo = world.repo(slug);
            if slug == "acme/shop" && day == 4 {
                repo.merged_pull(
                    slug,
                    900,
                    "Bump serde from 1.0.1 to 1.0.2",
                    Account::bot("dependabot[bot]"),
                    day_at(4, "06:00"),
                    day_at(4, "06:00"),
                    None,
                    day_at(4, "13:30"),
                    strategy,
                );
                deployed = merge_sha(slug, 900);
            }
            if slug == "acme/web" && day == 25 {
                let target = 1 + 3 * 24 + 1;
                let pr = repo.pulls.get_mut(&(1 + 3 * 25)).expect("day 25's first");
                pr.title = format!("Revert \"Change {slug} 24-1\"");
                pr.body = format!("Reverts {slug}#{target}");
            }
            if slug == "acme/shop" && day == 9 {
                id += 1;
                repo.deployment(
                    id,
                    &deployed,
                    day_at(9, "15:00"),
                    &[
                        ("in_progress", day_at(9, "15:00")),
                        ("failure", day_at(9, "15:05")),
                    ],
                );
            }
            id += 1;
            repo.deployment(
                id,
                &deployed,
                day_at(day, "16:00"),
                &[
                    ("queued", day_at(day, "16:00")),
                    ("in_progress", day_at(day, "16:01")),
                    ("success", day_at(day, "16:10")),
                ],
            );
            if let Some(p) = previous {
                repo.add_status(p, "inactive", day_at(day, "16:10"));
            }
            previous = Some(id);
            if slug == "acme/shop" && day == 19 {
                let back_to = repo
                    .deployments
                    .iter()
                    .rev()
                    .find(|d| {
                        d.created_at < day_at(18, "23:00")
                            && d.statuses.iter().any(|s| s.1 == "success")
                    })
                    .map(|d| d.sha.clone())
                    .expect("day 18's deployment");
                id += 1;
                repo.deployment(
                    id,
                    &back_to,
                    day_at(19, "17:00"),
                    &[
                        ("in_progress", day_at(19, "17:00")),
                        ("success", day_at(19, "17:10")),
                    ],
                );
                repo.add_status(id - 1, "inactive", day_at(19, "17:10"));
                previous = Some(id);
            }
        }
    }
    let shop = world.repo("acme/shop");
    let abandoned = shop.merged_pull(
        "acme/shop",
        950,
        "Abandoned idea",
        Account::user("alice"),
        day_at(3, "09:00"),
        day_at(3, "10:00"),
        None,
        day_at(3, "15:00"),
        Strategy::Squash,
    );
    abandoned.merged_at = None;
    abandoned.merge_sha = None;
    let backport = shop.merged_pull(
        "acme/shop",
        951,
        "Backport to 1.x",
        Account::user("alice"),
        day_at(5, "09:00"),
        day_at(5, "10:00"),
        None,
        day_at(5, "15:00"),
        Strategy::Squash,
    );
    backport.base = "release-1.x".into();

    let api = world.repo("acme/api");
    api.incident(
        1001,
        "API 500s on checkout",
        day_at(14, "18:00"),
        Some(day_at(14, "20:00")),
    );
    api.issues.push(FakeIssue {
        number: 1002,
        title: "Docs typo".into(),
        body: String::new(),
        labels: vec!["docs".into()],
        created_at: day_at(15, "10:00"),
        updated_at: day_at(15, "10:00"),
        closed_at: None,
        is_pull: false,
    });
    api.issues.push(FakeIssue {
        number: 1003,
        title: "Add incident runbook".into(),
        body: String::new(),
        labels: vec!["incident".into()],
        created_at: day_at(16, "10:00"),
        updated_at: day_at(16, "10:00"),
        closed_at: None,
        is_pull: true,
    });
    let web = world.repo("acme/web");
    web.incident(
        2001,
        "Blank home page",
        day_at(29, "17:00"),
        Some(day_at(29, "17:30")),
    );
    web.incident(2002, "Slow search", day_at(35, "18:00"), None);
}

/// The configuration of the organisation (`api_url` and the database filled in by the caller).
pub fn org_config(api_url: &str, database_url: &str, source: &str) -> String {
    format!(
        r#"database_url = "{database_url}"

[github]
api_url = "{api_url}"
token_env = "DORABOARD_TEST_GITHUB_TOKEN"

[collector]
since = "{START}"

[deployments]
source = "{source}"
workflow = "deploy.yml"
environment = "production"

[[tribes]]
slug = "digital"
name = "Digital"

[[teams]]
slug = "shop"
name = "Shop"
tribe = "digital"
repos = ["acme/shop"]

[[teams]]
slug = "platform"
name = "Platform"
tribe = "digital"
repos = ["acme/api", "acme/web"]
"#
    )
}

/// A time in the period, for tests building their own worlds.
pub fn t(s: &str) -> Time {
    at(s)
}

/// The organisation with deployments from a workflow (`deploy.yml` on `main`): per repository
/// and working day, three pull requests and a successful run created 16:00, updated 16:10. On
/// top, in shop: a failed run on day 5 (15:00 -> 15:05); a cancelled run, a run on another
/// branch and a run of another workflow (none counts); 1,100 skipped runs (more than one
/// filtered query returns: the range must be split); and the last day's run still in progress.
pub fn org_runs(world: &mut World, days: u32) {
    let mut id = 70_000;
    for (slug, strategy) in REPOS {
        world.repo(slug);
        for day in 0..days {
            let sha = workday(world, slug, day, strategy);
            let repo = world.repo(slug);
            id += 1;
            let last = slug == "acme/shop" && day + 1 == days;
            let conclusion = if last { None } else { Some("success") };
            repo.run(
                id,
                &sha,
                conclusion,
                day_at(day, "16:00"),
                day_at(day, "16:10"),
            );
            if slug == "acme/shop" {
                if day == 5 {
                    id += 1;
                    repo.run(
                        id,
                        &sha,
                        Some("failure"),
                        day_at(5, "15:00"),
                        day_at(5, "15:05"),
                    );
                    id += 1;
                    repo.run(
                        id,
                        &sha,
                        Some("cancelled"),
                        day_at(5, "15:10"),
                        day_at(5, "15:12"),
                    );
                    id += 1;
                    repo.run(
                        id,
                        &sha,
                        Some("success"),
                        day_at(5, "15:20"),
                        day_at(5, "15:25"),
                    );
                    repo.runs.last_mut().expect("run").head_branch = "feature-x".into();
                    id += 1;
                    repo.run(
                        id,
                        &sha,
                        Some("success"),
                        day_at(5, "15:30"),
                        day_at(5, "15:35"),
                    );
                    repo.runs.last_mut().expect("run").workflow = "ci.yml".into();
                }
                for i in 0..(1_100 / days + 1) {
                    id += 1;
                    let at = day_at(day, "18:00") + Duration::minutes(i64::from(i));
                    repo.run(id, &sha, Some("skipped"), at, at);
                }
            }
        }
    }
}

/// The organisation with deployments from releases: per repository and working day, three pull
/// requests; every Friday at 17:00 a release of the week's last merge. On top: a draft and a
/// pre-release in each repository (neither counts).
pub fn org_releases(world: &mut World, weeks: u32) {
    let mut id = 80_000;
    for (slug, strategy) in REPOS {
        world.repo(slug);
        for week in 0..weeks {
            let mut sha = String::new();
            for weekday in 0..5 {
                sha = workday(world, slug, week * 5 + weekday, strategy);
            }
            let repo = world.repo(slug);
            id += 1;
            let friday = week * 5 + 4;
            repo.release(
                id,
                &format!("v1.{week}"),
                &sha,
                day_at(friday, "16:30"),
                Some(day_at(friday, "17:00")),
            );
        }
        let repo = world.repo(slug);
        let head = repo
            .releases
            .last()
            .map(|r| r.sha.clone())
            .expect("a release");
        id += 1;
        repo.release(
            id,
            "v2.0-draft",
            &head,
            day_at(weeks * 5 - 1, "18:00"),
            None,
        );
        id += 1;
        repo.release(
            id,
            "v2.0-rc1",
            &head,
            day_at(weeks * 5 - 1, "18:30"),
            Some(day_at(weeks * 5 - 1, "18:31")),
        );
        repo.releases.last_mut().expect("release").prerelease = true;
    }
}
