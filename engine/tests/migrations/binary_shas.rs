//! Migration 0033: on SQLite `change_commit` keeps full shas as bytes and abbreviations as text;
//! the commits stored before it are found again either way, by full sha, by a stored
//! abbreviation and by an incident naming a prefix, on both backends.

use crate::old_store;
use engine::analysis::AnalysisOptions;
use engine::model::RepoSlug;
use engine::store::Store;
use engine::store::testing::derived_rows;

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

/// `acme/web#1` (merge sha A, commit B) and `#2`, whose only commit was stored abbreviated;
/// deployment 7 declares B, deployment 8 the full sha the abbreviation stands for; a team's
/// incident blames the commit `bbbbbbb`.
fn old_rows() -> Vec<String> {
    vec![
        "INSERT INTO repository (slug, owner, name) VALUES ('acme/web', 'acme', 'web')".into(),
        format!(
            "INSERT INTO change (key, repo, number, title, author, bot, first_commit_at, \
             opened_at, first_review_at, merged_at, merge_sha, commits, labels, branch, paths, \
             reverts, fixes) VALUES \
             ('acme/web#1', 'acme/web', 1, 'One', 'ada', false, 1772352000, NULL, NULL, \
              1772355600, '{A}', '[\"{B}\"]', '[]', NULL, '[]', NULL, NULL), \
             ('acme/web#2', 'acme/web', 2, 'Two', 'ada', false, 1772352000, NULL, NULL, \
              1772359200, NULL, '[\"cccccccc\"]', '[]', NULL, '[]', NULL, NULL)"
        ),
        format!(
            "INSERT INTO change_commit (repo_id, sha, change_id) \
             SELECT r.id, x.sha, c.id FROM repository r, change c, (\
             SELECT '{A}' AS sha, 'acme/web#1' AS change UNION ALL \
             SELECT '{B}', 'acme/web#1' UNION ALL SELECT 'cccccccc', 'acme/web#2') x \
             WHERE r.slug = 'acme/web' AND c.key = x.change"
        ),
        format!(
            "INSERT INTO deployment (key, repo, environment, sha, status, started_at, \
             finished_at, source, rollback, declared_changes, declared_commits) VALUES \
             ('acme/web/deployments/7', 'acme/web', 'production', '{A}', 'success', NULL, \
              1772359000, 'github_deployment', false, NULL, '[\"{B}\"]'), \
             ('acme/web/deployments/8', 'acme/web', 'production', '{C}', 'success', NULL, \
              1772362800, 'github_deployment', false, NULL, '[\"{C}\"]')"
        ),
        "INSERT INTO incident (key, repo, team, title, opened_at, resolved_at, source, \
         cause_kind, cause_ref) VALUES ('pagerduty/P1', NULL, 'web', 'Down', 1772366400, NULL, \
         'webhook', 'sha', 'bbbbbbb')"
            .into(),
    ]
}

async fn check_migrated(store: &Store) {
    let web: RepoSlug = "acme/web".parse().expect("slug");
    store
        .reanalyze(std::slice::from_ref(&web), &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    assert_eq!(
        derived_rows(store).await,
        [
            "failure acme/web/deployments/7 incident pagerduty/P1 incident `pagerduty/P1` (Down): \
             the incident names commit bbbbbbb of acme/web, shipped by deployment \
             acme/web/deployments/7 -",
            "incident pagerduty/P1 acme/web/deployments/7 the incident names commit bbbbbbb of \
             acme/web, shipped by deployment acme/web/deployments/7",
            "shipment acme/web/deployments/7 acme/web#1",
            "shipment acme/web/deployments/8 acme/web#2",
        ],
        "a full sha, an abbreviation and an incident's prefix find their changes"
    );
}

#[tokio::test]
async fn sqlite_change_commits_keep_full_shas_as_bytes() {
    old_store::on_sqlite(33, &old_rows(), check_migrated).await;
}

#[tokio::test]
async fn postgres_change_commits_keep_their_shas() {
    old_store::on_postgres("binary_shas_migration", 33, &old_rows(), check_migrated).await;
}
