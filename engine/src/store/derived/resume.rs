//! Incremental derivation: re-deriving a repository from the first deployment a write can
//! affect, not from the start of its history.
//!
//! A write of deployments queues the repository from the earliest time it touched (the earlier of
//! each deployment's old and new finish). Deployments that finished before it keep their
//! shipments, their rollback links and the revert and hotfix links found on them; the walk of
//! deployments starts right after the last of them, in the state the full walk has there:
//! - the previous deployment (rollbacks compare each deployment with it);
//! - the merge time up to which linear cuts took changes: the latest cut-off of an earlier
//!   deployment that ships its linear cut of the default branch (the running maximum the walk
//!   keeps is the maximum over those deployments).
//!
//! Reverts and hotfixes are found again over the whole repository (writing only what is missing:
//! what was found on earlier deployments is unchanged), and incidents are attributed again, as
//! both are few. A repository with abbreviated shas, or an earlier linear cut by a short sha
//! (looked up by prefix), is derived in full instead.

use super::{FULL_SHA, RepoAnalysis};
use crate::model::Deployment;
use crate::store::StoreError;
use crate::store::codec::{self, Statement, Value};

/// Where an incremental derivation's walk of deployments resumes.
pub(super) struct Resume {
    /// The last successful deployment finished before the derivation's start.
    previous: Deployment,
    /// The merge time up to which the linear cuts before it took changes.
    considered: Option<i64>,
}

impl RepoAnalysis<'_> {
    /// The walk's starting state: the (finished, key) it resumes after, the previous deployment
    /// and the linear cuts' watermark; nothing for a full derivation.
    pub(super) fn resume_point(
        &mut self,
    ) -> (Option<(i64, String)>, Option<Deployment>, Option<i64>) {
        match self.resume.take() {
            Some(Resume {
                previous,
                considered,
            }) => (
                Some((previous.finished_at.timestamp(), previous.key.clone())),
                Some(previous),
                considered,
            ),
            None => (None, None, None),
        }
    }

    /// Prepares a derivation from the successful deployments finished at or after `from`: finds
    /// the walk's state before them and deletes what is derived again. Leaves `resume` unset (a
    /// full derivation follows) when no successful deployment finished before `from`, or when an
    /// earlier linear cut deployed a short sha.
    pub(super) async fn resume_from(&mut self, from: i64) -> Result<(), StoreError> {
        let environment = Value::text(&self.options.environment);
        let sql = format!(
            "SELECT {} FROM deployment WHERE repo = $1 AND status = 'success' \
             AND lower(environment) = lower($2) AND finished_at < $3 \
             ORDER BY finished_at DESC, {} DESC LIMIT 1",
            codec::DEPLOYMENT_COLUMNS,
            self.bytewise("key")
        );
        let params = vec![self.slug(), environment.clone(), Value::int(from)];
        let Some(previous) = self
            .tx
            .fetch_optional(Statement::new(sql, params.clone()), codec::deployment)
            .await?
        else {
            return Ok(());
        };
        // The earlier deployments that shipped a linear cut: successful, declaring nothing, not
        // a rollback (the predicate of the index `deployment_linear_cuts`, migration 0024, which
        // serves it), not a redeployment of a sha deployed before; each cut up to when the
        // earliest change holding its sha was merged (unknown sha: when it started).
        // A deployment's sha as text, whatever form it is kept in.
        let form = self.sha_form();
        let deployed_sha = form.text("d.sha");
        let sql = format!(
            "SELECT MAX(COALESCE((SELECT MIN(c.merged_at) FROM change_commit cc \
             JOIN change c ON c.id = cc.change_id \
             WHERE cc.repo_id = d.repo_id AND cc.sha = {}), \
             d.started_at, d.finished_at)) AS considered, \
             CAST(MIN(length({})) AS BIGINT) AS shortest \
             FROM deployment d WHERE d.repo = $1 AND d.status = 'success' \
             AND lower(d.environment) = lower($2) AND d.finished_at < $3 \
             AND d.declared_changes IS NULL AND d.declared_commits IS NULL AND NOT d.rollback \
             AND NOT EXISTS (SELECT 1 FROM deployment e WHERE e.repo_id = d.repo_id AND e.sha = d.sha \
             AND e.status = 'success' AND lower(e.environment) = lower($2) \
             AND (e.finished_at < d.finished_at OR (e.finished_at = d.finished_at AND {} < {})))",
            form.stored(&deployed_sha),
            deployed_sha,
            self.bytewise("e.key"),
            self.bytewise("d.key")
        );
        let (considered, shortest) = self
            .tx
            .fetch_optional(Statement::new(sql, params), |row| {
                Ok((row.opt_int("considered")?, row.opt_int("shortest")?))
            })
            .await?
            .unwrap_or((None, None));
        if shortest.is_some_and(|n| n < FULL_SHA as i64) {
            return Ok(());
        }
        let later = "SELECT key FROM deployment WHERE repo = $1 AND finished_at >= $2";
        let from_later = |sql: String| Statement::new(sql, vec![self.slug(), Value::int(from)]);
        let whole = |sql: String| Statement::new(sql, vec![self.slug()]);
        for statement in [
            from_later(
                "DELETE FROM deployment_change WHERE deployment_id IN \
                 (SELECT id FROM deployment WHERE repo = $1 AND finished_at >= $2)"
                    .to_string(),
            ),
            from_later(format!(
                "DELETE FROM failure_link WHERE kind = 'rollback' AND evidence IN ({later})"
            )),
            from_later(format!(
                "DELETE FROM failure_link WHERE kind IN ('revert', 'hotfix') \
                 AND deployment IN ({later})"
            )),
            from_later(format!("DELETE FROM rework WHERE deployment IN ({later})")),
            whole("DELETE FROM failure_link WHERE repo = $1 AND kind = 'incident'".to_string()),
            whole("DELETE FROM incident_link WHERE repo = $1".to_string()),
        ] {
            self.tx.execute(statement).await?;
        }
        self.delete_links_of_incidents().await?;
        self.resume = Some(Resume {
            previous,
            considered,
        });
        Ok(())
    }
}
