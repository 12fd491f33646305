//! The rows behind the figures, so a reader who doubts a number can check it: the deployments of a
//! period (failed ones with every piece of evidence and its reason), the changes they shipped
//! with their phases (slowest first), the incidents and whom they blame, the rollbacks.
//!
//! Built from the same facts as the metrics, so the lists always add up to the figures. An answer
//! may carry one page of each list ([`Page`]): `totals` then says how long each list is.

use crate::analysis::FailureLink;
use crate::config::{Config, Scope};
use crate::filters::{Excluded, NoiseFilters};
use crate::metrics::change_index::Elapsed;
use crate::metrics::facts::{ChangeFact, DeploymentFact, RollbackFact};
use crate::metrics::rows::ChangeRow;
use crate::period::Period;
use crate::query::QueryError;
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
    /// How many rows each list has in full; a list is cut to the page asked for.
    pub totals: ExplainTotals,
}

/// The full length of each list of an [`Explanation`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ExplainTotals {
    pub deployments: usize,
    pub changes: usize,
    pub incidents: usize,
    pub rollbacks: usize,
}

/// Which rows of each list an answer carries: `limit` rows from `offset`, in the list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    /// Every row.
    pub const ALL: Page = Page {
        offset: 0,
        limit: usize::MAX,
    };

    /// This page of `rows`.
    fn cut<T>(&self, rows: Vec<T>) -> Vec<T> {
        rows.into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect()
    }
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

impl ExplainedChange {
    /// The change with its stretches as the lead-time figures measure them ([`Elapsed::of`]).
    fn new(fact: ChangeFact, noise: &NoiseFilters) -> Self {
        let row = ChangeRow::of(&fact, noise);
        let secs = |e: Elapsed| e.of(&row).map(|s| s as i64);
        Self {
            lead_time_seconds: secs(Elapsed::Lead).unwrap_or_default(),
            coding_seconds: secs(Elapsed::Coding),
            pickup_seconds: secs(Elapsed::Pickup),
            review_seconds: secs(Elapsed::Review),
            deploy_seconds: secs(Elapsed::Deploy).unwrap_or_default(),
            excluded: row.excluded().map(|e| match e {
                Excluded::Bot => "bot",
                Excluded::Title => "title",
                Excluded::Paths => "paths",
            }),
            fact,
        }
    }
}

/// The rows behind the figures of `scope` for `period`, `page` of each list. The evidence of a
/// failed deployment is read for the deployments of the page only.
pub async fn explain(
    store: &Store,
    config: &Config,
    scope: &Scope,
    period: Period,
    page: Page,
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
    let noise = config.filters.noise();
    let mut facts = inputs.deployments;
    facts.sort_by(|a, b| (a.finished_at, &a.key).cmp(&(b.finished_at, &b.key)));
    let mut totals = ExplainTotals {
        deployments: facts.len(),
        changes: inputs.changes.len(),
        incidents: 0,
        rollbacks: inputs.rollbacks.len(),
    };
    let mut deployments = Vec::new();
    for fact in page.cut(facts) {
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
    let mut changes: Vec<ExplainedChange> = inputs
        .changes
        .into_iter()
        .map(|c| ExplainedChange::new(c, noise))
        .collect();
    changes.sort_by(|a, b| {
        b.lead_time_seconds
            .cmp(&a.lead_time_seconds)
            .then(a.fact.key.cmp(&b.fact.key))
    });
    let incidents = store
        .incident_links(&scope.repos, &scope.teams, from, to)
        .await?;
    totals.incidents = incidents.len();
    Ok(Explanation {
        team: scope.slug.clone(),
        name: scope.name.clone(),
        from: period.from,
        to: period.to,
        time_zone: tz.name().to_string(),
        deployments,
        changes: page.cut(changes),
        incidents: page.cut(incidents),
        rollbacks: page.cut(inputs.rollbacks),
        totals,
    })
}
