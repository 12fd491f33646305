//! Re-running the analysis of repositories (the rules in [`crate::analysis`]) and replacing what
//! it derived.
//!
//! Streamed, so memory stays flat however long a repository's history: one transaction per
//! repository deletes its derived rows, then walks its deployments, changes and incidents in
//! time order a page at a time, asking the database for what lies further back (an earlier
//! deployment of the same sha, the change holding a sha, which deployment shipped a change).
//! A change ships once because `deployment_change` is unique on the change: each deployment
//! inserts every change it could ship and keeps those no earlier deployment claimed. Readers see
//! the old facts or the new ones, never a mix.

use super::change_key;
use super::codec::{self, Statement, Touched, Value};
use super::sha_form::ShaForm;
use super::tx::Transaction;
use super::{Store, StoreError};
use crate::analysis::{AnalysisOptions, FailureLink, IncidentLink, ReworkMark};
use crate::model::RepoSlug;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

mod absorbed;
pub(crate) mod causes;
mod incidents;
mod moved;
pub(crate) mod queue;
mod resume;
mod reverts;
mod shas;
mod shipments;
#[cfg(test)]
mod tests;

/// What a reanalysis derived, summed over the repositories it covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReanalyzeReport {
    pub repositories: usize,
    pub shipments: usize,
    pub failures: usize,
    pub rework: usize,
    pub incident_links: usize,
    /// Changes that are not changes of their own (branch merges, cherry-picks).
    pub absorbed: usize,
}

/// Records read per page: bounds memory (a deployment may declare hundreds of commits).
const PAGE: i64 = 200;
/// Parameters per `IN (...)` list.
const LIST: usize = 500;
/// A full sha's length: shorter ones are abbreviations, matched by prefix.
const FULL_SHA: usize = 40;

/// The deployments of the repository `$1`.
const REPO_DEPLOYMENTS: &str = "SELECT key FROM deployment WHERE repo = $1";
/// The ids of the deployments of the repository `$1`.
const REPO_DEPLOYMENT_IDS: &str = "SELECT id FROM deployment WHERE repo = $1";
/// The ids of the changes of the repository `$1`.
const REPO_CHANGE_IDS: &str = "SELECT id FROM change WHERE repo = $1";
/// The repository whose analysis covers the incident `i`: the repository of the deployment or
/// change its cause names, when one is stored (whatever repository the incident names, if any);
/// for an incident without a repository that names a commit, the repository of the earliest
/// merged change holding it (looked up repository by repository, through `change_commit`'s
/// primary key: an index by sha alone would copy the whole table for these rare incidents); else
/// the incident's own repository (NULL: no analysis covers it). SQL for a backend keeping shas in
/// `form`.
/// An incident is analysed exactly once, and every link derived from it points to a deployment of
/// the repository that analyses it, so a reanalysis deletes and rewrites all of it.
pub(crate) fn incident_owner(postgres: bool) -> String {
    let form = ShaForm::of(postgres);
    // The commits the incident names by a prefix: kept as text (abbreviations) or, on SQLite,
    // as full shas in a range of blobs; one branch each, so each is a range of the primary key.
    let holding = |condition: &str| {
        format!(
            "SELECT c.repo, c.merged_at, c.key FROM repository r \
             JOIN change_commit cc ON cc.repo_id = r.id \
             JOIN change c ON c.id = cc.change_id WHERE length(i.cause_ref) >= 7 AND {condition}"
        )
    };
    let mut branches = vec![holding(
        "cc.sha >= lower(i.cause_ref) AND cc.sha < lower(i.cause_ref) || 'g'",
    )];
    branches.extend(
        form.full_range_sql("cc.sha", "lower(i.cause_ref)")
            .map(|range| holding(&range)),
    );
    format!(
        "CASE i.cause_kind \
         WHEN 'deployment' THEN COALESCE(\
         (SELECT d.repo FROM deployment d WHERE d.key = i.cause_ref), i.repo) \
         WHEN 'change' THEN COALESCE(\
         (SELECT c.repo FROM change c WHERE c.id IN ({})), i.repo) \
         WHEN 'sha' THEN COALESCE(i.repo, (SELECT h.repo FROM ({}) h \
         ORDER BY h.merged_at, h.key LIMIT 1)) \
         ELSE i.repo END",
        change_key::ids_keyed("", "i.cause_ref", postgres),
        branches.join(" UNION ALL ")
    )
}

