//! Order statistics. doraboard reports medians and percentiles, never means: one stuck pull
//! request must not move the headline.

/// The `q`-quantile (0..=1) of `values` by linear interpolation between closest ranks
/// (Hyndman & Fan type 7, the default of numpy, R and spreadsheets' PERCENTILE.INC).
/// None for no values. Sorts `values` in place.
pub fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(quantile_sorted(values, q))
}

/// [`quantile`] of already-sorted, non-empty values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let fraction = position - lower as f64;
    sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
}

/// Median, p75 and p90 of `values`, rounded to whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub count: usize,
    pub median: Option<i64>,
    pub p75: Option<i64>,
    pub p90: Option<i64>,
}

/// Median, p75 and p90 of `values`. Selects the ranks it needs instead of sorting, so it costs
/// a few linear passes: the figures are the same as [`quantile_sorted`] of the sorted values.
pub fn summarize(mut values: Vec<f64>) -> Summary {
    summarize_in_place(&mut values, true)
}

/// [`summarize`] of values it may reorder, so a caller can summarise parts of one array before
/// the whole; without the p75 (None) unless `with_p75`: series points and phases do not show it.
pub fn summarize_in_place(values: &mut [f64], with_p75: bool) -> Summary {
    if values.is_empty() {
        return Summary::default();
    }
    let quantiles: &[f64] = if with_p75 {
        &SUMMARY_QUANTILES
    } else {
        &POINT_QUANTILES
    };
    let mut ranks = quantile_ranks(values.len(), quantiles);
    let ranked = order_statistics(values, &mut ranks);
    let value_at = |rank| ranked.get(rank);
    if with_p75 {
        Summary::of_ranks(values.len(), value_at)
    } else {
        Summary::median_and_p90_of_ranks(values.len(), value_at)
    }
}

impl Summary {
    /// The summary of `len` values from `value_at(rank)`, the value at that rank of the sorted
    /// values.
    pub fn of_ranks(len: usize, mut value_at: impl FnMut(usize) -> f64) -> Self {
        Self {
            p75: quantile_of_ranks(len, 0.75, &mut value_at),
            ..Self::median_and_p90_of_ranks(len, value_at)
        }
    }

    /// [`Summary::of_ranks`] without the p75 (None), which series points do not show.
    pub fn median_and_p90_of_ranks(len: usize, mut value_at: impl FnMut(usize) -> f64) -> Self {
        Self {
            count: len,
            median: quantile_of_ranks(len, 0.5, &mut value_at),
            p75: None,
            p90: quantile_of_ranks(len, 0.9, &mut value_at),
        }
    }
}

/// The `q`-quantile of `len` values, rounded to whole seconds, from `value_at(rank)` (the value
/// at that rank of the sorted values): the one interpolation every summary uses, whether its
/// ranks were selected from the values or looked up in an index
/// ([`crate::metrics::ranks`]). None for no values.
pub fn quantile_of_ranks(
    len: usize,
    q: f64,
    value_at: &mut impl FnMut(usize) -> f64,
) -> Option<i64> {
    if len == 0 {
        return None;
    }
    let (lower, upper, fraction) = position(len, q);
    let low = value_at(lower);
    let high = if upper == lower { low } else { value_at(upper) };
    Some((low + (high - low) * fraction).round() as i64)
}

/// The quantiles of a [`Summary`]; series points leave the p75 out.
pub const SUMMARY_QUANTILES: [f64; 3] = [0.5, 0.75, 0.9];
/// [`SUMMARY_QUANTILES`] without the p75.
pub const POINT_QUANTILES: [f64; 2] = [0.5, 0.9];

/// The ranks [`quantile_of_ranks`] reads for `quantiles` of `len` values: what to select, or to
/// look up in an index, before summarising.
pub fn quantile_ranks(len: usize, quantiles: &[f64]) -> Vec<usize> {
    quantiles
        .iter()
        .flat_map(|&q| {
            let (lower, upper, _) = position(len, q);
            [lower, upper]
        })
        .collect()
}

