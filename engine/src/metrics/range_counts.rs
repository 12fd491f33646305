//! Exact order statistics of several groups of whole seconds in two passes over the facts that
//! hold them, without gathering every value: the first pass counts each group's values per
//! range, the ranks asked are located among the counts, and the second pass gathers only the
//! values of the ranges holding them, which are then selected from.
//!
//! A one-shot question (`doraboard metrics`) over half a million changes would otherwise copy
//! each figure's values into an array of its own (five arrays, one pass over the changes each)
//! before selecting; counting keeps the work to two passes over the changes, all figures at once,
//! in a few kilobytes per group. The figures are those of [`stats::summarize`] over the same
//! values: nothing is approximated.

use super::stats::{self, Summary};

/// Values below this many have a range each; above, each power of two is cut into this many
/// ranges (each about 3 % of its values wide).
const PARTS: u64 = 32;
const PART_BITS: u32 = PARTS.trailing_zeros();
/// Ranges of a group: enough for any `u64`.
const RANGES: usize = (64 - PART_BITS as usize + 1) * PARTS as usize;

/// The range holding `v`: ranges order as their values do.
fn range_of(v: u64) -> usize {
    if v < PARTS {
        return v as usize;
    }
    let shift = 63 - v.leading_zeros() - PART_BITS;
    (((shift + 1) as usize) << PART_BITS) | ((v >> shift) & (PARTS - 1)) as usize
}

/// The first pass: how many values of each group fall in each range.
#[derive(Debug, Clone)]
pub struct RangeCounts {
    counts: Vec<u32>,
}

impl RangeCounts {
    /// Counts for groups `0..groups`. A group never counted costs no memory touched.
    pub fn new(groups: usize) -> Self {
        Self {
            counts: vec![0; groups * RANGES],
        }
    }

    pub fn count(&mut self, group: usize, v: u64) {
        self.counts[group * RANGES + range_of(v)] += 1;
    }

    /// Adds the counts of `other` (the same groups counted over other facts) for `groups`.
    pub fn add(&mut self, other: &Self, groups: impl Iterator<Item = usize>) {
        for g in groups {
            let range = g * RANGES..(g + 1) * RANGES;
            for (into, from) in self.counts[range.clone()]
                .iter_mut()
                .zip(&other.counts[range])
            {
                *into += from;
            }
        }
    }

    fn group(&self, g: usize) -> &[u32] {
        &self.counts[g * RANGES..(g + 1) * RANGES]
    }

    /// What the second pass gathers to summarise each group: the ranges holding the ranks of
    /// `quantiles(group)`.
    pub fn wanted(&self, quantiles: impl Fn(usize) -> &'static [f64]) -> Wanted {
        let groups = (0..self.counts.len() / RANGES)
            .map(|g| {
                let counts = self.group(g);
                let len = counts.iter().map(|&c| c as usize).sum();
                let quantiles = quantiles(g);
                let mut ranks = if len == 0 || quantiles.is_empty() {
                    Vec::new()
                } else {
                    stats::quantile_ranks(len, quantiles)
                };
                ranks.sort_unstable();
                // Each rank's range, and its rank among the range's values.
                let mut located = Vec::with_capacity(ranks.len());
                let (mut range, mut before) = (0, 0usize);
                for rank in ranks {
                    while rank >= before + counts[range] as usize {
                        before += counts[range] as usize;
                        range += 1;
                    }
                    located.push((rank, range, rank - before));
                }
                WantedGroup {
                    len,
                    quantiles,
                    located,
                }
            })
            .collect();
        Wanted { groups }
    }
}

/// The ranges the second pass gathers, per group.
#[derive(Debug, Clone)]
pub struct Wanted {
    groups: Vec<WantedGroup>,
}

#[derive(Debug, Clone)]
struct WantedGroup {
    len: usize,
    quantiles: &'static [f64],
    /// (rank in the group, range holding it, rank within the range), by rank.
    located: Vec<(usize, usize, usize)>,
}

/// Words of a group's bit set of wanted ranges.
const WORDS: usize = RANGES.div_ceil(64);

impl Wanted {
    /// An empty gathering for the second pass (one per thread).
    pub fn gathering(&self) -> Gathered<'_> {
        let mut wanted = vec![0u64; self.groups.len() * WORDS];
        let values = self
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let mut ranges: Vec<usize> = group.located.iter().map(|&(_, r, _)| r).collect();
                ranges.dedup();
                for &r in &ranges {
                    wanted[g * WORDS + r / 64] |= 1 << (r % 64);
                }
                ranges.into_iter().map(|r| (r, Vec::new())).collect()
            })
            .collect();
        Gathered {
            wanted: self,
            ranges: wanted,
            values,
        }
    }
}

