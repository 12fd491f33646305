//! A bulk write (an import, a replay) leaves `change_commit` alone until it commits, then writes
//! the rows of every change it wrote in one statement, in the table's key order. Written batch by
//! batch, the rows landed at random places in the table (a sha is random within its repository),
//! about 5 µs each: 6.9 s of the 100,000-deployment import's 1.3 M rows, against about 3.3 s in
//! one ordered statement.
//!
//! The rows come from the changes as stored at commit: each change's merge sha and commits, as
//! the batch-by-batch write gives them (and the stored commits of a change rewritten without
//! any, which that write keeps). Their stored versions' rows are still deleted batch by batch
//! (`records::delete_change_commits`), so a change stored before the bulk write and rewritten by
//! it ends with the rows of its new version alone.

use super::codec::{self, Statement, Value};
use crate::model::Change;

/// The keys of the changes a bulk write wrote (a temporary table of its connection, dropped when
/// it commits).
const WRITTEN_CHANGES: &str = "bulk_written_change";

/// Creates the table of the changes written, inside the bulk write's transaction.
pub(super) fn create_written_changes() -> Statement {
    Statement::new(
        format!("CREATE TEMPORARY TABLE {WRITTEN_CHANGES} (key TEXT NOT NULL)"),
        vec![],
    )
}

/// Notes the changes of a batch as written.
pub(super) fn remember_written_changes(changes: &[&Change]) -> Vec<Statement> {
    codec::insert_statements(
        &format!("INSERT INTO {WRITTEN_CHANGES} (key)"),
        "",
        changes.iter().map(|c| vec![Value::text(&c.key)]).collect(),
    )
}

/// Writes the `change_commit` rows of every change written (a change written in several batches
/// once), then drops the table of their keys.
pub(super) fn write_change_commits(postgres: bool) -> Vec<Statement> {
    let commits = if postgres {
        "jsonb_array_elements_text(c.commits::jsonb) AS j(value)"
    } else {
        "json_each(c.commits) AS j"
    };
    vec![
        Statement::new(
            format!(
                "INSERT INTO change_commit (repo, sha, change) \
                 SELECT c.repo, lower(j.value), c.key \
                 FROM {WRITTEN_CHANGES} w JOIN change c ON c.key = w.key, {commits} \
                 UNION ALL \
                 SELECT c.repo, lower(c.merge_sha), c.key \
                 FROM {WRITTEN_CHANGES} w JOIN change c ON c.key = w.key \
                 WHERE c.merge_sha IS NOT NULL \
                 ORDER BY 1, 2, 3 \
                 ON CONFLICT DO NOTHING"
            ),
            vec![],
        ),
        Statement::new(format!("DROP TABLE {WRITTEN_CHANGES}"), vec![]),
    ]
}
