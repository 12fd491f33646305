//! Answers the questions the CLI and the API ask, by joining the configuration, the store and the
//! pure formulas: "the metrics of this team for this period", "refresh the derived facts".
//!
//! One place does it, so `doraboard metrics --json` and `GET /api/v1/metrics` can never disagree.

use crate::analysis::AnalysisOptions;
use crate::cache::ReportKey;
use crate::config::{Config, ConfigError, Scope};
use crate::facts_cache::{GroupIndex, Held};
use crate::metrics::change_index::ChangeIndex;
use crate::metrics::ownership::restrict_to_paths;
use crate::metrics::rows::{FactView, IncidentRow};
use crate::metrics::{MetricsReport, MetricsRequest, ScopeLabel, compute, compute_view};
use crate::model::RepoSlug;
use crate::period::{Bucket, Period};
use crate::score::{Benchmark, BenchmarkError};
use crate::store::{PackedCopy, Store, StoreError};
use chrono::{NaiveTime, TimeZone, Utc};
use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Why a question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("metrics.benchmark: {0}")]
    Benchmark(#[from] BenchmarkError),
    #[error(transparent)]
    Annotations(#[from] crate::annotations::ListError),
}

/// The analysis settings the configuration implies.
pub fn analysis_options(config: &Config) -> AnalysisOptions {
    AnalysisOptions {
        environment: config.deployments.environment.clone(),
        since: Some(Utc.from_utc_datetime(&config.collector.since.and_time(NaiveTime::MIN))),
        attribution_window: config.incidents.attribution_window,
    }
}

/// Re-derives shipments, failure links and incident attribution for every repository in the
/// store: after ingestion, or when the configuration that shapes them changed.
pub async fn refresh(store: &Store, config: &Config) -> Result<(), QueryError> {
    let repos = store.repositories().await?;
    store.reanalyze(&repos, &analysis_options(config)).await?;
    Ok(())
}

/// Stores copies of every repository's rows for the configured environment and filters, one
/// repository at a time: after an import, so that the next question (of any process) reads
/// about 40 bytes per change instead of every record.
pub async fn store_row_copies(store: &Store, config: &Config) -> Result<(), QueryError> {
    let repos = config.scope(None)?.repos;
    let versions = crate::freshness::current(store, &repos).await?;
    crate::facts_cache::store_copies(
        store,
        &repos,
        &versions,
        &config.deployments.environment,
        config.filters.noise(),
        &filters_key(config),
    )
    .await?;
    Ok(())
}

/// The row copies of those of `repos` that a team lists and whose stored copy is not current,
/// packed to be stored later ([`keep_row_copies`]): an import prepares each repository's on a
/// connection of its own as soon as its derivation is committed, beside the next one's.
pub async fn packed_row_copies_of(
    store: &Store,
    config: &Config,
    repos: &[RepoSlug],
) -> Result<Vec<PackedCopy>, QueryError> {
    let listed = config.scope(None)?.repos;
    let repos: Vec<RepoSlug> = repos
        .iter()
        .filter(|r| listed.binary_search(r).is_ok())
        .cloned()
        .collect();
    let versions = crate::freshness::current(store, &repos).await?;
    let environment = &config.deployments.environment;
    let missing = crate::facts_cache::missing_copies(
        store,
        &repos,
        &versions,
        environment,
        &filters_key(config),
    )
    .await?;
    Ok(crate::facts_cache::packed_copies(
        store,
        &missing,
        &versions,
        environment,
        config.filters.noise(),
    )
    .await?)
}

/// Stores copies [`packed_row_copies_of`] prepared (one older than the copy stored meanwhile is
/// dropped).
pub async fn keep_row_copies(
    store: &Store,
    config: &Config,
    copies: Vec<PackedCopy>,
) -> Result<(), QueryError> {
    store
        .keep_packed_copies(
            &config.deployments.environment,
            &filters_key(config),
            copies,
        )
        .await?;
    Ok(())
}

/// Loads every repository's rows into memory and indexes them: a server's warm-up, so its first
/// questions neither read the records nor scan the changes.
pub async fn warm_up(store: &Store, config: &Config) -> Result<(), QueryError> {
    let repos = config.scope(None)?.repos;
    let versions = crate::freshness::current(store, &repos).await?;
    let held = crate::facts_cache::repo_rows(
        store,
        &repos,
        &versions,
        &config.deployments.environment,
        config.filters.noise(),
        &filters_key(config),
    )
    .await?;
    let by_repo: HashMap<&RepoSlug, Arc<Held>> = repos.iter().zip(held).collect();
    let grouped = index_groups(config, |r| by_repo.get(r).map(|h| h.rows.changes.len()));
    let groups = held_groups(
        store,
        config,
        &filters_key(config),
        grouped.iter().map(Vec::as_slice),
        &by_repo,
    );
    let in_groups: HashSet<&RepoSlug> = grouped.iter().flatten().collect();
    let alone: Vec<Arc<Held>> = by_repo
        .iter()
        .filter(|(r, _)| !in_groups.contains(*r))
        .map(|(_, h)| Arc::clone(h))
        .collect();
    let held = tokio::task::spawn_blocking(move || {
        crate::facts_cache::index_held(&groups, &alone);
    });
    // Indexing is CPU work: off the async workers. A panic there leaves rows unindexed, no more.
    if let Err(e) = held.await {
        tracing::warn!(error = %e, "indexing the held rows failed");
    }
    Ok(())
}

/// Changes a [`GroupIndex`] holds at most: a delivery that ships changes builds its group's index
/// again, at about 0.4 µs a change on a 2-core machine (20 ms for 50,000).
const GROUP_CHANGES: usize = 64_000;

/// Repositories whose changes are indexed together ([`GroupIndex`]): each team's, when no other
/// team owns any of them (whole or in part), so that every scope holding one of them holds all;
/// a larger team's in runs (by slug) of at most [`GROUP_CHANGES`] changes (`changes_of`: the
/// changes held of each), a larger repository alone.
fn index_groups(
    config: &Config,
    changes_of: impl Fn(&RepoSlug) -> Option<usize>,
) -> Vec<Vec<RepoSlug>> {
    let mut owners: HashMap<&RepoSlug, usize> = HashMap::new();
    for team in &config.teams {
        for repo in team.repos.iter().chain(team.paths.keys()) {
            *owners.entry(repo).or_default() += 1;
        }
    }
    let mut groups = Vec::new();
    let exclusive = config
        .teams
        .iter()
        .filter(|team| team.paths.is_empty())
        .filter(|team| team.repos.iter().all(|r| owners.get(r) == Some(&1)));
    for team in exclusive {
        let mut repos = team.repos.clone();
        repos.sort();
        let (mut run, mut changes) = (Vec::new(), 0);
        for repo in repos {
            let n = changes_of(&repo).unwrap_or(0);
            if !run.is_empty() && changes + n > GROUP_CHANGES {
                groups.push(std::mem::take(&mut run));
                changes = 0;
            }
            run.push(repo);
            changes += n;
        }
        groups.push(run);
    }
    groups.retain(|g| g.len() > 1);
    groups
}

/// The index of each group whose members are all held (in `held`), with the members' rows.
fn held_groups<'a, H: Borrow<Held> + Clone>(
    store: &Store,
    config: &Config,
    filters_key: &str,
    groups: impl IntoIterator<Item = &'a [RepoSlug]>,
    held: &HashMap<&RepoSlug, H>,
) -> Vec<(Arc<GroupIndex>, Vec<H>)> {
    groups
        .into_iter()
        .filter_map(|group| {
            let members: Vec<(&RepoSlug, H)> = group
                .iter()
                .map(|r| Some((r, held.get(r)?.clone())))
                .collect::<Option<_>>()?;
            let keyed: Vec<(&RepoSlug, &Held)> =
                members.iter().map(|(r, h)| (*r, h.borrow())).collect();
            let index = crate::facts_cache::group_index(
                store,
                &config.deployments.environment,
                filters_key,
                &keyed,
            );
            Some((index, members.into_iter().map(|(_, h)| h).collect()))
        })
        .collect()
}

