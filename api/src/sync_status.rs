//! `GET /api/v1/sync/status` and the sync part of `/healthz`: the last GitHub sync as the store
//! recorded it, whichever process ran it (a replica's schedule, a `doraboard collect`), so every
//! replica answers the same; and whether a sync runs in this process (the one piece kept in
//! memory: another replica's running sync shows once it is recorded).

use crate::error::ApiError;
use crate::server::AppState;
use axum::Json;
use axum::extract::State;
use collector::sync::{SyncReport, SyncRunner};
use engine::model::Timestamp;
use engine::store::Store;
use serde::Serialize;

/// Whether a sync runs in this process, and the last one's outcome.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SyncStatus {
    /// A sync runs in this process now.
    pub running: bool,
    /// When the running sync started.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    /// The last sync recorded by any process; None before the first one.
    pub last: Option<SyncSummary>,
}

/// The short form of a finished sync.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SyncSummary {
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub finished_at: Timestamp,
    pub ok: bool,
    pub repositories: usize,
    pub failed: usize,
    pub records: u64,
    pub requests: u64,
    pub not_modified: u64,
    /// The repositories that failed, with why.
    pub failures: Vec<RepoFailure>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RepoFailure {
    pub repo: String,
    pub error: String,
}

impl From<&SyncReport> for SyncSummary {
    fn from(r: &SyncReport) -> Self {
        SyncSummary {
            started_at: r.started_at,
            finished_at: r.finished_at,
            ok: r.failed() == 0,
            repositories: r.repos.len(),
            failed: r.failed(),
            records: r.records(),
            requests: r.requests(),
            not_modified: r.not_modified(),
            failures: r
                .repos
                .iter()
                .filter_map(|x| {
                    x.error.as_ref().map(|e| RepoFailure {
                        repo: x.repo.clone(),
                        error: e.clone(),
                    })
                })
                .collect(),
        }
    }
}

/// The status: this process's runner, the store's last run.
pub(crate) async fn read(store: &Store) -> Result<SyncStatus, ApiError> {
    let last = store
        .last_sync_run()
        .await
        .map_err(engine::query::QueryError::from)?;
    let started_at = SyncRunner::global().running_since();
    Ok(SyncStatus {
        running: started_at.is_some(),
        started_at,
        last: last.as_ref().map(SyncSummary::from),
    })
}

/// The GitHub sync (a replica's schedule or `doraboard collect`): whether one runs in this
/// process, and the last outcome with every failed repository and why. `/healthz` carries its
/// short form.
#[utoipa::path(
    get,
    path = "/api/v1/sync/status",
    tag = "operations",
    responses(
        (status = 200, description = "Whether a sync runs in this process (`running`, `started_at`), and `last`: the last sync recorded in the store by any process sharing it, null before the first", body = SyncStatus),
    )
)]
pub(crate) async fn sync_status(
    State(state): State<AppState>,
) -> Result<Json<SyncStatus>, ApiError> {
    Ok(Json(read(&state.store).await?))
}
