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

use super::codec::{self, Statement, Value};
use super::tx::Transaction;
use super::{Store, StoreError};
use crate::analysis::{
    self, AnalysisOptions, ExplicitCause, FailureKind, FailureLink, IncidentLink, ReworkMark,
};
use crate::model::{Change, Deployment, Incident, IncidentCause, RepoSlug, reverted_title};
use serde::Serialize;
use std::collections::HashMap;

/// What a reanalysis derived, summed over the repositories it covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReanalyzeReport {
    pub repositories: usize,
    pub shipments: usize,
    pub failures: usize,
    pub rework: usize,
    pub incident_links: usize,
}

/// Records read per page: bounds memory (a deployment may declare hundreds of commits).
const PAGE: i64 = 200;
/// Parameters per `IN (...)` list.
const LIST: usize = 500;
/// A full sha's length: shorter ones are abbreviations, matched by prefix.
const FULL_SHA: usize = 40;

/// The deployments of the repository `$1`.
const REPO_DEPLOYMENTS: &str = "SELECT key FROM deployment WHERE repo = $1";
/// The changes of the repository `$1`.
const REPO_CHANGES: &str = "SELECT key FROM change WHERE repo = $1";
/// The incidents the analysis of the repository `$1` covers: its own, and those without a
/// repository that name one of its deployments as their cause.
const REPO_INCIDENTS: &str = "SELECT key FROM incident WHERE repo = $1 \
     UNION ALL SELECT key FROM incident WHERE repo IS NULL AND cause_kind = 'deployment' \
     AND cause_ref IN (SELECT key FROM deployment WHERE repo = $1)";
/// Successful deployments of the repository `$1` to the environment `$2`.
const SUCCESSES: &str = "repo = $1 AND status = 'success' AND lower(environment) = lower($2)";
/// Changes that may be reverts or hotfixes (a superset: [`Change::is_rework`] decides).
const MAYBE_REWORK: &str = "(reverts IS NOT NULL OR fixes IS NOT NULL OR title LIKE 'Revert \"%' \
     OR lower(labels) LIKE '%hotfix%' OR lower(labels) LIKE '%revert%' \
     OR lower(branch) LIKE 'hotfix%')";
/// Tells reanalysis locks apart from other advisory locks (PostgreSQL).
const LOCK_CLASS: i32 = 0x646f_7261; // "dora"

impl Store {
    /// Re-derives shipments, failures, rework and incident links of each repository from all its
    /// records; run it after ingesting into those repositories.
    pub async fn reanalyze(
        &self,
        repos: &[RepoSlug],
        options: &AnalysisOptions,
    ) -> Result<ReanalyzeReport, StoreError> {
        let mut report = ReanalyzeReport::default();
        for repo in repos {
            let mut tx = self.begin().await?;
            let mut run = RepoAnalysis {
                tx: &mut tx,
                repo: repo.to_string(),
                options,
                report: &mut report,
                abbreviations: false,
            };
            run.start().await?;
            run.ship_changes_and_find_rollbacks().await?;
            run.find_reverts_and_hotfixes().await?;
            run.attribute_incidents().await?;
            tx.execute(codec::bump_data_version()).await?;
            tx.commit().await?;
            report.repositories += 1;
        }
        Ok(report)
    }
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
}

