//! One module per command; this one opens what they all need: the configuration and the store.

pub mod annotate;
pub mod collect;
pub mod digest;
pub mod explain;
pub mod import;
pub mod metrics;
pub mod replay;
pub mod report;
pub mod serve;

use anyhow::Context;
use engine::config::Config;
use engine::store::Store;
use std::path::Path;

/// The configuration from `path` (missing default file: built-in defaults), or the demo
/// organisation seeded into an in-memory store. Every `--demo` command uses this one demo clock:
/// the demo's year ends with today.
pub async fn open(config_path: &Path, demo: bool) -> anyhow::Result<(Config, Store)> {
    if demo {
        let store = Store::connect("sqlite::memory:").await?;
        let today = chrono::Utc::now().date_naive();
        let config = collector::demo::seed(&store, today + chrono::Duration::days(1))
            .await
            .context("seeding the demo organisation")?;
        return Ok((config, store));
    }
    let config = load_config(config_path)?;
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database of {}", config_path.display()))?;
    Ok((config, store))
}

/// [`open`] for a command that only loads data: one connection to a SQLite store, which lets a
/// first load write its pages once (`Store::connect_for_bulk_load`).
pub async fn open_for_bulk_load(config_path: &Path) -> anyhow::Result<(Config, Store)> {
    let config = load_config(config_path)?;
    let store = Store::connect_for_bulk_load(&config.database_url)
        .await
        .with_context(|| format!("opening the database of {}", config_path.display()))?;
    Ok((config, store))
}

/// Fails with the first-run steps (the dashboard's words) when there is nothing to measure yet:
/// no team configured, or no data ever collected or imported. Rating an empty organisation
/// "low" would be a wrong answer, not an empty one.
pub async fn something_to_measure(store: &Store, config: &Config) -> anyhow::Result<()> {
    let steps = engine::query::first_steps(store, config).await?;
    if steps.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("  {}. {s}", i + 1))
        .collect();
    anyhow::bail!("nothing to measure yet. To get there:\n{}", list.join("\n"))
}

/// `./doraboard.toml` may be absent (defaults apply); any other path must exist.
pub fn load_config(path: &Path) -> anyhow::Result<Config> {
    let explicit = path != Path::new("doraboard.toml") || path.exists();
    Ok(Config::load(explicit.then_some(path))?)
}

/// `doraboard migrate`: connecting runs the migrations.
/// What `migrate` did, in a sentence or a list.
fn migrate_words(backend: &str, applied: &[String]) -> String {
    match applied {
        [] => format!("The {backend} database is up to date: no migration to apply."),
        _ => format!(
            "Applied {} migration{} to the {backend} database:\n{}",
            applied.len(),
            if applied.len() == 1 { "" } else { "s" },
            applied
                .iter()
                .map(|m| format!("  {m}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

pub async fn migrate(config_path: &Path) -> anyhow::Result<()> {
    let config = load_config(config_path)?;
    let (store, applied) = Store::connect_migrating(&config.database_url).await?;
    println!("{}", migrate_words(store.backend_name(), &applied));
    Ok(())
}
