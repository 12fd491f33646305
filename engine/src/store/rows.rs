//! The narrow reads behind [`crate::facts_cache`]: the whole history of some repositories as
//! [`crate::metrics::rows`], a few numbers per fact, each kind in one set-based query whatever
//! the number of repositories. Titles and paths are read only when a noise filter needs them,
//! and each author is matched against the bot patterns once.

use super::codec::{self, Statement, Value};
use super::{Store, StoreError};
use crate::filters::NoiseFilters;
use crate::metrics::facts::IncidentFact;
use crate::metrics::rows::{ChangeRow, ChangeTimes, DeploymentRow, RollbackRow, sort_by_time};
use crate::model::{RepoSlug, Timestamp};
use std::collections::HashMap;

/// One repository's facts for one environment, each kind sorted by time.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RepoRows {
    pub deployments: Vec<DeploymentRow>,
    pub changes: Vec<ChangeRow>,
    pub rollbacks: Vec<RollbackRow>,
}

impl RepoRows {
    /// Roughly how much memory the rows take.
    pub fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.deployments.capacity() * size_of::<DeploymentRow>()
            + self.changes.capacity() * size_of::<ChangeRow>()
            + self.rollbacks.capacity() * size_of::<RollbackRow>()
    }
}

impl Store {
    /// Every fact of `repos` for deployments to `environment` (case-insensitive), by repository
    /// (a repository with no facts maps to empty rows); `filters` decide which changes are left
    /// out of lead time.
    ///
    /// With `since` (Unix seconds), only what writes marked from that time may have moved (see
    /// `repository_write`): the deployments finished at or after it, the changes deployed at or
    /// after it, and the rollbacks (few). A derivation's mark is early enough to cover the
    /// earlier deployments it blamed or stopped blaming (`derived::moved`), so
    /// [`crate::facts_cache`] keeps the held rows before it as they are.
    pub async fn repo_rows(
        &self,
        repos: &[RepoSlug],
        environment: &str,
        filters: &NoiseFilters,
        since: Option<i64>,
    ) -> Result<HashMap<RepoSlug, RepoRows>, StoreError> {
        // Keyed by slug as the rows name it, so no row parses a slug.
        let mut out: HashMap<String, RepoRows> = repos
            .iter()
            .map(|r| (r.to_string(), RepoRows::default()))
            .collect();
        if repos.is_empty() {
            return Ok(HashMap::new());
        }
        let n = repos.len();
        let scoped = |sql: String| {
            let mut params: Vec<Value> = repos.iter().map(|r| Value::text(r.to_string())).collect();
            params.push(Value::text(environment));
            Statement::new(sql, params)
        };
        let in_scope = format!(
            "d.repo IN ({}) AND LOWER(d.environment) = LOWER(${})",
            codec::placeholders(1, n),
            n + 1
        );
        let mut deployments_statement = scoped(format!(
            "SELECT d.repo, d.finished_at, d.status, \
             EXISTS (SELECT 1 FROM failure_link f WHERE f.deployment = d.key) AS failed, \
             EXISTS (SELECT 1 FROM rework r WHERE r.deployment = d.key) AS rework \
             FROM deployment d WHERE {in_scope}{}",
            since_condition(since, n + 2)
        ));
        deployments_statement.params.extend(since.map(Value::int));
        // Each row pushed straight onto its repository's rows, borrowing its text: a read of a
        // large repository allocates nothing per row but the row kept.
        self.for_each_row(deployments_statement, |row| {
            if let Some(rows) = out.get_mut(row.str("repo")?) {
                rows.deployments.push(DeploymentRow {
                    at: row.int("finished_at")?,
                    success: row.str("status")? == "success",
                    failed: row.flag("failed")?,
                    rework: row.flag("rework")?,
                });
            }
            Ok(())
        })
        .await?;
        let title = if filters.reads_titles() {
            "c.title"
        } else {
            "'' AS title"
        };
        let paths = if filters.reads_paths() {
            "c.paths"
        } else {
            "'[]' AS paths"
        };
        let mut changes_statement = scoped(format!(
            "SELECT d.repo, d.finished_at AS deployed_at, c.first_commit_at, \
             c.opened_at, c.first_review_at, c.merged_at, c.author, c.bot, \
             {title}, {paths} \
             FROM deployment d \
             JOIN deployment_change dc ON dc.deployment_id = d.id \
             JOIN change c ON c.id = dc.change_id \
             WHERE {in_scope} AND d.status = 'success'{}",
            since_condition(since, n + 2)
        ));
        changes_statement.params.extend(since.map(Value::int));
        // Each author matched against the bot patterns once.
        let mut bot_authors: HashMap<String, bool> = HashMap::new();
        self.for_each_row(changes_statement, |row| {
            let repo = row.str("repo")?;
            let author = row.str("author")?;
            let bot = row.flag("bot")?
                || match bot_authors.get(author) {
                    Some(bot) => *bot,
                    None => {
                        let bot = filters.is_bot_author(author);
                        bot_authors.insert(author.to_string(), bot);
                        bot
                    }
                };
            let paths = match row.str("paths")? {
                "[]" => Vec::new(),
                paths => codec::list(paths, "paths", repo)?,
            };
            let change = ChangeTimes {
                deployed_at: row.int("deployed_at")?,
                first_commit_at: row.int("first_commit_at")?,
                opened_at: row.opt_int("opened_at")?,
                first_review_at: row.opt_int("first_review_at")?,
                merged_at: row.int("merged_at")?,
                excluded: filters.excludes_parts(bot, row.str("title")?, &paths),
            };
            if let Some(rows) = out.get_mut(repo) {
                rows.changes.push(change.into());
            }
            Ok(())
        })
        .await?;
        let rollbacks = scoped(format!(
            "SELECT d.repo, d.finished_at AS failed_at, \
             COALESCE(f.restored_at, r.finished_at) AS restored_at \
             FROM failure_link f \
             JOIN deployment d ON d.key = f.deployment \
             LEFT JOIN deployment_row r ON r.key = f.evidence \
             WHERE f.repo IN ({}) AND f.kind = 'rollback' AND {in_scope}",
            codec::placeholders(1, n)
        ));
        self.for_each_row(rollbacks, |row| {
            let repo = row.str("repo")?;
            let restored_at = row.opt_int("restored_at")?.ok_or_else(|| {
                StoreError::corrupt("restored_at", repo, "a rollback without a time")
            })?;
            if let Some(rows) = out.get_mut(repo) {
                rows.rollbacks.push(RollbackRow {
                    failed_at: row.int("failed_at")?,
                    restored_at,
                });
            }
            Ok(())
        })
        .await?;
        for rows in out.values_mut() {
            // By time, then flags: the same order whichever way the rows were read.
            rows.deployments.sort_unstable();
            sort_by_time(&mut rows.changes);
            sort_by_time(&mut rows.rollbacks);
            rows.deployments.shrink_to_fit();
            rows.changes.shrink_to_fit();
            rows.rollbacks.shrink_to_fit();
        }
        Ok(repos
            .iter()
            .map(|r| (r.clone(), out.remove(&r.to_string()).unwrap_or_default()))
            .collect())
    }

    /// The incidents of `repos` or `teams` opened in `[from, to)`, oldest first, each with the
    /// deployment it is blamed on.
    pub async fn incident_facts(
        &self,
        repos: &[RepoSlug],
        teams: &[String],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<IncidentFact>, StoreError> {
        self.fetch_all(
            super::facts::incidents_statement(repos, teams, from, to, false),
            super::facts::incident_fact,
        )
        .await
    }
}

/// The condition on the deployments' finish that [`Store::repo_rows`] adds with a `since`
/// (parameter `$at`).
fn since_condition(since: Option<i64>, at: usize) -> String {
    match since {
        Some(_) => format!(" AND d.finished_at >= ${at}"),
        None => String::new(),
    }
}
