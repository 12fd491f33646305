//! Changes that are not changes of their own: a merge of one branch into another (a GitFlow
//! release pull request from `develop` into `main`, a maintenance branch merged forward, a
//! back-merge), and a cherry-pick (`git cherry-pick -x`) of another change. They never ship;
//! their commits ship the changes that hold them, and a cherry-pick's commits (and its merge sha)
//! ship the original (`shipped_through`). See [`holders`] and [`not_absorbed`].
//!
//! Every lookup goes through the primary keys of `change_commit` (repository, sha) and `change`
//! (key): only changes that share a commit with another change, or carry cherry-picks, are
//! looked at, so the cost follows the repository's commits, not their pairs.

use super::{LIST, RepoAnalysis};
use crate::model::Change;
use crate::store::StoreError;
use crate::store::change_key;
use crate::store::codec::{self, Statement, Value};
use crate::store::sha_form::ShaForm;
use std::collections::{HashMap, HashSet};

/// Why a change was absorbed, for `explain`.
const MERGE_REASON: &str =
    "a merge of one branch into another: every commit of it belongs to a change merged before it";
const PICK_REASON: &str = "a cherry-pick (git cherry-pick -x) of another change's commits: it is \
     that change, shipped by whichever copy reaches production first";

/// Changes of the repository `$1` that share a commit with another change, or carry
/// cherry-picks: the only ones that can be absorbed. The shared commits come from one pass over
/// the repository's rows in key order (the rows of a sha held twice are neighbours), not from a
/// lookup per row: 0.43 s instead of 0.79 s for the 40 repositories of the 100k benchmark.
const CANDIDATES: &str = "SELECT key FROM change WHERE id IN (\
         SELECT a.change_id FROM change_commit a \
         WHERE a.repo_id = (SELECT id FROM repository WHERE slug = $1) \
         AND a.sha IN (SELECT sha FROM change_commit \
             WHERE repo_id = (SELECT id FROM repository WHERE slug = $1) \
             GROUP BY sha HAVING COUNT(*) > 1)) \
     UNION SELECT key FROM change WHERE repo = $1 AND cherry_picks <> '[]'";

/// Who holds a commit: (change, merged at), for comparing with the change that also holds it.
type Holders = HashMap<String, Vec<(String, i64)>>;

impl RepoAnalysis<'_> {
    /// Records every change of the repository whose own commits all belong to changes merged
    /// before it, or are cherry-picks of commits other changes hold; and which commits ship an
    /// original through its copies. Replaces what the last full derivation found.
    pub(super) async fn find_absorbed_changes(&mut self) -> Result<(), StoreError> {
        // The delete reads every change key of the repository, even from an empty table (0.4 s
        // of the derivations after a 100k first load, where no change is absorbed yet).
        let any_absorbed = self
            .tx
            .fetch_optional(
                Statement::new("SELECT 1 AS one FROM absorbed_change LIMIT 1", vec![]),
                |_| Ok(()),
            )
            .await?
            .is_some();
        if any_absorbed {
            self.tx
                .execute(Statement::new(
                    "DELETE FROM absorbed_change WHERE change IN \
                     (SELECT key FROM change WHERE repo = $1)",
                    vec![self.slug()],
                ))
                .await?;
        }
        self.tx
            .execute(Statement::new(
                "DELETE FROM shipped_through WHERE repo = $1",
                vec![self.slug()],
            ))
            .await?;
        let keys = self
            .tx
            .fetch_all(Statement::new(CANDIDATES, vec![self.slug()]), |row| {
                Ok(row.text("key")?)
            })
            .await?;
        let mut absorbed = Vec::new();
        let mut through = Vec::new();
        for chunk in keys.chunks(LIST) {
            let changes = self.changes(chunk).await?;
            let mut shas: Vec<String> = changes
                .iter()
                .flat_map(|c| own_commits(c).into_iter().chain(pick_sources(c)))
                .collect();
            shas.sort_unstable();
            shas.dedup();
            let holders = self.holders_of(&shas).await?;
            for change in &changes {
                let originals: HashSet<&str> = pick_sources(change)
                    .iter()
                    .flat_map(|sha| held_by_others(&holders, sha, &change.key))
                    .map(|(key, _)| key.as_str())
                    .collect();
                for pick in &change.cherry_picks {
                    for (original, _) in held_by_others(&holders, &pick.from, &change.key) {
                        through.push((pick.commit.to_ascii_lowercase(), original.clone()));
                    }
                }
                let Some(reason) = absorption(change, &holders) else {
                    continue;
                };
                absorbed.push((change.key.clone(), reason));
                if reason == PICK_REASON
                    && let Some(merge) = &change.merge_sha
                {
                    for original in &originals {
                        through.push((merge.to_ascii_lowercase(), original.to_string()));
                    }
                }
            }
        }
        self.report.absorbed += absorbed.len();
        let absorbed_rows = absorbed
            .into_iter()
            .map(|(key, reason)| vec![Value::text(key), Value::text(reason)])
            .collect();
        let through_rows = through
            .into_iter()
            .map(|(sha, change)| vec![self.slug(), Value::text(sha), Value::text(change)])
            .collect();
        let mut statements = codec::insert_statements(
            "INSERT INTO absorbed_change (change, reason)",
            "ON CONFLICT DO NOTHING",
            absorbed_rows,
        );
        statements.extend(codec::insert_statements(
            "INSERT INTO shipped_through (repo, sha, change)",
            "ON CONFLICT DO NOTHING",
            through_rows,
        ));
        for statement in statements {
            self.tx.execute(statement).await?;
        }
        Ok(())
    }

    async fn changes(&mut self, keys: &[String]) -> Result<Vec<Change>, StoreError> {
        let sql = format!(
            "SELECT {} FROM change WHERE id IN ({})",
            codec::CHANGE_COLUMNS,
            change_key::ids_keyed(
                &change_key::values_from(1, keys.len()),
                "v.column1",
                self.tx.is_postgres()
            )
        );
        let params = keys.iter().map(Value::text).collect();
        self.tx
            .fetch_all(Statement::new(sql, params), codec::change)
            .await
    }

    /// For each sha: the changes of the repository holding it, with their merge times.
    async fn holders_of(&mut self, shas: &[String]) -> Result<Holders, StoreError> {
        let mut holders = Holders::new();
        let form = self.sha_form();
        for chunk in shas.chunks(LIST) {
            let mut params = vec![self.slug()];
            params.extend(chunk.iter().map(|sha| form.value(sha)));
            let sql = format!(
                "SELECT {} AS sha, c.key AS change, c.merged_at FROM change_commit cc \
                 JOIN change c ON c.id = cc.change_id \
                 WHERE cc.repo_id = (SELECT id FROM repository WHERE slug = $1) \
                 AND cc.sha IN ({})",
                form.text("cc.sha"),
                codec::placeholders(2, chunk.len())
            );
            let rows = self
                .tx
                .fetch_all(Statement::new(sql, params), |row| {
                    Ok((row.text("sha")?, row.text("change")?, row.int("merged_at")?))
                })
                .await?;
            for (sha, change, merged) in rows {
                holders.entry(sha).or_default().push((change, merged));
            }
        }
        Ok(holders)
    }
}

