//! Loads the demo organisation into a store through the same path as real data: upserts, then
//! the per-repository analysis.

use super::generate;
use chrono::NaiveDate;
use engine::config::{Config, ConfigError};
use engine::query::QueryError;
use engine::store::{Store, StoreError};

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the demo configuration is invalid: {0}")]
    Config(#[from] ConfigError),
    #[error("storing the demo records failed: {0}")]
    Store(#[from] StoreError),
    #[error("analysing the demo records failed: {0}")]
    Analysis(#[from] QueryError),
}

/// Seeds `store` with the demo organisation of the year before `end` and returns its
/// configuration. Seeding twice changes nothing.
pub async fn seed(store: &Store, end: NaiveDate) -> Result<Config, SeedError> {
    let org = generate(end);
    let config = Config::from_toml_str(&org.config_toml, "demo configuration")?;
    store.upsert_changes(&org.changes).await?;
    store.upsert_deployments(&org.deployments).await?;
    store.upsert_incidents(&org.incidents).await?;
    engine::query::refresh(store, &config).await?;
    tracing::info!(
        changes = org.changes.len(),
        deployments = org.deployments.len(),
        incidents = org.incidents.len(),
        %end,
        "seeded the demo organisation"
    );
    Ok(config)
}
