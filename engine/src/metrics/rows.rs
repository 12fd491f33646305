//! The facts as the formulas read them: a few numbers per deployment, change, incident and
//! rollback (Unix seconds), nothing else. The noise filters are applied when rows are made, so a
//! row of a change already says whether (and why) it is left out.
//!
//! A [`FactView`] holds the rows of a question as sorted slices ("chunks", one per repository
//! when they come from [`crate::facts_cache`]): each chunk is sorted by the time that places its
//! rows in a window, so a window is found by binary search, and nothing is copied to join the
//! repositories of an organisation.

use super::change_index::ChangeIndex;
use super::facts::{ChangeFact, DeploymentFact, IncidentFact, MetricInputs, RollbackFact};
use crate::filters::{Excluded, NoiseFilters};
use crate::model::DeploymentStatus;

/// A deployment attempt to the measured environment. Ordered by time, then by its flags: rows
/// read whole and rows patched after a write ([`crate::facts_cache`]) sort the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeploymentRow {
    /// `finished_at`, Unix seconds.
    pub at: i64,
    pub success: bool,
    pub failed: bool,
    pub rework: bool,
}

/// A change, placed at the deployment that first shipped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeRow {
    pub deployed_at: i64,
    pub first_commit_at: i64,
    pub opened_at: Option<i64>,
    pub first_review_at: Option<i64>,
    pub merged_at: i64,
    /// Why the noise filters leave it out of lead time, if they do.
    pub excluded: Option<Excluded>,
}

/// An incident of the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentRow {
    pub opened_at: i64,
    pub resolved_at: Option<i64>,
    /// A deployment is blamed for it.
    pub attributed: bool,
}

/// A rolled-back deployment: failed at `failed_at`, restored at `restored_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackRow {
    pub failed_at: i64,
    pub restored_at: i64,
}

impl DeploymentRow {
    pub fn of(d: &DeploymentFact) -> Self {
        Self {
            at: d.finished_at.timestamp(),
            success: d.status == DeploymentStatus::Success,
            failed: d.failed,
            rework: d.rework,
        }
    }
}

impl ChangeRow {
    pub fn of(c: &ChangeFact, filters: &NoiseFilters) -> Self {
        Self {
            deployed_at: c.deployed_at.timestamp(),
            first_commit_at: c.first_commit_at.timestamp(),
            opened_at: c.opened_at.map(|t| t.timestamp()),
            first_review_at: c.first_review_at.map(|t| t.timestamp()),
            merged_at: c.merged_at.timestamp(),
            excluded: filters.excludes(c),
        }
    }
}

impl IncidentRow {
    pub fn of(i: &IncidentFact) -> Self {
        Self {
            opened_at: i.opened_at.timestamp(),
            resolved_at: i.resolved_at.map(|t| t.timestamp()),
            attributed: i.deployment.is_some(),
        }
    }
}

impl RollbackRow {
    pub fn of(r: &RollbackFact) -> Self {
        Self {
            failed_at: r.failed_at.timestamp(),
            restored_at: r.restored_at.timestamp(),
        }
    }
}

/// Rows sorted by the time that places them in a window.
pub trait Timed {
    fn at(&self) -> i64;
}

impl Timed for DeploymentRow {
    fn at(&self) -> i64 {
        self.at
    }
}
impl Timed for ChangeRow {
    fn at(&self) -> i64 {
        self.deployed_at
    }
}
impl Timed for IncidentRow {
    fn at(&self) -> i64 {
        self.opened_at
    }
}
impl Timed for RollbackRow {
    fn at(&self) -> i64 {
        self.failed_at
    }
}

/// Sorts rows by their time, so a window of them is a slice.
pub fn sort_by_time<T: Timed>(rows: &mut [T]) {
    rows.sort_by_key(Timed::at);
}

/// The rows of `chunk` whose time is in `[start, end)`.
pub fn in_window<T: Timed>(chunk: &[T], start: i64, end: i64) -> &[T] {
    let from = chunk.partition_point(|r| r.at() < start);
    let to = chunk.partition_point(|r| r.at() < end);
    &chunk[from..to.max(from)]
}

/// The rows one question reads, as sorted chunks.
#[derive(Debug, Default, Clone)]
pub struct FactView<'a> {
    pub deployments: Vec<&'a [DeploymentRow]>,
    pub changes: Vec<&'a [ChangeRow]>,
    pub incidents: Vec<&'a [IncidentRow]>,
    pub rollbacks: Vec<&'a [RollbackRow]>,
    /// The same changes indexed, when the process holds indexes (one per repository or per group
    /// of them, not necessarily one per chunk of `changes`): lead-time figures then come from them
    /// instead of from `changes`.
    pub change_indexes: Option<Vec<&'a ChangeIndex>>,
}

/// From this many changes on, a scope's two periods are computed on two threads.
const LARGE_SCOPE_CHANGES: usize = 100_000;

impl FactView<'_> {
    /// Whether the figures of this scope cost enough to be worth a second thread.
    pub fn is_large(&self) -> bool {
        self.changes.iter().map(|c| c.len()).sum::<usize>() >= LARGE_SCOPE_CHANGES
    }
}

/// Rows made from [`MetricInputs`] (the facts of a path-restricted scope, tests, `explain`):
/// one sorted chunk of each kind.
#[derive(Debug, Default, Clone)]
pub struct OwnedRows {
    pub deployments: Vec<DeploymentRow>,
    pub changes: Vec<ChangeRow>,
    pub incidents: Vec<IncidentRow>,
    pub rollbacks: Vec<RollbackRow>,
}

impl OwnedRows {
    pub fn of(inputs: &MetricInputs, filters: &NoiseFilters) -> Self {
        let mut rows = Self {
            deployments: inputs.deployments.iter().map(DeploymentRow::of).collect(),
            changes: inputs
                .changes
                .iter()
                .map(|c| ChangeRow::of(c, filters))
                .collect(),
            incidents: inputs.incidents.iter().map(IncidentRow::of).collect(),
            rollbacks: inputs.rollbacks.iter().map(RollbackRow::of).collect(),
        };
        sort_by_time(&mut rows.deployments);
        sort_by_time(&mut rows.changes);
        sort_by_time(&mut rows.incidents);
        sort_by_time(&mut rows.rollbacks);
        rows
    }

    pub fn view(&self) -> FactView<'_> {
        FactView {
            deployments: vec![&self.deployments],
            changes: vec![&self.changes],
            incidents: vec![&self.incidents],
            rollbacks: vec![&self.rollbacks],
            change_indexes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(at: i64) -> DeploymentRow {
        DeploymentRow {
            at,
            success: true,
            failed: false,
            rework: false,
        }
    }

    #[test]
    fn a_window_is_half_open() {
        let rows: Vec<_> = [1, 2, 2, 3, 5].into_iter().map(deployment).collect();
        let times = |s: &[DeploymentRow]| s.iter().map(|r| r.at).collect::<Vec<_>>();
        assert_eq!(times(in_window(&rows, 2, 5)), vec![2, 2, 3]);
        assert_eq!(times(in_window(&rows, 6, 9)), Vec::<i64>::new());
        assert_eq!(times(in_window(&rows, 5, 2)), Vec::<i64>::new());
    }
}
