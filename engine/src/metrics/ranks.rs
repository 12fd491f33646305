//! Order statistics of any time window without reading its values: a wavelet matrix (Claude,
//! Navarro & Ordóñez, "The wavelet matrix", SPIRE 2012) over one repository's values kept in time
//! order.
//!
//! A year of an organisation's lead times is half a million values per figure; selecting a
//! median among them costs milliseconds each time, and a report asks for dozens of such figures
//! (five summaries and a series, for two periods). A [`RankIndex`] answers "the k-th smallest value
//! among positions `[start, end)`" in a few rank operations per bit of the values, and
//! [`kth_smallest`] answers it for several ranks over the windows of many repositories at once (descending all their
//! matrices together), so an organisation-wide quantile costs about
//! `repositories x bits` rank operations, whatever the number of values. The figures are the same
//! values the sorted sample would give: nothing is approximated.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use vers_vecs::{BitVec, RsVec};

/// Values of one kind, in the time order of their facts.
#[derive(Debug, Clone)]
pub struct RankIndex {
    /// Tells indexes apart for [`super::selections`]: an index never changes once built, and no
    /// two built indexes share an id (a clone, holding the same values, keeps it).
    id: u64,
    /// The time of each value (non-decreasing), to find a window by binary search.
    times: Vec<i64>,
    /// How many low bits the values use: higher bits are zero for every value.
    bits: u32,
    /// One bit vector per bit of the values, the most significant first: level `l` holds bit
    /// `bits - 1 - l` of each value, in the order the levels above left them (zeros first).
    levels: Vec<RsVec>,
    /// How many zeros each level holds: where its ones start in the level below.
    zeros: Vec<usize>,
}

impl RankIndex {
    /// An index of `entries`: (time, value), in non-decreasing time order.
    pub fn new(entries: impl IntoIterator<Item = (i64, u64)>) -> Self {
        static BUILT: AtomicU64 = AtomicU64::new(0);
        let (times, mut values): (Vec<i64>, Vec<u64>) = entries.into_iter().unzip();
        debug_assert!(times.is_sorted());
        let bits = 64 - values.iter().max().copied().unwrap_or(0).leading_zeros();
        let mut levels = Vec::with_capacity(bits as usize);
        let mut zeros = Vec::with_capacity(bits as usize);
        let (mut low, mut high) = (Vec::with_capacity(values.len()), Vec::new());
        for bit in (0..bits).rev() {
            levels.push(RsVec::from_bit_vec(level_bits(&values, bit)));
            for &v in &values {
                if v >> bit & 1 == 1 {
                    high.push(v);
                } else {
                    low.push(v);
                }
            }
            zeros.push(low.len());
            low.append(&mut high);
            std::mem::swap(&mut values, &mut low);
            low.clear();
        }
        Self {
            id: BUILT.fetch_add(1, Ordering::Relaxed),
            times,
            bits,
            levels,
            zeros,
        }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The positions of the values whose time is in `[start, end)`.
    pub fn window(&self, start: i64, end: i64) -> Range<usize> {
        let from = self.times.partition_point(|&t| t < start);
        let to = self.times.partition_point(|&t| t < end);
        from..to.max(from)
    }

    /// Of the values at `positions` seen at bit `bit` (counted from the lowest): how many have it
    /// clear, and the positions each side takes in the next level down.
    fn split(&self, bit: u32, positions: &Range<usize>) -> (usize, Range<usize>, Range<usize>) {
        if bit >= self.bits {
            // Every value has this bit clear: all go left, where they keep their places.
            return (positions.len(), positions.clone(), 0..0);
        }
        let level = (self.bits - 1 - bit) as usize;
        let bits = &self.levels[level];
        let (zeros_before, zeros_to) = (bits.rank0(positions.start), bits.rank0(positions.end));
        let ones = self.zeros[level];
        let left = zeros_before..zeros_to;
        let right = ones + (positions.start - zeros_before)..ones + (positions.end - zeros_to);
        (left.len(), left, right)
    }
}

/// Bit `bit` of each value, packed 64 to a word (bit `i` of the vector is value `i`'s): built a
/// word at a time, which costs a fraction of setting the bits one by one.
fn level_bits(values: &[u64], bit: u32) -> BitVec {
    let words = values
        .chunks(64)
        .map(|chunk| {
            chunk
                .iter()
                .enumerate()
                .fold(0u64, |word, (j, &v)| word | (v >> bit & 1) << j)
        })
        .collect();
    let mut level = BitVec::from_vec(words);
    level.drop_last(level.len() - values.len());
    level
}

/// The values at ranks `ks` (each from 0) among the windows `windows` (an index and positions in
/// it), as if their values were merged and sorted: `None` for a rank at or beyond their count.
/// One descent serves every rank while they take the same branches, so a median's two middle
/// ranks and the other quantiles of one window cost little more than one rank.
pub fn kth_smallest(windows: &[(&RankIndex, Range<usize>)], ks: &[usize]) -> Vec<Option<u64>> {
    let current: Vec<(&RankIndex, Range<usize>)> = windows
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .cloned()
        .collect();
    let total: usize = current.iter().map(|(_, r)| r.len()).sum();
    let mut found = vec![None; ks.len()];
    // (rank, where its value goes), by rank: a level sends the lowest ranks left.
    let mut targets: Vec<(usize, usize)> = ks
        .iter()
        .enumerate()
        .filter(|&(_, &k)| k < total)
        .map(|(slot, &k)| (k, slot))
        .collect();
    targets.sort_unstable();
    let top = current
        .iter()
        .map(|(index, _)| index.bits)
        .max()
        .unwrap_or(0);
    descend(&current, top, 0, &mut targets, &mut found);
    found
}

/// One level of [`kth_smallest`]: the values of `current` above bit `bit` are `value`; splits
/// them on the bit below and follows each side that holds a target.
fn descend(
    current: &[(&RankIndex, Range<usize>)],
    bit: u32,
    value: u64,
    targets: &mut [(usize, usize)],
    found: &mut [Option<u64>],
) {
    if targets.is_empty() {
        return;
    }
    let Some(bit) = bit.checked_sub(1) else {
        for &(_, slot) in targets.iter() {
            found[slot] = Some(value);
        }
        return;
    };
    let mut clear = 0;
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for (index, positions) in current {
        let (zeros, l, r) = index.split(bit, positions);
        clear += zeros;
        if !l.is_empty() {
            left.push((*index, l));
        }
        if !r.is_empty() {
            right.push((*index, r));
        }
    }
    let (low, high) = targets.split_at_mut(targets.partition_point(|&(k, _)| k < clear));
    for target in high.iter_mut() {
        target.0 -= clear;
    }
    descend(&left, bit, value, low, found);
    descend(&right, bit, value | 1 << bit, high, found);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries of one index, and a window of time over them.
    type Window<'a> = (&'a [(i64, u64)], i64, i64);

