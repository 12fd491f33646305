//! `doraboard import FILE`: load generic events from a file, all or nothing.

use engine::config::Config;
use engine::model::RepoSlug;
use engine::store::{PackedCopy, Store};
use std::path::Path;
use tokio::sync::mpsc;

pub async fn run(config_path: &Path, file: &Path) -> anyhow::Result<()> {
    let (config, store) = super::open_for_bulk_load(config_path).await?;
    // The first question after an import would otherwise read every record it loaded: each
    // repository's row copies are read and packed as soon as its derivation is committed, on a
    // connection of their own, while the next one derives; they are stored once derivation
    // ends (a second writer would wait for the derivations' write lock until then).
    let (derived, to_copy) = mpsc::unbounded_channel();
    let copies = tokio::spawn(copy_as_derived(store.clone(), config.clone(), to_copy));
    let report = collector::ingest::import_file_telling(&store, &config, file, |repo| {
        // The copies' task ended early only on an error, which it returns below.
        let _ = derived.send(repo.clone());
    })
    .await;
    drop(derived);
    let copied = copies.await?;
    let report = report?;
    engine::query::keep_row_copies(&store, &config, copied?).await?;
    // Those not packed above: repositories the import did not derive, copies past the memory
    // they may hold, or rows a later repository's derivation moved.
    engine::query::store_row_copies(&store, &config).await?;
    // The copies' pages into the database, as the import's own.
    store.checkpoint().await?;
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

/// The packed row copies of each repository `derived` names, read on a connection of its own
/// (opened at the first: while a first load runs, its connection holds the database alone), up
/// to [`PACKED_COPIES_HELD`] bytes.
async fn copy_as_derived(
    store: Store,
    config: Config,
    mut derived: mpsc::UnboundedReceiver<RepoSlug>,
) -> anyhow::Result<Vec<PackedCopy>> {
    // `Some(None)` once opened where the store itself serves (see `Store::side_store`).
    let mut side: Option<Option<Store>> = None;
    let (mut copies, mut held) = (Vec::new(), 0);
    let mut read = Ok(());
    while let Some(repo) = derived.recv().await {
        if held > PACKED_COPIES_HELD {
            // The rest are read after derivation, one at a time.
            continue;
        }
        let reader = match &side {
            Some(own) => own.as_ref().unwrap_or(&store),
            None => side
                .insert(store.side_store().await?)
                .as_ref()
                .unwrap_or(&store),
        };
        match engine::query::packed_row_copies_of(reader, &config, &[repo]).await {
            Ok(packed) => {
                held += packed.iter().map(PackedCopy::size).sum::<usize>();
                copies.extend(packed);
            }
            Err(e) => {
                read = Err(e);
                break;
            }
        }
    }
    // Its connection closed, so the import's last checkpoint empties the write-ahead log.
    if let Some(Some(own)) = side {
        own.close().await;
    }
    read?;
    Ok(copies)
}

/// The bytes of packed copies an import holds until derivation ends: all of them at 100,000
/// deployments (6 MB); at 1,000,000 (62 MB) the first of them, the rest read after derivation,
/// so that the import's peak memory stays where it was (145 MB; 183 MB with 24 MiB held).
const PACKED_COPIES_HELD: usize = 8 << 20;