/// A scope's repositories as the groups of `grouped` it holds whole, and the others.
fn units<'a>(
    scope: &'a Scope,
    grouped: &'a [Vec<RepoSlug>],
) -> (Vec<&'a [RepoSlug]>, Vec<&'a RepoSlug>) {
    let in_scope: HashSet<&RepoSlug> = scope.repos.iter().collect();
    let groups: Vec<&[RepoSlug]> = grouped
        .iter()
        .filter(|g| g.iter().all(|r| in_scope.contains(r)))
        .map(Vec::as_slice)
        .collect();
    let covered: HashSet<&RepoSlug> = groups.iter().flat_map(|g| g.iter()).collect();
    let alone = scope
        .repos
        .iter()
        .filter(|r| !covered.contains(r))
        .collect();
    (groups, alone)
}

/// What is left to set up before there is anything to measure ([`crate::present::first_steps`]):
/// teams to configure, data to collect or import. Empty once both are there. Cheap: one read of
/// the data version (0 until anything was ever written).
pub async fn first_steps(store: &Store, config: &Config) -> Result<Vec<String>, QueryError> {
    let has_data = store.data_version().await? > 0;
    Ok(crate::present::first_steps(config.teams.len(), has_data))
}

/// The benchmark `metrics.benchmark` and `metrics.benchmark_edition` name.
pub fn benchmark(config: &Config) -> Result<&'static Benchmark, QueryError> {
    let m = &config.metrics;
    Ok(Benchmark::find(&m.benchmark, m.benchmark_edition)?)
}