impl RepoAnalysis<'_> {
    fn slug(&self) -> Value {
        Value::text(&self.repo)
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

    /// Serializes reanalyses of the repository (PostgreSQL; SQLite has one writer anyway) and
    /// deletes what the last one derived.
    async fn start(&mut self) -> Result<(), StoreError> {
        if self.tx.is_postgres() {
            self.tx
                .execute(Statement::new(
                    format!("SELECT pg_advisory_xact_lock({LOCK_CLASS}, hashtext($1))"),
                    vec![self.slug()],
                ))
                .await?;
        }
        // One DELETE per access path (rather than `... OR ...`), so each can use an index.
        for sql in [
            format!("DELETE FROM deployment_change WHERE deployment IN ({REPO_DEPLOYMENTS})"),
            format!("DELETE FROM deployment_change WHERE change IN ({REPO_CHANGES})"),
            format!("DELETE FROM failure_link WHERE deployment IN ({REPO_DEPLOYMENTS})"),
            format!("DELETE FROM rework WHERE deployment IN ({REPO_DEPLOYMENTS})"),
            format!("DELETE FROM incident_link WHERE deployment IN ({REPO_DEPLOYMENTS})"),
            format!("DELETE FROM incident_link WHERE incident IN ({REPO_INCIDENTS})"),
        ] {
            self.tx
                .execute(Statement::new(sql, vec![self.slug()]))
                .await?;
        }
        self.abbreviations = self
            .tx
            .fetch_optional(
                Statement::new(
                    format!(
                        "SELECT sha FROM change_commit WHERE repo = $1 \
                         AND length(sha) BETWEEN 7 AND {} LIMIT 1",
                        FULL_SHA - 1
                    ),
                    vec![self.slug()],
                ),
                |_| Ok(()),
            )
            .await?
            .is_some();
        Ok(())
    }

    // ---- shipments and rollbacks --------------------------------------------------------------

    async fn ship_changes_and_find_rollbacks(&mut self) -> Result<(), StoreError> {
        let mut after: Option<(i64, String)> = None;
        let mut previous: Option<Deployment> = None;
        let mut pending = PendingShipments::default();
        loop {
            let page = self.successes_after(after.as_ref()).await?;
            let Some(last) = page.last() else { break };
            after = Some((last.finished_at.timestamp(), last.key.clone()));
            let earlier = self.earlier_deployments_of_shas(&page).await?;
            let lookups = PageLookups {
                merged: self.first_merges_of_shas(&page).await?,
                holders: self.changes_holding_declared(&page).await?,
                exact: !self.abbreviations,
            };
            for deployment in page {
                let position = (deployment.finished_at.timestamp(), deployment.key.as_str());
                let redeploy = earlier.get(&deployment.sha).is_some_and(|positions| {
                    positions.iter().any(|p| (p.0, p.1.as_str()) < position)
                });
                self.ship(&deployment, redeploy, &lookups, &mut pending)
                    .await?;
                if let Some(previous) = &previous
                    && (deployment.rollback || (redeploy && previous.sha != deployment.sha))
                {
                    let (failure, rework) = analysis::rollback(previous, &deployment);
                    self.insert_failure(&failure).await?;
                    self.insert_rework(&rework).await?;
                }
                previous = Some(deployment);
            }
            self.flush(&mut pending).await?;
        }
        Ok(())
    }

    async fn successes_after(
        &mut self,
        after: Option<&(i64, String)>,
    ) -> Result<Vec<Deployment>, StoreError> {
        let mut params = vec![self.slug(), Value::text(&self.options.environment)];
        let resume = match after {
            Some((finished, key)) => {
                params.extend([Value::int(*finished), Value::text(key)]);
                format!(
                    "AND (finished_at > $3 OR (finished_at = $3 AND {} > $4))",
                    self.bytewise("key")
                )
            }
            None => String::new(),
        };
        let sql = format!(
            "SELECT {} FROM deployment WHERE {SUCCESSES} {resume} \
             ORDER BY finished_at, {} LIMIT {PAGE}",
            codec::DEPLOYMENT_COLUMNS,
            self.bytewise("key")
        );
        self.tx
            .fetch_all(Statement::new(sql, params), codec::deployment)
            .await
    }

    /// For each sha the page deploys: every successful deployment of it, as (finished, key).
    async fn earlier_deployments_of_shas(
        &mut self,
        page: &[Deployment],
    ) -> Result<HashMap<String, Vec<(i64, String)>>, StoreError> {
        let mut shas: Vec<&str> = page.iter().map(|d| d.sha.as_str()).collect();
        shas.sort_unstable();
        shas.dedup();
        let mut found: HashMap<String, Vec<(i64, String)>> = HashMap::new();
        for chunk in shas.chunks(LIST) {
            let mut params = vec![self.slug(), Value::text(&self.options.environment)];
            params.extend(chunk.iter().map(|s| Value::text(*s)));
            let sql = format!(
                "SELECT sha, finished_at, key FROM deployment WHERE {SUCCESSES} AND sha IN ({})",
                codec::placeholders(3, chunk.len())
            );
            let rows = self
                .tx
                .fetch_all(Statement::new(sql, params), |row| {
                    Ok((row.text("sha")?, row.int("finished_at")?, row.text("key")?))
                })
                .await?;
            for (sha, finished, key) in rows {
                found.entry(sha).or_default().push((finished, key));
            }
        }
        Ok(found)
    }

    /// For each full sha the page deploys: when the earliest change holding it was merged. Left
    /// to [`Self::first_merge_of_sha`] when the repository holds abbreviations.
    async fn first_merges_of_shas(
        &mut self,
        page: &[Deployment],
    ) -> Result<HashMap<String, i64>, StoreError> {
        if self.abbreviations {
            return Ok(HashMap::new());
        }
        let mut shas: Vec<String> = page
            .iter()
            .filter(|d| d.sha.len() >= FULL_SHA)
            .map(|d| d.sha.to_ascii_lowercase())
            .collect();
        shas.sort_unstable();
        shas.dedup();
        let mut found = HashMap::new();
        for chunk in shas.chunks(LIST) {
            let mut params = vec![self.slug()];
            params.extend(chunk.iter().map(Value::text));
            let sql = format!(
                "SELECT cc.sha, MIN(c.merged_at) AS merged FROM change_commit cc \
                 JOIN change c ON c.key = cc.change \
                 WHERE cc.repo = $1 AND cc.sha IN ({}) GROUP BY cc.sha",
                codec::placeholders(2, chunk.len())
            );
            let rows = self
                .tx
                .fetch_all(Statement::new(sql, params), |row| {
                    Ok((row.text("sha")?, row.int("merged")?))
                })
                .await?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// Ships what the deployment declares, or else its linear cut of the default branch.
    async fn ship(
        &mut self,
        deployment: &Deployment,
        redeploy: bool,
        lookups: &PageLookups,
        pending: &mut PendingShipments,
    ) -> Result<(), StoreError> {
        if deployment.declared_changes.is_none()
            && let Some(shas) = &deployment.declared_commits
            && let Some(changes) = lookups.holders_of(shas)
        {
            self.ship_cuts(pending).await?;
            pending.claim(&deployment.key, changes);
        } else if let Some(keys) = &deployment.declared_changes {
            self.flush(pending).await?;
            for chunk in keys.chunks(LIST) {
                let mut params = vec![Value::text(&deployment.key), self.slug()];
                params.extend(chunk.iter().map(Value::text));
                let source = format!(
                    "SELECT key FROM change WHERE repo = $2 AND key IN ({})",
                    codec::placeholders(3, chunk.len())
                );
                self.ship_selected(source, params).await?;
            }
        } else if let Some(shas) = &deployment.declared_commits {
            // Abbreviated shas: matched by prefix in the database.
            self.flush(pending).await?;
            for chunk in shas.chunks(LIST) {
                let mut params = vec![Value::text(&deployment.key), self.slug()];
                let holding = self.sha_condition(chunk, &mut params);
                let source = format!(
                    "SELECT DISTINCT change AS key FROM change_commit \
                     WHERE repo = $2 AND {holding}"
                );
                self.ship_selected(source, params).await?;
            }
        } else if !(redeploy || deployment.rollback) {
            // Linear default branch: the change holding the deployed sha, and every change merged
            // before it. Unknown sha: everything merged before the deployment started.
            let first_merge = match lookups.merged.get(&deployment.sha.to_ascii_lowercase()) {
                Some(at) => Some(*at),
                None => self.first_merge_of_sha(&deployment.sha).await?,
            };
            let cutoff = first_merge.unwrap_or_else(|| {
                deployment
                    .started_at
                    .unwrap_or(deployment.finished_at)
                    .timestamp()
            });
            if pending.would_cut(cutoff) {
                self.ship_claims(pending).await?;
                pending.cut(&deployment.key, cutoff);
            }
        }
        Ok(())
    }

    /// Ships to the deployment `$1` every change `source` selects that no earlier deployment
    /// shipped.
    async fn ship_selected(
        &mut self,
        source: String,
        params: Vec<Value>,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO deployment_change (deployment, change) \
             SELECT $1, selected.key FROM ({source}) AS selected WHERE true \
             ON CONFLICT DO NOTHING"
        );
        let shipped = self.tx.execute(Statement::new(sql, params)).await?;
        self.report.shipments += shipped as usize;
        Ok(())
    }

    /// Writes every pending shipment (only one kind is pending at a time).
    async fn flush(&mut self, pending: &mut PendingShipments) -> Result<(), StoreError> {
        self.ship_cuts(pending).await?;
        self.ship_claims(pending).await
    }

    /// Ships the pending linear cuts, many deployments per statement.
    async fn ship_cuts(&mut self, pending: &mut PendingShipments) -> Result<(), StoreError> {
        let cuts = std::mem::take(&mut pending.cuts);
        for chunk in cuts.chunks(LIST / 3) {
            let mut params = Vec::with_capacity(chunk.len() * 3 + 2);
            let mut rows = Vec::with_capacity(chunk.len());
            for (deployment, after, until) in chunk {
                let n = params.len();
                rows.push(format!("(${}, ${}, ${})", n + 1, n + 2, n + 3));
                params.extend([
                    Value::text(deployment),
                    Value::int(*after),
                    Value::int(*until),
                ]);
            }
            params.push(self.slug());
            let mut sql = format!(
                "INSERT INTO deployment_change (deployment, change) \
                 SELECT cut.column1, c.key FROM (VALUES {}) AS cut \
                 JOIN change c ON c.repo = ${} \
                 AND c.merged_at > cut.column2 AND c.merged_at <= cut.column3 WHERE true",
                rows.join(", "),
                params.len()
            );
            if let Some(since) = self.options.since {
                params.push(Value::int(codec::bound_secs(since)));
                sql.push_str(&format!(" AND c.merged_at >= ${}", params.len()));
            }
            sql.push_str(" ON CONFLICT DO NOTHING");
            let shipped = self.tx.execute(Statement::new(sql, params)).await?;
            self.report.shipments += shipped as usize;
        }
        Ok(())
    }

    /// Ships the pending claims of declared commits, many deployments per statement.
    async fn ship_claims(&mut self, pending: &mut PendingShipments) -> Result<(), StoreError> {
        let claims = std::mem::take(&mut pending.claims);
        pending.claimed.clear();
        let rows = claims
            .into_iter()
            .map(|(deployment, change)| vec![Value::text(deployment), Value::text(change)])
            .collect();
        for statement in codec::insert_statements(
            "INSERT INTO deployment_change (deployment, change)",
            "ON CONFLICT DO NOTHING",
            rows,
        ) {
            self.report.shipments += self.tx.execute(statement).await? as usize;
        }
        Ok(())
    }

    /// For the full shas the page's deployments declare: the changes holding each. Empty when
    /// the repository holds abbreviations (those are matched by prefix, one deployment at a time).
    async fn changes_holding_declared(
        &mut self,
        page: &[Deployment],
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let mut holders: HashMap<String, Vec<String>> = HashMap::new();
        if self.abbreviations {
            return Ok(holders);
        }
        let mut shas: Vec<String> = page
            .iter()
            .filter(|d| d.declared_changes.is_none())
            .flat_map(|d| d.declared_commits.iter().flatten())
            .filter(|sha| sha.len() >= FULL_SHA)
            .map(|sha| sha.to_ascii_lowercase())
            .collect();
        shas.sort_unstable();
        shas.dedup();
        for chunk in shas.chunks(LIST) {
            let mut params = vec![self.slug()];
            params.extend(chunk.iter().map(Value::text));
            let sql = format!(
                "SELECT sha, change FROM change_commit WHERE repo = $1 AND sha IN ({})",
                codec::placeholders(2, chunk.len())
            );
            let rows = self
                .tx
                .fetch_all(Statement::new(sql, params), |row| {
                    Ok((row.text("sha")?, row.text("change")?))
                })
                .await?;
            for (sha, change) in rows {
                holders.entry(sha).or_default().push(change);
            }
        }
        Ok(holders)
    }

    /// When the earliest change holding `sha` (a prefix either way) was merged.
    async fn first_merge_of_sha(&mut self, sha: &str) -> Result<Option<i64>, StoreError> {
        let mut params = vec![self.slug()];
        let holding = self.sha_condition(std::slice::from_ref(&sha.to_string()), &mut params);
        let sql = format!(
            "SELECT MIN(c.merged_at) AS merged FROM change_commit cc \
             JOIN change c ON c.key = cc.change WHERE cc.repo = $1 AND {holding}"
        );
        Ok(self
            .tx
            .fetch_optional(
                Statement::new(sql, params),
                |row| Ok(row.opt_int("merged")?),
            )
            .await?
            .flatten())
    }

    /// A condition on `change_commit.sha` matching any of `shas`: the same sha, a longer one it
    /// abbreviates, or a stored abbreviation of it; appends its parameters. Shas shorter than 7
    /// digits match nothing.
    fn sha_condition(&self, shas: &[String], params: &mut Vec<Value>) -> String {
        let mut terms = Vec::new();
        let mut exact = Vec::new();
        for sha in shas
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .filter(|s| s.len() >= 7)
        {
            if self.abbreviations {
                let prefixes: Vec<Value> = (7..sha.len().min(FULL_SHA))
                    .filter_map(|n| sha.get(..n))
                    .map(Value::text)
                    .collect();
                if !prefixes.is_empty() {
                    let first = params.len() + 1;
                    terms.push(format!(
                        "sha IN ({})",
                        codec::placeholders(first, prefixes.len())
                    ));
                    params.extend(prefixes);
                }
            }
            if sha.len() >= FULL_SHA {
                exact.push(sha);
            } else {
                match prefix_end(&sha) {
                    Some(end) => {
                        let n = params.len();
                        terms.push(format!("(sha >= ${} AND sha < ${})", n + 1, n + 2));
                        params.extend([Value::text(sha), Value::text(end)]);
                    }
                    None => {
                        params.push(Value::text(sha));
                        let n = params.len();
                        terms.push(format!("substr(sha, 1, length(${n})) = ${n}"));
                    }
                }
            }
        }
        if !exact.is_empty() {
            let first = params.len() + 1;
            terms.push(format!(
                "sha IN ({})",
                codec::placeholders(first, exact.len())
            ));
            params.extend(exact.into_iter().map(Value::text));
        }
        if terms.is_empty() {
            "false".to_string()
        } else {
            format!("({})", terms.join(" OR "))
        }
    }

    // ---- reverts and hotfixes -----------------------------------------------------------------

    async fn find_reverts_and_hotfixes(&mut self) -> Result<(), StoreError> {
        let mut after: Option<(i64, String)> = None;
        loop {
            let mut params = vec![self.slug()];
            let resume = match &after {
                Some((merged, key)) => {
                    params.extend([Value::int(*merged), Value::text(key)]);
                    format!(
                        "AND (merged_at > $2 OR (merged_at = $2 AND {} > $3))",
                        self.bytewise("key")
                    )
                }
                None => String::new(),
            };
            let sql = format!(
                "SELECT {} FROM change WHERE repo = $1 AND {MAYBE_REWORK} {resume} \
                 ORDER BY merged_at, {} LIMIT {PAGE}",
                codec::CHANGE_COLUMNS,
                self.bytewise("key")
            );
            let page = self
                .tx
                .fetch_all(Statement::new(sql, params), codec::change)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some((last.merged_at.timestamp(), last.key.clone()));
            for change in page.iter().filter(|c| c.is_rework()) {
                self.rework_and_failure_of(change).await?;
            }
        }
        Ok(())
    }

    /// A shipped revert or hotfix is rework; the deployment that shipped its target failed.
    async fn rework_and_failure_of(&mut self, change: &Change) -> Result<(), StoreError> {
        let fixed_incident = match change.fixes.as_deref() {
            Some(reference) => self.incident_in_scope(reference.trim()).await?,
            None => None,
        };
        if let Some(deployment) = self.shipped_by(&change.key).await? {
            let rework = analysis::rework_of(change, &deployment, fixed_incident.as_deref());
            self.insert_rework(&rework).await?;
        }
        if fixed_incident.is_some() {
            return Ok(());
        }
        let (kind, target) = match (&change.reverts, &change.fixes) {
            (Some(r), _) => (
                FailureKind::Revert,
                self.resolve_change_ref(r, change).await?,
            ),
            (None, Some(f)) => (
                FailureKind::Hotfix,
                self.resolve_change_ref(f, change).await?,
            ),
            (None, None) => match reverted_title(&change.title) {
                Some(title) => (
                    FailureKind::Revert,
                    self.latest_change_titled(title, change).await?,
                ),
                None => return Ok(()),
            },
        };
        let Some(target) = target else { return Ok(()) };
        if let Some(failed) = self.shipped_by(&target).await? {
            let failure = analysis::reverted_or_hotfixed(kind, &target, change, &failed);
            self.insert_failure(&failure).await?;
        }
        Ok(())
    }

    /// The key of the incident `key` if this repository's analysis covers it.
    async fn incident_in_scope(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let sql = format!("SELECT key FROM ({REPO_INCIDENTS}) AS scoped WHERE key = $2");
        self.tx
            .fetch_optional(
                Statement::new(sql, vec![self.slug(), Value::text(key)]),
                |row| Ok(row.text("key")?),
            )
            .await
    }

    /// The change a reference names: a change key, `#42` in the same repository, or a sha held
    /// by another change (the earliest merged).
    async fn resolve_change_ref(
        &mut self,
        reference: &str,
        from: &Change,
    ) -> Result<Option<String>, StoreError> {
        let reference = reference.trim();
        let key = self.bytewise("key");
        if let Some(number) = reference
            .strip_prefix('#')
            .and_then(|n| n.parse::<i64>().ok())
        {
            let sql = format!(
                "SELECT key FROM change WHERE repo = $1 AND number = $2 \
                 ORDER BY merged_at, {key} LIMIT 1"
            );
            return self
                .fetch_key(Statement::new(sql, vec![self.slug(), Value::int(number)]))
                .await;
        }
        let by_key = Statement::new(
            "SELECT key FROM change WHERE repo = $1 AND key = $2",
            vec![self.slug(), Value::text(reference)],
        );
        if let Some(found) = self.fetch_key(by_key).await? {
            return Ok(Some(found));
        }
        let is_sha = reference.len() >= 7 && reference.chars().all(|c| c.is_ascii_hexdigit());
        if !is_sha {
            return Ok(None);
        }
        let mut params = vec![self.slug(), Value::text(&from.key)];
        let holding = self.sha_condition(&[reference.to_string()], &mut params);
        let sql = format!(
            "SELECT c.key FROM change_commit cc JOIN change c ON c.key = cc.change \
             WHERE cc.repo = $1 AND c.key <> $2 AND {holding} \
             ORDER BY c.merged_at, {} LIMIT 1",
            self.bytewise("c.key")
        );
        self.fetch_key(Statement::new(sql, params)).await
    }

    /// The latest change titled `title` merged no later than `revert` (GitHub's revert button).
    async fn latest_change_titled(
        &mut self,
        title: &str,
        revert: &Change,
    ) -> Result<Option<String>, StoreError> {
        let sql = format!(
            "SELECT key FROM change WHERE repo = $1 AND title = $2 AND merged_at <= $3 \
             ORDER BY merged_at DESC, {} DESC LIMIT 1",
            self.bytewise("key")
        );
        let params = vec![
            self.slug(),
            Value::text(title),
            Value::time(revert.merged_at),
        ];
        self.fetch_key(Statement::new(sql, params)).await
    }

    /// The deployment of this repository that shipped the change.
    async fn shipped_by(&mut self, change: &str) -> Result<Option<String>, StoreError> {
        let statement = Statement::new(
            "SELECT dc.deployment AS key FROM deployment_change dc \
             JOIN deployment d ON d.key = dc.deployment WHERE dc.change = $1 AND d.repo = $2",
            vec![Value::text(change), self.slug()],
        );
        self.fetch_key(statement).await
    }

    async fn fetch_key(&mut self, statement: Statement) -> Result<Option<String>, StoreError> {
        self.tx
            .fetch_optional(statement, |row| Ok(row.text("key")?))
            .await
    }

    // ---- incidents ----------------------------------------------------------------------------

    async fn attribute_incidents(&mut self) -> Result<(), StoreError> {
        let mut after: Option<(i64, String)> = None;
        loop {
            let mut params = vec![self.slug()];
            let resume = match &after {
                Some((opened, key)) => {
                    params.extend([Value::int(*opened), Value::text(key)]);
                    format!(
                        "WHERE opened_at > $2 OR (opened_at = $2 AND {} > $3)",
                        self.bytewise("key")
                    )
                }
                None => String::new(),
            };
            let columns = codec::INCIDENT_COLUMNS;
            let sql = format!(
                "SELECT {columns} FROM (\
                 SELECT {columns} FROM incident WHERE repo = $1 \
                 UNION ALL SELECT {columns} FROM incident WHERE repo IS NULL \
                 AND cause_kind = 'deployment' AND cause_ref IN ({REPO_DEPLOYMENTS})\
                 ) AS scoped {resume} ORDER BY opened_at, {} LIMIT {PAGE}",
                self.bytewise("key")
            );
            let page = self
                .tx
                .fetch_all(Statement::new(sql, params), codec::incident)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some((last.opened_at.timestamp(), last.key.clone()));
            for incident in &page {
                self.attribute(incident).await?;
            }
        }
        Ok(())
    }

    async fn attribute(&mut self, incident: &Incident) -> Result<(), StoreError> {
        let explicit = match &incident.cause {
            Some(cause) => Some(self.explicit_cause(cause).await?),
            None => None,
        };
        let own = incident.repo.as_ref().map(ToString::to_string) == Some(self.repo.clone());
        let latest = if own {
            self.latest_success_before(incident).await?
        } else {
            None
        };
        let latest = latest.as_ref().map(|(key, at)| (key.as_str(), *at));
        let (failure, link) = analysis::link_incident(incident, explicit, latest, self.options);
        if let Some(failure) = failure {
            self.insert_failure(&failure).await?;
        }
        self.insert_incident_link(&link).await
    }

    async fn explicit_cause(&mut self, cause: &IncidentCause) -> Result<ExplicitCause, StoreError> {
        Ok(match cause {
            IncidentCause::Deployment(key) => {
                let sql = format!("SELECT key FROM deployment WHERE {SUCCESSES} AND key = $3");
                let params = vec![
                    self.slug(),
                    Value::text(&self.options.environment),
                    Value::text(key),
                ];
                let found = self.fetch_key(Statement::new(sql, params)).await?.is_some();
                ExplicitCause::Deployment {
                    key: key.clone(),
                    found,
                }
            }
            IncidentCause::Change(key) => ExplicitCause::Change {
                key: key.clone(),
                shipped_by: self.shipped_by(key).await?,
            },
            IncidentCause::Sha(sha) => {
                // Through the earliest change holding it, else a deployment of that sha.
                let mut params = vec![self.slug()];
                let holding = self.sha_condition(std::slice::from_ref(sha), &mut params);
                let sql = format!(
                    "SELECT c.key FROM change_commit cc JOIN change c ON c.key = cc.change \
                     WHERE cc.repo = $1 AND {holding} ORDER BY c.merged_at, {} LIMIT 1",
                    self.bytewise("c.key")
                );
                let by_change = match self.fetch_key(Statement::new(sql, params)).await? {
                    Some(change) => self.shipped_by(&change).await?,
                    None => None,
                };
                let shipped_by = match by_change {
                    Some(d) => Some(d),
                    None => self.success_deploying(sha).await?,
                };
                ExplicitCause::Sha {
                    sha: sha.clone(),
                    shipped_by,
                }
            }
        })
    }

    /// The first successful deployment of `sha` (a 7+ digit prefix either way).
    async fn success_deploying(&mut self, sha: &str) -> Result<Option<String>, StoreError> {
        if sha.len() < 7 {
            return Ok(None);
        }
        let sql = format!(
            "SELECT key FROM deployment WHERE {SUCCESSES} AND length(sha) >= 7 \
             AND (substr(sha, 1, length($3)) = $3 OR substr($3, 1, length(sha)) = sha) \
             ORDER BY finished_at, {} LIMIT 1",
            self.bytewise("key")
        );
        let params = vec![
            self.slug(),
            Value::text(&self.options.environment),
            Value::text(sha),
        ];
        self.fetch_key(Statement::new(sql, params)).await
    }

    /// The latest successful deployment that finished before the incident opened.
    async fn latest_success_before(
        &mut self,
        incident: &Incident,
    ) -> Result<Option<(String, crate::model::Timestamp)>, StoreError> {
        let sql = format!(
            "SELECT key, finished_at FROM deployment WHERE {SUCCESSES} AND finished_at <= $3 \
             ORDER BY finished_at DESC, {} DESC LIMIT 1",
            self.bytewise("key")
        );
        let params = vec![
            self.slug(),
            Value::text(&self.options.environment),
            Value::time(incident.opened_at),
        ];
        self.tx
            .fetch_optional(Statement::new(sql, params), |row| {
                let key = row.text("key")?;
                let finished = codec::time(row.int("finished_at")?, "finished_at", &key)?;
                Ok((key, finished))
            })
            .await
    }

    // ---- writes -------------------------------------------------------------------------------

    async fn insert_failure(&mut self, f: &FailureLink) -> Result<(), StoreError> {
        let statement = Statement::new(
            "INSERT INTO failure_link (deployment, kind, evidence, reason, restored_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            vec![
                Value::text(&f.deployment),
                Value::text(f.kind.as_str()),
                Value::text(&f.evidence),
                Value::text(&f.reason),
                Value::opt_time(f.restored_at),
            ],
        );
        self.report.failures += self.tx.execute(statement).await? as usize;
        Ok(())
    }

    async fn insert_rework(&mut self, r: &ReworkMark) -> Result<(), StoreError> {
        let statement = Statement::new(
            "INSERT INTO rework (deployment, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            vec![Value::text(&r.deployment), Value::text(&r.reason)],
        );
        self.report.rework += self.tx.execute(statement).await? as usize;
        Ok(())
    }

    async fn insert_incident_link(&mut self, l: &IncidentLink) -> Result<(), StoreError> {
        let statement = Statement::new(
            "INSERT INTO incident_link (incident, deployment, reason) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            vec![
                Value::text(&l.incident),
                Value::opt_text(l.deployment.as_deref()),
                Value::text(&l.reason),
            ],
        );
        self.report.incident_links += self.tx.execute(statement).await? as usize;
        Ok(())
    }
}

