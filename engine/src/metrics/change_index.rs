//! A repository's shipped changes as the lead-time figures read them, indexed: each elapsed time (lead
//! time and its four phases) in deployment order in a [`RankIndex`], and the changes the noise
//! filters leave out apart.
//!
//! Built from the rows ([`ChangeRow`]) a process holds for a repository it is asked about again
//! (`crate::facts_cache`); a question over many repositories then reads its medians and
//! percentiles from the indexes instead of gathering and selecting every change of the period.
//! Both ways give the same figures (`tests` below, and `indexed_and_scanned_reports_agree` in
//! `super::tests`).

use super::ranks::RankIndex;
use super::rows::ChangeRow;
use crate::filters::Excluded;
use std::ops::Range;
use std::sync::Arc;

/// The stretches of a change's life the lead-time figures measure: the whole lead time, then
/// its phases (docs/metrics.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elapsed {
    /// First commit -> deployed.
    Lead,
    /// First commit -> pull request opened.
    Coding,
    /// Opened -> first review by someone else.
    Pickup,
    /// First review -> merged.
    Review,
    /// Merged -> deployed.
    Deploy,
}

impl Elapsed {
    pub const ALL: [Elapsed; 5] = [
        Elapsed::Lead,
        Elapsed::Coding,
        Elapsed::Pickup,
        Elapsed::Review,
        Elapsed::Deploy,
    ];

    /// `f` of every stretch, in the order of [`Elapsed::ALL`], on two threads (lead time and
    /// coding on the second).
    pub fn map_on_two_threads<T: Send>(f: impl Fn(Elapsed) -> T + Sync) -> [T; 5] {
        std::thread::scope(|threads| {
            let other = threads.spawn(|| [Elapsed::Lead, Elapsed::Coding].map(&f));
            let [pickup, review, deploy] =
                [Elapsed::Pickup, Elapsed::Review, Elapsed::Deploy].map(&f);
            let [lead, coding] = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            [lead, coding, pickup, review, deploy]
        })
    }

    /// Every stretch of `c`, in the order of [`Elapsed::ALL`]: [`Elapsed::of`] each.
    pub fn all_of(c: &ChangeRow) -> [Option<u64>; 5] {
        Self::ALL.map(|e| e.of(c))
    }

    /// Seconds of this stretch for `c`, if it has it (never negative: clock skew between
    /// tools must not subtract).
    pub fn of(self, c: &ChangeRow) -> Option<u64> {
        // From how long before the deployment each end was.
        let elapsed = |from: i64, to: i64| (from - to).max(0).unsigned_abs();
        match self {
            Elapsed::Lead => Some(elapsed(c.before_first_commit(), 0)),
            Elapsed::Coding => Some(elapsed(c.before_first_commit(), c.before_opening()?)),
            Elapsed::Pickup => Some(elapsed(c.before_opening()?, c.before_first_review()?)),
            Elapsed::Review => Some(elapsed(c.before_first_review()?, c.before_merge())),
            Elapsed::Deploy => Some(elapsed(c.before_merge(), 0)),
        }
    }
}

/// From this many changes on, an index's kinds are built on two threads.
const BUILT_ON_TWO_THREADS_FROM: usize = 8_000;

/// The lead-time figures' view of one repository's changes.
///
/// After a write that moved changes from some time on, the index is built again from that time
/// only ([`ChangeIndex::extending`]): the index built before answers for the changes deployed
/// earlier (its windows end there), and only the recent ones are indexed anew. A server so
/// rebuilds a few hundred changes after a delivery that ships some, not a whole team's (at
/// about 0.4 µs a change), and the selections of earlier buckets, made over the same older
/// index, stay kept (`super::selections`).
#[derive(Debug, Clone)]
pub struct ChangeIndex {
    /// An index built whole before, right for the changes deployed before the time given with
    /// it: its windows end there, and this index's own start there.
    earlier: Option<(Arc<ChangeIndex>, i64)>,
    /// One index per [`Elapsed`], in the order of [`Elapsed::ALL`]: the changes the filters
    /// keep that have that stretch, by deployment time.
    durations: Vec<RankIndex>,
    /// The changes the filters leave out: (deployed at, why), by deployment time.
    excluded: Vec<(i64, Excluded)>,
}