/// The five metrics of a team, a tribe (`slug`) or the whole organisation (`None`), for a period,
/// with the previous period's figures and an optional series.
pub async fn metrics(
    store: &Store,
    config: &Config,
    slug: Option<&str>,
    period: Period,
    bucket: Option<Bucket>,
) -> Result<MetricsReport, QueryError> {
    let scope = config.scope(slug)?;
    metrics_for_scope(store, config, &scope, period, bucket).await
}

/// What is asked of a scope besides who: the period, the series' buckets, and whether each
/// bucket of the lead-time series carries its phases (the breakdown chart's question, four more
/// order statistics per bucket that other views never read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    pub period: Period,
    pub bucket: Option<Bucket>,
    pub phases_per_bucket: bool,
}

impl Question {
    /// The five figures, with a series when `bucket` is given.
    pub fn figures(period: Period, bucket: Option<Bucket>) -> Self {
        Self {
            period,
            bucket,
            phases_per_bucket: false,
        }
    }
}

/// [`metrics`] for a scope already resolved. Answers from the cache while no write has touched
/// the scope's repositories (or every scope) since the same question was last answered.
pub async fn metrics_for_scope(
    store: &Store,
    config: &Config,
    scope: &Scope,
    period: Period,
    bucket: Option<Bucket>,
) -> Result<MetricsReport, QueryError> {
    answer_one(store, config, scope, Question::figures(period, bucket)).await
}

/// [`metrics_for_scope`] of several scopes: one report per scope, in order.
pub async fn metrics_for_scopes(
    store: &Store,
    config: &Config,
    scopes: &[Scope],
    period: Period,
    bucket: Option<Bucket>,
) -> Result<Vec<MetricsReport>, QueryError> {
    answer(store, config, scopes, Question::figures(period, bucket)).await
}

/// [`answer`] for one scope.
pub async fn answer_one(
    store: &Store,
    config: &Config,
    scope: &Scope,
    question: Question,
) -> Result<MetricsReport, QueryError> {
    let mut reports = answer(store, config, std::slice::from_ref(scope), question).await?;
    match reports.pop() {
        Some(report) => Ok(report),
        // answer gives one report per scope; computing again is the fallback.
        None => compute_for_scope(store, config, scope, question).await,
    }
}

