//! `doraboard replay`: rebuild the records from the raw event log.

use std::path::Path;

pub async fn run(config_path: &Path) -> anyhow::Result<()> {
    let (config, store) = super::open(config_path, false).await?;
    let report = collector::replay::replay(&store, &config).await?;
    println!(
        "Replayed {} logged events: {}; reanalyzed {} repositories.",
        report.events, report.replayed, report.repositories
    );
    if report.without_record > 0 {
        println!("{} events carry no record (pings).", report.without_record);
    }
    for (source, n) in &report.skipped {
        println!("Skipped {n} `{source}` events.");
    }
    for problem in &report.problems {
        println!("  {problem}");
    }
    Ok(())
}
