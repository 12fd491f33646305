//! What a chart says, independent of how it is drawn: a title, a caption, categories along the
//! x axis and what is plotted over them, already converted to the unit shown on the y axis.
//!
//! [`super::build`] makes these from metrics; [`super::render`] draws them as SVG or PNG.

pub use engine::metric_key::{MetricGroup, MetricKey};
use engine::tiers::Tier;
use std::str::FromStr;

/// Every chart the API draws: one per metric, and two views of lead time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    /// The metric per bucket, with tier bands and the previous period.
    Metric(MetricKey),
    /// Median coding / pickup / review / deploy time per bucket, stacked.
    LeadTimeBreakdown,
    /// How many changes took how long: a histogram over human-sized bins.
    LeadTimeDistribution,
}

impl ChartKind {
    /// Every chart, in the order the API documents them.
    pub fn all() -> Vec<ChartKind> {
        MetricKey::ALL
            .into_iter()
            .map(ChartKind::Metric)
            .chain([
                ChartKind::LeadTimeBreakdown,
                ChartKind::LeadTimeDistribution,
            ])
            .collect()
    }

    /// The name in the URL (`/api/v1/charts/{name}.svg`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::Metric(m) => m.as_str(),
            ChartKind::LeadTimeBreakdown => "lead_time_breakdown",
            ChartKind::LeadTimeDistribution => "lead_time_distribution",
        }
    }
}

impl FromStr for ChartKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ChartKind::all()
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`, as SVG and CSS write it.
    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }
}

/// The Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"): distinguishable with every
/// common colour-vision deficiency. Series take these colours in order.
pub mod palette {
    use super::Rgb;

    pub const BLUE: Rgb = Rgb(0x00, 0x72, 0xB2);
    pub const ORANGE: Rgb = Rgb(0xE6, 0x9F, 0x00);
    pub const BLUISH_GREEN: Rgb = Rgb(0x00, 0x9E, 0x73);
    pub const REDDISH_PURPLE: Rgb = Rgb(0xCC, 0x79, 0xA7);
    pub const VERMILLION: Rgb = Rgb(0xD5, 0x5E, 0x00);
    pub const SKY_BLUE: Rgb = Rgb(0x56, 0xB4, 0xE9);
    pub const YELLOW: Rgb = Rgb(0xF0, 0xE4, 0x42);
    pub const BLACK: Rgb = Rgb(0x00, 0x00, 0x00);

    /// Series colours in the order series get them (yellow is left out: too faint on white).
    pub const SERIES: [Rgb; 7] = [
        BLUE,
        ORANGE,
        BLUISH_GREEN,
        REDDISH_PURPLE,
        VERMILLION,
        SKY_BLUE,
        BLACK,
    ];

    /// Text and axes.
    pub const INK: Rgb = Rgb(0x22, 0x22, 0x22);
    pub const MUTED: Rgb = Rgb(0x5F, 0x5F, 0x5F);
    pub const GRID: Rgb = Rgb(0xE3, 0xE3, 0xE3);
    /// The previous period's line.
    pub const PREVIOUS: Rgb = Rgb(0x8C, 0x8C, 0x8C);

    /// Better / worse in trends: bluish green and vermillion, told apart by every reader (and
    /// always paired with an arrow and a word, never colour alone).
    pub const BETTER: Rgb = BLUISH_GREEN;
    pub const WORSE: Rgb = VERMILLION;
}

/// The tint of a tier band behind a series.
pub fn tier_tint(tier: Tier) -> Rgb {
    match tier {
        Tier::Elite => Rgb(0xDF, 0xF2, 0xEA),
        Tier::High => Rgb(0xE4, 0xF0, 0xF8),
        Tier::Medium => Rgb(0xFB, 0xF7, 0xDC),
        Tier::Low => Rgb(0xF9, 0xE6, 0xDC),
    }
}

/// The unit of the y axis; values in a [`Chart`] are already in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Minutes,
    Hours,
    Days,
    /// Deployments per week.
    PerWeek,
    /// Deployments per day (the daily charts: a day's count, not scaled to a week).
    PerDay,
    /// 0..=100.
    Percent,
    /// A plain count (changes in a histogram bin).
    Count,
}

impl Unit {
    /// Seconds per unit for durations; 1 otherwise.
    pub fn seconds(self) -> f64 {
        match self {
            Unit::Minutes => 60.0,
            Unit::Hours => 3_600.0,
            Unit::Days => 86_400.0,
            _ => 1.0,
        }
    }

    /// The unit for durations whose largest value is `max_seconds`.
    pub fn for_durations(max_seconds: f64) -> Unit {
        if max_seconds < 2.0 * 3_600.0 {
            Unit::Minutes
        } else if max_seconds < 3.0 * 86_400.0 {
            Unit::Hours
        } else {
            Unit::Days
        }
    }

    /// How the unit reads after a quantity on the axis: "hours", "per week", "%".
    pub fn name(self) -> &'static str {
        match self {
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::Days => "days",
            Unit::PerWeek => "deployments per week",
            Unit::PerDay => "deployments per day",
            Unit::Percent => "% of deployments",
            Unit::Count => "changes",
        }
    }

    /// A tick label: the number, with `%` for percentages.
    pub fn tick(self, value: f64, step: f64) -> String {
        let decimals = if step >= 1.0 {
            0
        } else if step >= 0.1 {
            1
        } else {
            2
        };
        let number = format!("{value:.decimals$}");
        match self {
            Unit::Percent => format!("{number}%"),
            _ => number,
        }
    }
}

/// A value at one x category, with the sample it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub value: f64,
    /// How many items the value summarises (deployments, changes, restores).
    pub samples: usize,
}

/// One named line (or layer of bars), one optional point per x category.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub colour: Rgb,
    pub points: Vec<Option<Point>>,
}

/// A tier's band of y values, in the chart's unit; `high` may be infinite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub tier: Tier,
    pub low: f64,
    pub high: f64,
}

/// What is drawn in the plot area.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Nothing to plot: the message says why, in words; no axes are drawn.
    Empty { message: String },
    /// Lines with a marker per point over tier bands; an optional faint previous period.
    Lines {
        series: Vec<Series>,
        previous: Option<Series>,
        bands: Vec<Band>,
        /// Points resting on fewer samples than this are drawn hollow.
        small_sample: usize,
        /// One flag per category: the period cuts that bucket. Its points are drawn hollow and
        /// apart from the line, so a short bucket never reads as a spike or a dip.
        partial: Vec<bool>,
    },
    /// Bars stacked per category, one layer per series.
    Stacked { layers: Vec<Series> },
    /// One bar per category, its value written above it.
    Bars { series: Series },
}

/// A chart, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    /// One line under the title: what, per what, who, when, how many.
    pub caption: String,
    pub unit: Unit,
    /// What the y axis shows: "Median lead time (days)".
    pub y_label: String,
    /// What the x categories are: "week starting", "lead time".
    pub x_label: String,
    /// One label per x category.
    pub categories: Vec<String>,
    pub body: Body,
    /// Annotations: a labelled vertical line each, over the plot.
    pub markers: Vec<Marker>,
}

/// An annotation on a chart whose categories are time buckets.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Where along x, in categories: 0 is the left edge of the first, `n` the right edge of the
    /// last; 1.5 is the middle of the second.
    pub at: f64,
    /// The annotation's title, written beside the line.
    pub label: String,
}

impl Chart {
    /// Whether the chart is the honest empty state.
    pub fn is_empty(&self) -> bool {
        matches!(self.body, Body::Empty { .. })
    }
}
