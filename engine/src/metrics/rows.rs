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

/// A change's instants (Unix seconds), as a [`ChangeRow`] is made from and read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeTimes {
    pub deployed_at: i64,
    pub first_commit_at: i64,
    pub opened_at: Option<i64>,
    pub first_review_at: Option<i64>,
    pub merged_at: i64,
    /// Why the noise filters leave it out of lead time, if they do.
    pub excluded: Option<Excluded>,
}

/// A change, placed at the deployment that first shipped it, in 32 bytes: an organisation's
/// year is half a million of them, and a question's passes over them are as fast as memory
/// gives them. The deployment's instant is kept whole, the others as seconds before it in 40
/// bits (17,000 years either way, more than four-digit years can be apart; farther is taken as
/// that far).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChangeRow {
    pub deployed_at: i64,
    /// The low 32 bits of the seconds before the deployment of the merge, the first commit, the
    /// opening and the first review ([`Before`]).
    low: [u32; 4],
    /// Their high 8 bits (signed).
    high: [i8; 4],
    /// Why the filters leave it out (bits 0-1: 0 for none), opened (bit 2), reviewed (bit 3).
    flags: u8,
}

/// The instants a [`ChangeRow`] keeps as seconds before its deployment, by position.
#[derive(Debug, Clone, Copy)]
enum Before {
    Merged,
    FirstCommit,
    Opened,
    FirstReview,
}

const OPENED: u8 = 1 << 2;
const REVIEWED: u8 = 1 << 3;
/// The farthest an instant is kept from its deployment, in seconds: 40 bits, signed.
const FARTHEST: i64 = (1 << 39) - 1;

impl From<ChangeTimes> for ChangeRow {
    fn from(t: ChangeTimes) -> Self {
        let mut row = Self {
            deployed_at: t.deployed_at,
            low: [0; 4],
            high: [0; 4],
            flags: match t.excluded {
                None => 0,
                Some(Excluded::Bot) => 1,
                Some(Excluded::Title) => 2,
                Some(Excluded::Paths) => 3,
            } | if t.opened_at.is_some() { OPENED } else { 0 }
                | if t.first_review_at.is_some() {
                    REVIEWED
                } else {
                    0
                },
        };
        row.set(Before::Merged, t.merged_at);
        row.set(Before::FirstCommit, t.first_commit_at);
        row.set(Before::Opened, t.opened_at.unwrap_or(t.deployed_at));
        row.set(
            Before::FirstReview,
            t.first_review_at.unwrap_or(t.deployed_at),
        );
        row
    }
}

impl ChangeRow {
    pub fn of(c: &ChangeFact, filters: &NoiseFilters) -> Self {
        ChangeTimes {
            deployed_at: c.deployed_at.timestamp(),
            first_commit_at: c.first_commit_at.timestamp(),
            opened_at: c.opened_at.map(|t| t.timestamp()),
            first_review_at: c.first_review_at.map(|t| t.timestamp()),
            merged_at: c.merged_at.timestamp(),
            excluded: filters.excludes(c),
        }
        .into()
    }

    fn set(&mut self, which: Before, at: i64) {
        let seconds = self
            .deployed_at
            .wrapping_sub(at)
            .clamp(-FARTHEST - 1, FARTHEST);
        self.low[which as usize] = seconds as u32;
        self.high[which as usize] = (seconds >> 32) as i8;
    }

    /// Seconds from `which` to the deployment (negative when it came after).
    fn before(&self, which: Before) -> i64 {
        let i = which as usize;
        i64::from(self.high[i]) << 32 | i64::from(self.low[i])
    }

    fn at(&self, which: Before) -> i64 {
        self.deployed_at.wrapping_sub(self.before(which))
    }

    /// Seconds from the first commit to the deployment.
    pub fn before_first_commit(&self) -> i64 {
        self.before(Before::FirstCommit)
    }

    /// Seconds from the merge to the deployment.
    pub fn before_merge(&self) -> i64 {
        self.before(Before::Merged)
    }

    /// Seconds from the opening to the deployment, if the change was opened as a pull request.
    pub fn before_opening(&self) -> Option<i64> {
        (self.flags & OPENED != 0).then(|| self.before(Before::Opened))
    }

    /// Seconds from the first review to the deployment, if it was reviewed.
    pub fn before_first_review(&self) -> Option<i64> {
        (self.flags & REVIEWED != 0).then(|| self.before(Before::FirstReview))
    }

    pub fn excluded(&self) -> Option<Excluded> {
        match self.flags & 3 {
            0 => None,
            1 => Some(Excluded::Bot),
            2 => Some(Excluded::Title),
            _ => Some(Excluded::Paths),
        }
    }

    /// Its instants, as made.
    pub fn times(&self) -> ChangeTimes {
        ChangeTimes {
            deployed_at: self.deployed_at,
            first_commit_at: self.at(Before::FirstCommit),
            opened_at: self.before_opening().map(|_| self.at(Before::Opened)),
            first_review_at: self
                .before_first_review()
                .map(|_| self.at(Before::FirstReview)),
            merged_at: self.at(Before::Merged),
            excluded: self.excluded(),
        }
    }
}

impl std::fmt::Debug for ChangeRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.times().fmt(f)
    }
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

    #[test]
    fn a_change_row_keeps_every_instant_four_digit_years_can_hold_in_32_bytes() {
        assert_eq!(std::mem::size_of::<ChangeRow>(), 32);
        // 0001-01-01 and 9999-12-31T23:59:59Z, both ways round, and clock skew.
        let (first, last) = (-62_135_596_800, 253_402_300_799);
        let cases = [
            ChangeTimes {
                deployed_at: last,
                first_commit_at: first,
                opened_at: Some(first + 1),
                first_review_at: None,
                merged_at: last - 1,
                excluded: Some(Excluded::Paths),
            },
            ChangeTimes {
                deployed_at: first,
                first_commit_at: last,
                opened_at: None,
                first_review_at: Some(first - 5),
                merged_at: first + 10,
                excluded: Some(Excluded::Bot),
            },
            ChangeTimes {
                deployed_at: 1_767_225_600,
                first_commit_at: 1_767_225_600 - 86_400,
                opened_at: Some(1_767_225_600 - 3_600),
                first_review_at: Some(1_767_225_600 - 60),
                merged_at: 1_767_225_600 + 1,
                excluded: Some(Excluded::Title),
            },
        ];
        for times in cases {
            assert_eq!(ChangeRow::from(times).times(), times);
        }
        let row = ChangeRow::from(cases[2]);
        assert_eq!(
            (row.before_first_commit(), row.before_opening()),
            (86_400, Some(3_600))
        );
        assert_eq!(
            (row.before_first_review(), row.before_merge()),
            (Some(60), -1)
        );
        assert_eq!(ChangeRow::from(cases[0]).before_first_review(), None);
        assert_eq!(ChangeRow::from(cases[1]).before_opening(), None);
    }

    #[test]
    fn an_instant_farther_than_a_change_row_holds_is_taken_as_that_far() {
        let times = ChangeTimes {
            deployed_at: 0,
            first_commit_at: -(1 << 50),
            opened_at: None,
            first_review_at: None,
            merged_at: 1 << 50,
            excluded: None,
        };
        let row = ChangeRow::from(times);
        assert_eq!(row.before_first_commit(), FARTHEST);
        assert_eq!(row.before_merge(), -FARTHEST - 1);
        assert_eq!(row.excluded(), None);
    }
}
