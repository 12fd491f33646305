//! The demo organisation behind `doraboard serve --demo`: Acme, an online shop, with a year of
//! history ending on a given date, produced as ordinary records so it goes through the same store,
//! analysis and metrics as real data.
//!
//! # The organisation
//!
//! Three tribes, seven teams in five time zones, ten services (`acme/<service>` repositories):
//!
//! | tribe    | team       | zone                | repositories                   | targets                   |
//! |----------|------------|---------------------|--------------------------------|---------------------------|
//! | Customer | Loyalty    | Europe/Warsaw       | loyalty-service, points-engine | lead 2d, CFR 15 %         |
//! | Customer | Email      | Europe/London       | email-sender                   | lead 7d, CFR 20 %         |
//! | Commerce | Checkout   | America/New_York    | checkout-api, cart-service     | lead 1d, CFR 10 %, 10/wk  |
//! | Commerce | Payments   | UTC                 | payments-gateway               | lead 2d, CFR 10 %, TTR 1h |
//! | Commerce | Catalog    | Asia/Kolkata        | catalog-service                | none                      |
//! | Platform | Storefront | Europe/Berlin       | storefront-web                 | none                      |
//! | Platform | Search     | America/Los_Angeles | search-api, search-indexer     | lead 4h, CFR 5 %          |
//!
//! [`DemoOrg::config_toml`] is that organisation as a `doraboard.toml` (without `database_url`),
//! parsed like a user's file; `[collector] since` is the first day of the history.
//!
//! # Patterns a CTO will recognise
//!
//! - **Checkout's turnaround.** Until a Monday in the middle of the year Checkout ships one big
//!   weekly release (Thursday afternoon, New York time) of large pull requests (3-8 commits, a
//!   day or two of coding): lead time is about a week and the big batches fail often. From that
//!   Monday on it deploys three times every working day, pull requests are small (1-3 commits, an
//!   hour or two of coding), and lead time drops under half a day while the change failure rate
//!   falls.
//! - **Payments' bad quarter.** In the last full calendar quarter before the end date's quarter,
//!   Payments has more failed deployment attempts, more deployments that hurt production (rolled
//!   back, reverted, hotfixed, incidents), outages of its payment provider, and restores that take
//!   hours instead of about one.
//! - **Email is a low performer.** It releases once a month (the second Tuesday), pull requests
//!   wait a day or more for review: lead times of weeks and a high change failure rate. Its
//!   outages often come long after the last deployment, so the attribution window finds no
//!   deployment to blame.
//! - **Search is elite.** Every merge deploys by itself minutes later, several times a day; small
//!   pull requests reviewed within the hour; lead times of a few hours; rare failures, quick
//!   restores.
//! - **Everyone else in between**: Loyalty deploys four days a week, Storefront twice a day,
//!   Catalog every other week. The Commerce tribe freezes changes for the peak season
//!   (22 December to 2 January): only hotfixes and reverts ship then.
//!
//! # The records
//!
//! - Changes: merged pull requests, numbered upwards per repository in the order they were opened
//!   (with gaps where issues and closed pull requests took numbers), authored by the team's
//!   engineers or by `dependabot[bot]` / `renovate[bot]` (`bot: true`, Monday-morning dependency
//!   updates). Work happens in the team's working hours (Monday to Friday, 9:00-18:00 local): first
//!   commit, opened, first review, merged, with right-skewed durations. Each has 1-8 commits with
//!   40-hex shas; some repositories squash-merge, others keep merge commits.
//! - Deployments to `production` (source `demo`), on release trains or continuously, each with
//!   `declared_commits`: what a GitHub compare between the previously deployed sha and its own
//!   would list (the squash commits, or the pull requests' commits and their merge commits). Some
//!   attempts fail (`status: failure`) and are retried with the same sha.
//! - Deployments that hurt production, recovered in one of the ways real teams do: a rollback
//!   (flagged `rollback: true`, or a plain redeploy of the previous sha) then a
//!   `Revert "<title>"` pull request (`reverts` = the merge sha of the culprit); an incident
//!   (explicitly naming the deployment or the change, or left to the attribution window) often
//!   followed by a hotfix (label `hotfix`, `fixes: "#N"`); a revert or a hotfix alone.
//! - Incidents (`INC-1001`, ... in the order they opened, source `demo`): those above, outages no
//!   deployment caused, a few that belong to a team rather than a repository (`repo: None`), and
//!   a few still open at the end.
//!
//! # Determinism
//!
//! Every repository draws from its own `ChaCha8Rng` (from `rand`, whose ChaCha output is portable
//! and documented as reproducible) seeded with the SHA-1 of `doraboard demo <end date> <stream>`;
//! durations use only basic floating-point arithmetic and `sqrt`, so the same end date gives
//! byte-identical records on every platform (for a given `rand` version: the lock file pins it).
//! Shas are the SHA-1 of `<repo>#<number>/commit/<i>` and `<repo>#<number>/merge`. Every
//! timestamp lies in `[end - 365 days, end)` (midnight UTC). A year is about 3,900 changes,
//! 2,350 deployments and 140 incidents; generating it takes well under a second in a debug build.

