//! Migration 0022: failure and incident links stored before it get their deployment's
//! repository, so the next derivation of that repository replaces them (it deletes its links by
//! repository), on both backends.

use crate::old_store;
use engine::analysis::AnalysisOptions;
use engine::model::RepoSlug;
use engine::store::Store;

/// A deployment of `acme/shop` and links to it that no derivation would make again (an incident
/// that no longer exists): what a derivation of the repository must delete.
const OLD_ROWS: &[&str] = &[
    "INSERT INTO repository (slug, owner, name) VALUES ('acme/shop', 'acme', 'shop')",
    "INSERT INTO deployment (key, repo, environment, sha, status, started_at, finished_at, source, \
     rollback, declared_changes, declared_commits) VALUES \
     ('acme/shop/deployments/7', 'acme/shop', 'production', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', \
      'success', NULL, 1772362800, 'github_deployment', false, NULL, NULL)",
    "INSERT INTO failure_link (deployment, kind, evidence, reason, restored_at) VALUES \
     ('acme/shop/deployments/7', 'incident', 'acme/shop#404', 'stale', NULL)",
    "INSERT INTO incident_link (incident, deployment, reason) VALUES \
     ('acme/shop#404', 'acme/shop/deployments/7', 'stale')",
];

async fn check_migrated(store: &Store) {
    let links = engine::store::testing::derived_rows(store).await;
    assert!(
        links.iter().any(|l| l.contains("acme/shop#404")),
        "kept by the migration: {links:?}"
    );
    let shop: RepoSlug = "acme/shop".parse().expect("slug");
    store
        .reanalyze(&[shop], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    let links = engine::store::testing::derived_rows(store).await;
    assert!(
        !links.iter().any(|l| l.contains("acme/shop#404")),
        "replaced by the derivation: {links:?}"
    );
}

#[tokio::test]
async fn sqlite_links_stored_before_get_their_repository() {
    old_store::on_sqlite(22, OLD_ROWS, check_migrated).await;
}

#[tokio::test]
async fn postgres_links_stored_before_get_their_repository() {
    old_store::on_postgres("links_migration", 22, OLD_ROWS, check_migrated).await;
}