/// The incidents the analysis of the repository `$1` covers (those [`incident_owner`] gives it),
/// one access path each: its own incidents, those of other repositories or of none that name one
/// of its deployments (by the repository of the deployment named, see [`causes`]) or changes, and
/// those of no repository that name a commit. Incidents naming a change are found from the
/// incidents (few) rather than from the repository's changes (many).
fn repo_incidents(postgres: bool) -> String {
    let owner = incident_owner(postgres);
    format!(
        "SELECT i.key FROM incident i WHERE i.repo = $1 AND (i.cause_kind IS NULL \
         OR i.cause_kind = 'sha' OR ({owner}) = $1) \
         UNION ALL SELECT i.key FROM incident i WHERE i.cause_repo = $1 \
         AND i.cause_kind = 'deployment' AND (i.repo IS NULL OR i.repo <> $1) \
         UNION ALL SELECT i.key FROM incident i WHERE i.cause_kind = 'change' \
         AND (i.repo IS NULL OR i.repo <> $1) \
         AND EXISTS (SELECT 1 FROM repository r JOIN change_row c ON {} WHERE r.slug = $1) \
         UNION ALL SELECT i.key FROM incident i WHERE i.repo IS NULL \
         AND i.cause_kind = 'sha' AND ({owner}) = $1",
        change_key::in_repo("c", "r", "i.cause_ref")
    )
}
/// Successful deployments of the repository `$1` to the environment `$2`.
const SUCCESSES: &str = "repo = $1 AND status = 'success' AND lower(environment) = lower($2)";
/// Changes that may be reverts or hotfixes (a superset: [`Change::is_rework`] decides). Written as
/// the predicate of the index `change_maybe_rework` (migration 0018), which serves it.
const MAYBE_REWORK: &str = "(reverts IS NOT NULL OR fixes IS NOT NULL OR title LIKE 'Revert \"%' \
     OR lower(labels) LIKE '%hotfix%' OR lower(labels) LIKE '%revert%' \
     OR lower(branch) LIKE 'hotfix%')";
/// Tells reanalysis locks apart from other advisory locks (PostgreSQL).
const LOCK_CLASS: i32 = 0x646f_7261; // "dora"

impl Store {
    /// Re-derives shipments, failures, rework and incident links of each repository from all its
    /// records (taking it off the derivation queue); run it after ingesting into those
    /// repositories, or when the options changed.
    pub async fn reanalyze(
        &self,
        repos: &[RepoSlug],
        options: &AnalysisOptions,
    ) -> Result<ReanalyzeReport, StoreError> {
        let mut report = ReanalyzeReport::default();
        for repo in repos {
            let mut tx = self.begin().await?;
            lock_repository(&mut tx, repo).await?;
            // Whole, whatever the queue's mark; off the queue at the end unless queued again.
            let claimed = queue::claim(&mut tx, repo).await?;
            let links_foreign_incidents =
                analyse_in(&mut tx, repo, options, None, &mut report).await?;
            if let Some(claimed) = claimed {
                queue::release(&mut tx, repo, claimed.generation).await?;
            }
            let touched = Touched::repos([repo]).with_every_scope(links_foreign_incidents);
            tx.execute_all(codec::bump_data_version(&touched)).await?;
            tx.commit().await?;
        }
        Ok(report)
    }
}

