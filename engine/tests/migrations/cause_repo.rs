//! Migration 0025: an incident stored before it that names another repository's deployment gets
//! that deployment's repository, so the derivation of that repository finds and links it, on
//! both backends.

use crate::old_store;
use engine::analysis::AnalysisOptions;
use engine::model::RepoSlug;
use engine::store::Store;

/// A deployment of `acme/web` and an incident of `acme/shop` that names it.
const OLD_ROWS: &[&str] = &[
    "INSERT INTO repository (slug, owner, name) VALUES ('acme/shop', 'acme', 'shop'), \
     ('acme/web', 'acme', 'web')",
    "INSERT INTO deployment (key, repo, environment, sha, status, started_at, finished_at, source, \
     rollback, declared_changes, declared_commits) VALUES \
     ('acme/web/deployments/7', 'acme/web', 'production', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', \
      'success', NULL, 1772362800, 'github_deployment', false, NULL, NULL)",
    "INSERT INTO incident (key, repo, team, title, opened_at, resolved_at, source, cause_kind, \
     cause_ref) VALUES ('acme/shop#9', 'acme/shop', NULL, 'Down', 1772366400, NULL, \
     'github_issue', 'deployment', 'acme/web/deployments/7')",
];

async fn check_migrated(store: &Store) {
    let web: RepoSlug = "acme/web".parse().expect("slug");
    store
        .reanalyze(&[web], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    let links = engine::store::testing::derived_rows(store).await;
    assert!(
        links
            .iter()
            .any(|l| l.starts_with("incident acme/shop#9 acme/web/deployments/7 ")),
        "linked by acme/web's derivation: {links:?}"
    );
}

#[tokio::test]
async fn sqlite_incidents_stored_before_know_the_repository_of_their_cause() {
    old_store::on_sqlite(24, OLD_ROWS, check_migrated).await;
}

#[tokio::test]
async fn postgres_incidents_stored_before_know_the_repository_of_their_cause() {
    old_store::on_postgres("cause_repo_migration", 24, OLD_ROWS, check_migrated).await;
}
