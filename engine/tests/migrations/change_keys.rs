//! Migration 0038: a change keeps its key after its repository's slug when the key starts with
//! it and `#` or `@`, whole otherwise. Changes stored before it read back under their keys, in
//! their repositories, and a later write of the same keys updates them instead of adding rows,
//! on both backends.

use crate::old_store;
use engine::model::Change;
use engine::store::Store;
use engine::store::testing::rows_in;

/// (key, repository, title) of the changes stored before the migration.
const STORED: [(&str, &str, &str); 5] = [
    ("acme/web#1", "acme/web", "A pull request"),
    ("acme/web@0123abc", "acme/web", "A push"),
    ("acme/api#5", "acme/web", "A key naming another repository"),
    ("JIRA-7", "acme/web", "A key naming none"),
    ("acme/api#6", "acme/api", "A pull request of acme/api"),
];

fn old_rows() -> Vec<String> {
    let mut rows = vec![
        "INSERT INTO repository (slug, owner, name) VALUES ('acme/web', 'acme', 'web'), \
         ('acme/api', 'acme', 'api')"
            .to_string(),
    ];
    rows.extend(STORED.iter().map(|(key, repo, title)| {
        format!(
            "INSERT INTO change_row (key, repo_id, number, numbered_off_key, title, author, bot, \
             first_commit_at, merged_at, commits, labels, paths) \
             SELECT '{key}', id, NULL, false, '{title}', 'ada', false, 1772352000, 1772355600, \
             '[]', '[]', '[]' FROM repository WHERE slug = '{repo}'"
        )
    }));
    rows
}

/// How many changes keep their key after their repository's slug.
async fn kept_after_slug(store: &Store) -> i64 {
    rows_in(store, "change_row WHERE key_repo_id <> 0").await
}

async fn check_migrated(store: &Store) {
    assert_eq!(
        kept_after_slug(store).await,
        3,
        "the keys starting with their slug"
    );
    let mut read = Vec::new();
    for (key, repo, title) in STORED {
        let change = store
            .change(key)
            .await
            .expect("reads")
            .unwrap_or_else(|| panic!("{key} is found"));
        assert_eq!(
            (
                change.key.as_str(),
                change.repo.to_string(),
                change.title.as_str()
            ),
            (key, repo.to_string(), title),
        );
        read.push(change);
    }
    let rewritten: Vec<Change> = read
        .into_iter()
        .map(|c| Change {
            title: format!("{} again", c.title),
            ..c
        })
        .collect();
    store.upsert_changes(&rewritten).await.expect("rewrites");
    assert_eq!(rows_in(store, "change").await, 5, "updated, not added");
    assert_eq!(kept_after_slug(store).await, 3);
    for written in &rewritten {
        let read = store.change(&written.key).await.expect("reads");
        assert_eq!(read.as_ref(), Some(written));
    }
}

#[tokio::test]
async fn sqlite_change_keys_lose_their_repository_slug() {
    old_store::on_sqlite(38, &old_rows(), check_migrated).await;
}

#[tokio::test]
async fn postgres_change_keys_lose_their_repository_slug() {
    old_store::on_postgres("change_keys_migration", 38, &old_rows(), check_migrated).await;
}