impl ChangeIndex {
    /// The index of `changes`, sorted by deployment time (as held rows are).
    pub fn new(changes: &[ChangeRow]) -> Self {
        let index = |d: Elapsed| {
            RankIndex::new(
                changes
                    .iter()
                    .filter(|c| c.excluded().is_none())
                    .filter_map(|c| Some((c.deployed_at, d.of(c)?))),
            )
        };
        // A server rebuilds a group's index after a delivery, while the answer waits.
        let durations = if changes.len() >= BUILT_ON_TWO_THREADS_FROM {
            Elapsed::map_on_two_threads(index)
        } else {
            Elapsed::ALL.map(index)
        };
        Self {
            earlier: None,
            durations: durations.into(),
            excluded: changes
                .iter()
                .filter_map(|c| Some((c.deployed_at, c.excluded()?)))
                .collect(),
        }
    }

    /// Where an index replacing `previous` after a write that moved changes from `moved` on can
    /// start: the index built whole that still answers for the changes deployed before the time
    /// returned with it (the earlier of `moved` and where `previous`'s own changes start).
    pub fn reusable(previous: &Arc<ChangeIndex>, moved: i64) -> (Arc<ChangeIndex>, i64) {
        match &previous.earlier {
            Some((whole, cut)) => (Arc::clone(whole), moved.min(*cut)),
            None => (Arc::clone(previous), moved),
        }
    }

    /// The index of changes whose `earlier` part (from [`ChangeIndex::reusable`]) answers for
    /// those deployed before `cut`, and `recent` (sorted, every change deployed from `cut` on)
    /// for the others.
    pub fn extending(earlier: Arc<ChangeIndex>, cut: i64, recent: &[ChangeRow]) -> Self {
        debug_assert!(earlier.earlier.is_none() && recent.iter().all(|c| c.deployed_at >= cut));
        Self {
            earlier: Some((earlier, cut)),
            ..Self::new(recent)
        }
    }

    /// The positions of `elapsed` deployed in `[start, end)`, each index with its own: pushed
    /// onto `windows`.
    pub fn windows<'a>(
        &'a self,
        elapsed: Elapsed,
        start: i64,
        end: i64,
        windows: &mut Vec<(&'a RankIndex, Range<usize>)>,
    ) {
        let start = match &self.earlier {
            Some((earlier, cut)) => {
                earlier.windows(elapsed, start, end.min(*cut), windows);
                start.max(*cut)
            }
            None => start,
        };
        let ranks = &self.durations[elapsed as usize];
        windows.push((ranks, ranks.window(start, end)));
    }

