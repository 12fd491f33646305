//! Reverts and hotfixes: rework, and the failure of the deployment that shipped their target.

use super::shas::sha_condition;
use super::{INCIDENT_OWNER, MAYBE_REWORK, RepoAnalysis};
use crate::analysis::{self, FailureKind};
use crate::model::{Change, reverted_title};
use crate::store::StoreError;
use crate::store::codec::{self, Statement, Value};

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

    /// The key of the incident `key` if it is of this repository or its analysis links it.
    async fn incident_in_scope(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let sql = format!(
            "SELECT i.key FROM incident i WHERE i.key = $2 \
             AND (i.repo = $1 OR ({INCIDENT_OWNER}) = $1)"
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
        let holding = sha_condition(&[reference.to_string()], self.abbreviations, &mut params);
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
}