/// The values at `ranks` (as if `values` were sorted), in the order asked.
pub fn select_ranks(values: &mut [f64], ranks: impl Iterator<Item = usize>) -> Vec<f64> {
    let asked: Vec<usize> = ranks.collect();
    let mut ranks = asked.clone();
    let ranked = order_statistics(values, &mut ranks);
    asked.iter().map(|&rank| ranked.get(rank)).collect()
}

/// The closest ranks around quantile `q` of `len` sorted values, and how far between them it
/// lies (linear interpolation, as [`quantile_sorted`]).
fn position(len: usize, q: f64) -> (usize, usize, f64) {
    let position = q.clamp(0.0, 1.0) * (len - 1) as f64;
    let lower = position.floor() as usize;
    (lower, position.ceil() as usize, position - lower as f64)
}

/// Values at given ranks of a multiset.
struct Ranked {
    values: Vec<(usize, f64)>,
}

impl Ranked {
    fn get(&self, rank: usize) -> f64 {
        self.values
            .iter()
            .find(|(r, _)| *r == rank)
            .map_or(f64::NAN, |(_, v)| *v)
    }
}

/// From this many values on, ranks are narrowed down by buckets first ([`by_buckets`]).
const BUCKETED_FROM: usize = 4096;
/// Buckets of [`by_buckets`]: 2^BUCKET_BITS at most.
const BUCKET_BITS: u32 = 11;

/// The values at `ranks` (as if `values` were sorted), selecting from the highest rank down so
/// each selection only partitions what lies below the previous one.
fn order_statistics(values: &mut [f64], ranks: &mut [usize]) -> Ranked {
    if values.len() >= BUCKETED_FROM
        && let Some(ranked) = by_buckets(values, ranks)
    {
        return ranked;
    }
    ranks.sort_unstable_by(|a, b| b.cmp(a));
    let mut found = Vec::with_capacity(ranks.len());
    let mut below = values.len();
    for &rank in ranks.iter() {
        if let Some(&(r, v)) = found.last()
            && r == rank
        {
            found.push((r, v));
            continue;
        }
        let (_, nth, _) = values[..below].select_nth_unstable_by(rank, f64::total_cmp);
        found.push((rank, *nth));
        below = rank;
    }
    Ranked { values: found }
}

