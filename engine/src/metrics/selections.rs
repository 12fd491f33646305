//! Quantiles selected before, kept for the next question over the same windows of the same
//! indexes.
//!
//! A server asks for the same selections again and again: after a write that moved deployments
//! or incidents but no shipped change (the change indexes stay as they were), and for every
//! earlier week of a period asked again with another end. Each selection descends a dozen
//! wavelet matrices ([`kth_smallest`]), tens of microseconds cold in the CPU's caches, and a
//! one-year weekly report makes about a hundred of them. An index never changes once built and
//! no two share an id ([`RankIndex::id`]), so a selection is named by its windows (index ids
//! and positions) and ranks: what it found stays true for as long as anyone can ask.

use super::ranks::{RankIndex, kth_smallest};
use std::collections::HashMap;
use std::mem::size_of;
use std::ops::Range;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// How much memory the kept selections may take, roughly (a one-year weekly report's take about
/// 100 KB at 100,000 deployments).
const CAPACITY_BYTES: usize = 8 * 1024 * 1024;

/// A selection: the non-empty windows (index id, first and end position) and the ranks asked.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Key {
    windows: Vec<(u64, usize, usize)>,
    ranks: Vec<usize>,
}

type Found = Vec<Option<u64>>;

/// Two generations: new selections go into `recent`; when it holds half the capacity it becomes
/// `older`, whose selections are dropped unless asked for again first (moved back to `recent`).
#[derive(Default)]
struct Kept {
    recent: HashMap<Key, Found>,
    older: HashMap<Key, Found>,
    recent_bytes: usize,
}

impl Kept {
    fn get(&mut self, key: Key) -> Result<Found, Key> {
        if let Some(found) = self.recent.get(&key) {
            return Ok(found.clone());
        }
        match self.older.remove(&key) {
            Some(found) => {
                self.insert(key, found.clone());
                Ok(found)
            }
            None => Err(key),
        }
    }

    fn insert(&mut self, key: Key, found: Found) {
        self.recent_bytes += bytes(&key, &found);
        self.recent.insert(key, found);
        if self.recent_bytes > CAPACITY_BYTES / 2 {
            self.older = std::mem::take(&mut self.recent);
            self.recent_bytes = 0;
        }
    }
}

/// What an entry takes: its vectors, their headers and the map's slot, roughly.
fn bytes(key: &Key, found: &Found) -> usize {
    key.windows.len() * size_of::<(u64, usize, usize)>()
        + key.ranks.len() * size_of::<usize>()
        + found.len() * size_of::<Option<u64>>()
        + size_of::<(Key, Found)>()
        + 16
}

fn kept() -> MutexGuard<'static, Kept> {
    static KEPT: OnceLock<Mutex<Kept>> = OnceLock::new();
    KEPT.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// [`kth_smallest`], answered from the selections kept when the same one was made before.
pub fn kth_smallest_kept(windows: &[(&RankIndex, Range<usize>)], ks: &[usize]) -> Found {
    let key = Key {
        windows: windows
            .iter()
            .filter(|(_, positions)| !positions.is_empty())
            .map(|(index, positions)| (index.id(), positions.start, positions.end))
            .collect(),
        ranks: ks.to_vec(),
    };
    let key = match kept().get(key) {
        Ok(found) => return found,
        Err(key) => key,
    };
    // Selected without the lock: a descent of another thread does not wait for this one.
    let found = kth_smallest(windows, ks);
    kept().insert(key, found.clone());
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows<'a>(
        indexes: &[&'a RankIndex],
        start: i64,
        end: i64,
    ) -> Vec<(&'a RankIndex, Range<usize>)> {
        indexes
            .iter()
            .map(|index| (*index, index.window(start, end)))
            .collect()
    }

    #[test]
    fn a_kept_selection_is_the_one_the_indexes_give() {
        let a = RankIndex::new((0..100).map(|i| (i, (i * 37 % 101) as u64)));
        let b = RankIndex::new((0..40).map(|i| (i * 3, (i % 7) as u64)));
        for (start, end) in [(0, 100), (10, 20), (50, 40), (-5, 1_000)] {
            let w = windows(&[&a, &b], start, end);
            let ks = [0, 3, 17, 500];
            let first = kth_smallest_kept(&w, &ks);
            assert_eq!(first, kth_smallest(&w, &ks), "[{start}, {end})");
            assert_eq!(kth_smallest_kept(&w, &ks), first, "kept [{start}, {end})");
        }
    }

    #[test]
    fn an_index_built_again_is_not_answered_from_the_one_it_replaces() {
        // Same times, so the same positions, but other values: a write that moved changes.
        let old = RankIndex::new((0..50).map(|i| (i, i as u64)));
        let new = RankIndex::new((0..50).map(|i| (i, 1_000 + i as u64)));
        let ks = [0, 25, 49];
        assert_eq!(
            kth_smallest_kept(&windows(&[&old], 0, 50), &ks),
            [Some(0), Some(25), Some(49)]
        );
        assert_eq!(
            kth_smallest_kept(&windows(&[&new], 0, 50), &ks),
            [Some(1_000), Some(1_025), Some(1_049)]
        );
        // Other ranks over the same windows are selections of their own.
        assert_eq!(
            kth_smallest_kept(&windows(&[&new], 0, 50), &[1]),
            [Some(1_001)]
        );
    }

    #[test]
    fn kept_selections_stay_within_their_capacity() {
        let index = RankIndex::new((0..10).map(|i| (i, i as u64)));
        let mut kept = Kept::default();
        let one = bytes(
            &Key {
                windows: vec![(index.id(), 0, 1)],
                ranks: vec![0],
            },
            &vec![Some(0)],
        );
        for n in 0..(CAPACITY_BYTES / one + 10) {
            kept.insert(
                Key {
                    windows: vec![(index.id(), 0, n + 1)],
                    ranks: vec![0],
                },
                vec![Some(0)],
            );
        }
        let held: usize = [&kept.recent, &kept.older]
            .iter()
            .flat_map(|map| map.iter())
            .map(|(key, found)| bytes(key, found))
            .sum();
        assert!(held <= CAPACITY_BYTES, "{held} bytes kept");
        assert!(held >= CAPACITY_BYTES / 2, "{held} bytes kept");
    }
}
