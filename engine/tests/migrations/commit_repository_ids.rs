//! Migration 0032: `change_commit` names its repository by id, on both backends; a repository
//! only `change_commit` named (a store of an older version may hold one) gets its row first, so
//! none of its commits is lost.

use crate::old_store;
use engine::analysis::AnalysisOptions;
use engine::model::RepoSlug;
use engine::store::Store;
use engine::store::testing::derived_rows;

/// A change of `acme/web` whose repository has no row, and a deployment declaring its commit.
const OLD_ROWS: &[&str] = &[
    "INSERT INTO change (key, repo, number, title, author, bot, first_commit_at, opened_at, \
     first_review_at, merged_at, merge_sha, commits, labels, branch, paths, reverts, fixes) VALUES \
     ('acme/web#1', 'acme/web', 1, 'One', 'ada', false, 1772352000, NULL, NULL, 1772355600, \
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '[]', '[]', NULL, '[]', NULL, NULL)",
    "INSERT INTO change_commit (repo, sha, change_id) SELECT 'acme/web', \
     'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', id FROM change WHERE key = 'acme/web#1'",
    "INSERT INTO deployment (key, repo, environment, sha, status, started_at, finished_at, source, \
     rollback, declared_changes, declared_commits) VALUES \
     ('acme/web/deployments/1', 'acme/web', 'production', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', \
      'success', NULL, 1772359000, 'github_deployment', false, NULL, \
      '[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]')",
];

async fn check_migrated(store: &Store) {
    let web: RepoSlug = "acme/web".parse().expect("slug");
    assert_eq!(
        store.repositories().await.expect("repositories"),
        std::slice::from_ref(&web)
    );
    store
        .reanalyze(&[web], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    assert_eq!(
        derived_rows(store).await,
        ["shipment acme/web/deployments/1 acme/web#1"],
        "the declared commit is found in `change_commit`"
    );
}

#[tokio::test]
async fn sqlite_change_commits_move_to_repository_ids() {
    old_store::on_sqlite(32, OLD_ROWS, check_migrated).await;
}

#[tokio::test]
async fn postgres_change_commits_move_to_repository_ids() {
    old_store::on_postgres(
        "commit_repository_ids_migration",
        32,
        OLD_ROWS,
        check_migrated,
    )
    .await;
}
