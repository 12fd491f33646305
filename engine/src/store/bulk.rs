//! What a bulk write (an import, a replay) does differently from other writes.
//!
//! On SQLite its connection keeps a larger page cache ([`BULK_CACHE_KIB`]).
//!
//! It leaves `change_commit` alone until it commits, then writes the rows of every change it
//! wrote in one statement, in the table's key order. Written batch by batch, the rows landed at
//! random places in the table (a sha is random within its repository), about 5 µs each: 6.9 s of
//! the 100,000-deployment import's 1.3 M rows, against about 3.3 s in one ordered statement.
//!
//! The rows come from the changes as stored at commit: each change's merge sha and commits, as
//! the batch-by-batch write gives them (and the stored commits of a change rewritten without
//! any, which that write keeps). Their stored versions' rows are still deleted batch by batch
//! (`records::delete_change_commits`), so a change stored before the bulk write and rewritten by
//! it ends with the rows of its new version alone.

use super::change_key;
use super::codec::{self, Statement, Value};
use super::sha_form::{SHA_BYTES, ShaForm};
use crate::model::Change;

/// The page cache of a bulk write's connection on SQLite, in KiB (SQLite's default is 2,000):
/// large enough that the pages of the indexes a bulk write fills in random key order (delivery
/// ids, shas) are mostly written once rather than spilled to the write-ahead log page by page
/// again and again. 48 MiB imports the 100k benchmark as fast as 96 MiB did (and 16 MiB too),
/// and keeps the import of 1M deployments under 200 MB of memory (183 MB instead of 247 MB).
/// The connection keeps it until it closes, which for these commands is when the process ends.
const BULK_CACHE_KIB: u32 = 49_152;

/// The page cache while the `change_commit` rows are sorted, in KiB: SQLite sorts in memory as
/// much as the cache may hold, on top of the cache, and a smaller cache for the sort keeps the
/// import's peak memory where it was (at 48 MiB the 100k import peaked at 171-179 MB instead of
/// 125-132 MB).
const SORT_CACHE_KIB: u32 = 8_192;

/// The repositories and keys (as `change_key::form` keeps them) of the changes a bulk write
/// wrote (a temporary table of its connection, dropped when
/// it commits).
const WRITTEN_CHANGES: &str = "bulk_written_change";

/// Sets up a bulk write, inside its transaction.
pub(super) fn begin(postgres: bool) -> Vec<Statement> {
    let mut statements = Vec::new();
    if !postgres {
        statements.push(cache_size(BULK_CACHE_KIB));
    }
    statements.push(Statement::new(
        format!(
            "CREATE TEMPORARY TABLE {WRITTEN_CHANGES} \
             (repo TEXT NOT NULL, after_slug BOOLEAN NOT NULL, rest TEXT NOT NULL)"
        ),
        vec![],
    ));
    statements
}

/// Notes the changes of a batch as written.
pub(super) fn remember_written_changes(changes: &[&Change]) -> Vec<Statement> {
    codec::insert_statements(
        &format!("INSERT INTO {WRITTEN_CHANGES} (repo, after_slug, rest)"),
        "",
        changes
            .iter()
            .map(|c| {
                let repo = c.repo.to_string();
                let [after_slug, rest] = change_key::form_values(&c.key, &repo);
                vec![Value::text(repo), after_slug, rest]
            })
            .collect(),
    )
}

/// Positions in a change's packed commits (a temporary table of the connection, dropped when
/// the bulk write commits): -1 stands for the merge sha.
const POSITIONS: &str = "bulk_commit_position";

/// Writes the `change_commit` rows of every change written (a change written in several batches
/// once), then drops the table of their keys. `longest` bounds how many commits a written change
/// holds. `every_change`: the store held no change when the bulk write began, so every change
/// it holds now was written by it, read in storage order without the table of their keys (which
/// such a write leaves empty).
///
/// On SQLite a change's commits are mostly packed, 20 bytes each (`store/sha_form.rs`): they are
/// cut at each position up to `longest`, which also gives the merge sha (position -1), in one
/// pass over the changes; lists kept as JSON (abbreviations, rows of older versions) go through
/// `json_each` in a second pass, the only one on PostgreSQL.
pub(super) fn write_change_commits(
    postgres: bool,
    longest: usize,
    every_change: bool,
) -> Vec<Statement> {
    let form = ShaForm::of(postgres);
    // On SQLite the written keys lead (a `CROSS JOIN` keeps its order) and each change is found
    // by its key: left to itself the planner read the changes in `change_by_repo_merged`'s order
    // (their repository ids, the first key of the sort) and fetched each row from there.
    let join = if postgres { "JOIN" } else { "CROSS JOIN" };
    let written = if every_change {
        "FROM change_row c".to_string()
    } else {
        format!(
            "FROM {WRITTEN_CHANGES} w {join} repository r ON r.slug = w.repo \
             {join} change_row c ON {}",
            change_key::in_repo_form("c", "r.id", "w.after_slug", "w.rest")
        )
    };
    let listed = if postgres {
        format!(
            "SELECT c.repo_id, {}, c.id {written}, \
             jsonb_array_elements_text(c.commits::jsonb) AS j(value) \
             UNION ALL SELECT c.repo_id, {}, c.id {written} WHERE c.merge_sha IS NOT NULL",
            form.stored("j.value"),
            form.stored("c.merge_sha")
        )
    } else {
        format!(
            "SELECT c.repo_id, {}, c.id {written}, \
             json_each(CASE WHEN typeof(c.commits) = 'text' THEN c.commits END) AS j \
             UNION ALL SELECT c.repo_id, CASE WHEN p.n >= 0 \
             THEN substr(c.commits, p.n * {SHA_BYTES} + 1, {SHA_BYTES}) \
             WHEN typeof(c.merge_sha) = 'blob' THEN c.merge_sha ELSE {} END, c.id {written} \
             JOIN {POSITIONS} p ON p.n >= -1 AND p.n < CASE WHEN typeof(c.commits) = 'blob' \
             THEN length(c.commits) / {SHA_BYTES} ELSE 0 END \
             WHERE p.n >= 0 OR c.merge_sha IS NOT NULL",
            form.stored("j.value"),
            form.stored("c.merge_sha")
        )
    };
    let insert = Statement::new(
        format!(
            "INSERT INTO change_commit (repo_id, sha, change_id) {listed} \
             ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING"
        ),
        vec![],
    );
    let drop = Statement::new(format!("DROP TABLE {WRITTEN_CHANGES}"), vec![]);
    if postgres {
        return vec![insert, drop];
    }
    let positions = (-1..longest as i64).map(|n| vec![Value::int(n)]).collect();
    let mut statements = vec![Statement::new(
        format!("CREATE TEMPORARY TABLE {POSITIONS} (n INTEGER PRIMARY KEY)"),
        vec![],
    )];
    statements.extend(codec::insert_statements(
        &format!("INSERT INTO {POSITIONS} (n)"),
        "",
        positions,
    ));
    statements.extend([
        cache_size(SORT_CACHE_KIB),
        insert,
        cache_size(BULK_CACHE_KIB),
        drop,
        Statement::new(format!("DROP TABLE {POSITIONS}"), vec![]),
    ]);
    statements
}

/// Sets the page cache of a SQLite connection (and how much its sorts keep in memory).
fn cache_size(kib: u32) -> Statement {
    Statement::new(format!("PRAGMA cache_size = -{kib}"), vec![])
}