/// What the shipments of a page of deployments look up, fetched once for the page.
struct PageLookups {
    /// Full deployed sha -> when the earliest change holding it was merged.
    merged: HashMap<String, i64>,
    /// Full declared sha -> the changes holding it.
    holders: HashMap<String, Vec<String>>,
    /// Whether `holders` is the whole answer for full shas (no abbreviations in the repository).
    exact: bool,
}

impl PageLookups {
    /// The changes holding any of the declared shas, when every one of them could be looked up
    /// here (full shas, no abbreviations in the repository); None otherwise.
    fn holders_of<'a>(&'a self, shas: &'a [String]) -> Option<Vec<&'a str>> {
        let mut changes = Vec::new();
        for sha in shas {
            if sha.len() < 7 {
                continue;
            }
            if !self.exact || sha.len() < FULL_SHA {
                return None;
            }
            if let Some(found) = self.holders.get(&sha.to_ascii_lowercase()) {
                changes.extend(found.iter().map(String::as_str));
            }
        }
        Some(changes)
    }
}

/// Shipments waiting to be written, in deployment order, so consecutive deployments share a
/// statement (a round trip per deployment would dominate on PostgreSQL). Only one kind is
/// pending at a time, so writing them in order keeps "the first deployment to claim a change
/// ships it".
#[derive(Default)]
struct PendingShipments {
    /// Merge time up to which linear cuts have taken changes.
    considered: Option<i64>,
    /// Linear cuts: (deployment, merged after, merged until); they never overlap.
    cuts: Vec<(String, i64, i64)>,
    /// Declared commits resolved to changes: (deployment, change), each change once.
    claims: Vec<(String, String)>,
    claimed: std::collections::HashSet<String>,
}

