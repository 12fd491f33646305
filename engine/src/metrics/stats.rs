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

pub fn summarize(mut values: Vec<f64>) -> Summary {
    if values.is_empty() {
        return Summary::default();
    }
    values.sort_by(f64::total_cmp);
    let at = |q| Some(quantile_sorted(&values, q).round() as i64);
    Summary {
        count: values.len(),
        median: at(0.5),
        p75: at(0.75),
        p90: at(0.9),
    }
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
}