/// [`order_statistics`] of many non-negative values by narrowing: non-negative floats order as
/// their bit patterns do, so one pass counts the values per range of bit patterns, the ranks are
/// located among the counts, and only the values of the ranges holding them are gathered, then
/// narrowed the same way (a range can hold most values: durations cluster) until few are left
/// to select from. None (select from all instead) for a negative or non-finite value.
fn by_buckets(values: &[f64], ranks: &[usize]) -> Option<Ranked> {
    let mut lowest = u64::MAX;
    let mut highest = 0;
    for v in values {
        if !v.is_finite() || v.is_sign_negative() {
            return None;
        }
        let bits = v.to_bits();
        lowest = lowest.min(bits);
        highest = highest.max(bits);
    }
    if lowest == highest {
        let only = f64::from_bits(lowest);
        let values = ranks.iter().map(|&rank| (rank, only)).collect();
        return Some(Ranked { values });
    }
    let shift = (64 - (highest - lowest).leading_zeros()).saturating_sub(BUCKET_BITS);
    let bucket = |v: &f64| ((v.to_bits() - lowest) >> shift) as usize;
    let mut counts = vec![0usize; ((highest - lowest) >> shift) as usize + 1];
    for v in values {
        counts[bucket(v)] += 1;
    }
    // Each rank's bucket, and the rank within it.
    let mut wanted: Vec<(usize, usize, usize)> = Vec::with_capacity(ranks.len());
    for &rank in ranks {
        let mut before = 0;
        for (b, &count) in counts.iter().enumerate() {
            if rank < before + count {
                wanted.push((rank, b, rank - before));
                break;
            }
            before += count;
        }
    }
    // The gathered values of each wanted bucket, found by the bucket's slot.
    const NOT_WANTED: u16 = u16::MAX;
    let mut slot = vec![NOT_WANTED; counts.len()];
    let mut gathered: Vec<Vec<f64>> = Vec::new();
    for &(_, b, _) in &wanted {
        if slot[b] == NOT_WANTED {
            slot[b] = gathered.len() as u16;
            gathered.push(Vec::with_capacity(counts[b]));
        }
    }
    for v in values {
        if let Some(into) = gathered.get_mut(usize::from(slot[bucket(v)])) {
            into.push(*v);
        }
    }
    let mut found = Vec::with_capacity(wanted.len());
    for (i, bucket_values) in gathered.iter_mut().enumerate() {
        let mut within: Vec<usize> = wanted
            .iter()
            .filter(|(_, b, _)| usize::from(slot[*b]) == i)
            .map(|&(_, _, within)| within)
            .collect();
        let narrowed = order_statistics(bucket_values, &mut within);
        for &(rank, b, within) in &wanted {
            if usize::from(slot[b]) == i {
                found.push((rank, narrowed.get(within)));
            }
        }
    }
    Some(Ranked { values: found })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_count_is_the_middle_value() {
        assert_eq!(quantile(&mut [5.0, 1.0, 3.0], 0.5), Some(3.0));
    }

    #[test]
    fn median_of_even_count_is_the_mean_of_the_two_middle_values() {
        assert_eq!(quantile(&mut [4.0, 1.0, 3.0, 2.0], 0.5), Some(2.5));
    }

    #[test]
    fn p90_interpolates_between_ranks() {
        // positions 0..=10 for 11 values: p90 = value at position 9.
        let mut v: Vec<f64> = (0..=10).map(|i| i as f64 * 10.0).collect();
        assert_eq!(quantile(&mut v, 0.9), Some(90.0));
        // 4 values: p90 at position 2.7 = 30 + 0.7 * 10.
        assert_eq!(quantile(&mut [10.0, 20.0, 30.0, 40.0], 0.9), Some(37.0));
    }

    #[test]
    fn no_values_have_no_quantile() {
        assert_eq!(quantile(&mut [], 0.5), None);
        assert_eq!(summarize(vec![]), Summary::default());
    }

    #[test]
    fn one_outlier_does_not_move_the_median() {
        let s = summarize(vec![60.0, 60.0, 60.0, 1_000_000.0, 60.0]);
        assert_eq!(s.median, Some(60));
    }

    /// Asserts `summarize` of `values` gives the count and the figures of the sorted copy.
    fn assert_figures_of_sorted(values: Vec<f64>) {
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let s = summarize(values);
        let expect = |q| Some(quantile_sorted(&sorted, q).round() as i64);
        assert_eq!(
            (s.count, s.median, s.p75, s.p90),
            (sorted.len(), expect(0.5), expect(0.75), expect(0.9))
        );
    }

    #[test]
    fn selected_ranks_give_the_figures_of_the_sorted_values() {
        // A scrambled sample with ties and odd spacing, against quantile_sorted of the sorted copy.
        assert_figures_of_sorted(
            (0..101)
                .map(|i| ((i * 37) % 101) as f64 * 3.5 + (i % 3) as f64)
                .collect(),
        );
        // Enough values to go by buckets, spread over many magnitudes, with ties and zeros.
        assert_figures_of_sorted(
            (0..20_011u64)
                .map(|i| {
                    ((i * 7_919) % 20_011) as f64 * ((i % 7) as f64 * 1_000.0) + (i % 5) as f64
                })
                .collect(),
        );
        // Most values in one range of bit patterns (an hour to two, beside zeros and a year):
        // that range is narrowed again, and again, down to one value per range.
        assert_figures_of_sorted(
            (0..50_000u64)
                .map(|i| match i % 10 {
                    0 => 0.0,
                    9 => 31_536_000.0,
                    _ => (3_600 + (i * 7_919) % 3_600) as f64 + (i % 4) as f64 * 0.25,
                })
                .collect(),
        );
        let mut few_distinct = vec![7.0; 6_000];
        few_distinct.extend([8.0; 3_000]);
        let s = summarize_in_place(&mut few_distinct, false);
        assert_eq!(
            (s.count, s.median, s.p75, s.p90),
            (9_000, Some(7), None, Some(8))
        );
        let same = summarize(vec![42.0; 5_000]);
        assert_eq!((same.median, same.p90), (Some(42), Some(42)));
        let two = summarize(vec![10.0, 0.0]);
        assert_eq!((two.median, two.p75, two.p90), (Some(5), Some(8), Some(9)));
    }
}
