//! Which deployment each incident is blamed on.

use super::shas::sha_condition;
use super::{PAGE, RepoAnalysis, SUCCESSES};
use crate::analysis::{self, ExplicitCause, Found, Scope};
use crate::model::{Incident, IncidentCause, Timestamp};
use crate::store::StoreError;
use crate::store::codec::{self, Statement, Value};
use std::collections::{HashMap, HashSet};

/// What the deployments and changes a page of incidents name are.
struct Named {
    /// The deployments named that are successful deployments of this repository to the
    /// environment.
    successes: HashSet<String>,
    /// The deployments named that are stored, of any repository or status.
    stored: HashSet<String>,
    /// The deployment of this repository that shipped each change named (those shipped).
    shipped: HashMap<String, String>,
}

impl RepoAnalysis<'_> {
    /// Attributes the incidents this derivation covers, a page at a time in (opening time, key)
    /// order.
    pub(super) async fn attribute_incidents(&mut self) -> Result<(), StoreError> {
        let columns = codec::INCIDENT_COLUMNS;
        // With each incident, the latest successful deployment that finished before it opened
        // (the window rule's candidate), found by the index rather than a query each. From the
        // rows, by the repository's id: through the view PostgreSQL no longer walked the index
        // backwards from the incident's time (6 s of the 100k import's derivation).
        let latest = |column: &str| {
            format!(
                "(SELECT d.{column} FROM deployment_row d \
                 WHERE d.repo_id = (SELECT id FROM repository WHERE slug = $1) \
                 AND d.status = 'success' AND lower(d.environment) = lower($2) \
                 AND d.finished_at <= scoped.opened_at \
                 ORDER BY d.finished_at DESC, {} DESC LIMIT 1) AS latest_{column}",
                self.bytewise("d.key")
            )
        };
        let (latest_key, latest_finished_at) = (latest("key"), latest("finished_at"));
        let incidents = std::mem::take(&mut self.incidents);
        for page in incidents.chunks(PAGE as usize) {
            let sql = format!(
                "SELECT {columns}, {latest_key}, {latest_finished_at} FROM incident AS scoped \
                 WHERE key IN ({})",
                codec::placeholders(3, page.len())
            );
            let params = [self.slug(), Value::text(&self.options.environment)]
                .into_iter()
                .chain(page.iter().map(|(_, key)| Value::text(key)))
                .collect();
            let mut read = self
                .tx
                .fetch_all(Statement::new(sql, params), |row| {
                    let incident = codec::incident(row)?;
                    let latest = match (
                        row.opt_text("latest_key")?,
                        row.opt_int("latest_finished_at")?,
                    ) {
                        (Some(key), Some(at)) => {
                            let at = codec::time(at, "finished_at", &key)?;
                            Some((key, at))
                        }
                        _ => None,
                    };
                    Ok((incident, latest))
                })
                .await?;
            read.sort_unstable_by(|(a, _), (b, _)| {
                (a.opened_at, &a.key).cmp(&(b.opened_at, &b.key))
            });
            let named = self
                .named_by(read.iter().map(|(incident, _)| incident))
                .await?;
            for (incident, latest) in &read {
                self.attribute(incident, latest.as_ref(), &named).await?;
            }
        }
        self.incidents = incidents;
        Ok(())
    }

    /// Links the incident; `latest` is the latest successful deployment of this repository
    /// before it opened.
    async fn attribute(
        &mut self,
        incident: &Incident,
        latest: Option<&(String, Timestamp)>,
        named: &Named,
    ) -> Result<(), StoreError> {
        let explicit = match &incident.cause {
            Some(cause) => Some(self.explicit_cause(cause, named).await?),
            None => None,
        };
        // Only an incident of this repository is blamed on its latest deployment; one analysed
        // here for its cause (of another repository, or of none) is linked by that cause alone.
        let repo = self.repo.clone();
        let own = incident.repo.as_ref().map(ToString::to_string) == Some(repo.clone());
        self.links_foreign_incidents |= !own;
        let scope = if own {
            Scope::Own {
                latest: latest.map(|(key, at)| (key.as_str(), *at)),
            }
        } else {
            Scope::Elsewhere { repo: &repo }
        };
        let (failure, link) = analysis::link_incident(incident, explicit, scope, self.options);
        if let Some(failure) = failure {
            self.insert_failure(&failure).await?;
        }
        self.insert_incident_link(&link).await
    }

    /// What the deployments and changes these incidents name are, looked up for them all at once.
    async fn named_by(
        &mut self,
        incidents: impl Iterator<Item = &Incident>,
    ) -> Result<Named, StoreError> {
        let (mut deployments, mut changes) = (Vec::new(), Vec::new());
        for incident in incidents {
            match &incident.cause {
                Some(IncidentCause::Deployment(key)) => deployments.push(key.as_str()),
                Some(IncidentCause::Change(key)) => changes.push(key.as_str()),
                _ => {}
            }
        }
        let key = |row: &dyn codec::RowExt| Ok(row.text("key")?);
        // `repo || ''`: by the keys' index, not the repository's deployments.
        let sql = "SELECT key FROM deployment WHERE repo || '' = $1 AND status = 'success' \
                   AND lower(environment) = lower($2) AND key IN ({list})";
        let leading = vec![self.slug(), Value::text(&self.options.environment)];
        let successes = self.fetch_for_keys(sql, leading, &deployments, key).await?;
        let sql = "SELECT key FROM deployment WHERE key IN ({list})";
        let stored = self
            .fetch_for_keys(sql, Vec::new(), &deployments, key)
            .await?;
        Ok(Named {
            successes: successes.into_iter().collect(),
            stored: stored.into_iter().collect(),
            shipped: self.shipped_by_each(&changes).await?,
        })
    }

    async fn explicit_cause(
        &mut self,
        cause: &IncidentCause,
        named: &Named,
    ) -> Result<ExplicitCause, StoreError> {
        Ok(match cause {
            IncidentCause::Deployment(key) => {
                let found = if named.successes.contains(key) {
                    Found::Success
                } else if named.stored.contains(key) {
                    Found::NotSuccessful
                } else {
                    Found::Unknown
                };
                ExplicitCause::Deployment {
                    key: key.clone(),
                    found,
                }
            }
            IncidentCause::Change(key) => ExplicitCause::Change {
                key: key.clone(),
                shipped_by: named.shipped.get(key).cloned(),
            },
            IncidentCause::Sha(sha) => {
                // Through the earliest change holding it, else a deployment of that sha.
                let mut params = vec![self.slug()];
                let holding = sha_condition(
                    std::slice::from_ref(sha),
                    self.abbreviations,
                    self.sha_form(),
                    &mut params,
                );
                let sql = format!(
                    "SELECT c.key FROM change_commit cc JOIN change c ON c.id = cc.change_id \
                     WHERE cc.repo_id = (SELECT id FROM repository WHERE slug = $1) \
                     AND {holding} ORDER BY c.merged_at, {} LIMIT 1",
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
        let sha_text = self.sha_form().text("sha");
        let sql = format!(
            "SELECT key FROM deployment WHERE {SUCCESSES} AND length({sha_text}) >= 7 \
             AND (substr({sha_text}, 1, length($3)) = $3 \
             OR substr($3, 1, length({sha_text})) = {sha_text}) \
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
}
