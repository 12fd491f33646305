//! One repository's year, simulated as events in time order: pull requests merge, release trains
//! leave, some deployments fail to start and are retried, some hurt production and are rolled
//! back, reverted or hotfixed, and incidents open and close.
//!
//! Records refer to each other by index here; [`super::materialize`] numbers the pull requests
//! and deployments and turns the indices into keys and shas.

use super::clock::{self, Calendar, add_work_utc, chance, minutes, pick, skewed, to_local, to_utc};
use super::org::{Bot, Cadence, Flow, RepoDef, TeamDef};
use chrono::{Datelike, Duration, NaiveDate};
use engine::model::{DeploymentStatus, Timestamp};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

/// What a pull request is, for its title, branch and rework fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PrKind {
    Normal,
    Bot,
    /// Reverts the pull request at this index.
    Revert(usize),
    /// Hotfixes the pull request at this index.
    Hotfix(usize),
}

#[derive(Debug, Clone)]
pub(super) struct Pr {
    pub first_commit: Timestamp,
    pub opened: Timestamp,
    pub review: Option<Timestamp>,
    pub merged: Timestamp,
    pub author: &'static str,
    pub kind: PrKind,
    /// The title (for a hotfix: what it fixes; for a revert: unused).
    pub text: String,
    pub labels: Vec<&'static str>,
    /// Branch name (unused for reverts and hotfixes: they name their target).
    pub branch: String,
    pub commits: u32,
}

impl Pr {
    fn is_rework(&self) -> bool {
        matches!(self.kind, PrKind::Revert(_) | PrKind::Hotfix(_))
    }
}

#[derive(Debug, Clone)]
pub(super) struct Dep {
    pub started: Timestamp,
    pub finished: Timestamp,
    pub status: DeploymentStatus,
    /// The pull request whose merge commit is deployed.
    pub head: usize,
    /// The pull requests between the previously deployed sha and `head` (what a compare lists).
    pub ships: Vec<usize>,
    pub rollback: bool,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Cause {
    Deployment(usize),
    Change(usize),
}

#[derive(Debug, Clone)]
pub(super) struct Inc {
    pub title: String,
    pub opened: Timestamp,
    pub resolved: Option<Timestamp>,
    pub cause: Option<Cause>,
}

/// A repository's simulated year.
#[derive(Debug, Default)]
pub(super) struct History {
    pub prs: Vec<Pr>,
    pub deps: Vec<Dep>,
    pub incidents: Vec<Inc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Merge(usize),
    Deploy {
        expedite: bool,
    },
    Rollback {
        /// Index into `successes` of the deployment whose sha is put back.
        to: usize,
        finished: Timestamp,
        flagged: bool,
    },
}

pub(super) fn simulate(
    repo: &'static RepoDef,
    team: &'static TeamDef,
    cal: &Calendar,
    rng: ChaCha8Rng,
) -> History {
    let mut sim = Sim {
        repo,
        team,
        cal,
        rng,
        out: History::default(),
        events: BinaryHeap::new(),
        seq: 0,
        main: Vec::new(),
        upto: 0,
        deployed_heads: HashSet::new(),
        shipped: HashSet::new(),
        successes: Vec::new(),
        frozen_until_merge: None,
        rollback_pending: false,
        busy_until: cal.start_ts,
    };
    sim.plan_pull_requests();
    sim.plan_bot_updates();
    sim.plan_release_trains();
    sim.plan_outages();
    sim.run();
    sim.plan_quiet_outages();
    sim.out
}

struct Sim<'a> {
    repo: &'static RepoDef,
    team: &'static TeamDef,
    cal: &'a Calendar,
    rng: ChaCha8Rng,
    out: History,
    events: BinaryHeap<Reverse<(Timestamp, u64, Event)>>,
    seq: u64,
    /// Pull request indices in the order they landed on the default branch.
    main: Vec<usize>,
    /// How much of `main` production runs.
    upto: usize,
    deployed_heads: HashSet<usize>,
    /// Pull requests that have reached production at least once.
    shipped: HashSet<usize>,
    /// Successful deployments: (index in `out.deps`, `upto` after it).
    successes: Vec<(usize, usize)>,
    /// After a rollback nothing ships until the revert (this pull request) has merged.
    frozen_until_merge: Option<usize>,
    rollback_pending: bool,
    busy_until: Timestamp,
}

