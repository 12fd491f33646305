//! Migration 0003: records stored under repository names in another case than lower case (before
//! names were case-insensitive) move to the lower-case name, keys and references included, on
//! both backends.

use crate::old_store;
use engine::analysis::AnalysisOptions;
use engine::model::{IncidentCause, RepoSlug};
use engine::store::Store;

/// What a database written by the previous version holds: `Acme/Shop` as configured, and the
/// records GitHub and events made of it, one change stored under two cases.
const OLD_ROWS: &[&str] = &[
    "INSERT INTO repository (slug, owner, name) VALUES ('Acme/Shop', 'Acme', 'Shop'), ('acme/shop', 'acme', 'shop')",
    "INSERT INTO team (slug, name, kind, parent, time_zone) VALUES ('shop', 'Shop', 'team', NULL, 'UTC')",
    "INSERT INTO team_repository (team, repo, paths) VALUES ('shop', 'Acme/Shop', '[]')",
    "INSERT INTO change (key, repo, number, title, author, bot, first_commit_at, opened_at, \
     first_review_at, merged_at, merge_sha, commits, labels, branch, paths, reverts, fixes) VALUES \
     ('Acme/Shop#1', 'Acme/Shop', 1, 'One', 'ada', false, 1772352000, NULL, NULL, 1772355600, \
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '[]', '[]', NULL, '[]', NULL, NULL), \
     ('acme/shop#1', 'acme/shop', 1, 'One', 'ada', false, 1772352000, NULL, NULL, 1772355600, \
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '[]', '[]', NULL, '[]', NULL, NULL), \
     ('Acme/Shop#2', 'Acme/Shop', 2, 'Two', 'ada', false, 1772352000, NULL, NULL, 1772359200, \
      'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '[]', '[]', NULL, '[]', 'Acme/Shop#1', NULL)",
    "INSERT INTO change_commit (repo, sha, change) VALUES \
     ('Acme/Shop', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'Acme/Shop#1'), \
     ('acme/shop', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'acme/shop#1'), \
     ('Acme/Shop', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'Acme/Shop#2')",
    "INSERT INTO deployment (key, repo, environment, sha, status, started_at, finished_at, source, \
     rollback, declared_changes, declared_commits) VALUES \
     ('Acme/Shop/deployments/7', 'Acme/Shop', 'production', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', \
      'success', NULL, 1772362800, 'github_deployment', false, '[\"Acme/Shop#2\"]', NULL)",
    "INSERT INTO incident (key, repo, team, title, opened_at, resolved_at, source, cause_kind, \
     cause_ref) VALUES ('Acme/Shop#9', 'Acme/Shop', NULL, 'Down', 1772366400, NULL, 'github_issue', \
     'change', 'Acme/Shop#2')",
    "INSERT INTO deployment_change (deployment, change) VALUES ('Acme/Shop/deployments/7', 'Acme/Shop#2')",
    "INSERT INTO sync_state (repo, resource, cursor) VALUES ('Acme/Shop', 'pulls', '2026-03-01')",
];

async fn check_migrated(store: &Store) {
    let shop: RepoSlug = "acme/shop".parse().expect("slug");
    assert_eq!(
        store.repositories().await.expect("repositories"),
        std::slice::from_ref(&shop)
    );
    assert_eq!(store.change("Acme/Shop#1").await.expect("read"), None);
    let two = store
        .change("acme/shop#2")
        .await
        .expect("read")
        .expect("moved");
    assert_eq!(two.repo, shop);
    assert_eq!(two.reverts.as_deref(), Some("acme/shop#1"));
    let counts = store.counts().await.expect("counts");
    assert_eq!(
        (
            counts.changes,
            counts.deployments,
            counts.incidents,
            counts.shipments
        ),
        (2, 1, 1, 0),
        "one of the two cases of #1 is kept; derived rows await the reanalysis"
    );
    let deployment = store
        .deployment("acme/shop/deployments/7")
        .await
        .expect("read")
        .expect("moved");
    assert_eq!(
        deployment.declared_changes,
        Some(vec!["acme/shop#2".to_string()])
    );
    let incident = store
        .incident("acme/shop#9")
        .await
        .expect("read")
        .expect("moved");
    assert_eq!(
        incident.cause,
        Some(IncidentCause::Change("acme/shop#2".into()))
    );
    assert_eq!(
        store.queued_derivations().await.expect("queue"),
        std::slice::from_ref(&shop),
        "its analysis is queued"
    );
    let pulls = store
        .get_sync_state(&shop, "pulls")
        .await
        .expect("read")
        .expect("moved");
    assert_eq!(pulls.cursor.as_deref(), Some("2026-03-01"));

    store
        .reanalyze(&[shop], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    let detail = store
        .deployment_detail("acme/shop/deployments/7")
        .await
        .expect("detail")
        .expect("exists");
    let shipped: Vec<&str> = detail.changes.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(shipped, ["acme/shop#2"]);
}

#[tokio::test]
async fn sqlite_names_stored_in_another_case_move_to_lower_case() {
    old_store::on_sqlite(3, OLD_ROWS, check_migrated).await;
}

#[tokio::test]
async fn postgres_names_stored_in_another_case_move_to_lower_case() {
    old_store::on_postgres("case_migration", 3, OLD_ROWS, check_migrated).await;
}
