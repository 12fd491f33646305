//! The rows behind the figures, so a reader who doubts a number can check it: the deployments of a
//! period (failed ones with every piece of evidence and its reason), the changes they shipped
//! with their phases (slowest first), the incidents and whom they blame, the rollbacks.
//!
//! Built from the same facts as the metrics, so the lists always add up to the figures.

use crate::analysis::FailureLink;
use crate::config::{Config, Scope};
use crate::filters::Excluded;
use crate::metrics::facts::{ChangeFact, DeploymentFact, RollbackFact};
use crate::period::Period;
use crate::query::{QueryError, filters};
use crate::store::{IncidentLinkDetail, Store};
use serde::Serialize;

/// Everything behind one scope's figures for one period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    pub team: Option<String>,
    pub name: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub time_zone: String,
    /// Every attempt, oldest first; failed attempts have status `failure`.
    pub deployments: Vec<ExplainedDeployment>,
    /// Every change first shipped in the period, slowest first.
    pub changes: Vec<ExplainedChange>,
    #[schema(value_type = Vec<Object>)]
    pub incidents: Vec<IncidentLinkDetail>,
    pub rollbacks: Vec<RollbackFact>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExplainedDeployment {
    #[serde(flatten)]
    pub fact: DeploymentFact,
    /// Why it counts as failed (empty when it does not).
    #[schema(value_type = Vec<Object>)]
    pub failures: Vec<FailureLink>,
    /// Why it counts as rework.
    pub rework_reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExplainedChange {
    #[serde(flatten)]
    pub fact: ChangeFact,
    pub lead_time_seconds: i64,
    pub coding_seconds: Option<i64>,
    pub pickup_seconds: Option<i64>,
    pub review_seconds: Option<i64>,
    pub deploy_seconds: i64,
    /// Which noise filter left it out of lead time: "bot", "title" or "paths".
    #[schema(value_type = Option<String>)]
    pub excluded: Option<&'static str>,
}

fn secs(from: crate::model::Timestamp, to: crate::model::Timestamp) -> i64 {
    (to - from).num_seconds().max(0)
}

impl ExplainedChange {
    fn new(fact: ChangeFact, excluded: Option<Excluded>) -> Self {
        Self {
            lead_time_seconds: secs(fact.first_commit_at, fact.deployed_at),
            coding_seconds: fact.opened_at.map(|o| secs(fact.first_commit_at, o)),
            pickup_seconds: fact
                .opened_at
                .zip(fact.first_review_at)
                .map(|(o, r)| secs(o, r)),
            review_seconds: fact.first_review_at.map(|r| secs(r, fact.merged_at)),
            deploy_seconds: secs(fact.merged_at, fact.deployed_at),
            excluded: excluded.map(|e| match e {
                Excluded::Bot => "bot",
                Excluded::Title => "title",
                Excluded::Paths => "paths",
            }),
            fact,
        }
    }
}

/// The rows behind the figures of `scope` for `period`.
pub async fn explain(
    store: &Store,
    config: &Config,
    scope: &Scope,
    period: Period,
) -> Result<Explanation, QueryError> {
    let tz = scope.time_zone;
    let (from, to) = (period.start(tz), period.end(tz));
    let mut inputs = store
        .metric_inputs(
            &scope.repos,
            &scope.teams,
            &config.deployments.environment,
            from,
            to,
        )
        .await?;
    crate::metrics::ownership::restrict_to_paths(&mut inputs, &scope.paths, &scope.teams);
    let noise = filters(config)?;
    let mut deployments = Vec::with_capacity(inputs.deployments.len());
    for fact in inputs.deployments {
        let (failures, rework_reasons) = if fact.failed || fact.rework {
            match store.deployment_detail(&fact.key).await? {
                Some(detail) => (
                    detail.failures,
                    detail.rework.into_iter().map(|r| r.reason).collect(),
                ),
                None => (Vec::new(), Vec::new()),
            }
        } else {
            (Vec::new(), Vec::new())
        };
        deployments.push(ExplainedDeployment {
            fact,
            failures,
            rework_reasons,
        });
    }
    deployments
        .sort_by(|a, b| (a.fact.finished_at, &a.fact.key).cmp(&(b.fact.finished_at, &b.fact.key)));
    let mut changes: Vec<ExplainedChange> = inputs
        .changes
        .into_iter()
        .map(|c| {
            let excluded = noise.excludes(&c);
            ExplainedChange::new(c, excluded)
        })
        .collect();
    changes.sort_by(|a, b| {
        b.lead_time_seconds
            .cmp(&a.lead_time_seconds)
            .then(a.fact.key.cmp(&b.fact.key))
    });
    let incidents = store
        .incident_links(&scope.repos, &scope.teams, from, to)
        .await?;
    Ok(Explanation {
        team: scope.slug.clone(),
        name: scope.name.clone(),
        from: period.from,
        to: period.to,
        time_zone: tz.name().to_string(),
        deployments,
        changes,
        incidents,
        rollbacks: inputs.rollbacks,
    })
}