/// The reports of several scopes, in order, from one read of the versions, one load of the
/// repositories not held in memory and one read of the incidents, however many scopes; each
/// from the cache while no write has touched its repositories since it was last answered.
pub async fn answer(
    store: &Store,
    config: &Config,
    scopes: &[Scope],
    question: Question,
) -> Result<Vec<MetricsReport>, QueryError> {
    let all_repos: Vec<RepoSlug> = scopes
        .iter()
        .flat_map(|s| s.repos.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let versions = crate::freshness::current(store, &all_repos).await?;
    let keyed: Vec<(ReportKey, i64)> = scopes
        .iter()
        .map(|s| {
            (
                report_key(store, config, s, question),
                versions.of_scope(&s.repos),
            )
        })
        .collect();
    let mut reports: Vec<Option<MetricsReport>> = keyed
        .iter()
        .map(|(key, version)| crate::cache::get(key, *version).map(|r| (*r).clone()))
        .collect();
    // A partly owned repository keeps only some of its changes: such scopes read them whole.
    let (whole, partial): (Vec<usize>, Vec<usize>) = (0..scopes.len())
        .filter(|&i| reports[i].is_none())
        .partition(|&i| scopes[i].paths.is_empty());
    if !whole.is_empty() {
        let whole_scopes: Vec<&Scope> = whole.iter().map(|&i| &scopes[i]).collect();
        let computed =
            compute_from_held_rows(store, config, &whole_scopes, question, &versions).await?;
        for (i, report) in whole.into_iter().zip(computed) {
            reports[i] = Some(report);
        }
    }
    for i in partial {
        reports[i] = Some(compute_for_scope(store, config, &scopes[i], question).await?);
    }
    let mut out = Vec::with_capacity(scopes.len());
    for ((key, version), (scope, report)) in keyed.into_iter().zip(scopes.iter().zip(reports)) {
        let report = match report {
            Some(report) => report,
            None => compute_for_scope(store, config, scope, question).await?,
        };
        if crate::cache::get(&key, version).is_none() {
            crate::cache::put(key, version, Arc::new(report.clone()));
        }
        out.push(report);
    }
    Ok(out)
}

/// What a report is cached under: the store, the question and every setting shaping it.
fn report_key(store: &Store, config: &Config, scope: &Scope, question: Question) -> ReportKey {
    // A period reaching past today is answered for the days measured so far.
    let measured = question.period.measured(config.now(), scope.time_zone);
    ReportKey {
        store: store.id(),
        question: format!(
            "{scope:?}|{question:?}|{measured:?}|{}|{}|{:?}|{:?}|{}|{}|{}",
            config.deployments.environment,
            filters_key(config),
            config.metrics.tiers,
            config.metrics.custom_tiers,
            config.metrics.small_sample,
            config.metrics.benchmark,
            config.metrics.benchmark_edition
        ),
    }
}

/// The noise filters' settings as text: what rows made with them are kept under (in memory and
/// in their stored copies).
pub fn filters_key(config: &Config) -> String {
    format!("{:?}", config.filters)
}

/// The reports of scopes owning their repositories whole, from their rows held in memory
/// ([`crate::facts_cache`]) and the incidents of all of them, read once.
async fn compute_from_held_rows(
    store: &Store,
    config: &Config,
    scopes: &[&Scope],
    question: Question,
    versions: &crate::freshness::Versions,
) -> Result<Vec<MetricsReport>, QueryError> {
    let filters = config.filters.noise();
    let bands = config.metrics.bands();
    let benchmark = benchmark(config)?;
    let now = config.now();
    let repos: Vec<RepoSlug> = scopes
        .iter()
        .flat_map(|s| s.repos.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let teams: Vec<String> = scopes
        .iter()
        .flat_map(|s| s.teams.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Where a question's time goes, for `RUST_LOG=engine=debug`.
    let started = std::time::Instant::now();
    // Read together, each on a connection of its own: the incidents' query runs while the
    // repositories' rows are decoded.
    let ((held, rows_read), incidents) = tokio::try_join!(
        async {
            let held = crate::facts_cache::repo_rows(
                store,
                &repos,
                versions,
                &config.deployments.environment,
                filters,
                &filters_key(config),
            )
            .await?;
            Ok((held, started.elapsed()))
        },
        crate::facts_cache::incidents(store, versions, &repos, &teams),
    )?;
    let held: HashMap<&RepoSlug, &Held> = repos.iter().zip(held.iter().map(|h| &**h)).collect();
    let incidents_read = started.elapsed();
    let indexing = std::cell::Cell::new(std::time::Duration::ZERO);
    let figuring = std::cell::Cell::new(std::time::Duration::ZERO);
    let grouping = std::cell::Cell::new(std::time::Duration::ZERO);
    let grouped = index_groups(config, |r| held.get(r).map(|h| h.rows.changes.len()));
    let filters_key = filters_key(config);
    let reports = scopes
        .iter()
        .map(|scope| {
            let rows: Vec<&Held> = scope
                .repos
                .iter()
                .filter_map(|r| held.get(r).copied())
                .collect();
            // Sets: an organisation has hundreds of repositories and tens of thousands of
            // incidents.
            let (repos, teams): (HashSet<&RepoSlug>, HashSet<&String>) =
                (scope.repos.iter().collect(), scope.teams.iter().collect());
            let incidents: Vec<IncidentRow> = incidents
                .iter()
                .filter(|i| {
                    i.repo.as_ref().is_some_and(|r| repos.contains(r))
                        || i.team.as_ref().is_some_and(|t| teams.contains(t))
                })
                .map(IncidentRow::of)
                .collect();
            // The scope's whole groups indexed together, its other repositories alone.
            let (groups, alone) = units(scope, &grouped);
            let group_started = std::time::Instant::now();
            let groups = held_groups(store, config, &filters_key, groups, &held);
            grouping.set(grouping.get() + group_started.elapsed());
            // Every index, or none: a figure comes from one way or the other.
            let index_started = std::time::Instant::now();
            let indexes: Vec<Option<&ChangeIndex>> = groups
                .iter()
                .map(|(group, members)| group.index_if_asked_before(members))
                .chain(
                    alone
                        .iter()
                        .filter_map(|r| held.get(r))
                        .map(|h| h.index_if_asked_before()),
                )
                .collect();
            indexing.set(indexing.get() + index_started.elapsed());
            let view = FactView {
                deployments: rows.iter().map(|h| h.rows.deployments.as_slice()).collect(),
                changes: rows.iter().map(|h| h.rows.changes.as_slice()).collect(),
                incidents: vec![incidents.as_slice()],
                rollbacks: rows.iter().map(|h| h.rows.rollbacks.as_slice()).collect(),
                change_indexes: indexes.into_iter().collect(),
            };
            let request = MetricsRequest {
                period: question.period.measured(now, scope.time_zone),
                bucket: question.bucket,
                time_zone: scope.time_zone,
                bands,
                filters,
                small_sample: config.metrics.small_sample,
                phases_per_bucket: question.phases_per_bucket,
                benchmark,
            };
            let figures_started = std::time::Instant::now();
            let report = compute_view(&view, label(scope), &request);
            figuring.set(figuring.get() + figures_started.elapsed());
            asked(report, question.period)
        })
        .collect();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    tracing::debug!(
        scopes = scopes.len(),
        rows_ms = ms(rows_read),
        incidents_ms = ms(incidents_read.saturating_sub(rows_read)),
        indexes_ms = ms(indexing.get()),
        groups_ms = ms(grouping.get()),
        figures_ms = ms(figuring.get()),
        total_ms = ms(started.elapsed()),
        "answered from held rows"
    );
    Ok(reports)
}

fn label(scope: &Scope) -> ScopeLabel {
    ScopeLabel {
        team: scope.slug.clone(),
        name: scope.name.clone(),
        kind: scope.kind.as_str().to_string(),
    }
}

/// Computes the report from the store's facts read whole for the question, without the caches.
pub async fn compute_for_scope(
    store: &Store,
    config: &Config,
    scope: &Scope,
    question: Question,
) -> Result<MetricsReport, QueryError> {
    let tz = scope.time_zone;
    let measured = question.period.measured(config.now(), tz);
    let mut inputs = store
        .metric_inputs(
            &scope.repos,
            &scope.teams,
            &config.deployments.environment,
            measured.previous().start(tz),
            measured.end(tz),
        )
        .await?;
    restrict_to_paths(&mut inputs, &scope.paths, &scope.teams);
    let request = MetricsRequest {
        period: measured,
        bucket: question.bucket,
        time_zone: tz,
        bands: config.metrics.bands(),
        filters: config.filters.noise(),
        small_sample: config.metrics.small_sample,
        phases_per_bucket: question.phases_per_bucket,
        benchmark: benchmark(config)?,
    };
    Ok(asked(
        compute(&inputs, label(scope), &request),
        question.period,
    ))
}

/// A report computed over the measured part of `period`, labelled with the period asked.
fn asked(mut report: MetricsReport, period: Period) -> MetricsReport {
    report.from = period.from;
    report.to = period.to;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Config {
        Config::from_toml_str(toml, "test").expect("the configuration parses")
    }

    fn slugs(groups: &[Vec<RepoSlug>]) -> Vec<Vec<String>> {
        groups
            .iter()
            .map(|g| g.iter().map(ToString::to_string).collect())
            .collect()
    }

    #[test]
    fn teams_owning_their_repositories_alone_are_indexed_together_up_to_a_size() {
        let config = config(
            r#"
[[teams]]
slug = "platform"
name = "Platform"
repos = ["acme/web", "acme/api"]

[[teams]]
slug = "data"
name = "Data"
repos = ["acme/etl", "acme/shared"]

[[teams]]
slug = "ops"
name = "Ops"
repos = ["acme/shared", "acme/infra"]

[[teams]]
slug = "solo"
name = "Solo"
repos = ["acme/solo"]
"#,
        );
        // A shared repository leaves both teams' repositories alone; one repository is no group.
        let small = index_groups(&config, |_| Some(1_000));
        assert_eq!(slugs(&small), vec![vec!["acme/api", "acme/web"]]);
        // Over the size bound, a team's repositories are indexed in runs that fit, a larger
        // repository alone.
        let big = tests::config(
            r#"
[[teams]]
slug = "big"
name = "Big"
repos = ["acme/d", "acme/c", "acme/b", "acme/a"]
"#,
        );
        let sizes = |r: &RepoSlug| match r.to_string().as_str() {
            "acme/a" | "acme/b" => Some(30_000),
            "acme/c" => Some(GROUP_CHANGES + 1),
            _ => Some(5),
        };
        assert_eq!(
            slugs(&index_groups(&big, sizes)),
            vec![vec!["acme/a", "acme/b"]]
        );
        let large = index_groups(&config, |r| {
            Some(if r.to_string() == "acme/api" {
                GROUP_CHANGES
            } else {
                1
            })
        });
        assert!(large.is_empty());
        // A tribe holding the group whole uses it; a scope missing a member does not.
        let org = config.scope(None).expect("organisation");
        let (groups, alone) = units(&org, &small);
        assert_eq!(groups.len(), 1);
        assert_eq!(alone.len(), 4);
        let data = config.scope(Some("data")).expect("data");
        let (groups, alone) = units(&data, &small);
        assert!(groups.is_empty());
        assert_eq!(alone.len(), 2);
    }
}
