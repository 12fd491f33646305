//! How one metric's value becomes a tier: upper bounds, lower bounds, or the nearest published
//! point value.

use super::Tier;
use serde::Serialize;

/// Midpoints between published point values are rounded to a billionth, so that a rate computed
/// from counts lands on them exactly: `(10% + 20%) / 2` is not exactly `3 / 20` in floating point.
const MIDPOINT_RESOLUTION: f64 = 1e9;

/// One end of a band: a value, and whether the value itself belongs to the band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Edge {
    pub value: f64,
    pub inclusive: bool,
}

impl Edge {
    /// An end that includes its value (`<=`, `>=`).
    pub const fn closed(value: f64) -> Edge {
        Edge {
            value,
            inclusive: true,
        }
    }

    /// An end that excludes its value (`<`, `>`).
    pub const fn open(value: f64) -> Edge {
        Edge {
            value,
            inclusive: false,
        }
    }

    /// The same value seen from the other side: the neighbouring band's end.
    fn flipped(self) -> Edge {
        Edge {
            value: self.value,
            inclusive: !self.inclusive,
        }
    }

    /// `value` is on or below this upper end.
    pub(super) fn admits_below(self, value: f64) -> bool {
        if self.inclusive {
            value <= self.value
        } else {
            value < self.value
        }
    }

    /// `value` is on or above this lower end.
    pub(super) fn admits_above(self, value: f64) -> bool {
        if self.inclusive {
            value >= self.value
        } else {
            value > self.value
        }
    }
}

/// How one metric's value becomes a tier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Scale {
    /// Lower is better (durations, rates): the best tier whose upper end admits the value; low is
    /// the rest.
    UpperBounds {
        elite: Edge,
        high: Edge,
        medium: Edge,
    },
    /// Higher is better (deployments per week): the best tier whose lower end admits the value;
    /// low is the rest.
    LowerBounds {
        elite: Edge,
        high: Edge,
        medium: Edge,
    },
    /// The report gives one value per tier: a value gets the tier whose published value is
    /// nearest, a tie goes to the better tier. Keeps a non-monotonic column (2024's change failure
    /// rate) literal.
    Nearest {
        elite: f64,
        high: f64,
        medium: f64,
        low: f64,
    },
}

impl Scale {
    /// The tier of a value: the tier whose interval ([`Scale::intervals`]) holds it. A NaN is
    /// rated low.
    pub fn rate(&self, value: f64) -> Tier {
        if value.is_nan() {
            return Tier::Low;
        }
        let intervals = self.intervals();
        Tier::ALL
            .into_iter()
            .find(|tier| {
                let (lower, upper) = intervals[tier.index()];
                lower.is_none_or(|edge| edge.admits_above(value))
                    && upper.is_none_or(|edge| edge.admits_below(value))
            })
            .unwrap_or(Tier::Low)
    }

    /// The published point values of a [`Scale::Nearest`], by tier.
    pub(super) fn points(&self) -> [f64; 4] {
        match *self {
            Scale::Nearest {
                elite,
                high,
                medium,
                low,
            } => [elite, high, medium, low],
            Scale::UpperBounds { .. } | Scale::LowerBounds { .. } => [f64::NAN; 4],
        }
    }

    /// The interval each tier covers, by tier: (lower end, upper end), `None` = unbounded.
    pub fn intervals(&self) -> [(Option<Edge>, Option<Edge>); 4] {
        match *self {
            Scale::UpperBounds {
                elite,
                high,
                medium,
            } => [
                (None, Some(elite)),
                (Some(elite.flipped()), Some(high)),
                (Some(high.flipped()), Some(medium)),
                (Some(medium.flipped()), None),
            ],
            Scale::LowerBounds {
                elite,
                high,
                medium,
            } => [
                (Some(elite), None),
                (Some(high), Some(elite.flipped())),
                (Some(medium), Some(high.flipped())),
                (None, Some(medium.flipped())),
            ],
            Scale::Nearest { .. } => {
                let points = self.points();
                let mut order = Tier::ALL;
                order.sort_by(|a, b| points[a.index()].total_cmp(&points[b.index()]));
                let mut intervals = [(None, None); 4];
                let midpoint = |a: Tier, b: Tier| {
                    let exact = (points[a.index()] + points[b.index()]) / 2.0;
                    (exact * MIDPOINT_RESOLUTION).round() / MIDPOINT_RESOLUTION
                };
                for (position, tier) in order.iter().enumerate() {
                    // The boundary with a neighbour is the midpoint; a value on it is equally near
                    // both, and a tie goes to the better tier.
                    let lower = position.checked_sub(1).map(|previous| Edge {
                        value: midpoint(order[previous], *tier),
                        inclusive: *tier < order[previous],
                    });
                    let upper = order.get(position + 1).map(|&next| Edge {
                        value: midpoint(*tier, next),
                        inclusive: *tier < next,
                    });
                    intervals[tier.index()] = (lower, upper);
                }
                intervals
            }
        }
    }
}

/// An interval that no value can fall in (equal or crossed ends).
pub(super) fn is_empty(lower: Option<Edge>, upper: Option<Edge>) -> bool {
    match (lower, upper) {
        (Some(lower), Some(upper)) => {
            lower.value > upper.value
                || (lower.value == upper.value && !(lower.inclusive && upper.inclusive))
        }
        _ => false,
    }
}
