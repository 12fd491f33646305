//! Migration 0003: records stored under repository names in another case than lower case (before
//! names were case-insensitive) move to the lower-case name, keys and references included, on
//! both backends.

use engine::analysis::AnalysisOptions;
use engine::model::{IncidentCause, RepoSlug};
use engine::store::Store;
use sqlx::migrate::Migrator;
use std::borrow::Cow;
use std::path::Path;

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

fn migrations(backend: &str) -> String {
    format!("{}/../migrations/{backend}", env!("CARGO_MANIFEST_DIR"))
}

/// The migrations before 0003.
async fn previous_migrator(backend: &str) -> Migrator {
    let mut migrator = Migrator::new(Path::new(&migrations(backend)))
        .await
        .expect("the migrations folder reads");
    migrator.migrations = Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|m| m.version < 3)
            .cloned()
            .collect(),
    );
    migrator
}

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
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let options = url
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .expect("url")
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("pool");
    previous_migrator("sqlite")
        .await
        .run(&pool)
        .await
        .expect("0001-0002");
    for sql in OLD_ROWS {
        sqlx::query(sqlx::AssertSqlSafe(*sql))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    pool.close().await;
    let store = Store::connect(&url).await.expect("migrates");
    check_migrated(&store).await;
}

#[tokio::test]
async fn postgres_names_stored_in_another_case_move_to_lower_case() {
    let Some(test) = engine::store::testing::TestStore::postgres("case_migration").await else {
        return;
    };
    // A schema of our own, migrated only to 0002, then reopened by the current version.
    let url = std::env::var("TEST_POSTGRES_URL").expect("set when TestStore opened");
    let schema = format!("case_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&url).await.expect("admin");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&admin)
    .await
    .expect("drop");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("schema");
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options[search_path]={schema}");
    let pool = sqlx::PgPool::connect(&scoped).await.expect("pool");
    previous_migrator("postgres")
        .await
        .run(&pool)
        .await
        .expect("0001-0002");
    for sql in OLD_ROWS {
        sqlx::query(sqlx::AssertSqlSafe(*sql))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    pool.close().await;
    let store = Store::connect(&scoped).await.expect("migrates");
    check_migrated(&store).await;
    store.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
    test.finish().await;
}
