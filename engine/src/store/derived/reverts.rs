//! Reverts and hotfixes: rework, and the failure of the deployment that shipped their target.

use super::shas::sha_condition;
use super::{MAYBE_REWORK, RepoAnalysis, incident_owner};
use crate::analysis::{self, FailureKind};
use crate::model::{Change, reverted_title};
use crate::store::StoreError;
use crate::store::change_key;
use crate::store::codec::{self, Statement, Value};
use std::collections::{BTreeSet, HashSet};

/// What a revert or hotfix names, found.
enum Target {
    /// The incident it fixes (of this repository, or linked by its analysis).
    Incident(String),
    /// The change it reverts or fixes.
    Change(FailureKind, String),
}

impl RepoAnalysis<'_> {
    pub(super) async fn find_reverts_and_hotfixes(&mut self) -> Result<(), StoreError> {
        let mut after: Option<(i64, String)> = None;
        loop {
            let mut params = vec![self.slug()];
            let (resume, order) = self.page_after("merged_at", after.as_ref(), &mut params);
            let sql = format!(
                "SELECT {} FROM change WHERE repo = $1 AND {MAYBE_REWORK} AND {resume} {order}",
                codec::CHANGE_COLUMNS
            );
            let page = self
                .tx
                .fetch_all(Statement::new(sql, params), codec::change)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some((last.merged_at.timestamp(), last.key.clone()));
            let rework: Vec<&Change> = page.iter().filter(|c| c.is_rework()).collect();
            self.rework_and_failures_of(&rework).await?;
        }
        Ok(())
    }

    /// A shipped revert or hotfix is rework; the deployment that shipped its target failed.
    /// A page of changes at a time: which deployment shipped each change and each target, and
    /// which referenced keys are changes, are looked up for the whole page at once.
    async fn rework_and_failures_of(&mut self, changes: &[&Change]) -> Result<(), StoreError> {
        let references: Vec<&str> = changes
            .iter()
            .flat_map(|c| [c.reverts.as_deref(), c.fixes.as_deref()])
            .flatten()
            .map(str::trim)
            .collect();
        let known = self.existing_changes(&references).await?;
        let mut found = Vec::with_capacity(changes.len());
        for change in changes {
            found.push(self.target_of(change, &known).await?);
        }
        let keys: BTreeSet<&str> = changes
            .iter()
            .map(|c| c.key.as_str())
            .chain(found.iter().filter_map(|target| match target {
                Some(Target::Change(_, key)) => Some(key.as_str()),
                _ => None,
            }))
            .collect();
        let keys: Vec<&str> = keys.into_iter().collect();
        let shipped = self.shipped_by_each(&keys).await?;
        for (change, target) in changes.iter().zip(found) {
            let fixed_incident = match target {
                Some(Target::Incident(ref incident)) => Some(incident.as_str()),
                _ => None,
            };
            if let Some(deployment) = shipped.get(&change.key) {
                let rework = analysis::rework_of(change, deployment, fixed_incident);
                self.insert_rework(&rework).await?;
            }
            let Some(Target::Change(kind, target)) = target else {
                continue;
            };
            if let Some(failed) = shipped.get(&target) {
                let failure = analysis::reverted_or_hotfixed(kind, &target, change, failed);
                self.insert_failure(&failure).await?;
            }
        }
        Ok(())
    }

    /// What a revert or hotfix names: the incident of this analysis it fixes, else the change
    /// it reverts or fixes (if found). `known` holds the referenced keys that are changes.
    async fn target_of(
        &mut self,
        change: &Change,
        known: &HashSet<String>,
    ) -> Result<Option<Target>, StoreError> {
        if let Some(reference) = change.fixes.as_deref()
            && let Some(incident) = self.incident_in_scope(reference.trim()).await?
        {
            return Ok(Some(Target::Incident(incident)));
        }
        let (kind, target) = match (&change.reverts, &change.fixes) {
            (Some(r), _) => (
                FailureKind::Revert,
                self.resolve_change_ref(r, change, known).await?,
            ),
            (None, Some(f)) => (
                FailureKind::Hotfix,
                self.resolve_change_ref(f, change, known).await?,
            ),
            (None, None) => match reverted_title(&change.title) {
                Some(title) => (
                    FailureKind::Revert,
                    self.latest_change_titled(title, change).await?,
                ),
                None => return Ok(None),
            },
        };
        Ok(target.map(|target| Target::Change(kind, target)))
    }

    /// The key of the incident `key` if it is of this repository or its analysis links it.
    async fn incident_in_scope(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let sql = format!(
            "SELECT i.key FROM incident i WHERE i.key = $2 \
             AND (i.repo = $1 OR ({}) = $1)",
            incident_owner(self.tx.is_postgres())
        );
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
        known: &HashSet<String>,
    ) -> Result<Option<String>, StoreError> {
        let reference = reference.trim();
        let key = self.bytewise("key");
        if let Some(number) = reference
            .strip_prefix('#')
            .and_then(|n| n.parse::<i64>().ok())
        {
            // The change keyed `owner/name#42` by the unique index of keys, and those numbered
            // otherwise through the partial index of migration 0035, whose predicate this
            // repeats.
            let sql = format!(
                "SELECT key FROM (\
                 SELECT c.key, c.merged_at FROM repository r JOIN change_row k ON {} \
                 JOIN change c ON c.id = k.id WHERE r.slug = $1 AND c.number = $2 \
                 UNION ALL SELECT key, merged_at FROM change \
                 WHERE repo = $1 AND number = $2 AND numbered_off_key) AS numbered \
                 ORDER BY merged_at, {key} LIMIT 1",
                change_key::in_repo("k", "r", "$3")
            );
            let conventional = Value::text(format!("{}#{number}", self.repo));
            let params = vec![self.slug(), Value::int(number), conventional];
            return self.fetch_key(Statement::new(sql, params)).await;
        }
        if known.contains(reference) {
            return Ok(Some(reference.to_string()));
        }
        let is_sha = reference.len() >= 7 && reference.chars().all(|c| c.is_ascii_hexdigit());
        if !is_sha {
            return Ok(None);
        }
        let mut params = vec![self.slug(), Value::text(&from.key)];
        let holding = sha_condition(
            &[reference.to_string()],
            self.abbreviations,
            self.sha_form(),
            &mut params,
        );
        let sql = format!(
            "SELECT c.key FROM change_commit cc JOIN change c ON c.id = cc.change_id \
             WHERE cc.repo_id = (SELECT id FROM repository WHERE slug = $1) \
             AND c.key <> $2 AND {holding} \
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
}
