//! The reads behind the metrics and `explain`: finished facts for a scope and a window, each one
//! set-based query (no query per row) whatever the number of repositories.
//!
//! Repository and team lists are bound as `IN ($4, $5, ...)`; both backends accept thousands of
//! parameters (an organisation of 2,000 repositories is one statement).

use super::codec::{self, Statement, Value};
use super::{Store, StoreError};
use crate::analysis::{FailureKind, FailureLink, ReworkMark};
use crate::metrics::facts::{ChangeFact, DeploymentFact, IncidentFact, MetricInputs, RollbackFact};
use crate::model::{Change, Deployment, Incident, RepoSlug, Timestamp};
use serde::Serialize;

/// Why a deployment counts the way it does: what it shipped and every piece of evidence against
/// it (`doraboard explain deployment`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentDetail {
    pub deployment: Deployment,
    /// The changes it shipped for the first time, oldest merge first.
    pub changes: Vec<Change>,
    pub failures: Vec<FailureLink>,
    pub rework: Vec<ReworkMark>,
}

/// An incident and the deployment it is blamed on, with the analysis's reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentLinkDetail {
    pub incident: Incident,
    pub deployment: Option<String>,
    /// None when no analysis covered it (an incident of a team, naming no repository).
    pub reason: Option<String>,
}