impl Store {
    /// The repositories, other than `repo`, whose analyses cover incidents of `repo` (those that
    /// name a deployment or change of another repository): reanalyse them too when the incidents
    /// of `repo` changed.
    pub async fn incident_owners_elsewhere(
        &self,
        repo: &RepoSlug,
    ) -> Result<Vec<RepoSlug>, StoreError> {
        let statement = owners_statement(
            self.is_postgres(),
            "i.repo = $1 AND i.cause_kind IN ('deployment', 'change')",
            vec![Value::text(repo.to_string())],
        );
        let owners = self.fetch_all(statement, owner).await?;
        Ok(owners.into_iter().filter(|owner| owner != repo).collect())
    }
}

/// The repositories whose analyses read the incidents of these keys: their own, and the one
/// that links them ([`incident_owner`]).
pub(crate) async fn incident_owners(
    tx: &mut Transaction,
    keys: &[String],
) -> Result<BTreeSet<RepoSlug>, StoreError> {
    let mut found = BTreeSet::new();
    for chunk in keys.chunks(LIST) {
        let condition = format!("i.key IN ({})", codec::placeholders(1, chunk.len()));
        let params = chunk.iter().map(Value::text).collect();
        found.extend(
            tx.fetch_all(
                owners_statement(tx.is_postgres(), &condition, params),
                owner,
            )
            .await?,
        );
    }
    Ok(found)
}

/// The distinct repositories, own or linking, of the incidents `i` that `condition` selects.
fn owners_statement(postgres: bool, condition: &str, params: Vec<Value>) -> Statement {
    let owner = incident_owner(postgres);
    Statement::new(
        format!(
            "SELECT DISTINCT owner FROM (SELECT {owner} AS owner FROM incident i \
             WHERE {condition} UNION ALL SELECT i.repo AS owner FROM incident i WHERE {condition}) \
             AS owners WHERE owner IS NOT NULL"
        ),
        params,
    )
}

fn owner(row: &dyn codec::RowExt) -> Result<RepoSlug, StoreError> {
    let slug = row.text("owner")?;
    codec::repo(&slug, &slug)
}

impl ReanalyzeReport {
    fn add(&mut self, other: &ReanalyzeReport) {
        self.repositories += other.repositories;
        self.shipments += other.shipments;
        self.failures += other.failures;
        self.rework += other.rework;
        self.incident_links += other.incident_links;
        self.absorbed += other.absorbed;
    }
}

/// Serializes derivations of the repository until the transaction ends (PostgreSQL, where
/// several processes may derive; SQLite has one writer anyway).
async fn lock_repository(tx: &mut Transaction, repo: &RepoSlug) -> Result<(), StoreError> {
    if tx.is_postgres() {
        tx.execute(Statement::new(
            format!("SELECT pg_advisory_xact_lock({LOCK_CLASS}, hashtext($1))"),
            vec![Value::text(repo.to_string())],
        ))
        .await?;
    }
    Ok(())
}

/// Replaces what was derived for `repo`, inside `tx` (which holds the repository's lock): from
/// the successful deployments finished at or after `from` when an incremental derivation can
/// start there (see `resume`), else from its whole history. Whether it linked an incident of no
/// repository (a team's), which scopes without this repository may count.
async fn analyse_in(
    tx: &mut Transaction,
    repo: &RepoSlug,
    options: &AnalysisOptions,
    from: Option<i64>,
    report: &mut ReanalyzeReport,
) -> Result<bool, StoreError> {
    let mut run = RepoAnalysis {
        tx,
        repo: repo.to_string(),
        options,
        report,
        abbreviations: false,
        buffered: Buffered::default(),
        resume: None,
        incidents: Vec::new(),
        links_foreign_incidents: false,
    };
    run.find_abbreviations().await?;
    run.find_incidents().await?;
    match from {
        Some(from) if !run.abbreviations => run.resume_from(from).await?,
        _ => {}
    }
    // Which changes are absorbed depends on changes alone, and writes of changes derive in
    // full: an incremental derivation (deployments written) keeps what the last one found.
    if run.resume.is_none() {
        run.start().await?;
        run.find_absorbed_changes().await?;
    }
    run.ship_changes_and_find_rollbacks().await?;
    run.find_reverts_and_hotfixes().await?;
    run.attribute_incidents().await?;
    run.write_buffered().await?;
    let links_foreign_incidents = run.links_foreign_incidents;
    report.repositories += 1;
    Ok(links_foreign_incidents)
}

