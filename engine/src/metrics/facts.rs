//! The finished facts a metrics computation reads: what the store hands the pure formulas.
//!
//! They are the output of [`crate::analysis`] joined with the records, for one scope (team, tribe
//! or organisation) and a time window. Nothing here needs a database.

use crate::model::{DeploymentStatus, RepoSlug, Timestamp};
use serde::Serialize;

/// One deployment attempt in the window, with what the analysis concluded about it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeploymentFact {
    pub key: String,
    #[schema(value_type = String, example = "acme/shop")]
    pub repo: RepoSlug,
    pub environment: String,
    pub sha: String,
    #[schema(value_type = String, format = DateTime)]
    pub finished_at: Timestamp,
    #[schema(value_type = String, example = "success")]
    pub status: DeploymentStatus,
    /// At least one failure link (incident, rollback, revert, hotfix) points at it.
    pub failed: bool,
    /// It shipped a revert or hotfix, or was a rollback.
    pub rework: bool,
}

/// A change shipped by a deployment in the window, with the times of its phases.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChangeFact {
    pub key: String,
    #[schema(value_type = String, example = "acme/shop")]
    pub repo: RepoSlug,
    pub number: Option<i64>,
    pub title: String,
    pub author: String,
    pub bot: bool,
    pub paths: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub first_commit_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opened_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_review_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub merged_at: Timestamp,
    /// `finished_at` of the first deployment that shipped it.
    #[schema(value_type = String, format = DateTime)]
    pub deployed_at: Timestamp,
    pub deployment: String,
}

/// An incident of the scope opened in the window.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IncidentFact {
    pub key: String,
    #[schema(value_type = Option<String>, example = "acme/shop")]
    pub repo: Option<RepoSlug>,
    pub team: Option<String>,
    pub title: String,
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Timestamp>,
    /// The deployment it is blamed on; None for an outage not caused by a change.
    pub deployment: Option<String>,
}

/// A failed deployment in the window that a later deployment rolled back.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RollbackFact {
    pub failed_deployment: String,
    #[schema(value_type = String, example = "acme/shop")]
    pub repo: RepoSlug,
    #[schema(value_type = String, format = DateTime)]
    pub failed_at: Timestamp,
    pub rollback_deployment: String,
    #[schema(value_type = String, format = DateTime)]
    pub restored_at: Timestamp,
}

/// Everything one metrics computation needs, for a scope and a window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MetricInputs {
    /// Every deployment attempt to the measured environment that finished in the window.
    pub deployments: Vec<DeploymentFact>,
    /// Every change first shipped by a deployment that finished in the window.
    pub changes: Vec<ChangeFact>,
    /// Every incident of the scope opened in the window.
    pub incidents: Vec<IncidentFact>,
    /// Every rollback whose failed deployment finished in the window.
    pub rollbacks: Vec<RollbackFact>,
}