impl Store {
    /// Everything one metrics computation needs: the facts of `repos` (and incidents of
    /// `teams`) in the half-open window `[from, to)`, for deployments to `environment`
    /// (compared case-insensitively).
    pub async fn metric_inputs(
        &self,
        repos: &[RepoSlug],
        teams: &[String],
        environment: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<MetricInputs, StoreError> {
        let mut inputs = MetricInputs {
            incidents: self
                .fetch_all(
                    incidents_statement(repos, teams, from, to, false),
                    incident_fact,
                )
                .await?,
            ..MetricInputs::default()
        };
        if repos.is_empty() {
            return Ok(inputs);
        }
        // Repositories first, then environment and bounds: each placeholder once, in order.
        let n = repos.len();
        let window = |sql: String| {
            let mut params: Vec<Value> = repos.iter().map(|r| Value::text(r.to_string())).collect();
            params.extend([
                Value::text(environment),
                Value::int(codec::bound_secs(from)),
                Value::int(codec::bound_secs(to)),
            ]);
            Statement::new(sql, params)
        };
        let in_window = format!(
            "d.repo IN ({}) AND LOWER(d.environment) = LOWER(${}) \
             AND d.finished_at >= ${} AND d.finished_at < ${}",
            codec::placeholders(1, n),
            n + 1,
            n + 2,
            n + 3
        );
        inputs.deployments = self
            .fetch_all(
                window(format!(
                    "SELECT d.key, d.repo, d.environment, d.sha, d.finished_at, d.status, \
                     EXISTS (SELECT 1 FROM failure_link f WHERE f.deployment = d.key) AS failed, \
                     EXISTS (SELECT 1 FROM rework r WHERE r.deployment = d.key) AS rework \
                     FROM deployment d WHERE {in_window} ORDER BY d.finished_at, d.key"
                )),
                deployment_fact,
            )
            .await?;
        inputs.changes = self
            .fetch_all(
                window(format!(
                    "SELECT c.key, c.repo, c.number, c.title, c.author, c.bot, c.paths, \
                     c.first_commit_at, c.opened_at, c.first_review_at, c.merged_at, \
                     d.finished_at AS deployed_at, d.key AS deployment \
                     FROM deployment d \
                     JOIN deployment_change dc ON dc.deployment_id = d.id \
                     JOIN change c ON c.id = dc.change_id \
                     WHERE {in_window} AND d.status = 'success' \
                     ORDER BY d.finished_at, c.merged_at, c.key"
                )),
                change_fact,
            )
            .await?;
        inputs.rollbacks = self
            .fetch_all(
                window(format!(
                    "SELECT d.key AS failed_deployment, d.repo, d.finished_at AS failed_at, \
                     f.evidence AS rollback_deployment, \
                     COALESCE(f.restored_at, r.finished_at) AS restored_at \
                     FROM deployment d \
                     JOIN failure_link f ON f.deployment = d.key AND f.kind = 'rollback' \
                     LEFT JOIN deployment_row r ON r.key = f.evidence \
                     WHERE {in_window} ORDER BY d.finished_at, d.key, f.evidence"
                )),
                rollback_fact,
            )
            .await?;
        Ok(inputs)
    }

    /// A deployment with what it shipped and why it counts as failed or rework; None if unknown.
    pub async fn deployment_detail(
        &self,
        key: &str,
    ) -> Result<Option<DeploymentDetail>, StoreError> {
        let by_key = |sql: String| Statement::new(sql, vec![Value::text(key)]);
        let Some(deployment) = self
            .fetch_optional(
                by_key(format!(
                    "SELECT {} FROM deployment WHERE key = $1",
                    codec::DEPLOYMENT_COLUMNS
                )),
                codec::deployment,
            )
            .await?
        else {
            return Ok(None);
        };
        let change_columns = codec::CHANGE_COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let changes = self
            .fetch_all(
                by_key(format!(
                    "SELECT {change_columns} FROM deployment d \
                     JOIN deployment_change dc ON dc.deployment_id = d.id \
                     JOIN change c ON c.id = dc.change_id \
                     WHERE d.key = $1 ORDER BY c.merged_at, c.key"
                )),
                codec::change,
            )
            .await?;
        let failures = self
            .fetch_all(
                by_key(
                    "SELECT deployment, kind, evidence, reason, restored_at FROM failure_link \
                     WHERE deployment = $1 ORDER BY kind, evidence"
                        .to_string(),
                ),
                failure_link,
            )
            .await?;
        let rework = self
            .fetch_all(
                by_key(
                    "SELECT deployment, reason FROM rework WHERE deployment = $1 ORDER BY reason"
                        .to_string(),
                ),
                |row| {
                    Ok(ReworkMark {
                        deployment: row.text("deployment")?,
                        reason: row.text("reason")?,
                    })
                },
            )
            .await?;
        Ok(Some(DeploymentDetail {
            deployment,
            changes,
            failures,
            rework,
        }))
    }

    /// The incidents of a scope opened in `[from, to)`, each with the deployment it is blamed on
    /// and why (`doraboard explain incidents`).
    pub async fn incident_links(
        &self,
        repos: &[RepoSlug],
        teams: &[String],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<IncidentLinkDetail>, StoreError> {
        self.fetch_all(incidents_statement(repos, teams, from, to, true), |row| {
            Ok(IncidentLinkDetail {
                incident: codec::incident(row)?,
                deployment: row.opt_text("deployment")?,
                reason: row.opt_text("reason")?,
            })
        })
        .await
    }
}

/// Incidents opened in `[from, to)` whose repository is in `repos` or whose team is in `teams`,
/// with their link (`$1` = from, `$2` = to, then the repositories, then the teams).
pub(super) fn incidents_statement(
    repos: &[RepoSlug],
    teams: &[String],
    from: Timestamp,
    to: Timestamp,
    with_reason: bool,
) -> Statement {
    let mut scope = Vec::new();
    if !repos.is_empty() {
        scope.push(format!(
            "i.repo IN ({})",
            codec::placeholders(3, repos.len())
        ));
    }
    if !teams.is_empty() {
        let first = 3 + repos.len();
        scope.push(format!(
            "i.team IN ({})",
            codec::placeholders(first, teams.len())
        ));
    }
    let scope = if scope.is_empty() {
        "1 = 0".to_string()
    } else {
        scope.join(" OR ")
    };
    let columns = if with_reason {
        "i.key, i.repo, i.team, i.title, i.opened_at, i.resolved_at, i.source, i.cause_kind, \
         i.cause_ref, l.deployment, l.reason"
    } else {
        "i.key, i.repo, i.team, i.title, i.opened_at, i.resolved_at, l.deployment"
    };
    let mut params = vec![
        Value::int(codec::bound_secs(from)),
        Value::int(codec::bound_secs(to)),
    ];
    params.extend(repos.iter().map(|r| Value::text(r.to_string())));
    params.extend(teams.iter().map(|t| Value::text(t.as_str())));
    Statement::new(
        format!(
            "SELECT {columns} FROM incident i LEFT JOIN incident_link l ON l.incident = i.key \
             WHERE i.opened_at >= $1 AND i.opened_at < $2 AND ({scope}) \
             ORDER BY i.opened_at, i.key"
        ),
        params,
    )
}

fn deployment_fact(row: &dyn codec::RowExt) -> Result<DeploymentFact, StoreError> {
    let key = row.text("key")?;
    let k = key.as_str();
    Ok(DeploymentFact {
        repo: codec::repo(&row.text("repo")?, k)?,
        environment: row.text("environment")?,
        sha: codec::deployed_sha(row, k)?,
        finished_at: codec::time(row.int("finished_at")?, "finished_at", k)?,
        status: codec::status(&row.text("status")?, k)?,
        failed: row.flag("failed")?,
        rework: row.flag("rework")?,
        key,
    })
}

fn change_fact(row: &dyn codec::RowExt) -> Result<ChangeFact, StoreError> {
    let key = row.text("key")?;
    let k = key.as_str();
    Ok(ChangeFact {
        repo: codec::repo(&row.text("repo")?, k)?,
        number: row.opt_int("number")?,
        title: row.text("title")?,
        author: row.text("author")?,
        bot: row.flag("bot")?,
        paths: codec::list(&row.text("paths")?, "paths", k)?,
        first_commit_at: codec::time(row.int("first_commit_at")?, "first_commit_at", k)?,
        opened_at: codec::opt_time(row.opt_int("opened_at")?, "opened_at", k)?,
        first_review_at: codec::opt_time(row.opt_int("first_review_at")?, "first_review_at", k)?,
        merged_at: codec::time(row.int("merged_at")?, "merged_at", k)?,
        deployed_at: codec::time(row.int("deployed_at")?, "deployed_at", k)?,
        deployment: row.text("deployment")?,
        key,
    })
}

pub(super) fn incident_fact(row: &dyn codec::RowExt) -> Result<IncidentFact, StoreError> {
    let key = row.text("key")?;
    let k = key.as_str();
    Ok(IncidentFact {
        repo: row
            .opt_text("repo")?
            .map(|r| codec::repo(&r, k))
            .transpose()?,
        team: row.opt_text("team")?,
        title: row.text("title")?,
        opened_at: codec::time(row.int("opened_at")?, "opened_at", k)?,
        resolved_at: codec::opt_time(row.opt_int("resolved_at")?, "resolved_at", k)?,
        deployment: row.opt_text("deployment")?,
        key,
    })
}

fn rollback_fact(row: &dyn codec::RowExt) -> Result<RollbackFact, StoreError> {
    let failed = row.text("failed_deployment")?;
    let k = failed.as_str();
    let restored_at = row
        .opt_int("restored_at")?
        .ok_or_else(|| StoreError::corrupt("restored_at", k, "a rollback without a time"))?;
    Ok(RollbackFact {
        repo: codec::repo(&row.text("repo")?, k)?,
        failed_at: codec::time(row.int("failed_at")?, "failed_at", k)?,
        rollback_deployment: row.text("rollback_deployment")?,
        restored_at: codec::time(restored_at, "restored_at", k)?,
        failed_deployment: failed,
    })
}

fn failure_link(row: &dyn codec::RowExt) -> Result<FailureLink, StoreError> {
    let deployment = row.text("deployment")?;
    let k = deployment.as_str();
    let kind = row.text("kind")?;
    Ok(FailureLink {
        kind: FailureKind::parse(&kind).ok_or_else(|| {
            StoreError::corrupt("failure kind", k, format!("unknown kind `{kind}`"))
        })?,
        evidence: row.text("evidence")?,
        reason: row.text("reason")?,
        restored_at: codec::opt_time(row.opt_int("restored_at")?, "restored_at", k)?,
        deployment,
    })
}