/// The second pass: the values of each group's wanted ranges.
#[derive(Debug)]
pub struct Gathered<'w> {
    wanted: &'w Wanted,
    /// Per group, a bit per range: whether it is wanted (a test per value, most are not).
    ranges: Vec<u64>,
    /// Per group, (range, its values).
    values: Vec<Vec<(usize, Vec<u64>)>>,
}

impl Gathered<'_> {
    /// Keeps `v` if its range is one `group` needs.
    pub fn offer(&mut self, group: usize, v: u64) {
        let range = range_of(v);
        if self.ranges[group * WORDS + range / 64] & (1 << (range % 64)) == 0 {
            return;
        }
        if let Some((_, values)) = self.values[group].iter_mut().find(|(r, _)| *r == range) {
            values.push(v);
        }
    }

    /// Adds what `other` gathered (over other facts).
    pub fn add(&mut self, other: Gathered<'_>) {
        for (into, from) in self.values.iter_mut().zip(other.values) {
            for ((_, into), (_, from)) in into.iter_mut().zip(from) {
                into.extend(from);
            }
        }
    }

    /// The summary of `group`, with the p75 when its quantiles hold it.
    pub fn summary(&mut self, group: usize) -> Summary {
        let wanted = &self.wanted.groups[group];
        if wanted.located.is_empty() {
            return Summary::default();
        }
        let mut found: Vec<(usize, f64)> = Vec::with_capacity(wanted.located.len());
        for (range, values) in &mut self.values[group] {
            let mut values: Vec<f64> = values.iter().map(|&v| v as f64).collect();
            let within: Vec<(usize, usize)> = wanted
                .located
                .iter()
                .filter(|(_, r, _)| r == range)
                .map(|&(rank, _, within)| (rank, within))
                .collect();
            let picked = stats::select_ranks(&mut values, within.iter().map(|&(_, w)| w));
            found.extend(within.iter().map(|&(rank, _)| rank).zip(picked));
        }
        let value_at = |rank: usize| {
            found
                .iter()
                .find(|(r, _)| *r == rank)
                .map_or(f64::NAN, |(_, v)| *v)
        };
        if wanted.quantiles.contains(&0.75) {
            Summary::of_ranks(wanted.len, value_at)
        } else {
            Summary::median_and_p90_of_ranks(wanted.len, value_at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::stats::{POINT_QUANTILES, SUMMARY_QUANTILES, summarize};

    #[test]
    fn ranges_order_as_their_values_and_cover_every_value() {
        let mut previous = 0;
        for v in (0..5_000u64).chain([u64::MAX / 2, u64::MAX - 1, u64::MAX]) {
            let range = range_of(v);
            assert!(range >= previous, "{v} in range {range}, below {previous}");
            assert!(range < RANGES, "{v} in range {range} of {RANGES}");
            previous = range;
        }
        assert_eq!(range_of(31), 31);
        assert_eq!((range_of(32), range_of(33), range_of(64)), (32, 33, 64));
        assert_eq!(range_of(65), 64, "64 and 65 share a range");
        assert_eq!(range_of(u64::MAX), RANGES - 1);
    }

    /// Two passes over `values` split in two, as two threads would, summarised.
    fn two_passes(values: &[u64], quantiles: &'static [f64]) -> Summary {
        let (left, right) = values.split_at(values.len() / 3);
        let mut counts = RangeCounts::new(2);
        let mut other = RangeCounts::new(2);
        left.iter().for_each(|&v| counts.count(1, v));
        right.iter().for_each(|&v| other.count(1, v));
        counts.add(&other, 1..2);
        let wanted = counts.wanted(|g| if g == 1 { quantiles } else { &[] });
        let mut gathered = wanted.gathering();
        let mut more = wanted.gathering();
        left.iter().for_each(|&v| gathered.offer(1, v));
        right.iter().for_each(|&v| more.offer(1, v));
        gathered.add(more);
        assert_eq!(
            gathered.summary(0),
            Summary::default(),
            "a group never counted"
        );
        gathered.summary(1)
    }

    #[test]
    fn two_passes_give_the_figures_of_every_value_selected() {
        let samples: Vec<Vec<u64>> = vec![
            vec![],
            vec![7],
            vec![10, 0],
            vec![42; 3_000],
            // Lead times: minutes to weeks, ties, zeros, one enormous outlier.
            (0..20_011u64)
                .map(|i| match i % 97 {
                    0 => 0,
                    1 => u64::MAX / 4,
                    _ => 60 + (i * 7_919) % 1_209_600,
                })
                .collect(),
            // Crowded into one range.
            (0..9_000u64).map(|i| 3_600 + i % 3).collect(),
        ];
        for values in samples {
            let all = summarize(values.iter().map(|&v| v as f64).collect());
            assert_eq!(
                two_passes(&values, &SUMMARY_QUANTILES),
                all,
                "{} values",
                values.len()
            );
            let points = two_passes(&values, &POINT_QUANTILES);
            assert_eq!(
                points,
                Summary { p75: None, ..all },
                "{} values",
                values.len()
            );
        }
    }
}
