//! `doraboard import FILE`: load generic events from a file, all or nothing.

use std::path::Path;

pub async fn run(config_path: &Path, file: &Path) -> anyhow::Result<()> {
    let (config, store) = super::open_for_bulk_load(config_path).await?;
    let report = collector::ingest::import_file(&store, &config, file).await?;
    // The first question after an import would otherwise read every record it loaded.
    engine::query::store_row_copies(&store, &config).await?;
    let known = if report.duplicates > 0 {
        format!("; {} already loaded before, unchanged", report.duplicates)
    } else {
        String::new()
    };
    println!(
        "Loaded {} from {} ({} {} events{known}); reanalyzed {} repositories.",
        report.loaded,
        file.display(),
        report.events,
        report.format,
        report.repositories
    );
    for repo in &report.unowned {
        println!(
            "Warning: {}",
            collector::events::Warning::unowned(repo).message
        );
    }
    Ok(())
}