/// The reanalysis of one repository, inside its transaction.
struct RepoAnalysis<'a> {
    tx: &'a mut Transaction,
    repo: String,
    options: &'a AnalysisOptions,
    report: &'a mut ReanalyzeReport,
    /// Whether the repository's changes hold abbreviated shas (rare): only then are they looked
    /// for as prefixes of the shas asked about.
    abbreviations: bool,
    buffered: Buffered,
    /// Set when the derivation is incremental: where its walk of deployments resumes.
    resume: Option<resume::Resume>,
    /// The incidents it covers, by (opening time, key): see [`RepoAnalysis::find_incidents`].
    incidents: Vec<(i64, String)>,
    /// Whether it linked an incident of no repository (a team's): scopes without this
    /// repository may count it, so the write moves every scope's version.
    links_foreign_incidents: bool,
}

impl RepoAnalysis<'_> {
    fn slug(&self) -> Value {
        Value::text(&self.repo)
    }

    /// How this backend keeps `change_commit`'s shas.
    fn sha_form(&self) -> ShaForm {
        self.tx.sha_form()
    }

    /// `column` compared byte by byte, as Rust and SQLite compare strings, whatever PostgreSQL's
    /// collation: records with the same time are ordered by key.
    fn bytewise(&self, column: &str) -> String {
        if self.tx.is_postgres() {
            format!("{column} COLLATE \"C\"")
        } else {
            column.to_string()
        }
    }

    /// Where the next page of records in (time, key) order starts, after `after`: the condition
    /// on `time` (appending its parameters) and the `ORDER BY ... LIMIT` of a page.
    fn page_after(
        &self,
        time: &str,
        after: Option<&(i64, String)>,
        params: &mut Vec<Value>,
    ) -> (String, String) {
        let key = self.bytewise("key");
        let condition = match after {
            Some((at, last)) => {
                params.extend([Value::int(*at), Value::text(last)]);
                let n = params.len();
                format!(
                    "({time} > ${} OR ({time} = ${} AND {key} > ${n}))",
                    n - 1,
                    n - 1
                )
            }
            None => "true".to_string(),
        };
        (condition, format!("ORDER BY {time}, {key} LIMIT {PAGE}"))
    }

    /// Deletes everything the last derivation of the repository derived.
    async fn start(&mut self) -> Result<(), StoreError> {
        // One DELETE per access path (rather than `... OR ...`), so each can use an index.
        for sql in [
            format!("DELETE FROM deployment_change WHERE deployment_id IN ({REPO_DEPLOYMENT_IDS})"),
            format!("DELETE FROM deployment_change WHERE change_id IN ({REPO_CHANGE_IDS})"),
            "DELETE FROM failure_link WHERE repo = $1".to_string(),
            format!("DELETE FROM rework WHERE deployment IN ({REPO_DEPLOYMENTS})"),
            "DELETE FROM incident_link WHERE repo = $1".to_string(),
        ] {
            self.tx
                .execute(Statement::new(sql, vec![self.slug()]))
                .await?;
        }
        self.delete_links_of_incidents().await
    }

    /// Finds the incidents this derivation covers ([`repo_incidents`]), once: neither they nor
    /// the records deciding which repository analyses them change during a derivation.
    async fn find_incidents(&mut self) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT key, opened_at FROM incident WHERE key IN ({})",
            repo_incidents(self.tx.is_postgres())
        );
        let mut found = self
            .tx
            .fetch_all(Statement::new(sql, vec![self.slug()]), |row| {
                Ok((row.int("opened_at")?, row.text("key")?))
            })
            .await?;
        // The order they are attributed in: by opening time, then key byte by byte.
        found.sort_unstable();
        self.incidents = found;
        Ok(())
    }

    /// Deletes the links derived from the incidents this derivation covers, wherever they point:
    /// an incident this repository now analyses may have been linked by another one's.
    async fn delete_links_of_incidents(&mut self) -> Result<(), StoreError> {
        for chunk in self.incidents.chunks(LIST) {
            let keys: Vec<Value> = chunk.iter().map(|(_, key)| Value::text(key)).collect();
            let list = codec::placeholders(1, chunk.len());
            for sql in [
                format!("DELETE FROM incident_link WHERE incident IN ({list})"),
                format!(
                    "DELETE FROM failure_link WHERE kind = 'incident' AND evidence IN ({list})"
                ),
            ] {
                self.tx.execute(Statement::new(sql, keys.clone())).await?;
            }
        }
        Ok(())
    }

    /// Whether the repository's changes hold abbreviated shas (through the nearly empty index
    /// `change_commit_abbreviated`, whose predicate the query repeats).
    async fn find_abbreviations(&mut self) -> Result<(), StoreError> {
        self.abbreviations = self
            .tx
            .fetch_optional(
                Statement::new(
                    format!(
                        "SELECT sha FROM change_commit \
                         WHERE repo_id = (SELECT id FROM repository WHERE slug = $1) \
                         AND {} AND length(sha) >= 7 LIMIT 1",
                        self.sha_form().abbreviated("sha")
                    ),
                    vec![self.slug()],
                ),
                |_| Ok(()),
            )
            .await?
            .is_some();
        Ok(())
    }

    /// The rows of `sql` for `keys`, a list at a time: `{list}` stands for the keys, `{rows}` for
    /// them as rows of a `VALUES`, after the `leading` parameters (and last in `sql`, so its
    /// placeholders stay in order: see [`codec::anonymous_placeholders`]).
    async fn fetch_for_keys<T>(
        &mut self,
        sql: &str,
        leading: Vec<Value>,
        keys: &[&str],
        decode: impl Fn(&dyn codec::RowExt) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut rows = Vec::new();
        for chunk in keys.chunks(LIST) {
            let list = codec::placeholders(leading.len() + 1, chunk.len());
            let params = leading
                .iter()
                .cloned()
                .chain(chunk.iter().map(|k| Value::text(*k)))
                .collect();
            let rows_of_list = change_key::value_rows(leading.len() + 1, chunk.len());
            let sql = sql
                .replace("{list}", &list)
                .replace("{rows}", &rows_of_list);
            let statement = Statement::new(sql, params);
            rows.extend(self.tx.fetch_all(statement, &decode).await?);
        }
        Ok(rows)
    }

    /// Which of `keys` are changes of this repository.
    async fn existing_changes(&mut self, keys: &[&str]) -> Result<HashSet<String>, StoreError> {
        // By key: each one probe of the unique index of keys (`CROSS JOIN` keeps SQLite to
        // that order: left to itself it read the repository's every change instead).
        let sql = format!(
            "SELECT v.column1 AS key FROM (SELECT id, slug FROM repository WHERE slug = $1) AS r \
             CROSS JOIN (VALUES {{rows}}) AS v CROSS JOIN change_row c WHERE {}",
            change_key::in_repo("c", "r", "v.column1")
        );
        let found = self.fetch_for_keys(&sql, vec![self.slug()], keys, |row| Ok(row.text("key")?));
        Ok(found.await?.into_iter().collect())
    }

    /// The deployment of this repository that shipped the change.
    async fn shipped_by(&mut self, change: &str) -> Result<Option<String>, StoreError> {
        let statement = Statement::new(
            format!(
                "SELECT d.key FROM repository r JOIN change_row c ON {} \
                 JOIN deployment_change dc ON dc.change_id = c.id \
                 JOIN deployment_row d ON d.id = dc.deployment_id AND d.repo_id = r.id \
                 WHERE r.slug = $2",
                change_key::in_repo("c", "r", "$1")
            ),
            vec![Value::text(change), self.slug()],
        );
        self.fetch_key(statement).await
    }

    /// The deployment of this repository that shipped each of `changes` (those shipped).
    async fn shipped_by_each(
        &mut self,
        changes: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        let sql = format!(
            "SELECT v.column1 AS change, d.key AS deployment \
             FROM (SELECT id, slug FROM repository WHERE slug = $1) AS r \
             CROSS JOIN (VALUES {{rows}}) AS v CROSS JOIN change_row c \
             JOIN deployment_change dc ON dc.change_id = c.id \
             JOIN deployment_row d ON d.id = dc.deployment_id AND d.repo_id = r.id WHERE {}",
            change_key::in_repo("c", "r", "v.column1")
        );
        let shipped = self.fetch_for_keys(&sql, vec![self.slug()], changes, |row| {
            Ok((row.text("change")?, row.text("deployment")?))
        });
        Ok(shipped.await?.into_iter().collect())
    }

    async fn fetch_key(&mut self, statement: Statement) -> Result<Option<String>, StoreError> {
        self.tx
            .fetch_optional(statement, |row| Ok(row.text("key")?))
            .await
    }

    // ---- writes -------------------------------------------------------------------------------
    //
    // Failure links, rework marks and incident links are only written during a reanalysis (no
    // step reads them back), so they are buffered and written many rows per statement, in the
    // order found: `ON CONFLICT DO NOTHING` keeps the first of each key.

    async fn insert_failure(&mut self, f: &FailureLink) -> Result<(), StoreError> {
        self.buffered.failures.push(vec![
            Value::text(&f.deployment),
            Value::text(f.kind.as_str()),
            Value::text(&f.evidence),
            Value::text(&f.reason),
            Value::opt_time(f.restored_at),
            self.slug(),
        ]);
        self.write_if_full().await
    }

    async fn insert_rework(&mut self, r: &ReworkMark) -> Result<(), StoreError> {
        self.buffered
            .rework
            .push(vec![Value::text(&r.deployment), Value::text(&r.reason)]);
        self.write_if_full().await
    }

    async fn insert_incident_link(&mut self, l: &IncidentLink) -> Result<(), StoreError> {
        self.buffered.links.push(vec![
            Value::text(&l.incident),
            Value::opt_text(l.deployment.as_deref()),
            Value::text(&l.reason),
            // The deployment's repository: the one derived (its own deployments only).
            match l.deployment {
                Some(_) => self.slug(),
                None => Value::Text(None),
            },
        ]);
        self.write_if_full().await
    }

    async fn write_if_full(&mut self) -> Result<(), StoreError> {
        let w = &self.buffered;
        if w.failures.len() + w.rework.len() + w.links.len() >= LIST {
            self.write_buffered().await?;
        }
        Ok(())
    }

    async fn write_buffered(&mut self) -> Result<(), StoreError> {
        let buffered = std::mem::take(&mut self.buffered);
        for (head, rows, count) in [
            (
                "INSERT INTO failure_link (deployment, kind, evidence, reason, restored_at, repo)",
                buffered.failures,
                &mut self.report.failures,
            ),
            (
                "INSERT INTO rework (deployment, reason)",
                buffered.rework,
                &mut self.report.rework,
            ),
            (
                "INSERT INTO incident_link (incident, deployment, reason, repo)",
                buffered.links,
                &mut self.report.incident_links,
            ),
        ] {
            for statement in codec::insert_statements(head, "ON CONFLICT DO NOTHING", rows) {
                *count += self.tx.execute(statement).await? as usize;
            }
        }
        Ok(())
    }
}

/// Rows waiting to be written (see the writes above).
#[derive(Default)]
struct Buffered {
    failures: Vec<Vec<Value>>,
    rework: Vec<Vec<Value>>,
    links: Vec<Vec<Value>>,
}