mod clock;
mod org;
mod seed;
mod sim;

pub use seed::{SeedError, seed};

use chrono::{Duration, NaiveDate};
use clock::{Calendar, chance, minutes, skewed};
use engine::model::{Change, Deployment, Incident, IncidentCause, RepoSlug, Source, Timestamp};
use org::{REPOS, RepoDef, TEAMS, TRIBES};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use sim::{Cause, History, PrKind};
use std::fmt::Write as _;

/// The demo organisation: its config (as TOML text, parsed by engine's Config like a user's file)
/// and its records.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOrg {
    pub config_toml: String,
    pub changes: Vec<engine::model::Change>,
    pub deployments: Vec<engine::model::Deployment>,
    pub incidents: Vec<engine::model::Incident>,
}

/// Deterministic for a given end date (same date -> byte-identical records). History covers
/// [end - 365 days, end).
pub fn generate(end: NaiveDate) -> DemoOrg {
    let cal = Calendar::new(end);
    let mut changes = Vec::new();
    let mut deployments = Vec::new();
    let mut incidents = Vec::new();
    for repo in REPOS {
        let team = org::team(repo.team);
        let history = sim::simulate(repo, team, &cal, rng_for(end, repo.name));
        let mut numbering = rng_for(end, &format!("{}/numbers", repo.name));
        materialize(
            repo,
            history,
            &mut numbering,
            &mut changes,
            &mut deployments,
            &mut incidents,
        );
    }
    incidents.extend(team_incidents(&cal, &mut rng_for(end, "teams")));
    incidents.extend(open_at_end(&cal));

    changes.sort_by(|a, b| (a.merged_at, &a.key).cmp(&(b.merged_at, &b.key)));
    deployments.sort_by(|a, b| (a.finished_at, &a.key).cmp(&(b.finished_at, &b.key)));
    incidents.sort_by(|a, b| {
        let repo = |i: &Incident| i.repo.as_ref().map(ToString::to_string);
        (a.opened_at, &a.title, repo(a), &a.team).cmp(&(b.opened_at, &b.title, repo(b), &b.team))
    });
    for (i, incident) in incidents.iter_mut().enumerate() {
        incident.key = format!("INC-{}", 1001 + i);
    }
    DemoOrg {
        config_toml: config_toml(&cal),
        changes,
        deployments,
        incidents,
    }
}

/// A generator of its own per stream, so one repository's draws never shift another's.
fn rng_for(end: NaiveDate, stream: &str) -> ChaCha8Rng {
    let digest = sha1_smol::Sha1::from(format!("doraboard demo {end} {stream}"))
        .digest()
        .bytes();
    let mut seed = [0u8; 32];
    seed[..digest.len()].copy_from_slice(&digest);
    ChaCha8Rng::from_seed(seed)
}

fn sha(text: &str) -> String {
    sha1_smol::Sha1::from(text).digest().to_string()
}

fn repo_slug(name: &str) -> RepoSlug {
    format!("acme/{name}")
        .parse()
        .expect("demo repository names are valid owner/name slugs")
}

