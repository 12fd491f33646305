//! How the store keeps a change's key (migration 0038). The keys sources give changes start with
//! the repository's slug (`owner/name#42` for a pull request, `owner/name@sha` for a push): the
//! slug was 21 of the 24 bytes of each key at the benchmark's 100,000 deployments, and again of
//! each entry of the unique index of keys. A change whose key starts with its repository's slug
//! and `#` or `@` keeps the rest (`#42`) in `change_row.key_rest`, and that repository's id in
//! `key_repo_id`; any other key is kept whole, with `key_repo_id` 0. The pair is unique, as keys
//! are (the index `change_by_key`), and the view `change` gives every key whole.
//!
//! The SQL here finds changes by key through that index: by the key and the repository when the
//! repository is known, by the two forms a key may be kept in when it is not.

use super::codec::{Statement, Value};
use crate::model::RepoSlug;
use std::fmt::Write as _;

/// SQL: whether the key `key` starts with the slug of `repo` (an alias of `repository`) and `#`
/// or `@` (a slug holds neither).
fn names(key: &str, repo: &str) -> String {
    format!("substr({key}, 1, length({repo}.slug) + 1) IN ({repo}.slug || '#', {repo}.slug || '@')")
}

/// SQL: the `key_repo_id` of the change keyed `key` in the repository `repo` (an alias of
/// `repository`).
pub(crate) fn stored_repo_id(key: &str, repo: &str) -> String {
    format!("CASE WHEN {} THEN {repo}.id ELSE 0 END", names(key, repo))
}

/// SQL: the `key_rest` of the change keyed `key` in the repository `repo`.
pub(crate) fn stored_rest(key: &str, repo: &str) -> String {
    format!(
        "CASE WHEN {} THEN substr({key}, length({repo}.slug) + 1) ELSE {key} END",
        names(key, repo)
    )
}

/// SQL: the change `row` (an alias of `change_row`) is the one keyed `key` in the repository
/// `repo` (an alias of `repository`): one probe of `change_by_key`.
pub(crate) fn in_repo(row: &str, repo: &str, key: &str) -> String {
    format!(
        "{row}.key_repo_id = {} AND {row}.key_rest = {} AND {row}.repo_id = {repo}.id",
        stored_repo_id(key, repo),
        stored_rest(key, repo)
    )
}

/// SQL: the ids of the changes keyed `key`, in whichever repository: the key kept whole, or kept
/// after the slug it starts with (two probes of `change_by_key`). `from` names what `key` reads,
/// followed by `CROSS JOIN` (`(VALUES ...) AS v CROSS JOIN `), or is empty when `key` is a
/// parameter or a column of the enclosing query.
pub(crate) fn ids_keyed(from: &str, key: &str, postgres: bool) -> String {
    // Where the slug would end: the key's first `#` or `@` (past its end when it has neither).
    let at = if postgres {
        format!("least(strpos({key} || '#', '#'), strpos({key} || '@', '@'))")
    } else {
        format!("min(instr({key} || '#', '#'), instr({key} || '@', '@'))")
    };
    format!(
        "SELECT kc.id FROM {from}change_row kc WHERE kc.key_repo_id = 0 AND kc.key_rest = {key} \
         UNION ALL SELECT kc.id FROM {from}repository kr \
         JOIN change_row kc ON kc.key_repo_id = kr.id AND kc.key_rest = substr({key}, {at}) \
         WHERE kr.slug = substr({key}, 1, {at} - 1)"
    )
}

/// `(VALUES ($first), ($first + 1), ...) AS v CROSS JOIN `: the `from` of [`ids_keyed`] for `n`
/// keys bound from `$first` on, read as `v.column1`.
pub(crate) fn values_from(first: usize, n: usize) -> String {
    format!("(VALUES {}) AS v CROSS JOIN ", value_rows(first, n))
}

/// `($first), ($first + 1), ...`: `n` parameters as the rows of a `VALUES`.
pub(crate) fn value_rows(first: usize, n: usize) -> String {
    let rows: Vec<String> = (first..first + n).map(|i| format!("(${i})")).collect();
    rows.join(", ")
}

/// How the change keyed `key` in the repository `repo` (its slug) keeps its key, as
/// [`stored_repo_id`] and [`stored_rest`] decide in SQL: whether after the slug (`key_repo_id` is
/// then the repository's id, else 0), and the rest kept (`key_rest`).
pub(crate) fn form<'a>(key: &'a str, repo: &str) -> (bool, &'a str) {
    match key.find(['#', '@']) {
        Some(at) if &key[..at] == repo => (true, &key[at..]),
        _ => (false, key),
    }
}

/// The values of [`form`], as parameters: whether after the slug, and the rest.
pub(crate) fn form_values(key: &str, repo: &str) -> [Value; 2] {
    let (after_slug, rest) = form(key, repo);
    [Value::Bool(after_slug), Value::text(rest)]
}

