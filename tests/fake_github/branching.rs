//! An organisation whose repositories do not merge every pull request into the default branch,
//! for the branching-model tests: every figure can be worked out by hand from the comments.
//! Days are working days (`day_at`: day 0 = Monday 2 March 2026 = `collector.since`); every
//! deployment succeeds ten minutes after it was created; "lead" is deployed minus first commit.
//!
//! - **acme/shop, GitFlow.** Feature pull requests into `develop` (#1 day 0, #2 day 1, #3 day 2,
//!   #5 day 3, #7 day 5; first commit 09:00, merged 13:00), release pull requests from `develop`
//!   into `main` (#4 day 2 12:00: #1 #2; #6 day 4 10:00: #3 #5; #10 day 7 10:00: #7), a fix
//!   straight into `main` (#8, first commit day 6 09:00, merged 10:00), a back-merge of `main`
//!   into `develop` (#9 day 6 12:00). Deployments of `main`: D1 day 2 14:00 (the first: ships #1
//!   #2), D2 day 4 11:00 (#3 #5), D3 day 6 11:00 (#8 only: #7 is merged into `develop` but not
//!   released), D4 day 7 11:00 (#7). Releases and the back-merge are not changes of their own.
//!   Leads: #1 53h10m, #2 29h10m, #3 50h10m, #5 26h10m, #8 2h10m, #7 50h10m.
//! - **acme/api, a maintenance branch and a hotfix branch.** #1 into `main` (day 0 09:00 ->
//!   13:00); D1 `main` day 0 14:00 ships it (5h10m). `release-1.x` branches off at day 0 15:00.
//!   #2 into `main` (day 1 09:00 -> 13:00); #3 into `release-1.x` (day 1 10:00 -> 14:00); D2
//!   deploys `release-1.x` at day 1 15:00: ships #3 (5h10m). #4 merges `release-1.x` forward into
//!   `main` (day 2 10:00); D3 `main` day 2 11:00 ships #2 (26h10m). `hotfix/crash` branches off
//!   `main` at day 3 09:00 and gets one commit (authored 09:15, pushed 09:30); D4 deploys it at
//!   day 3 10:00; #5 merges `hotfix/crash` back into `main` at 12:00: #5 shipped with D4 (55m),
//!   D4 is rework (a hotfix). D5 `main` day 3 13:00 ships nothing new.
//! - **acme/web, a cherry-picked hotfix and a first deployment.** `release-2` branches off `main`
//!   before `since`. #1 into `main` (day 0 09:00 -> 12:00); #2 into `release-2` (day 0 08:00 ->
//!   11:00). D1 `main` day 0 13:00, the first: ships #1 only (4h10m), not #2, which is merged
//!   after `since` but on a branch its sha does not reach. #3, a fix into `main` (day 1 09:00 ->
//!   11:00, squash); #4 into `release-2` carries its `git cherry-pick -x` (merged 12:00). D2
//!   deploys `release-2` at day 1 13:00: ships #2 (29h10m) and #3 through its copy (4h10m); D3
//!   `main` day 1 15:00 ships nothing new.

use super::scenario::{START, day_at};
use super::{Account, FakeCommit, Strategy, Time, World, at, sha};
use chrono::Duration;

/// Seconds of `h` hours and `m` minutes.
pub const fn hm(h: i64, m: i64) -> i64 {
    h * 3600 + m * 60
}

/// Every change shipped, as (repository, pull request number, deployment id, lead seconds).
pub const SHIPPED: &[(&str, i64, u64, i64)] = &[
    ("acme/shop", 1, 1, hm(53, 10)),
    ("acme/shop", 2, 1, hm(29, 10)),
    ("acme/shop", 3, 2, hm(50, 10)),
    ("acme/shop", 5, 2, hm(26, 10)),
    ("acme/shop", 8, 3, hm(2, 10)),
    ("acme/shop", 7, 4, hm(50, 10)),
    ("acme/api", 1, 1, hm(5, 10)),
    ("acme/api", 3, 2, hm(5, 10)),
    ("acme/api", 2, 3, hm(26, 10)),
    ("acme/api", 5, 4, hm(0, 55)),
    ("acme/web", 1, 1, hm(4, 10)),
    ("acme/web", 2, 2, hm(29, 10)),
    ("acme/web", 3, 2, hm(4, 10)),
];

/// Pull requests that are not changes of their own: (repository, number).
pub const ABSORBED: &[(&str, i64)] = &[
    ("acme/shop", 4),
    ("acme/shop", 6),
    ("acme/shop", 9),
    ("acme/shop", 10),
    ("acme/api", 4),
    ("acme/web", 4),
];

/// A commit on `main` before `since`, which every branch grows from.
fn initial_commit(world: &mut World, slug: &str) {
    let before = at(&format!("{START}T00:00:00Z")) - Duration::days(3);
    world.repo(slug).pushes.push(FakeCommit {
        sha: sha(&format!("{slug}/initial")),
        message: "Initial commit".into(),
        author: Account::user("alice"),
        authored_at: before,
        committed_at: before,
    });
}