impl Sim<'_> {
    fn flow(&self, date: NaiveDate) -> Flow {
        self.team.style.flow(date, self.cal)
    }

    fn flow_at(&self, t: Timestamp) -> Flow {
        self.flow(to_local(self.team.tz, t).date())
    }

    fn push(&mut self, at: Timestamp, event: Event) {
        self.seq += 1;
        self.events.push(Reverse((at, self.seq, event)));
    }

    fn in_history(&self, t: Timestamp) -> bool {
        t >= self.cal.start_ts && t < self.cal.end_ts
    }

    fn add_pr(&mut self, pr: Pr) -> Option<usize> {
        if !(self.in_history(pr.first_commit) && self.in_history(pr.merged)) {
            return None;
        }
        let index = self.out.prs.len();
        let merged = pr.merged;
        self.out.prs.push(pr);
        self.push(merged, Event::Merge(index));
        Some(index)
    }

    /// Human pull requests: started during working hours, coded, picked up, reviewed and merged
    /// in working time.
    fn plan_pull_requests(&mut self) {
        let tz = self.team.tz;
        for date in self.cal.days().filter(|d| clock::is_workday(*d)) {
            let flow = self.flow(date);
            let n = clock::count(&mut self.rng, flow.prs_per_day * self.repo.weight);
            for _ in 0..n {
                let start = clock::at(date, 9 * 60 + self.rng.random_range(0..480));
                let first_commit = to_utc(tz, start);
                let opened = add_work_utc(tz, first_commit, skewed(&mut self.rng, flow.coding));
                let review = if chance(&mut self.rng, 0.04) {
                    None
                } else {
                    Some(add_work_utc(tz, opened, skewed(&mut self.rng, flow.pickup)))
                };
                let merged = add_work_utc(
                    tz,
                    review.unwrap_or(opened),
                    skewed(&mut self.rng, flow.review),
                );
                let author = *pick(&mut self.rng, self.team.people);
                let (text, labels) = self.title();
                let branch = format!(
                    "{}/{}",
                    author.split('-').next().unwrap_or(author),
                    kebab(&text)
                );
                let commits = self.rng.random_range(flow.commits.0..=flow.commits.1);
                self.add_pr(Pr {
                    first_commit,
                    opened,
                    review,
                    merged,
                    author,
                    kind: PrKind::Normal,
                    text,
                    labels,
                    branch,
                    commits,
                });
            }
        }
    }

    fn title(&mut self) -> (String, Vec<&'static str>) {
        let repo = self.repo;
        let roll = self.rng.random_range(0..100u32);
        let part = *pick(&mut self.rng, repo.parts);
        match roll {
            0..35 => (
                format!("Add {}", pick(&mut self.rng, repo.features)),
                vec![],
            ),
            35..60 => (
                format!("Fix {}", pick(&mut self.rng, repo.bugs)),
                vec!["bug"],
            ),
            60..70 => (format!("Refactor {part}"), vec![]),
            70..78 => (format!("Speed up {part}"), vec!["performance"]),
            78..85 => (format!("Add metrics for {part}"), vec!["observability"]),
            85..92 => (format!("Add tests for {part}"), vec![]),
            92..96 => (format!("Clean up {part}"), vec!["tech-debt"]),
            _ => (format!("Document {part}"), vec!["docs"]),
        }
    }

    /// Dependency updates: the bot opens them early on Monday; someone reviews and merges them.
    fn plan_bot_updates(&mut self) {
        let tz = self.team.tz;
        let days: Vec<NaiveDate> = self
            .cal
            .days()
            .filter(|d| d.weekday() == chrono::Weekday::Mon)
            .collect();
        for date in days {
            if !chance(&mut self.rng, 0.55) {
                continue;
            }
            let flow = self.flow(date);
            let opened = to_utc(tz, clock::at(date, 5 * 60 + self.rng.random_range(0..60)));
            let first_commit = opened - Duration::minutes(1);
            let review = add_work_utc(tz, opened, skewed(&mut self.rng, flow.pickup * 2.0));
            let merged = review + minutes(&mut self.rng, 2, 20);
            let (package, major, minor) = *pick(&mut self.rng, self.repo.packages);
            let patch = self.rng.random_range(0..20u32);
            let (from, to) = if chance(&mut self.rng, 0.75) {
                (
                    format!("{major}.{minor}.{patch}"),
                    format!("{major}.{minor}.{}", patch + 1),
                )
            } else {
                (
                    format!("{major}.{minor}.{patch}"),
                    format!("{major}.{}.0", minor + 1),
                )
            };
            let eco = self.repo.eco;
            let (author, text, branch) = match self.repo.bot {
                Bot::Dependabot => (
                    "dependabot[bot]",
                    format!("Bump {package} from {from} to {to}"),
                    format!("dependabot/{}/{package}-{to}", eco.dependabot_dir()),
                ),
                Bot::Renovate => (
                    "renovate[bot]",
                    format!("Update {} {package} to v{to}", eco.renovate_word()),
                    format!("renovate/{}-{major}.x", package.replace('/', "-")),
                ),
            };
            self.add_pr(Pr {
                first_commit,
                opened,
                review: Some(review),
                merged,
                author,
                kind: PrKind::Bot,
                text,
                labels: vec!["dependencies"],
                branch,
                commits: 1,
            });
        }
    }

    /// The team's release trains (continuous deployment is triggered by merges instead).
    fn plan_release_trains(&mut self) {
        let tz = self.team.tz;
        let days: Vec<NaiveDate> = self.cal.days().collect();
        for date in days {
            let times: Vec<u32> = match self.flow(date).cadence {
                Cadence::Continuous => continue,
                Cadence::Weekly { days, times } if days.contains(&date.weekday()) => times.to_vec(),
                Cadence::Fortnightly { day, time }
                    if date.weekday() == day && date.iso_week().week() % 2 == 0 =>
                {
                    vec![time]
                }
                Cadence::Monthly { day, nth, time }
                    if date.weekday() == day && date.day0() / 7 + 1 == nth =>
                {
                    vec![time]
                }
                _ => continue,
            };
            for time in times {
                let jitter = self.rng.random_range(-10..=25);
                let at = to_utc(tz, clock::at(date, i64::from(time) + jitter));
                self.push(at, Event::Deploy { expedite: false });
            }
        }
    }

    /// Outages no deployment caused (a provider down, a disk full), any time of day or week.
    fn plan_outages(&mut self) {
        let mut week = self.cal.start;
        while week < self.cal.end {
            let flow = self.flow(week);
            if chance(&mut self.rng, flow.outages_per_quarter / 13.0) {
                let opened = clock::midnight_utc(week) + minutes(&mut self.rng, 0, 7 * 1440 - 1);
                let restore = skewed(&mut self.rng, flow.restore * 1.5);
                self.incident(opened, restore, None);
            }
            week += Duration::days(7);
        }
    }

    /// Outages in long stretches without a deployment (a monthly release cycle): no deployment
    /// lies in the attribution window before them.
    fn plan_quiet_outages(&mut self) {
        let mut finished: Vec<Timestamp> = self
            .out
            .deps
            .iter()
            .filter(|d| d.status == DeploymentStatus::Success)
            .map(|d| d.finished)
            .collect();
        finished.push(self.cal.end_ts);
        let quiet = Duration::days(9);
        let gaps: Vec<(Timestamp, Timestamp)> = finished
            .windows(2)
            .map(|w| (w[0], w[1]))
            .filter(|(a, b)| *b - *a > quiet)
            .collect();
        let longest = gaps
            .iter()
            .enumerate()
            .max_by_key(|(i, (a, b))| (*b - *a, std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        for (i, (from, to)) in gaps.into_iter().enumerate() {
            let flow = self.flow_at(from);
            if flow.quiet_outages <= 0.0
                || !(Some(i) == longest || chance(&mut self.rng, flow.quiet_outages))
            {
                continue;
            }
            let earliest = from + Duration::days(7) + Duration::hours(2);
            let room = (to - earliest).num_minutes() - 60;
            let opened = earliest + minutes(&mut self.rng, 0, room);
            let restore = skewed(&mut self.rng, flow.restore * 1.5);
            self.incident(opened, restore, None);
        }
    }

    fn incident(&mut self, opened: Timestamp, restore_minutes: i64, cause: Option<Cause>) {
        if !self.in_history(opened) {
            return;
        }
        let resolved = opened + Duration::minutes(restore_minutes.max(4));
        let title = pick(&mut self.rng, self.repo.incidents).to_string();
        self.out.incidents.push(Inc {
            title,
            opened,
            resolved: (resolved < self.cal.end_ts).then_some(resolved),
            cause,
        });
    }

    fn run(&mut self) {
        while let Some(Reverse((at, _, event))) = self.events.pop() {
            if at >= self.cal.end_ts {
                break;
            }
            match event {
                Event::Merge(pr) => self.merged(pr),
                Event::Deploy { expedite } => self.deploy(at, expedite),
                Event::Rollback {
                    to,
                    finished,
                    flagged,
                } => self.roll_back(at, to, finished, flagged),
            }
        }
    }

    fn merged(&mut self, pr: usize) {
        self.main.push(pr);
        if self.frozen_until_merge == Some(pr) {
            self.frozen_until_merge = None;
        }
        let merged = self.out.prs[pr].merged;
        if self.out.prs[pr].is_rework() {
            let at = merged + minutes(&mut self.rng, 10, 30);
            self.push(at, Event::Deploy { expedite: true });
        } else if self.flow_at(merged).cadence == Cadence::Continuous {
            let at = merged + minutes(&mut self.rng, 12, 40);
            self.push(at, Event::Deploy { expedite: false });
        }
    }

    fn deploy(&mut self, at: Timestamp, expedite: bool) {
        if self.frozen_until_merge.is_some() || self.rollback_pending {
            return;
        }
        let at = at.max(self.busy_until + Duration::minutes(2));
        let local = to_local(self.team.tz, at).date();
        if !expedite && self.team.tribe == "commerce" && self.cal.in_holiday_freeze(local) {
            return;
        }
        let Some(&head) = self.main.last() else {
            return;
        };
        if self.upto >= self.main.len() || self.deployed_heads.contains(&head) {
            return;
        }
        let flow = self.flow_at(at);
        let ships = self.main[self.upto..].to_vec();
        let mut started = at;
        if chance(&mut self.rng, flow.fail_attempt) {
            let finished = started + minutes(&mut self.rng, 4, 15);
            if finished >= self.cal.end_ts {
                return;
            }
            self.out.deps.push(Dep {
                started,
                finished,
                status: DeploymentStatus::Failure,
                head,
                ships: ships.clone(),
                rollback: false,
            });
            self.busy_until = finished;
            started = finished + minutes(&mut self.rng, 15, 60);
        }
        let finished = started + minutes(&mut self.rng, 3, 12);
        if finished >= self.cal.end_ts {
            return;
        }
        let index = self.out.deps.len();
        let new: Vec<usize> = ships
            .iter()
            .copied()
            .filter(|p| !self.shipped.contains(p))
            .collect();
        self.out.deps.push(Dep {
            started,
            finished,
            status: DeploymentStatus::Success,
            head,
            ships,
            rollback: false,
        });
        self.busy_until = finished;
        self.upto = self.main.len();
        self.deployed_heads.insert(head);
        self.shipped.extend(new.iter().copied());
        self.successes.push((index, self.upto));
        if self.successes.len() >= 2 && chance(&mut self.rng, flow.bad_deploy) {
            self.trouble(index, &new, &flow);
        }
    }

    /// A deployment that hurt production: pick the culprit among what it shipped first and how
    /// the team found out and recovered.
    fn trouble(&mut self, dep: usize, new: &[usize], flow: &Flow) {
        let prs = &self.out.prs;
        let planned: Vec<usize> = new
            .iter()
            .copied()
            .filter(|p| !prs[*p].is_rework())
            .collect();
        let human: Vec<usize> = planned
            .iter()
            .copied()
            .filter(|p| prs[*p].kind == PrKind::Normal)
            .collect();
        let culprit = match (human.is_empty(), planned.is_empty()) {
            (false, _) => *pick(&mut self.rng, &human),
            (true, false) => *pick(&mut self.rng, &planned),
            (true, true) => return,
        };
        let finished = self.out.deps[dep].finished;
        match self.rng.random_range(0..100u32) {
            0..30 => self.rollback_and_revert(dep, culprit),
            30..62 => {
                let opened = self.deployment_incident(dep, culprit, flow);
                let start = opened + minutes(&mut self.rng, 15, 60);
                self.hotfix(culprit, start);
            }
            62..78 => {
                self.deployment_incident(dep, culprit, flow);
            }
            78..90 => {
                let start = add_work_utc(self.team.tz, finished, skewed(&mut self.rng, 240.0));
                self.revert(culprit, start);
            }
            _ => {
                let start = add_work_utc(self.team.tz, finished, skewed(&mut self.rng, 180.0));
                self.hotfix(culprit, start);
            }
        }
    }

    /// Production breaks right after the deployment; the team rolls back (with the deployment
    /// tool's rollback flag, or by simply redeploying the previous sha), then reverts the culprit.
    fn rollback_and_revert(&mut self, dep: usize, culprit: usize) {
        let finished = self.out.deps[dep].finished;
        let rollback_start = finished + Duration::minutes(skewed(&mut self.rng, 35.0).max(8));
        let rollback_end = rollback_start + minutes(&mut self.rng, 2, 7);
        if rollback_end >= self.cal.end_ts {
            return;
        }
        let to = self.successes.len() - 2;
        let flagged = chance(&mut self.rng, 0.6);
        self.rollback_pending = true;
        self.push(
            rollback_start,
            Event::Rollback {
                to,
                finished: rollback_end,
                flagged,
            },
        );
        if chance(&mut self.rng, 0.7) {
            let window = (rollback_start - finished).num_minutes() - 2;
            let opened = finished + minutes(&mut self.rng, 3, window.max(3));
            let restore = (rollback_end - opened).num_minutes() + self.rng.random_range(3..=15);
            let cause = chance(&mut self.rng, 0.5).then_some(Cause::Deployment(dep));
            self.incident(opened, restore, cause);
        }
        let start = rollback_end + minutes(&mut self.rng, 10, 45);
        self.frozen_until_merge = self.revert(culprit, start);
    }

    /// An incident some time after the deployment; returns when it opened.
    fn deployment_incident(&mut self, dep: usize, culprit: usize, flow: &Flow) -> Timestamp {
        let finished = self.out.deps[dep].finished;
        let soon = chance(&mut self.rng, 0.6);
        let delay = if soon {
            minutes(&mut self.rng, 5, 180)
        } else {
            Duration::minutes(skewed(&mut self.rng, 600.0))
        };
        let opened = finished + delay;
        // Noticed late, the incident names its cause; noticed soon, the window often finds it.
        let cause = if !soon || chance(&mut self.rng, 0.45) {
            Some(if chance(&mut self.rng, 0.8) {
                Cause::Deployment(dep)
            } else {
                Cause::Change(culprit)
            })
        } else {
            None
        };
        let restore = skewed(&mut self.rng, flow.restore);
        self.incident(opened, restore, cause);
        opened
    }

    /// A `Revert "<title>"` pull request of `target`, started at `start`.
    fn revert(&mut self, target: usize, start: Timestamp) -> Option<usize> {
        let author = *pick(&mut self.rng, self.team.people);
        self.rework_pr(PrKind::Revert(target), start, author, String::new(), vec![])
    }

    /// A pull request labelled `hotfix` that names `target`, started at `start`.
    fn hotfix(&mut self, target: usize, start: Timestamp) -> Option<usize> {
        let author = *pick(&mut self.rng, self.team.people);
        let text = format!("Fix {}", pick(&mut self.rng, self.repo.bugs));
        self.rework_pr(PrKind::Hotfix(target), start, author, text, vec!["hotfix"])
    }

    fn rework_pr(
        &mut self,
        kind: PrKind,
        start: Timestamp,
        author: &'static str,
        text: String,
        labels: Vec<&'static str>,
    ) -> Option<usize> {
        let tz = self.team.tz;
        let opened = start + minutes(&mut self.rng, 3, 25);
        let review = add_work_utc(tz, opened, skewed(&mut self.rng, 30.0));
        let merged = add_work_utc(tz, review, self.rng.random_range(3..=25));
        let commits = self.rng.random_range(1..=2);
        self.add_pr(Pr {
            first_commit: start,
            opened,
            review: Some(review),
            merged,
            author,
            kind,
            text,
            labels,
            branch: String::new(),
            commits: if matches!(kind, PrKind::Revert(_)) {
                1
            } else {
                commits
            },
        })
    }

    fn roll_back(&mut self, started: Timestamp, to: usize, finished: Timestamp, flagged: bool) {
        self.rollback_pending = false;
        let (previous, previous_upto) = self.successes[to];
        let head = self.out.deps[previous].head;
        let index = self.out.deps.len();
        self.out.deps.push(Dep {
            started,
            finished,
            status: DeploymentStatus::Success,
            head,
            ships: Vec::new(),
            rollback: flagged,
        });
        self.busy_until = finished;
        self.upto = previous_upto;
        self.successes.push((index, previous_upto));
    }
}

/// `Add loyalty tier badges` -> `add-loyalty-tier-badges`, at most 40 characters.
pub(super) fn kebab(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() + word.len() + 1 > 40 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}
