//! Migrations 0029 and 0030: changes and deployments get integer ids, and the shipments and
//! change commits stored before them (naming keys) name ids instead, on both backends; records
//! written after them get ids of their own.

use crate::old_store;
use engine::analysis::AnalysisOptions;
use engine::model::RepoSlug;
use engine::store::Store;
use engine::store::testing::derived_rows;

/// Two changes of `acme/shop`, each shipped by a deployment declaring it or its commit (found
/// through `change_commit` when derived again).
const OLD_ROWS: &[&str] = &[
    "INSERT INTO repository (slug, owner, name) VALUES ('acme/shop', 'acme', 'shop')",
    "INSERT INTO change (key, repo, number, title, author, bot, first_commit_at, opened_at, \
     first_review_at, merged_at, merge_sha, commits, labels, branch, paths, reverts, fixes) VALUES \
     ('acme/shop#1', 'acme/shop', 1, 'One', 'ada', false, 1772352000, NULL, NULL, 1772355600, \
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '[]', '[]', NULL, '[]', NULL, NULL), \
     ('acme/shop#2', 'acme/shop', 2, 'Two', 'ada', false, 1772352000, NULL, NULL, 1772359200, \
      'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '[]', '[]', NULL, '[]', NULL, NULL)",
    "INSERT INTO change_commit (repo, sha, change) VALUES \
     ('acme/shop', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'acme/shop#1'), \
     ('acme/shop', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'acme/shop#2')",
    "INSERT INTO deployment (key, repo, environment, sha, status, started_at, finished_at, source, \
     rollback, declared_changes, declared_commits) VALUES \
     ('acme/shop/deployments/7', 'acme/shop', 'production', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', \
      'success', NULL, 1772359000, 'github_deployment', false, '[\"acme/shop#1\"]', NULL), \
     ('acme/shop/deployments/8', 'acme/shop', 'production', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', \
      'success', NULL, 1772362800, 'github_deployment', false, NULL, \
      '[\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"]')",
    "INSERT INTO deployment_change (deployment, change) VALUES \
     ('acme/shop/deployments/7', 'acme/shop#1'), ('acme/shop/deployments/8', 'acme/shop#2')",
];

const SHIPPED: [&str; 2] = [
    "shipment acme/shop/deployments/7 acme/shop#1",
    "shipment acme/shop/deployments/8 acme/shop#2",
];

async fn shipped_by(store: &Store, deployment: &str) -> Vec<String> {
    let detail = store
        .deployment_detail(deployment)
        .await
        .expect("detail")
        .expect("exists");
    detail.changes.into_iter().map(|c| c.key).collect()
}

async fn check_migrated(store: &Store) {
    assert_eq!(derived_rows(store).await, SHIPPED, "kept by the migration");
    assert_eq!(
        shipped_by(store, "acme/shop/deployments/8").await,
        ["acme/shop#2"]
    );

    // A change and a deployment written now get ids no migrated row holds.
    let mut three = store
        .change("acme/shop#2")
        .await
        .expect("read")
        .expect("moved");
    three.key = "acme/shop#3".into();
    three.number = Some(3);
    three.merge_sha = Some("cccccccccccccccccccccccccccccccccccccccc".into());
    three.merged_at += chrono::Duration::hours(2);
    store.upsert_changes(&[three]).await.expect("change");
    let mut nine = store
        .deployment("acme/shop/deployments/8")
        .await
        .expect("read")
        .expect("moved");
    nine.key = "acme/shop/deployments/9".into();
    nine.sha = "cccccccccccccccccccccccccccccccccccccccc".into();
    nine.declared_changes = Some(vec!["acme/shop#3".into()]);
    nine.declared_commits = None;
    nine.finished_at += chrono::Duration::hours(3);
    store.upsert_deployments(&[nine]).await.expect("deployment");
    let shop: RepoSlug = "acme/shop".parse().expect("slug");
    store
        .reanalyze(&[shop], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    let mut expected = SHIPPED.to_vec();
    expected.push("shipment acme/shop/deployments/9 acme/shop#3");
    assert_eq!(derived_rows(store).await, expected);
    assert_eq!(
        shipped_by(store, "acme/shop/deployments/7").await,
        ["acme/shop#1"]
    );
    assert_eq!(
        shipped_by(store, "acme/shop/deployments/9").await,
        ["acme/shop#3"]
    );
}

#[tokio::test]
async fn sqlite_shipments_move_to_integer_ids() {
    old_store::on_sqlite(29, OLD_ROWS, check_migrated).await;
}

#[tokio::test]
async fn postgres_shipments_move_to_integer_ids() {
    old_store::on_postgres("shipment_ids_migration", 29, OLD_ROWS, check_migrated).await;
}
