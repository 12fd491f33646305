//! Answers the questions the CLI and the API ask, by joining the configuration, the store and the
//! pure formulas: "the metrics of this team for this period", "refresh the derived facts".
//!
//! One place does it, so `doraboard metrics --json` and `GET /api/v1/metrics` can never disagree.

use crate::analysis::AnalysisOptions;
use crate::config::{Config, ConfigError, Scope};
use crate::filters::{FilterError, NoiseFilters};
use crate::metrics::ownership::restrict_to_paths;
use crate::metrics::{MetricsReport, MetricsRequest, ScopeLabel, compute};
use crate::period::{Bucket, Period};
use crate::store::{Store, StoreError};
use crate::tiers::{Bands, BandsError};
use chrono::{NaiveTime, TimeZone, Utc};

/// Why a question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Filters(#[from] FilterError),
    #[error(transparent)]
    Bands(#[from] BandsError),
    #[error(
        "metrics.tiers: `{0}` is not a published tier table (expected 2021, 2023, 2024 or custom)"
    )]
    UnknownBands(String),
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

/// The tier table the configuration picks.
pub fn bands(config: &Config) -> Result<Bands, QueryError> {
    let name = config.metrics.tiers.as_str();
    if name == "custom" {
        let custom = config
            .metrics
            .custom_bands()
            .map_err(|e| QueryError::UnknownBands(format!("custom: {e}")))?;
        if let Some(custom) = custom {
            return Ok(Bands::custom(&custom)?);
        }
    }
    Bands::published(name).ok_or_else(|| QueryError::UnknownBands(name.to_string()))
}

/// The noise filters the configuration sets.
pub fn filters(config: &Config) -> Result<NoiseFilters, QueryError> {
    let f = &config.filters;
    Ok(NoiseFilters::new(
        f.include_bots,
        &f.bot_authors,
        &f.exclude_titles,
        &f.exclude_paths,
    )?)
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

/// [`metrics`] for a scope already resolved. Answers from the cache while the store's data is
/// unchanged since the same question was last answered.
pub async fn metrics_for_scope(
    store: &Store,
    config: &Config,
    scope: &Scope,
    period: Period,
    bucket: Option<Bucket>,
) -> Result<MetricsReport, QueryError> {
    let key = crate::cache::ReportKey {
        store: store.id(),
        question: format!(
            "{scope:?}|{period:?}|{bucket:?}|{}|{:?}|{:?}|{:?}|{}",
            config.deployments.environment,
            config.metrics.tiers,
            config.metrics.custom_tiers,
            config.filters,
            config.metrics.small_sample
        ),
    };
    let version = store.data_version().await?;
    if let Some(report) = crate::cache::get(&key, version) {
        return Ok((*report).clone());
    }
    let report = compute_for_scope(store, config, scope, period, bucket).await?;
    crate::cache::put(key, version, std::sync::Arc::new(report.clone()));
    Ok(report)
}

/// Computes the report from the store's facts, without the cache.
pub async fn compute_for_scope(
    store: &Store,
    config: &Config,
    scope: &Scope,
    period: Period,
    bucket: Option<Bucket>,
) -> Result<MetricsReport, QueryError> {
    let tz = scope.time_zone;
    let mut inputs = store
        .metric_inputs(
            &scope.repos,
            &scope.teams,
            &config.deployments.environment,
            period.previous().start(tz),
            period.end(tz),
        )
        .await?;
    restrict_to_paths(&mut inputs, &scope.paths, &scope.teams);
    let bands = bands(config)?;
    let filters = filters(config)?;
    let request = MetricsRequest {
        period,
        bucket,
        time_zone: tz,
        bands: &bands,
        filters: &filters,
        small_sample: config.metrics.small_sample,
    };
    let label = ScopeLabel {
        team: scope.slug.clone(),
        name: scope.name.clone(),
        kind: scope.kind.as_str().to_string(),
    };
    Ok(compute(&inputs, label, &request))
}