    /// The k-th smallest of each window, by sorting: what the index must agree with.
    fn by_sorting(windows: &[Window], k: usize) -> Option<u64> {
        let mut all: Vec<u64> = windows
            .iter()
            .flat_map(|(entries, start, end)| {
                entries
                    .iter()
                    .filter(move |(t, _)| t >= start && t < end)
                    .map(|(_, v)| *v)
            })
            .collect();
        all.sort_unstable();
        all.get(k).copied()
    }

    #[test]
    fn selects_like_sorting_across_windows_of_several_indexes() {
        // Three "repositories": ties, zeros, one huge value, an empty one, times repeating.
        let a: Vec<(i64, u64)> = (0..200)
            .map(|i| (i / 3, (i * 7_919 % 101) as u64))
            .collect();
        let b: Vec<(i64, u64)> = (0..50)
            .map(|i| {
                (
                    i * 2,
                    if i == 17 {
                        u64::MAX / 3
                    } else {
                        (i % 4) as u64
                    },
                )
            })
            .collect();
        let c: Vec<(i64, u64)> = Vec::new();
        let indexes: Vec<RankIndex> = [&a, &b, &c]
            .iter()
            .map(|e| RankIndex::new(e.iter().copied()))
            .collect();
        for (start, end) in [(0, 100), (10, 20), (33, 34), (50, 40), (-5, 1_000)] {
            let windows: Vec<(&RankIndex, Range<usize>)> = indexes
                .iter()
                .map(|ix| (ix, ix.window(start, end)))
                .collect();
            let entries = [
                (a.as_slice(), start, end),
                (b.as_slice(), start, end),
                (c.as_slice(), start, end),
            ];
            let total: usize = windows.iter().map(|(_, r)| r.len()).sum();
            for k in 0..=total {
                assert_eq!(
                    kth_smallest(&windows, &[k]),
                    [by_sorting(&entries, k)],
                    "k = {k} in [{start}, {end})"
                );
            }
            // Several ranks at once, unsorted and repeated, as one descent finds them.
            let ks: Vec<usize> = (0..=total + 1)
                .rev()
                .chain([total / 2, 0, total / 2])
                .collect();
            let expected: Vec<Option<u64>> = ks.iter().map(|&k| by_sorting(&entries, k)).collect();
            assert_eq!(kth_smallest(&windows, &ks), expected, "[{start}, {end})");
        }
    }

    #[test]
    fn a_window_is_half_open_in_time() {
        let index = RankIndex::new([(1, 5), (2, 6), (2, 7), (4, 8)]);
        assert_eq!(index.window(2, 4), 1..3);
        assert_eq!(index.window(5, 9), 4..4);
        assert_eq!(index.window(4, 2), 3..3);
        assert_eq!(
            kth_smallest(&[(&index, index.window(2, 5))], &[2]),
            [Some(8)]
        );
    }
}