/// The commits of a change that are its own work, lower-cased: all but its merge sha (a direct
/// push's only commit is its merge sha).
fn own_commits(change: &Change) -> Vec<String> {
    let merge = change.merge_sha.as_deref().map(str::to_ascii_lowercase);
    change
        .commits
        .iter()
        .map(|sha| sha.to_ascii_lowercase())
        .filter(|sha| change.number.is_none() || Some(sha) != merge.as_ref())
        .collect()
}

fn pick_sources(change: &Change) -> Vec<String> {
    change
        .cherry_picks
        .iter()
        .map(|p| p.from.to_ascii_lowercase())
        .collect()
}

/// The changes other than `key` holding `sha`.
fn held_by_others<'a>(
    holders: &'a Holders,
    sha: &str,
    key: &'a str,
) -> impl Iterator<Item = &'a (String, i64)> {
    holders
        .get(sha)
        .into_iter()
        .flatten()
        .filter(move |(other, _)| other != key)
}

/// Why `change` is not a change of its own, if it is not: every own commit is held by a change
/// merged before it, or is a cherry-pick of a commit another change holds.
fn absorption(change: &Change, holders: &Holders) -> Option<&'static str> {
    let own = own_commits(change);
    if own.is_empty() {
        return None;
    }
    let merged = change.merged_at.timestamp();
    let mut picked = false;
    for sha in &own {
        let earlier = held_by_others(holders, sha, &change.key)
            .any(|(other, at)| (*at, other.as_str()) < (merged, change.key.as_str()));
        if earlier {
            continue;
        }
        let copy_of_held = change
            .cherry_picks
            .iter()
            .filter(|p| p.commit.eq_ignore_ascii_case(sha))
            .any(|p| {
                held_by_others(holders, &p.from.to_ascii_lowercase(), &change.key)
                    .next()
                    .is_some()
            });
        if !copy_of_held {
            return None;
        }
        picked = true;
    }
    Some(if picked { PICK_REASON } else { MERGE_REASON })
}

/// A query of `(sha, change)`: the changes of the repository `repo` (a placeholder) that hold a
/// commit matching `in_commits` (on `change_commit`'s `sha`, kept in `form`), or that such a
/// commit ships through a cherry-pick (`in_shipped`, the same on `shipped_through`'s text `sha`);
/// absorbed changes left out.
pub(super) fn holders(repo: &str, form: ShaForm, in_commits: &str, in_shipped: &str) -> String {
    format!(
        "SELECT h.sha, h.change FROM (\
             SELECT {} AS sha, c.key AS change FROM change_commit cc \
             JOIN change c ON c.id = cc.change_id \
             WHERE cc.repo_id = (SELECT id FROM repository WHERE slug = {repo}) AND {in_commits} \
             UNION SELECT sha, change FROM shipped_through WHERE repo = {repo} AND {in_shipped}) h \
         WHERE {}",
        form.text("cc.sha"),
        not_absorbed("h.change")
    )
}

/// A condition true when the change in `column` is not absorbed.
pub(super) fn not_absorbed(column: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM absorbed_change a WHERE a.change = {column})")
}