    /// Why each change deployed in `[start, end)` and left out by the filters was.
    pub fn excluded(&self, start: i64, end: i64) -> Vec<Excluded> {
        let mut found = Vec::new();
        let start = match &self.earlier {
            Some((earlier, cut)) => {
                found = earlier.excluded(start, end.min(*cut));
                start.max(*cut)
            }
            None => start,
        };
        let from = self.excluded.partition_point(|(t, _)| *t < start);
        let to = self.excluded.partition_point(|(t, _)| *t < end);
        found.extend(
            self.excluded[from..to.max(from)]
                .iter()
                .map(|(_, why)| *why),
        );
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::NoiseFilters;
    use crate::metrics::rows::{ChangeTimes, FactView, OwnedRows};
    use crate::metrics::{LeadTime, MetricsRequest, ScopeLabel, compute_view};
    use crate::period::{Bucket, Period};
    use crate::tiers::Bands;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    const DAY: i64 = 86_400;
    /// 2026-01-01T00:00:00Z.
    const START: i64 = 1_767_225_600;

    /// A change deployed within about 100 days of `START`, with random phases (some missing, some
    /// negative from clock skew) and random exclusions.
    fn change() -> impl Strategy<Value = ChangeRow> {
        (
            0..100 * DAY,
            0..30 * DAY,
            prop::option::of(-DAY..10 * DAY),
            prop::option::of(0..5 * DAY),
            0..5 * DAY,
            prop::option::of(prop::sample::select(vec![
                Excluded::Bot,
                Excluded::Title,
                Excluded::Paths,
            ])),
        )
            .prop_map(|(deployed, lead, opened, review, deploy, excluded)| {
                let deployed_at = START + deployed;
                let first_commit_at = deployed_at - lead;
                let opened_at = opened.map(|o| first_commit_at + o);
                ChangeTimes {
                    deployed_at,
                    first_commit_at,
                    opened_at,
                    first_review_at: opened_at.zip(review).map(|(o, r)| o + r),
                    merged_at: deployed_at - deploy,
                    excluded: excluded.filter(|_| lead % 7 == 0),
                }
                .into()
            })
    }

    /// The lead-time figures of `changes` (one slice per repository) over `period`, scanned and
    /// read from `indexes`.
    fn lead_time_both_ways(
        changes: Vec<&[ChangeRow]>,
        indexes: Vec<&ChangeIndex>,
        period: Period,
        bucket: Option<Bucket>,
        zone: chrono_tz::Tz,
    ) -> (LeadTime, LeadTime) {
        let bands = Bands::published("2024").expect("bands");
        let filters = NoiseFilters::default();
        let request = MetricsRequest {
            period,
            bucket,
            time_zone: zone,
            bands: &bands,
            filters: &filters,
            small_sample: 5,
            phases_per_bucket: true,
            benchmark: crate::score::Benchmark::standard(),
        };
        let label = ScopeLabel {
            team: None,
            name: "org".into(),
            kind: "organisation".into(),
        };
        let scanned = FactView {
            changes,
            ..FactView::default()
        };
        let indexed = FactView {
            change_indexes: Some(indexes),
            ..scanned.clone()
        };
        (
            compute_view(&scanned, label.clone(), &request).lead_time,
            compute_view(&indexed, label, &request).lead_time,
        )
    }

    /// Enough changes for the scan's passes to run on two threads, one repository cut between
    /// them: the same figures as the indexes'.
    #[test]
    fn a_scan_on_two_threads_agrees_with_the_indexes() {
        let mut seed = 7u64;
        let mut next = move |below: i64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as i64 % below
        };
        let repos: Vec<Vec<ChangeRow>> = [9_000, 300, 4_000]
            .into_iter()
            .map(|n| {
                let mut changes: Vec<ChangeRow> = (0..n)
                    .map(|i| {
                        let deployed_at = START + next(100 * DAY);
                        let first_commit_at = deployed_at - next(30 * DAY);
                        let opened_at = (i % 5 != 0).then(|| first_commit_at + next(DAY));
                        ChangeTimes {
                            deployed_at,
                            first_commit_at,
                            opened_at,
                            first_review_at: opened_at
                                .filter(|_| i % 3 != 0)
                                .map(|o| o + next(DAY)),
                            merged_at: deployed_at - next(5 * DAY),
                            excluded: (i % 11 == 0).then_some(Excluded::Bot),
                        }
                        .into()
                    })
                    .collect();
                changes.sort_by_key(|c| c.deployed_at);
                changes
            })
            .collect();
        let indexes: Vec<ChangeIndex> = repos.iter().map(|r| ChangeIndex::new(r)).collect();
        let from = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap_or_default();
        let period = Period::new(from, from + chrono::Duration::days(80)).expect("period");
        for bucket in [None, Some(Bucket::Week), Some(Bucket::Day)] {
            let (by_scan, by_index) = lead_time_both_ways(
                repos.iter().map(Vec::as_slice).collect(),
                indexes.iter().collect(),
                period,
                bucket,
                chrono_tz::Asia::Kolkata,
            );
            assert!(by_scan.changes > 8_000, "{} changes", by_scan.changes);
            assert_eq!(by_scan, by_index, "{bucket:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn indexed_and_scanned_reports_agree(
            repos in prop::collection::vec(prop::collection::vec(change(), 0..60), 1..5),
            from_day in 0..60i64,
            days in 1..60i64,
            bucket in prop::sample::select(vec![None, Some(Bucket::Day), Some(Bucket::Week)]),
            zone in prop::sample::select(vec![chrono_tz::UTC, chrono_tz::Asia::Kolkata]),
        ) {
            let rows: Vec<OwnedRows> = repos
                .into_iter()
                .map(|mut changes| {
                    changes.sort_by_key(|c| c.deployed_at);
                    OwnedRows { changes, ..OwnedRows::default() }
                })
                .collect();
            let indexes: Vec<ChangeIndex> = rows.iter().map(|r| ChangeIndex::new(&r.changes)).collect();
            let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
                + chrono::Duration::days(from_day);
            let period = Period::new(from, from + chrono::Duration::days(days)).expect("period");
            let (by_scan, by_index) = lead_time_both_ways(
                rows.iter().map(|r| r.changes.as_slice()).collect(),
                indexes.iter().collect(),
                period,
                bucket,
                zone,
            );
            prop_assert_eq!(by_scan, by_index);
        }

        /// Two writes: the first moved the changes from `first_day` on (the index then built
        /// extends the whole one), the second from `second_day` on; the changes moved away
        /// (`gone`) must not count, wherever the cuts fall.
        #[test]
        fn an_index_extending_an_older_one_agrees_with_the_scan(
            changes in prop::collection::vec(change(), 0..80),
            gone in prop::collection::vec(change(), 0..30),
            first_day in 0..110i64,
            second_day in 0..110i64,
            bucket in prop::sample::select(vec![None, Some(Bucket::Day), Some(Bucket::Week)]),
        ) {
            let mut changes = changes;
            changes.sort_by_key(|c| c.deployed_at);
            let (first, second) = (START + first_day * DAY, START + second_day * DAY);
            // Before the first write: the changes before its cut, then others since moved.
            let mut before: Vec<ChangeRow> = changes.iter().filter(|c| c.deployed_at < first).copied()
                .chain(gone.iter().filter(|c| c.deployed_at >= first).copied())
                .collect();
            before.sort_by_key(|c| c.deployed_at);
            let whole = Arc::new(ChangeIndex::new(&before));
            // After the first write: `gone` again from the second cut on, as a middle state.
            let mut middle: Vec<ChangeRow> = changes.iter().filter(|c| c.deployed_at < second).copied()
                .chain(gone.iter().filter(|c| c.deployed_at >= second.max(first)).copied())
                .collect();
            middle.sort_by_key(|c| c.deployed_at);
            let (earlier, cut) = ChangeIndex::reusable(&whole, first);
            let recent: Vec<ChangeRow> = middle.iter().filter(|c| c.deployed_at >= cut).copied().collect();
            let middle_index = Arc::new(ChangeIndex::extending(earlier, cut, &recent));
            let (earlier, cut) = ChangeIndex::reusable(&middle_index, second);
            prop_assert!(Arc::ptr_eq(&earlier, &whole), "always one older part");
            let recent: Vec<ChangeRow> = changes.iter().filter(|c| c.deployed_at >= cut).copied().collect();
            let index = ChangeIndex::extending(earlier, cut, &recent);
            let period = Period::new(
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
                NaiveDate::from_ymd_opt(2026, 4, 20).unwrap_or_default(),
            ).expect("period");
            let (by_scan, by_index) =
                lead_time_both_ways(vec![changes.as_slice()], vec![&index], period, bucket, chrono_tz::UTC);
            prop_assert_eq!(by_scan, by_index);
        }
    }
}