/// Numbers a repository's pull requests and deployments and turns its history into records.
fn materialize(
    repo: &RepoDef,
    history: History,
    rng: &mut ChaCha8Rng,
    changes: &mut Vec<Change>,
    deployments: &mut Vec<Deployment>,
    incidents: &mut Vec<Incident>,
) {
    let slug = repo_slug(repo.name);
    let prs = &history.prs;

    let mut order: Vec<usize> = (0..prs.len()).collect();
    order.sort_by_key(|&i| (prs[i].opened, i));
    let mut numbers = vec![0i64; prs.len()];
    let mut next = repo.pr_base;
    for i in order {
        next += 1;
        if chance(rng, 0.15) {
            next += rng.random_range(1..=2);
        }
        numbers[i] = next;
    }
    let change_key = |i: usize| format!("{slug}#{}", numbers[i]);
    let commits: Vec<Vec<String>> = prs
        .iter()
        .enumerate()
        .map(|(i, pr)| {
            (0..pr.commits)
                .map(|k| sha(&format!("{slug}#{}/commit/{k}", numbers[i])))
                .collect()
        })
        .collect();
    let merges: Vec<String> = (0..prs.len())
        .map(|i| sha(&format!("{slug}#{}/merge", numbers[i])))
        .collect();
    let title = |i: usize| match prs[i].kind {
        PrKind::Hotfix(target) => format!("{} (hotfix for #{})", prs[i].text, numbers[target]),
        _ => prs[i].text.clone(),
    };

    for (i, pr) in prs.iter().enumerate() {
        let (title, branch, reverts, fixes) = match pr.kind {
            PrKind::Normal | PrKind::Bot => (title(i), pr.branch.clone(), None, None),
            PrKind::Revert(target) => (
                format!("Revert \"{}\"", title(target)),
                format!("revert-{}-{}", numbers[target], prs[target].branch),
                Some(merges[target].clone()),
                None,
            ),
            PrKind::Hotfix(target) => (
                title(i),
                format!("hotfix/{}", sim::kebab(&pr.text)),
                None,
                Some(format!("#{}", numbers[target])),
            ),
        };
        // Local-to-UTC conversion keeps the order; the clamps only guard daylight-saving edges.
        let opened = pr.opened.max(pr.first_commit);
        let review = pr.review.map(|r| r.max(opened));
        let merged = pr.merged.max(review.unwrap_or(opened));
        changes.push(Change {
            key: change_key(i),
            repo: slug.clone(),
            number: Some(numbers[i]),
            title,
            author: pr.author.to_string(),
            bot: pr.kind == PrKind::Bot,
            first_commit_at: pr.first_commit,
            opened_at: Some(opened),
            first_review_at: review,
            merged_at: merged,
            merge_sha: Some(merges[i].clone()),
            commits: commits[i].clone(),
            labels: pr.labels.iter().map(ToString::to_string).collect(),
            branch: Some(branch),
            paths: Vec::new(),
            reverts,
            fixes,
            cherry_picks: Vec::new(),
            side_branch: None,
        });
    }

    let deployment_key = |d: usize| format!("{slug}/deployments/{}", d + 1);
    for (d, dep) in history.deps.iter().enumerate() {
        let declared: Vec<String> = dep
            .ships
            .iter()
            .flat_map(|&p| {
                let own = if repo.squash {
                    &[][..]
                } else {
                    &commits[p][..]
                };
                own.iter().cloned().chain([merges[p].clone()])
            })
            .collect();
        deployments.push(Deployment {
            key: deployment_key(d),
            repo: slug.clone(),
            environment: "production".into(),
            sha: merges[dep.head].clone(),
            status: dep.status,
            started_at: Some(dep.started),
            finished_at: dep.finished,
            source: Source::Demo,
            rollback: dep.rollback,
            declared_changes: None,
            declared_commits: Some(declared),
        });
    }

    for inc in &history.incidents {
        incidents.push(Incident {
            key: String::new(),
            repo: Some(slug.clone()),
            team: None,
            title: inc.title.clone(),
            opened_at: inc.opened,
            resolved_at: inc.resolved,
            source: Source::Demo,
            cause: inc.cause.map(|cause| match cause {
                Cause::Deployment(d) => IncidentCause::Deployment(deployment_key(d)),
                Cause::Change(p) => IncidentCause::Change(change_key(p)),
            }),
        });
    }
}