/// A squash-merged pull request into `base`: first commit at `first`, merged at `merged`.
fn pull(world: &mut World, slug: &str, number: i64, base: &str, first: Time, merged: Time) {
    let pr = world.repo(slug).merged_pull(
        slug,
        number,
        &format!("Change {number}"),
        Account::user("alice"),
        first,
        first + Duration::minutes(30),
        None,
        merged,
        Strategy::Squash,
    );
    pr.base = base.into();
}

fn merge_sha(slug: &str, number: i64) -> String {
    super::scenario::merge_sha(slug, number)
}

pub fn branching(world: &mut World) {
    gitflow(world, "acme/shop");
    maintenance_and_hotfix(world, "acme/api");
    cherry_pick(world, "acme/web");
}

fn gitflow(world: &mut World, slug: &str) {
    initial_commit(world, slug);
    world.repo(slug).branch(
        "develop",
        "main",
        at(&format!("{START}T00:00:00Z")) - Duration::days(2),
    );
    for (number, day) in [(1, 0), (2, 1), (3, 2), (5, 3), (7, 5)] {
        pull(
            world,
            slug,
            number,
            "develop",
            day_at(day, "09:00"),
            day_at(day, "13:00"),
        );
    }
    pull(
        world,
        slug,
        8,
        "main",
        day_at(6, "09:00"),
        day_at(6, "10:00"),
    );
    let repo = world.repo(slug);
    repo.branch_pull(slug, 4, "develop", "main", day_at(2, "12:00"));
    repo.branch_pull(slug, 6, "develop", "main", day_at(4, "10:00"));
    repo.branch_pull(slug, 9, "main", "develop", day_at(6, "12:00"));
    repo.branch_pull(slug, 10, "develop", "main", day_at(7, "10:00"));
    repo.deployed(1, &merge_sha(slug, 4), day_at(2, "14:00"));
    repo.deployed(2, &merge_sha(slug, 6), day_at(4, "11:00"));
    repo.deployed(3, &merge_sha(slug, 8), day_at(6, "11:00"));
    repo.deployed(4, &merge_sha(slug, 10), day_at(7, "11:00"));
}

fn maintenance_and_hotfix(world: &mut World, slug: &str) {
    initial_commit(world, slug);
    pull(
        world,
        slug,
        1,
        "main",
        day_at(0, "09:00"),
        day_at(0, "13:00"),
    );
    pull(
        world,
        slug,
        2,
        "main",
        day_at(1, "09:00"),
        day_at(1, "13:00"),
    );
    pull(
        world,
        slug,
        3,
        "release-1.x",
        day_at(1, "10:00"),
        day_at(1, "14:00"),
    );
    let repo = world.repo(slug);
    repo.branch("release-1.x", "main", day_at(0, "15:00"));
    repo.branch_pull(slug, 4, "release-1.x", "main", day_at(2, "10:00"));
    repo.branch("hotfix/crash", "main", day_at(3, "09:00"));
    let fix = repo.push_to(
        "hotfix/crash",
        "Fix the crash on login",
        day_at(3, "09:15"),
        day_at(3, "09:30"),
    );
    repo.branch_pull(slug, 5, "hotfix/crash", "main", day_at(3, "12:00"));
    repo.deployed(1, &merge_sha(slug, 1), day_at(0, "14:00"));
    repo.deployed(2, &merge_sha(slug, 3), day_at(1, "15:00"));
    repo.deployed(3, &merge_sha(slug, 4), day_at(2, "11:00"));
    repo.deployed(4, &fix, day_at(3, "10:00"));
    repo.deployed(5, &merge_sha(slug, 5), day_at(3, "13:00"));
}

fn cherry_pick(world: &mut World, slug: &str) {
    initial_commit(world, slug);
    world.repo(slug).branch(
        "release-2",
        "main",
        at(&format!("{START}T00:00:00Z")) - Duration::days(2),
    );
    pull(
        world,
        slug,
        1,
        "main",
        day_at(0, "09:00"),
        day_at(0, "12:00"),
    );
    pull(
        world,
        slug,
        2,
        "release-2",
        day_at(0, "08:00"),
        day_at(0, "11:00"),
    );
    pull(
        world,
        slug,
        3,
        "main",
        day_at(1, "09:00"),
        day_at(1, "11:00"),
    );
    let original = merge_sha(slug, 3);
    let repo = world.repo(slug);
    let copy = repo.merged_pull(
        slug,
        4,
        "[release-2] Change 3",
        Account::user("alice"),
        day_at(1, "11:30"),
        day_at(1, "11:30"),
        None,
        day_at(1, "12:00"),
        Strategy::MergeCommit,
    );
    copy.base = "release-2".into();
    copy.commits = vec![FakeCommit {
        sha: sha(&format!("{slug}/pick/{original}")),
        message: format!("Change 3\n\n(cherry picked from commit {original})"),
        author: Account::user("alice"),
        authored_at: day_at(1, "09:00"),
        committed_at: day_at(1, "11:30"),
    }];
    repo.deployed(1, &merge_sha(slug, 1), day_at(0, "13:00"));
    repo.deployed(2, &merge_sha(slug, 4), day_at(1, "13:00"));
    repo.deployed(3, &merge_sha(slug, 3), day_at(1, "15:00"));
}
