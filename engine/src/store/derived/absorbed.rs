//! Changes that are not changes of their own: a merge of one branch into another (a GitFlow
//! release pull request from `develop` into `main`, a maintenance branch merged forward, a
//! back-merge), and a cherry-pick (`git cherry-pick -x`) of another change. They never ship;
//! their commits ship the changes that hold them (see [`holders`] and [`not_absorbed`]).

use super::RepoAnalysis;
use crate::store::StoreError;
use crate::store::codec::{Statement, Value};

/// Why a change was absorbed, for `explain`.
const MERGE_REASON: &str =
    "a merge of one branch into another: every commit of it belongs to a change merged before it";
const PICK_REASON: &str = "a cherry-pick (git cherry-pick -x) of another change's commits: it is \
     that change, shipped by whichever copy reaches production first";

/// The commits `o` of the change `c` that are its own work: all but its merge sha (a direct
/// push's only commit is its merge sha).
const OWN_COMMIT: &str =
    "o.change = c.key AND (c.number IS NULL OR o.sha <> COALESCE(c.merge_sha, ''))";

impl RepoAnalysis<'_> {
    /// Records every change of the repository whose own commits all belong to changes merged
    /// before it, or are cherry-picks of commits other changes hold.
    pub(super) async fn find_absorbed_changes(&mut self) -> Result<(), StoreError> {
        let (earlier_key, key) = (self.bytewise("d.key"), self.bytewise("c.key"));
        let sql = format!(
            "INSERT INTO absorbed_change (change, reason) \
             SELECT c.key, CASE WHEN EXISTS (SELECT 1 FROM change_commit o \
                 WHERE {OWN_COMMIT} AND o.picked_from IS NOT NULL) THEN $2 ELSE $3 END \
             FROM change c WHERE c.repo = $1 \
             AND EXISTS (SELECT 1 FROM change_commit o WHERE {OWN_COMMIT}) \
             AND NOT EXISTS (SELECT 1 FROM change_commit o WHERE {OWN_COMMIT} \
                 AND NOT EXISTS (SELECT 1 FROM change_commit h JOIN change d ON d.key = h.change \
                     WHERE h.repo = $1 AND h.sha = o.sha AND h.change <> c.key \
                     AND (d.merged_at < c.merged_at \
                          OR (d.merged_at = c.merged_at AND {earlier_key} < {key}))) \
                 AND NOT (o.picked_from IS NOT NULL AND EXISTS (SELECT 1 FROM change_commit h \
                     WHERE h.repo = $1 AND h.sha = o.picked_from AND h.change <> c.key))) \
             ON CONFLICT DO NOTHING"
        );
        let params = vec![
            self.slug(),
            Value::text(PICK_REASON),
            Value::text(MERGE_REASON),
        ];
        self.report.absorbed += self.tx.execute(Statement::new(sql, params)).await? as usize;
        Ok(())
    }
}

/// A query of `(sha, change)`: the changes of the repository `repo` (a placeholder) that hold a
/// commit matching `condition` (on a `sha` column), that hold the commit it was cherry-picked
/// from, or, when the commit belongs to a change carrying cherry-picks (a squash-merged copy),
/// that hold the commits those were picked from; absorbed changes left out.
pub(super) fn holders(repo: &str, condition: &str) -> String {
    let matching = format!(
        "SELECT sha, change, picked_from FROM change_commit WHERE repo = {repo} AND {condition}"
    );
    format!(
        "SELECT h.sha, h.change FROM (\
             SELECT m.sha, m.change FROM ({matching}) m \
             UNION SELECT m.sha, o.change FROM ({matching}) m \
                 JOIN change_commit o ON o.repo = {repo} AND o.sha = m.picked_from \
             UNION SELECT m.sha, o.change FROM ({matching}) m \
                 JOIN change_commit p ON p.change = m.change AND p.picked_from IS NOT NULL \
                 JOIN change_commit o ON o.repo = {repo} AND o.sha = p.picked_from) h \
         WHERE {}",
        not_absorbed("h.change")
    )
}

/// A condition true when the change in `column` is not absorbed.
pub(super) fn not_absorbed(column: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM absorbed_change a WHERE a.change = {column})")
}