/// Incidents that belong to a team rather than a repository (a partner feed, a provider): one to
/// three a year per team, three more for Payments in its bad quarter.
fn team_incidents(cal: &Calendar, rng: &mut ChaCha8Rng) -> Vec<Incident> {
    let mut out = Vec::new();
    let year_minutes = (cal.end_ts - cal.start_ts).num_minutes();
    for team in TEAMS {
        let mut windows = vec![(cal.start_ts, year_minutes); rng.random_range(1..=3)];
        if team.slug == "payments" {
            let from = clock::midnight_utc(cal.bad_quarter.0);
            let length = (clock::midnight_utc(cal.bad_quarter.1) - from).num_minutes();
            windows.extend([(from, length); 3]);
        }
        for (from, length) in windows {
            let opened = from + minutes(rng, 0, length - 1);
            let flow = team
                .style
                .flow(clock::to_local(team.tz, opened).date(), cal);
            let resolved = opened + Duration::minutes(skewed(rng, flow.restore * 2.0));
            out.push(Incident {
                key: String::new(),
                repo: None,
                team: Some(team.slug.to_string()),
                title: clock::pick(rng, team.incidents).to_string(),
                opened_at: opened,
                resolved_at: (resolved < cal.end_ts).then_some(resolved),
                source: Source::Demo,
                cause: None,
            });
        }
    }
    out
}

/// Two incidents still open at the end date, so the dashboard has something to list.
fn open_at_end(cal: &Calendar) -> Vec<Incident> {
    let open =
        |repo: Option<RepoSlug>, team: Option<&str>, title: &str, opened: Timestamp| Incident {
            key: String::new(),
            repo,
            team: team.map(ToString::to_string),
            title: title.to_string(),
            opened_at: opened,
            resolved_at: None,
            source: Source::Demo,
            cause: None,
        };
    vec![
        open(
            Some(repo_slug("storefront-web")),
            None,
            "Product images intermittently fail to load",
            cal.end_ts - Duration::minutes(50 * 60 + 17),
        ),
        open(
            None,
            Some("search"),
            "Search relevance degraded for some locales",
            cal.end_ts - Duration::minutes(26 * 60 + 41),
        ),
    ]
}

/// The organisation as a `doraboard.toml` (every key but `database_url`, left to the caller).
fn config_toml(cal: &Calendar) -> String {
    let mut s = String::new();
    let last = cal.end - Duration::days(1);
    let _ = writeln!(
        s,
        "# The demo organisation of `doraboard serve --demo`: Acme, an online shop,\n\
         # with history from {} to {last}.\n",
        cal.start
    );
    let _ = writeln!(s, "[collector]\nsince = \"{}\"\n", cal.start);
    s.push_str("[deployments]\nenvironment = \"production\"\n\n");
    s.push_str("[incidents]\nattribution_window = \"7d\"\n");
    for tribe in TRIBES {
        let _ = write!(
            s,
            "\n[[tribes]]\nslug = \"{}\"\nname = \"{}\"\n",
            tribe.slug, tribe.name
        );
    }
    for team in TEAMS {
        let repos: Vec<String> = REPOS
            .iter()
            .filter(|r| r.team == team.slug)
            .map(|r| format!("\"acme/{}\"", r.name))
            .collect();
        let _ = write!(
            s,
            "\n[[teams]]\nslug = \"{}\"\nname = \"{}\"\ntribe = \"{}\"\nrepos = [{}]\ntime_zone = \"{}\"\n",
            team.slug,
            team.name,
            team.tribe,
            repos.join(", "),
            team.tz.name()
        );
        if let Some(targets) = team.targets {
            let _ = writeln!(s, "targets = {{ {targets} }}");
        }
    }
    // The story's two turns, as a team lead would annotate them.
    let _ = write!(
        s,
        "\n[[annotations]]\ndate = \"{}\"\ntitle = \"Checkout deploys daily\"\nteam = \"checkout\"\nscope = \"inherit\"\n",
        cal.checkout_switch
    );
    let _ = write!(
        s,
        "\n[[annotations]]\ndate = \"{}\"\ntitle = \"Payments incident review\"\nteam = \"payments\"\nscope = \"inherit\"\n",
        cal.bad_quarter.1
    );
    s
}

#[cfg(test)]
mod tests;
