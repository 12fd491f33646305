//! Which changes each deployment ships first, and which deployments rollbacks failed.

use super::absorbed::{self, not_absorbed};
use super::shas::sha_condition;
use super::{FULL_SHA, LIST, RepoAnalysis, SUCCESSES};
use crate::analysis;
use crate::model::Deployment;
use crate::store::StoreError;
use crate::store::change_key;
use crate::store::codec::{self, Statement, Value};
use crate::store::sha_form::ShaForm;
use std::collections::{HashMap, HashSet};

impl RepoAnalysis<'_> {
    pub(super) async fn ship_changes_and_find_rollbacks(&mut self) -> Result<(), StoreError> {
        // Where the walk starts: after the last deployment an incremental derivation keeps.
        let (mut after, mut previous, considered) = self.resume_point();
        let mut pending = PendingShipments {
            considered,
            ..PendingShipments::default()
        };
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
        let (resume, order) = self.page_after("finished_at", after, &mut params);
        let sql = format!(
            "SELECT {} FROM deployment WHERE {SUCCESSES} AND {resume} {order}",
            codec::DEPLOYMENT_COLUMNS
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
        let form = self.sha_form();
        for chunk in shas.chunks(LIST) {
            let mut params = vec![self.slug(), Value::text(&self.options.environment)];
            params.extend(chunk.iter().map(|s| form.exact_value(Some(s))));
            let sql = format!(
                "SELECT sha, finished_at, key FROM deployment WHERE {SUCCESSES} AND sha IN ({})",
                codec::placeholders(3, chunk.len())
            );
            let rows = self
                .tx
                .fetch_all(Statement::new(sql, params), |row| {
                    let key = row.text("key")?;
                    Ok((
                        codec::deployed_sha(row, &key)?,
                        row.int("finished_at")?,
                        key,
                    ))
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
        let form = self.sha_form();
        for chunk in shas.chunks(LIST) {
            let mut params = vec![self.slug()];
            params.extend(chunk.iter().map(|sha| form.value(sha)));
            let sql = format!(
                "SELECT {} AS sha, MIN(c.merged_at) AS merged FROM change_commit cc \
                 JOIN change c ON c.id = cc.change_id \
                 WHERE cc.repo_id = (SELECT id FROM repository WHERE slug = $1) \
                 AND cc.sha IN ({}) GROUP BY cc.sha",
                form.text("cc.sha"),
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
            self.ship_cuts(pending).await?;
            // Keys of no change of this repository are claimed too: the insert leaves them out.
            pending.claim(&deployment.key, keys.iter().map(String::as_str).collect());
        } else if let Some(shas) = &deployment.declared_commits {
            // Abbreviated shas: matched by prefix in the database.
            self.flush(pending).await?;
            for chunk in shas.chunks(LIST) {
                let mut params = vec![Value::text(&deployment.key), self.slug()];
                let form = self.sha_form();
                let in_commits = sha_condition(chunk, self.abbreviations, form, &mut params);
                let in_shipped =
                    sha_condition(chunk, self.abbreviations, ShaForm::TEXT, &mut params);
                let source = format!(
                    "SELECT DISTINCT held.change AS key FROM ({}) held",
                    absorbed::holders("$2", form, &in_commits, &in_shipped)
                );
                self.ship_selected(source, params).await?;
            }
        } else if !(redeploy || deployment.rollback) {
            // Linear default branch: the change holding the deployed sha, and every change merged
            // before it. Unknown sha: everything merged before the deployment started.
            let first_merge = match lookups.first_merge(&deployment.sha) {
                Some(known) => known,
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

    /// Ships to the deployment `$1` every change of the repository `$2` that `source` selects
    /// (by key) and no earlier deployment shipped.
    async fn ship_selected(
        &mut self,
        source: String,
        params: Vec<Value>,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO deployment_change (change_id, deployment_id) \
             SELECT c.id, d.id FROM ({source}) AS selected \
             JOIN repository r ON r.slug = $2 JOIN change_row c ON {} \
             JOIN deployment d ON d.key = $1 WHERE true ON CONFLICT DO NOTHING",
            change_key::in_repo("c", "r", "selected.key")
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
                "INSERT INTO deployment_change (change_id, deployment_id) \
                 SELECT c.id, d.id FROM (VALUES {}) AS cut \
                 JOIN deployment d ON d.key = cut.column1 \
                 JOIN change c ON c.repo = ${} \
                 AND c.merged_at > cut.column2 AND c.merged_at <= cut.column3 \
                 WHERE c.side_branch IS NULL AND {}",
                rows.join(", "),
                params.len(),
                not_absorbed("c.key")
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
            .map(|(deployment, change)| {
                let [after_slug, rest] = change_key::form_values(&change, &self.repo);
                vec![Value::text(deployment), after_slug, rest]
            })
            .collect();
        let tail = format!(
            ") AS claim JOIN deployment_row d ON d.key = claim.column1 \
             JOIN change_row c ON {} WHERE true ON CONFLICT DO NOTHING",
            change_key::in_repo_form("c", "d.repo_id", "claim.column2", "claim.column3")
        );
        for statement in codec::insert_statements(
            "INSERT INTO deployment_change (change_id, deployment_id) \
             SELECT c.id, d.id FROM (",
            &tail,
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
        let form = self.sha_form();
        for chunk in shas.chunks(LIST) {
            let mut params = vec![self.slug()];
            let in_commits = sha_condition(chunk, false, form, &mut params);
            let in_shipped = sha_condition(chunk, false, ShaForm::TEXT, &mut params);
            let sql = absorbed::holders("$1", form, &in_commits, &in_shipped);
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
        let holding = sha_condition(
            std::slice::from_ref(&sha.to_string()),
            self.abbreviations,
            self.sha_form(),
            &mut params,
        );
        let sql = format!(
            "SELECT MIN(c.merged_at) AS merged FROM change_commit cc \
             JOIN change c ON c.id = cc.change_id \
             WHERE cc.repo_id = (SELECT id FROM repository WHERE slug = $1) AND {holding}"
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
    /// When the earliest change holding the deployed sha was merged (None inside: no change
    /// holds it), when the page's lookup answers for it (a full sha, no abbreviations).
    fn first_merge(&self, sha: &str) -> Option<Option<i64>> {
        (self.exact && sha.len() >= FULL_SHA)
            .then(|| self.merged.get(&sha.to_ascii_lowercase()).copied())
    }

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
/// ships it"; claims (declared changes, or the changes holding declared commits) hold each
/// change once, so no statement inserts a change twice, whatever order it inserts rows in.
#[derive(Default)]
struct PendingShipments {
    /// Merge time up to which linear cuts have taken changes.
    considered: Option<i64>,
    /// Linear cuts: (deployment, merged after, merged until); they never overlap.
    cuts: Vec<(String, i64, i64)>,
    /// Declared commits resolved to changes: (deployment, change), each change once.
    claims: Vec<(String, String)>,
    claimed: HashSet<String>,
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