/// SQL: the change `row` (an alias of `change_row`) of the repository whose id is `repo_id`
/// keeps its key in the [`form`] given by `after_slug` and `rest` (values computed in Rust):
/// one probe of `change_by_key`, with no string work per row.
pub(crate) fn in_repo_form(row: &str, repo_id: &str, after_slug: &str, rest: &str) -> String {
    format!(
        "{} AND {row}.repo_id = {repo_id}",
        in_form(row, repo_id, after_slug, rest)
    )
}

/// SQL: the change `row` keeps its key in the form given by `after_slug` and `rest`, after the
/// slug of the repository whose id is `repo_id` or whole, in whichever repository it is.
fn in_form(row: &str, repo_id: &str, after_slug: &str, rest: &str) -> String {
    format!(
        "{row}.key_repo_id = CASE WHEN {after_slug} THEN {repo_id} ELSE 0 END \
         AND {row}.key_rest = {rest}"
    )
}

/// The forms the change keyed `key` may be stored in, when its write is in `repo` (a slug), each
/// as the parameters of a row of [`ids_in_forms`]: the form that write gives it (unless
/// `moves_only`), and the other (kept whole, or after the slug the key starts with), where it
/// would be if it has moved between repositories. `whole_keys_stored` says whether the store
/// keeps any key whole: when it keeps none, a key kept after its slug has no other form to look
/// up (an import of pull requests and pushes).
pub(crate) fn possible_forms(
    key: &str,
    repo: &str,
    whole_keys_stored: bool,
    moves_only: bool,
) -> Vec<[Value; 3]> {
    let row = |slug: &str, after_slug: bool, rest: &str| {
        [
            Value::text(slug),
            Value::Bool(after_slug),
            Value::text(rest),
        ]
    };
    let (after_slug, rest) = form(key, repo);
    let mut forms = Vec::with_capacity(2);
    if !moves_only {
        forms.push(row(repo, after_slug, rest));
    }
    if after_slug {
        if whole_keys_stored {
            forms.push(row(repo, false, key));
        }
    } else if let Some(at) = key.find(['#', '@']) {
        forms.push(row(&key[..at], true, &key[at..]));
    }
    forms
}

/// Whether the store keeps any change's key whole (see [`possible_forms`]).
pub(crate) const WHOLE_KEYS_STORED: &str =
    "SELECT 1 AS one FROM change_row WHERE key_repo_id = 0 LIMIT 1";

/// SQL: the id of the change stored in each form of `n` rows of [`possible_forms`] bound from
/// `$first` on, NULL where none is (a form naming a repository the store does not hold finds
/// nothing): one probe of `change_by_key` each. A subquery per row, not a join, so neither
/// backend can choose to scan the changes (PostgreSQL, without statistics during an import, did:
/// 65 s at 100k).
pub(crate) fn ids_in_forms(first: usize, n: usize) -> String {
    let mut rows = String::with_capacity(n * 20);
    for p in (first..first + 3 * n).step_by(3) {
        let comma = if p > first { ", " } else { "" };
        // Writing to a String cannot fail.
        let _ = write!(rows, "{comma}(${p}, ${}, ${})", p + 1, p + 2);
    }
    format!(
        "SELECT (SELECT kc.id FROM change_row kc WHERE {}) AS id FROM (VALUES {rows}) AS v",
        in_form(
            "kc",
            "(SELECT kr.id FROM repository kr WHERE kr.slug = v.column1)",
            "v.column2",
            "v.column3"
        )
    )
}

/// Keeps the key of the stored change `id` in the form its write in `repo` gives it: the write
/// moves it to or from the repository its key starts with, and its upsert finds it by that form.
pub(crate) fn rekey(id: i64, key: &str, repo: &RepoSlug) -> Statement {
    Statement::new(
        format!(
            "UPDATE change_row SET key_repo_id = {}, key_rest = {} FROM repository r \
             WHERE r.slug = $3 AND change_row.id = $1",
            stored_repo_id("$2", "r"),
            stored_rest("$2", "r")
        ),
        vec![
            Value::int(id),
            Value::text(key),
            Value::text(repo.to_string()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_kept_after_the_slug_only_when_the_slug_ends_at_a_hash_or_at_sign() {
        let web = "acme/web";
        assert_eq!(form("acme/web#42", web), (true, "#42"));
        assert_eq!(form("acme/web@0123abc", web), (true, "@0123abc"));
        for whole in [
            "acme/webapp#4",
            "acme/api#5",
            "ACME/web#3",
            "JIRA-7",
            "acme/web",
            "",
        ] {
            assert_eq!(form(whole, web), (false, whole), "{whole} is kept whole");
        }
    }

    #[test]
    fn value_rows_number_their_parameters_in_order() {
        assert_eq!(value_rows(2, 3), "($2), ($3), ($4)");
        assert_eq!(values_from(1, 1), "(VALUES ($1)) AS v CROSS JOIN ");
    }
}
