//! Re-running [`crate::analysis`] for repositories and replacing what it derived.
//!
//! The analysis of a repository needs all its records, so it runs per repository: load, analyse
//! in memory, then one transaction deletes the repository's derived rows and inserts the new
//! ones. Readers see the old facts or the new ones, never a mix. Inserts skip rows that already
//! exist, so two processes reanalysing the same repository at once both succeed.

use super::codec::{self, Statement, Value};
use super::{Store, StoreError};
use crate::analysis::{self, Analysis, AnalysisOptions};
use crate::model::RepoSlug;
use serde::Serialize;

/// What a reanalysis derived, summed over the repositories it covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReanalyzeReport {
    pub repositories: usize,
    pub shipments: usize,
    pub failures: usize,
    pub rework: usize,
    pub incident_links: usize,
}

/// The deployments of the repository `$1`.
const REPO_DEPLOYMENTS: &str = "SELECT key FROM deployment WHERE repo = $1";
/// The changes of the repository `$1`.
const REPO_CHANGES: &str = "SELECT key FROM change WHERE repo = $1";
/// The incidents the analysis of the repository `$1` covers: its own, and those without a
/// repository that name one of its deployments as their cause.
const REPO_INCIDENTS: &str = "SELECT key FROM incident WHERE repo = $1 \
     UNION ALL SELECT key FROM incident WHERE repo IS NULL AND cause_kind = 'deployment' \
     AND cause_ref IN (SELECT key FROM deployment WHERE repo = $1)";

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
            let analysis = self.analyze_repo(repo, options).await?;
            report.repositories += 1;
            report.shipments += analysis.shipments.len();
            report.failures += analysis.failures.len();
            report.rework += analysis.rework.len();
            report.incident_links += analysis.incident_links.len();
            self.transaction(replace_statements(repo, analysis)).await?;
        }
        Ok(report)
    }

    async fn analyze_repo(
        &self,
        repo: &RepoSlug,
        options: &AnalysisOptions,
    ) -> Result<Analysis, StoreError> {
        let slug = || vec![Value::text(repo.to_string())];
        let deployments = self
            .fetch_all(
                Statement::new(
                    format!(
                        "SELECT {} FROM deployment WHERE repo = $1",
                        codec::DEPLOYMENT_COLUMNS
                    ),
                    slug(),
                ),
                codec::deployment,
            )
            .await?;
        let changes = self
            .fetch_all(
                Statement::new(
                    format!(
                        "SELECT {} FROM change WHERE repo = $1",
                        codec::CHANGE_COLUMNS
                    ),
                    slug(),
                ),
                codec::change,
            )
            .await?;
        // Its own incidents, and those without a repository that name one of its deployments.
        let incidents = self
            .fetch_all(
                Statement::new(
                    format!(
                        "SELECT {cols} FROM incident WHERE repo = $1 \
                         UNION ALL \
                         SELECT {cols} FROM incident WHERE repo IS NULL \
                         AND cause_kind = 'deployment' AND cause_ref IN ({REPO_DEPLOYMENTS})",
                        cols = codec::INCIDENT_COLUMNS
                    ),
                    slug(),
                ),
                codec::incident,
            )
            .await?;
        Ok(analysis::analyze(
            &deployments,
            &changes,
            &incidents,
            options,
        ))
    }
}

/// Deletes the repository's derived rows and inserts the analysis, then bumps the data version.
fn replace_statements(repo: &RepoSlug, analysis: Analysis) -> Vec<Statement> {
    let slug = || vec![Value::text(repo.to_string())];
    // One DELETE per access path (rather than `... OR ...`), so each one can use an index
    // instead of scanning the whole table.
    let mut statements: Vec<Statement> = [
        format!("DELETE FROM deployment_change WHERE deployment IN ({REPO_DEPLOYMENTS})"),
        format!("DELETE FROM deployment_change WHERE change IN ({REPO_CHANGES})"),
        format!("DELETE FROM failure_link WHERE deployment IN ({REPO_DEPLOYMENTS})"),
        format!("DELETE FROM rework WHERE deployment IN ({REPO_DEPLOYMENTS})"),
        format!("DELETE FROM incident_link WHERE deployment IN ({REPO_DEPLOYMENTS})"),
        format!("DELETE FROM incident_link WHERE incident IN ({REPO_INCIDENTS})"),
    ]
    .into_iter()
    .map(|sql| Statement::new(sql, slug()))
    .collect();
    let Analysis {
        shipments,
        failures,
        rework,
        incident_links,
    } = analysis;
    statements.extend(codec::insert_statements(
        "INSERT INTO deployment_change (deployment, change)",
        "ON CONFLICT DO NOTHING",
        shipments
            .into_iter()
            .map(|s| vec![Value::text(s.deployment), Value::text(s.change)])
            .collect(),
    ));
    statements.extend(codec::insert_statements(
        "INSERT INTO failure_link (deployment, kind, evidence, reason, restored_at)",
        "ON CONFLICT DO NOTHING",
        failures
            .into_iter()
            .map(|f| {
                vec![
                    Value::text(f.deployment),
                    Value::text(f.kind.as_str()),
                    Value::text(f.evidence),
                    Value::text(f.reason),
                    Value::opt_time(f.restored_at),
                ]
            })
            .collect(),
    ));
    statements.extend(codec::insert_statements(
        "INSERT INTO rework (deployment, reason)",
        "ON CONFLICT DO NOTHING",
        rework
            .into_iter()
            .map(|r| vec![Value::text(r.deployment), Value::text(r.reason)])
            .collect(),
    ));
    statements.extend(codec::insert_statements(
        "INSERT INTO incident_link (incident, deployment, reason)",
        "ON CONFLICT DO NOTHING",
        incident_links
            .into_iter()
            .map(|l| {
                vec![
                    Value::text(l.incident),
                    Value::opt_text(l.deployment),
                    Value::text(l.reason),
                ]
            })
            .collect(),
    ));
    statements.push(codec::bump_data_version());
    statements
}