impl PendingShipments {
    /// Whether a cut up to `cutoff` takes anything no earlier cut took.
    fn would_cut(&self, cutoff: i64) -> bool {
        self.considered.is_none_or(|c| cutoff > c)
    }

    fn cut(&mut self, deployment: &str, cutoff: i64) {
        let after = self.considered.unwrap_or(i64::MIN);
        self.cuts.push((deployment.to_string(), after, cutoff));
        self.considered = Some(cutoff);
    }

    fn claim(&mut self, deployment: &str, changes: Vec<&str>) {
        for change in changes {
            if self.claimed.insert(change.to_string()) {
                self.claims
                    .push((deployment.to_string(), change.to_string()));
            }
        }
    }
}

/// The smallest string greater than every string starting with `prefix`, when its last byte can
/// be raised (ASCII): `abc1` -> `abc2`.
fn prefix_end(prefix: &str) -> Option<String> {
    let (last, rest) = prefix.as_bytes().split_last()?;
    if *last >= 0x7f {
        return None;
    }
    let mut end = rest.to_vec();
    end.push(last + 1);
    String::from_utf8(end).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DeploymentStatus, Source};
    use crate::store::testing::TestStore;
    use chrono::{DateTime, Duration, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn full(sha: &str) -> String {
        sha.repeat(40 / sha.len())
    }

    fn change(number: i64, sha: &str, merged: DateTime<Utc>) -> Change {
        Change {
            key: format!("acme/shop#{number}"),
            repo: "acme/shop".parse().unwrap(),
            number: Some(number),
            title: format!("Change {number}"),
            author: "alice".into(),
            bot: false,
            first_commit_at: merged - Duration::hours(1),
            opened_at: None,
            first_review_at: None,
            merged_at: merged,
            merge_sha: Some(full(sha)),
            commits: vec![],
            labels: vec![],
            branch: None,
            paths: vec![],
            reverts: None,
            fixes: None,
        }
    }

    fn deployment(key: &str, sha: &str, finished: DateTime<Utc>) -> Deployment {
        Deployment {
            key: key.into(),
            repo: "acme/shop".parse().unwrap(),
            environment: "Production".into(),
            sha: full(sha),
            status: DeploymentStatus::Success,
            started_at: None,
            finished_at: finished,
            source: Source::Import,
            rollback: false,
            declared_changes: None,
            declared_commits: None,
        }
    }

    fn incident(key: &str, opened: DateTime<Utc>) -> Incident {
        Incident {
            key: key.into(),
            repo: Some("acme/shop".parse().unwrap()),
            team: None,
            title: "Checkout errors".into(),
            opened_at: opened,
            resolved_at: None,
            source: Source::Import,
            cause: None,
        }
    }

    /// Derived rows of the store, in order: (table, row as text).
    struct Derived {
        shipments: Vec<(String, String)>,
        failures: Vec<(String, String, String, String)>,
        rework: Vec<(String, String)>,
        links: Vec<(String, Option<String>, String)>,
    }

    async fn analyse(
        changes: &[Change],
        deployments: &[Deployment],
        incidents: &[Incident],
    ) -> Derived {
        let test = TestStore::sqlite().await;
        let store = &test.store;
        store.upsert_changes(changes).await.unwrap();
        store.upsert_deployments(deployments).await.unwrap();
        store.upsert_incidents(incidents).await.unwrap();
        let report = store
            .reanalyze(&["acme/shop".parse().unwrap()], &AnalysisOptions::default())
            .await
            .unwrap();
        let read = |sql: &'static str| Statement::new(sql, vec![]);
        let derived = Derived {
            shipments: store
                .fetch_all(
                    read("SELECT deployment, change FROM deployment_change ORDER BY change"),
                    |r| Ok((r.text("deployment")?, r.text("change")?)),
                )
                .await
                .unwrap(),
            failures: store
                .fetch_all(
                    read(
                        "SELECT deployment, kind, evidence, reason FROM failure_link \
                          ORDER BY deployment, kind, evidence",
                    ),
                    |r| {
                        Ok((
                            r.text("deployment")?,
                            r.text("kind")?,
                            r.text("evidence")?,
                            r.text("reason")?,
                        ))
                    },
                )
                .await
                .unwrap(),
            rework: store
                .fetch_all(
                    read("SELECT deployment, reason FROM rework ORDER BY deployment, reason"),
                    |r| Ok((r.text("deployment")?, r.text("reason")?)),
                )
                .await
                .unwrap(),
            links: store
                .fetch_all(
                    read(
                        "SELECT incident, deployment, reason FROM incident_link ORDER BY incident",
                    ),
                    |r| {
                        Ok((
                            r.text("incident")?,
                            r.opt_text("deployment")?,
                            r.text("reason")?,
                        ))
                    },
                )
                .await
                .unwrap(),
        };
        assert_eq!(report.shipments, derived.shipments.len());
        assert_eq!(report.failures, derived.failures.len());
        assert_eq!(report.rework, derived.rework.len());
        assert_eq!(report.incident_links, derived.links.len());
        test.finish().await;
        derived
    }

    #[tokio::test]
    async fn a_change_ships_once_at_its_first_deployment() {
        let t = at("2026-03-02T09:00:00Z");
        let changes = [change(1, "a", t), change(2, "b", t + Duration::days(1))];
        let mut again = deployment("d3", "c", t + Duration::days(2));
        again.declared_changes = Some(vec!["acme/shop#1".into(), "acme/shop#2".into()]);
        let deployments = [
            deployment("d1", "a", t + Duration::hours(1)),
            deployment("d2", "b", t + Duration::days(1) + Duration::hours(1)),
            again,
        ];
        let derived = analyse(&changes, &deployments, &[]).await;
        assert_eq!(
            derived.shipments,
            [
                ("d1".into(), "acme/shop#1".into()),
                ("d2".into(), "acme/shop#2".into())
            ]
        );
    }

    #[tokio::test]
    async fn deployments_to_other_environments_are_ignored() {
        let t = at("2026-03-02T09:00:00Z");
        let mut staging = deployment("s1", "a", t + Duration::hours(1));
        staging.environment = "staging".into();
        let derived = analyse(&[change(1, "a", t)], &[staging], &[]).await;
        assert!(derived.shipments.is_empty());
    }

    #[tokio::test]
    async fn a_rollback_link_says_which_deployment_rolled_back_and_to_what() {
        let t = at("2026-03-02T10:00:00Z");
        let deployments = [
            deployment("d1", "a", t),
            deployment("d2", "b", t + Duration::days(1)),
            deployment("d3", "a", t + Duration::days(1) + Duration::hours(1)),
        ];
        let derived = analyse(&[], &deployments, &[]).await;
        let [(failed, kind, evidence, reason)] = &derived.failures[..] else {
            panic!("one failure expected: {:?}", derived.failures);
        };
        assert_eq!(
            (failed.as_str(), kind.as_str(), evidence.as_str()),
            ("d2", "rollback", "d3")
        );
        assert!(reason.contains("rolled back by deployment d3"), "{reason}");
        assert!(reason.contains("aaaaaaa"), "{reason}");
        assert_eq!(derived.rework.len(), 1);
        assert_eq!(derived.rework[0].0, "d3");
    }

    #[tokio::test]
    async fn an_incident_link_records_the_window_reason() {
        let t = at("2026-03-02T10:00:00Z");
        let deployments = [deployment("d1", "a", t)];
        let opened = t + Duration::minutes(210);
        let derived = analyse(&[], &deployments, &[incident("INC-7", opened)]).await;
        let (_, deployment, reason) = &derived.links[0];
        assert_eq!(deployment.as_deref(), Some("d1"));
        assert!(reason.contains("3h 30m earlier"), "{reason}");
        assert!(reason.contains("7d attribution window"), "{reason}");
    }

    #[tokio::test]
    async fn abbreviated_shas_find_their_change_either_way() {
        let t = at("2026-03-02T09:00:00Z");
        let mut abbreviated = change(2, "cd", t + Duration::hours(1));
        abbreviated.merge_sha = Some("cdcdcdcd".into());
        let changes = [change(1, "ab", t), abbreviated];
        let mut d1 = deployment("d1", "ef", t + Duration::hours(2));
        d1.declared_commits = Some(vec!["ABABABA".into(), full("cd")]);
        let derived = analyse(&changes, &[d1], &[]).await;
        assert_eq!(derived.shipments.len(), 2, "{:?}", derived.shipments);
    }

    #[tokio::test]
    async fn a_fix_for_an_incident_is_rework_without_failing_anything() {
        let t = at("2026-03-03T09:00:00Z");
        let mut fix = change(2, "b", t);
        fix.fixes = Some("INC-7".into());
        let deployments = [deployment("d2", "b", t + Duration::hours(1))];
        let open = incident("INC-7", t - Duration::days(30));
        let derived = analyse(&[fix], &deployments, &[open]).await;
        assert_eq!(derived.rework.len(), 1);
        assert!(derived.rework[0].1.contains("a fix for incident `INC-7`"));
        assert!(derived.failures.is_empty());
    }

    /// Declared commits and linear cuts of one page are written in batches, yet the first
    /// deployment to claim a change still ships it.
    #[tokio::test]
    async fn batched_shipments_keep_the_first_claim() {
        let t = at("2026-03-02T09:00:00Z");
        let changes = [
            change(1, "a", t),
            change(2, "b", t + Duration::hours(1)),
            change(3, "c", t + Duration::hours(2)),
        ];
        let mut d1 = deployment("d1", "f", t + Duration::hours(3));
        d1.declared_commits = Some(vec![full("c")]);
        let d2 = deployment("d2", "c", t + Duration::hours(4));
        let mut d3 = deployment("d3", "e", t + Duration::hours(5));
        d3.declared_commits = Some(vec![full("a"), full("b"), full("c")]);
        let derived = analyse(&changes, &[d1, d2, d3], &[]).await;
        let pairs: Vec<(&str, &str)> = derived
            .shipments
            .iter()
            .map(|(d, c)| (d.as_str(), c.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("d2", "acme/shop#1"),
                ("d2", "acme/shop#2"),
                ("d1", "acme/shop#3")
            ]
        );
    }

    /// Long enough to cross several pages: each deployment ships its own change, a redeployment
    /// on a later page of a sha from the first page is a rollback, and a revert reaches back to
    /// the first page.
    #[tokio::test]
    async fn a_history_longer_than_a_page_is_analysed_as_a_whole() {
        let t = at("2026-01-01T00:00:00Z");
        let n = 3 * PAGE + 7;
        let sha = |i: i64| format!("{i:040x}");
        let mut changes: Vec<Change> = (0..n)
            .map(|i| {
                let mut c = change(i, "a", t + Duration::hours(i));
                c.merge_sha = Some(sha(i));
                c
            })
            .collect();
        // Pairs of deployments finish in the same second: their keys order them, so each ships
        // its own change (the other way round, the second would ship both).
        let mut deployments: Vec<Deployment> = (0..n)
            .map(|i| {
                let mut d = deployment(
                    &format!("d{i:04}"),
                    "a",
                    t + Duration::hours(i / 2 * 2) + Duration::minutes(90),
                );
                d.sha = sha(i);
                d
            })
            .collect();
        let mut rollback = deployment("z-rollback", "a", t + Duration::hours(n + 5));
        rollback.sha = sha(3);
        deployments.push(rollback);
        let mut revert = change(n, "f", t + Duration::hours(n + 1));
        revert.title = "Revert \"Change 5\"".into();
        changes.push(revert);
        let derived = analyse(&changes, &deployments, &[]).await;
        assert_eq!(derived.shipments.len() as i64, n);
        for (deployment, change) in &derived.shipments {
            let i: i64 = change.trim_start_matches("acme/shop#").parse().unwrap();
            assert_eq!(deployment, &format!("d{i:04}"), "{change}");
        }
        let failed: Vec<(&str, &str)> = derived
            .failures
            .iter()
            .map(|f| (f.0.as_str(), f.1.as_str()))
            .collect();
        assert_eq!(
            failed,
            [
                ("d0005", "revert"),
                (&*format!("d{:04}", n - 1), "rollback")
            ]
        );
    }
}
