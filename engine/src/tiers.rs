//! DORA tiers: which of elite, high, medium and low a metric's value falls in.
//!
//! Raw values come first; the tier is context, not a target. DORA's performance levels are
//! clusters found in a year's survey answers, not thresholds DORA set in advance, so turning them
//! into thresholds takes interpretation. Every interpretation lives here and is written up, cell by
//! cell, in `docs/tiers.md`.
//!
//! The parts:
//! - [`Tier`]: elite, high, medium, low (better tiers sort first).
//! - The unit constants ([`ON_DEMAND_PER_WEEK`], [`MONTH_SECONDS`], ...): the one place where the
//!   reports' words ("on demand", "once per month", "six months") become numbers.
//! - [`Scale`]: how one metric's value becomes a tier — upper bounds, lower bounds, or the nearest
//!   published point value.
//! - [`Bands`]: a named set of four scales, either a published table ([`Bands::published`]: the
//!   2021, 2023 and 2024 State of DevOps reports) or custom bands from the configuration
//!   ([`Bands::custom`], validated).
//! - [`Bands::describe`]: for every metric and tier, the published wording, the threshold
//!   doraboard applies and the citation — what the docs and the API show.
//! - [`parse_duration`]: `30s`, `30m`, `12h`, `7d`, `2w`.

use serde::{Deserialize, Serialize};
use std::fmt;

// ------------------------------------------------------------------------------------------------
// Units: the reports' words as numbers. Durations are in seconds, frequencies in deployments per
// week, rates are fractions of 1.
// ------------------------------------------------------------------------------------------------

/// One minute, in seconds.
pub const MINUTE_SECONDS: f64 = 60.0;
/// One hour, in seconds.
pub const HOUR_SECONDS: f64 = 3_600.0;
/// One day, in seconds.
pub const DAY_SECONDS: f64 = 86_400.0;
/// One week, in seconds.
pub const WEEK_SECONDS: f64 = 604_800.0;
/// "One month": a twelfth of a 52-week year (4 1/3 weeks, about 30.33 days), so that a duration of
/// one month and a frequency of once per month ([`ONCE_PER_MONTH_PER_WEEK`]) agree.
pub const MONTH_SECONDS: f64 = WEEK_SECONDS * 52.0 / 12.0;
/// "Six months": half a 52-week year, 26 weeks.
pub const SIX_MONTHS_SECONDS: f64 = WEEK_SECONDS * 26.0;

/// "On demand (multiple deploys per day)": at least one deployment per working day on average.
pub const ON_DEMAND_PER_WEEK: f64 = 5.0;
/// "Once per day", read as once per working day: it meets the on-demand floor exactly, so the
/// 2023 and 2024 elite and high bands touch without a gap.
pub const ONCE_PER_DAY_PER_WEEK: f64 = ON_DEMAND_PER_WEEK;
/// "Once per week".
pub const ONCE_PER_WEEK_PER_WEEK: f64 = 1.0;
/// "Once per month": twelve deployments in a 52-week year.
pub const ONCE_PER_MONTH_PER_WEEK: f64 = 12.0 / 52.0;
/// "Once every six months": two deployments in a 52-week year.
pub const ONCE_PER_SIX_MONTHS_PER_WEEK: f64 = 2.0 / 52.0;

/// Midpoints between published point values are rounded to a billionth, so that a rate computed
/// from counts lands on them exactly: `(10% + 20%) / 2` is not exactly `3 / 20` in floating point.
const MIDPOINT_RESOLUTION: f64 = 1e9;

/// The configuration key custom bands live under; every [`BandsError`] names a key below it.
pub const CUSTOM_KEY: &str = "metrics.custom_tiers";

// ------------------------------------------------------------------------------------------------
// Tiers and metrics
// ------------------------------------------------------------------------------------------------

/// A DORA performance level. Better tiers sort first: `Elite < High < Medium < Low`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Elite,
    High,
    Medium,
    Low,
}

impl Tier {
    /// All tiers, best first.
    pub const ALL: [Tier; 4] = [Tier::Elite, Tier::High, Tier::Medium, Tier::Low];

    /// The lowercase name, as in the metrics JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Elite => "elite",
            Tier::High => "high",
            Tier::Medium => "medium",
            Tier::Low => "low",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The four metrics DORA rates. Their names are the metrics JSON keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    DeploymentFrequency,
    LeadTime,
    ChangeFailureRate,
    TimeToRestore,
}

impl Metric {
    /// All rated metrics, in the order of the metrics JSON.
    pub const ALL: [Metric; 4] = [
        Metric::DeploymentFrequency,
        Metric::LeadTime,
        Metric::ChangeFailureRate,
        Metric::TimeToRestore,
    ];

    /// The metrics JSON key.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::DeploymentFrequency => "deployment_frequency",
            Metric::LeadTime => "lead_time",
            Metric::ChangeFailureRate => "change_failure_rate",
            Metric::TimeToRestore => "time_to_restore",
        }
    }

    /// The unit of the values a scale for this metric compares: `per_week`, `seconds` or `rate`.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::DeploymentFrequency => "per_week",
            Metric::LeadTime | Metric::TimeToRestore => "seconds",
            Metric::ChangeFailureRate => "rate",
        }
    }

    /// What the value is called in a threshold, e.g. `lead time <= 1w`.
    fn variable(self) -> &'static str {
        match self {
            Metric::DeploymentFrequency => "deployments per week",
            Metric::LeadTime => "lead time",
            Metric::ChangeFailureRate => "rate",
            Metric::TimeToRestore => "restore time",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// A value in this metric's unit, for people: `1d`, `12/52 per week (once per month)`, `15%`.
    fn format(self, value: f64) -> String {
        match self {
            Metric::DeploymentFrequency => format_per_week(value),
            Metric::LeadTime | Metric::TimeToRestore => format_seconds(value),
            Metric::ChangeFailureRate => format_rate(value),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ------------------------------------------------------------------------------------------------
// Scales
// ------------------------------------------------------------------------------------------------

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
    fn admits_below(self, value: f64) -> bool {
        if self.inclusive {
            value <= self.value
        } else {
            value < self.value
        }
    }

    /// `value` is on or above this lower end.
    fn admits_above(self, value: f64) -> bool {
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
    fn points(&self) -> [f64; 4] {
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
fn is_empty(lower: Option<Edge>, upper: Option<Edge>) -> bool {
    match (lower, upper) {
        (Some(lower), Some(upper)) => {
            lower.value > upper.value
                || (lower.value == upper.value && !(lower.inclusive && upper.inclusive))
        }
        _ => false,
    }
}

/// An interval in words: `1d <= lead time <= 1w`.
fn describe_interval(metric: Metric, lower: Option<Edge>, upper: Option<Edge>) -> String {
    if is_empty(lower, upper) {
        return "never assigned: no value falls in this band".to_string();
    }
    let variable = metric.variable();
    let lower_text = lower.map(|edge| {
        format!(
            "{} {}",
            metric.format(edge.value),
            if edge.inclusive { "<=" } else { "<" }
        )
    });
    let upper_text = upper.map(|edge| {
        format!(
            "{} {}",
            if edge.inclusive { "<=" } else { "<" },
            metric.format(edge.value)
        )
    });
    match (lower_text, upper_text) {
        (None, None) => format!("any {variable}"),
        (Some(lower), None) => format!("{lower} {variable}"),
        (None, Some(upper)) => format!("{variable} {upper}"),
        (Some(lower), Some(upper)) => format!("{lower} {variable} {upper}"),
    }
}

fn format_seconds(seconds: f64) -> String {
    if seconds == MONTH_SECONDS {
        return "1 month (30.33d)".to_string();
    }
    if seconds == SIX_MONTHS_SECONDS {
        return "6 months (26w)".to_string();
    }
    for (unit, size) in [
        ("w", WEEK_SECONDS),
        ("d", DAY_SECONDS),
        ("h", HOUR_SECONDS),
        ("m", MINUTE_SECONDS),
    ] {
        let count = seconds / size;
        if seconds >= size && count.fract() == 0.0 {
            return format!("{count}{unit}");
        }
    }
    format!("{}s", trim_decimals(seconds, 1))
}

fn format_per_week(per_week: f64) -> String {
    if per_week == ON_DEMAND_PER_WEEK {
        "5/week (one per working day)".to_string()
    } else if per_week == ONCE_PER_MONTH_PER_WEEK {
        "12/52 per week (once per month)".to_string()
    } else if per_week == ONCE_PER_SIX_MONTHS_PER_WEEK {
        "2/52 per week (once every six months)".to_string()
    } else {
        format!("{}/week", trim_decimals(per_week, 3))
    }
}

fn format_rate(rate: f64) -> String {
    format!("{}%", trim_decimals(rate * 100.0, 2))
}

/// `value` with at most `decimals` decimals and no trailing zeros.
fn trim_decimals(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

// ------------------------------------------------------------------------------------------------
// Sources and published tables
// ------------------------------------------------------------------------------------------------

/// Whether a source is the report (or DORA's own pages) or someone's copy of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// The report, or an official DORA / Google Cloud page about it.
    Primary,
    /// A blog post or documentation quoting the report.
    Secondary,
}

/// A document a published cell was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Source {
    pub kind: SourceKind,
    pub title: &'static str,
    pub url: &'static str,
}

/// Where a published cell comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Citation {
    /// The report to cite.
    pub report: &'static str,
    /// The report's official page.
    pub url: &'static str,
    /// Where in the report the table is.
    pub location: &'static str,
    /// True when no primary source confirmed this cell's value: doraboard's copy of it comes from
    /// secondary sources only.
    pub secondary: bool,
    /// The documents the cell was actually read in.
    pub read_in: &'static [Source],
}

/// One metric and tier of a band set, in words: what the docs and the API show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BandDescription {
    /// The band set's name (`2024`, `custom`).
    pub bands: String,
    pub metric: Metric,
    pub tier: Tier,
    /// The report's wording for this cell, or the custom bound.
    pub published: String,
    /// The rule doraboard applies, in words: `1d <= lead time <= 1w`.
    pub threshold: String,
    /// The interval's lower end in [`BandDescription::unit`]; `None` = unbounded.
    pub from: Option<Edge>,
    /// The interval's upper end; `None` = unbounded.
    pub to: Option<Edge>,
    /// `per_week`, `seconds` or `rate`.
    pub unit: &'static str,
    /// How the published wording became the threshold, where it took interpretation.
    pub note: Option<&'static str>,
    /// `None` for custom bands.
    pub citation: Option<Citation>,
}

/// One cell of a published table.
#[derive(Debug)]
struct Cell {
    wording: &'static str,
    note: Option<&'static str>,
    read_in: &'static [Source],
    secondary: bool,
}

/// A published table: the report, its thresholds and its cells, by metric then tier.
#[derive(Debug)]
struct Publication {
    version: &'static str,
    report: &'static str,
    url: &'static str,
    location: &'static str,
    scales: [Scale; 4],
    cells: [[Cell; 4]; 4],
}

const fn cell(
    wording: &'static str,
    note: Option<&'static str>,
    read_in: &'static [Source],
    secondary: bool,
) -> Cell {
    Cell {
        wording,
        note,
        read_in,
        secondary,
    }
}

const REPORT_2021: Source = Source {
    kind: SourceKind::Primary,
    title: "Accelerate State of DevOps Report 2021 (DORA, Google Cloud)",
    url: "https://dora.dev/research/2021/dora-report/",
};
const GOOGLE_BLOG_2021: Source = Source {
    kind: SourceKind::Primary,
    title: "Google Cloud blog, \"Announcing DORA 2021 Accelerate State of DevOps report\" \
            (read in a verbatim copy): elite lead time went from less than one day to less than \
            one hour",
    url: "https://cloud.google.com/blog/products/devops-sre/announcing-dora-2021-accelerate-state-of-devops-report",
};
const OCTOPUS_2022: Source = Source {
    kind: SourceKind::Secondary,
    title: "Octopus Deploy blog (Steve Fenton), \"The new DevOps performance clusters\": the 2021 \
            table, abbreviated",
    url: "https://octopus.com/blog/new-devops-performance-clusters",
};
const DEVLAKE_DEPLOYMENT_FREQUENCY: Source = Source {
    kind: SourceKind::Secondary,
    title: "Apache DevLake docs, \"Deployment Frequency\": the 2021 benchmarks",
    url: "https://devlake.apache.org/docs/Metrics/DeploymentFrequency",
};
const DEVLAKE_TIME_TO_RESTORE: Source = Source {
    kind: SourceKind::Secondary,
    title: "Apache DevLake docs, \"Median Time to Restore Service\": the 2021 benchmarks",
    url: "https://devlake.apache.org/docs/Metrics/MTTR",
};
const OCTOPUS_2023: Source = Source {
    kind: SourceKind::Secondary,
    title: "Octopus Deploy blog (Steve Fenton, a report sponsor), \"The 2023 DevOps performance \
            clusters\": the 2023 table, abbreviated",
    url: "https://octopus.com/blog/software-delivery-performance-clusters-2023",
};
const OCTOPUS_2024: Source = Source {
    kind: SourceKind::Secondary,
    title: "Octopus Deploy blog (Steve Fenton, a report sponsor), \"The 2024 DevOps performance \
            clusters\": the 2024 table, abbreviated, and how it differs from 2023",
    url: "https://octopus.com/blog/2024-devops-performance-clusters",
};
const ERRATA_2024: Source = Source {
    kind: SourceKind::Primary,
    title: "DORA, errata to the 2024 report: the p. 13 table's high and medium rows (colours \
            corrected, no value corrected)",
    url: "https://dora.dev/research/2024/errata/",
};

const READ_2021_FREQUENCY: &[Source] = &[OCTOPUS_2022, DEVLAKE_DEPLOYMENT_FREQUENCY];
const READ_2021_ELITE_LEAD_TIME: &[Source] = &[GOOGLE_BLOG_2021, OCTOPUS_2022];
const READ_2021_LEAD_TIME: &[Source] = &[OCTOPUS_2022];
const READ_2021_FAILURE_RATE: &[Source] = &[OCTOPUS_2022];
const READ_2021_RESTORE: &[Source] = &[OCTOPUS_2022, DEVLAKE_TIME_TO_RESTORE];
const READ_2023: &[Source] = &[OCTOPUS_2023, OCTOPUS_2024];
const READ_2024: &[Source] = &[OCTOPUS_2024, ERRATA_2024];

static PUBLISHED_2021: Publication = Publication {
    version: "2021",
    report: "Accelerate State of DevOps Report 2021 (DORA, Google Cloud)",
    url: REPORT_2021.url,
    location: "chapter \"How do we compare?\", table of software delivery performance metrics by \
               level (page not verified by doraboard)",
    scales: [
        Scale::LowerBounds {
            elite: Edge::open(ONCE_PER_WEEK_PER_WEEK),
            high: Edge::closed(ONCE_PER_MONTH_PER_WEEK),
            medium: Edge::closed(ONCE_PER_SIX_MONTHS_PER_WEEK),
        },
        Scale::UpperBounds {
            elite: Edge::open(DAY_SECONDS),
            high: Edge::open(MONTH_SECONDS),
            medium: Edge::closed(SIX_MONTHS_SECONDS),
        },
        Scale::UpperBounds {
            elite: Edge::open(0.16),
            high: Edge::closed(0.30),
            medium: Edge::closed(0.30),
        },
        Scale::UpperBounds {
            elite: Edge::open(HOUR_SECONDS),
            high: Edge::open(DAY_SECONDS),
            medium: Edge::closed(SIX_MONTHS_SECONDS),
        },
    ],
    cells: [
        [
            cell(
                "On-demand (multiple deploys per day)",
                Some(
                    "No 2021 level covers more than once per week but less than on demand; that \
                     gap goes to the better adjacent tier, elite. So elite is anything above once \
                     per week.",
                ),
                READ_2021_FREQUENCY,
                true,
            ),
            cell(
                "Between once per week and once per month",
                Some(
                    "Once per week itself is high; once per month is shared with medium and goes to high.",
                ),
                READ_2021_FREQUENCY,
                true,
            ),
            cell(
                "Between once per month and once every 6 months",
                None,
                READ_2021_FREQUENCY,
                true,
            ),
            cell(
                "Fewer than once per six months",
                None,
                READ_2021_FREQUENCY,
                true,
            ),
        ],
        [
            cell(
                "Less than one hour",
                Some(
                    "No 2021 level covers one hour to one day; that gap goes to the better \
                     adjacent tier, elite. So elite is anything under one day.",
                ),
                READ_2021_ELITE_LEAD_TIME,
                false,
            ),
            cell(
                "Between one day and one week",
                Some(
                    "No 2021 level covers one week to one month; that gap goes to the better \
                     adjacent tier, high.",
                ),
                READ_2021_LEAD_TIME,
                true,
            ),
            cell(
                "Between one month and six months",
                None,
                READ_2021_LEAD_TIME,
                true,
            ),
            cell("More than six months", None, READ_2021_LEAD_TIME, true),
        ],
        [
            cell(
                "0%-15%",
                Some(
                    "The report's ranges are whole-percent survey buckets; the sliver between 15% \
                     and 16% goes to the better adjacent tier, elite.",
                ),
                READ_2021_FAILURE_RATE,
                true,
            ),
            cell(
                "16%-30%",
                Some(
                    "High, medium and low share the same published range; an overlap goes to the \
                     best tier, so 16%-30% is high.",
                ),
                READ_2021_FAILURE_RATE,
                true,
            ),
            cell(
                "16%-30%",
                Some(
                    "Identical to high's range, so the change failure rate never rates medium \
                     under the 2021 table.",
                ),
                READ_2021_FAILURE_RATE,
                true,
            ),
            cell(
                "16%-30%",
                Some("Identical to high's range; low is what no level covers: more than 30%."),
                READ_2021_FAILURE_RATE,
                true,
            ),
        ],
        [
            cell("Less than one hour", None, READ_2021_RESTORE, true),
            cell(
                "Less than one day",
                Some("Overlaps elite below one hour; the overlap goes to elite."),
                READ_2021_RESTORE,
                true,
            ),
            cell(
                "Between one day and one week",
                Some(
                    "No 2021 level covers one week to six months; that gap goes to the better \
                     adjacent tier, medium.",
                ),
                READ_2021_RESTORE,
                true,
            ),
            cell("More than six months", None, READ_2021_RESTORE, true),
        ],
    ],
};

static PUBLISHED_2023: Publication = Publication {
    version: "2023",
    report: "Accelerate State of DevOps Report 2023 (DORA, Google Cloud)",
    url: "https://dora.dev/research/2023/dora-report/",
    location: "software delivery performance levels table (page not verified by doraboard)",
    scales: [
        Scale::LowerBounds {
            elite: Edge::closed(ON_DEMAND_PER_WEEK),
            high: Edge::closed(ONCE_PER_WEEK_PER_WEEK),
            medium: Edge::closed(ONCE_PER_MONTH_PER_WEEK),
        },
        Scale::UpperBounds {
            elite: Edge::open(DAY_SECONDS),
            high: Edge::closed(WEEK_SECONDS),
            medium: Edge::closed(MONTH_SECONDS),
        },
        Scale::Nearest {
            elite: 0.05,
            high: 0.10,
            medium: 0.15,
            low: 0.64,
        },
        Scale::UpperBounds {
            elite: Edge::open(HOUR_SECONDS),
            high: Edge::open(DAY_SECONDS),
            medium: Edge::open(MONTH_SECONDS),
        },
    ],
    cells: [
        [
            cell(
                "On demand (multiple deploys per day)",
                Some("At least one deployment per working day on average."),
                READ_2023,
                true,
            ),
            cell(
                "Between once per day and once per week",
                Some("Once per day is read as once per working day, the on-demand floor."),
                READ_2023,
                true,
            ),
            cell(
                "Between once per week and once per month",
                None,
                READ_2023,
                true,
            ),
            cell(
                "Between once per week and once per month",
                Some(
                    "Published identical to medium; an overlap goes to the better tier, so low is \
                     what remains: less than once per month.",
                ),
                READ_2023,
                true,
            ),
        ],
        [
            cell("Less than one day", None, READ_2023, true),
            cell("Between one day and one week", None, READ_2023, true),
            cell("Between one week and one month", None, READ_2023, true),
            cell(
                "Between one week and one month",
                Some(
                    "Published identical to medium; an overlap goes to the better tier, so low is \
                     what remains: more than one month.",
                ),
                READ_2023,
                true,
            ),
        ],
        [
            cell(
                "5%",
                Some(
                    "A point value, not a range: the nearest published value wins, ties go to the better tier.",
                ),
                READ_2023,
                true,
            ),
            cell("10%", None, READ_2023, true),
            cell("15%", None, READ_2023, true),
            cell("64%", None, READ_2023, true),
        ],
        [
            cell("Less than one hour", None, READ_2023, true),
            cell("Less than one day", None, READ_2023, true),
            cell(
                "Between one day and one week",
                Some(
                    "No 2023 level covers one week to one month; that gap goes to the better \
                     adjacent tier, medium.",
                ),
                READ_2023,
                true,
            ),
            cell(
                "Between one month and six months",
                Some("More than six months is low too: low is the rest."),
                READ_2023,
                true,
            ),
        ],
    ],
};

static PUBLISHED_2024: Publication = Publication {
    version: "2024",
    report: "Accelerate State of DevOps Report 2024 (DORA, Google Cloud)",
    url: "https://dora.dev/research/2024/dora-report/",
    location: "p. 13, software delivery performance levels table (report v.2024.3)",
    scales: [
        Scale::LowerBounds {
            elite: Edge::closed(ON_DEMAND_PER_WEEK),
            high: Edge::closed(ONCE_PER_WEEK_PER_WEEK),
            medium: Edge::closed(ONCE_PER_MONTH_PER_WEEK),
        },
        Scale::UpperBounds {
            elite: Edge::open(DAY_SECONDS),
            high: Edge::closed(WEEK_SECONDS),
            medium: Edge::closed(MONTH_SECONDS),
        },
        Scale::Nearest {
            elite: 0.05,
            high: 0.20,
            medium: 0.10,
            low: 0.40,
        },
        Scale::UpperBounds {
            elite: Edge::open(HOUR_SECONDS),
            high: Edge::open(DAY_SECONDS),
            medium: Edge::open(WEEK_SECONDS),
        },
    ],
    cells: [
        [
            cell(
                "On demand (multiple deploys per day)",
                Some("At least one deployment per working day on average."),
                READ_2024,
                true,
            ),
            cell(
                "Between once per day and once per week",
                Some("Once per day is read as once per working day, the on-demand floor."),
                READ_2024,
                true,
            ),
            cell(
                "Between once per week and once per month",
                None,
                READ_2024,
                true,
            ),
            cell(
                "Between once per month and once every six months",
                Some("Fewer than once every six months is low too: low is the rest."),
                READ_2024,
                true,
            ),
        ],
        [
            cell("Less than one day", None, READ_2024, true),
            cell("Between one day and one week", None, READ_2024, true),
            cell("Between one week and one month", None, READ_2024, true),
            cell(
                "Between one month and six months",
                Some("More than six months is low too: low is the rest."),
                READ_2024,
                true,
            ),
        ],
        [
            cell(
                "5%",
                Some(
                    "A point value, not a range: the nearest published value wins, ties go to the better tier.",
                ),
                READ_2024,
                true,
            ),
            cell(
                "20%",
                Some(
                    "Published higher than medium's 10% (DORA named the faster cluster high). \
                     Kept literal: 15% to 30% is nearest to 20%, so high.",
                ),
                READ_2024,
                true,
            ),
            cell(
                "10%",
                Some("Kept literal: above 7.5% and below 15% is nearest to 10%, so medium."),
                READ_2024,
                true,
            ),
            cell("40%", None, READ_2024, true),
        ],
        [
            cell("Less than one hour", None, READ_2024, true),
            cell(
                "Less than one day",
                Some("Published identical to medium; an overlap goes to the better tier, high."),
                READ_2024,
                true,
            ),
            cell(
                "Less than one day",
                Some(
                    "High takes everything under one day; no level covers one day to one week, \
                     and that gap goes to the better adjacent tier, medium.",
                ),
                READ_2024,
                true,
            ),
            cell(
                "Between one week and one month",
                Some("More than one month is low too: low is the rest."),
                READ_2024,
                true,
            ),
        ],
    ],
};

// ------------------------------------------------------------------------------------------------
// Bands
// ------------------------------------------------------------------------------------------------

/// A named set of bands.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Bands {
    /// `2021`, `2023`, `2024` or `custom`.
    pub name: String,
    deployment_frequency: Scale,
    lead_time: Scale,
    change_failure_rate: Scale,
    time_to_restore: Scale,
    #[serde(skip)]
    publication: Option<&'static Publication>,
}

// A published table is identified by its version.
impl PartialEq for Publication {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
    }
}

impl Bands {
    /// The published tables, oldest first.
    pub const PUBLISHED: [&'static str; 3] = ["2021", "2023", "2024"];

    /// A published table: `"2021"`, `"2023"` or `"2024"`.
    pub fn published(version: &str) -> Option<Bands> {
        match version {
            "2021" => Some(Bands::from_publication(&PUBLISHED_2021)),
            "2023" => Some(Bands::from_publication(&PUBLISHED_2023)),
            "2024" => Some(Bands::from_publication(&PUBLISHED_2024)),
            _ => None,
        }
    }

    /// The most recent published table (2024): the default.
    pub fn latest() -> Bands {
        Bands::from_publication(&PUBLISHED_2024)
    }

    fn from_publication(publication: &'static Publication) -> Bands {
        let [
            deployment_frequency,
            lead_time,
            change_failure_rate,
            time_to_restore,
        ] = publication.scales;
        Bands {
            name: publication.version.to_string(),
            deployment_frequency,
            lead_time,
            change_failure_rate,
            time_to_restore,
            publication: Some(publication),
        }
    }

    /// Custom bands from the configuration. Every bound is inclusive on the better side (a lead
    /// time of exactly `1d` meets an elite bound of `1d`); each metric's bounds must not get
    /// better from elite to medium.
    pub fn custom(spec: &CustomBands) -> Result<Bands, BandsError> {
        let frequency = validate_numbers(
            "deployment_frequency",
            &spec.deployment_frequency,
            |value| value >= 0.0,
            "a number of deployments per week (expected a finite number >= 0)",
        )?;
        if !(frequency[0] >= frequency[1] && frequency[1] >= frequency[2]) {
            return Err(BandsError::NotMonotonic {
                key: "deployment_frequency",
                expected: "minimum deployments per week must not increase from elite to medium",
                got: frequency.map(|value| format!("{value}")).join(", "),
            });
        }
        let lead_time = validate_durations("lead_time", &spec.lead_time)?;
        let rates = validate_numbers(
            "change_failure_rate",
            &spec.change_failure_rate,
            |value| (0.0..=1.0).contains(&value),
            "a rate (expected a fraction between 0 and 1, e.g. 0.15 for 15%)",
        )?;
        if !(rates[0] <= rates[1] && rates[1] <= rates[2]) {
            return Err(BandsError::NotMonotonic {
                key: "change_failure_rate",
                expected: "maximum rates must not decrease from elite to medium",
                got: rates.map(|value| format!("{value}")).join(", "),
            });
        }
        let time_to_restore = validate_durations("time_to_restore", &spec.time_to_restore)?;
        Ok(Bands {
            name: "custom".to_string(),
            deployment_frequency: Scale::LowerBounds {
                elite: Edge::closed(frequency[0]),
                high: Edge::closed(frequency[1]),
                medium: Edge::closed(frequency[2]),
            },
            lead_time: upper_bounds(lead_time),
            change_failure_rate: upper_bounds(rates),
            time_to_restore: upper_bounds(time_to_restore),
            publication: None,
        })
    }

    /// The scale one metric is rated on.
    pub fn scale(&self, metric: Metric) -> &Scale {
        match metric {
            Metric::DeploymentFrequency => &self.deployment_frequency,
            Metric::LeadTime => &self.lead_time,
            Metric::ChangeFailureRate => &self.change_failure_rate,
            Metric::TimeToRestore => &self.time_to_restore,
        }
    }

    /// The tier of any rated metric's value, in the metric's unit ([`Metric::unit`]).
    pub fn rate(&self, metric: Metric, value: f64) -> Tier {
        self.scale(metric).rate(value)
    }

    /// The tier of a deployment frequency, in deployments per week.
    pub fn deployment_frequency(&self, per_week: f64) -> Tier {
        self.deployment_frequency.rate(per_week)
    }

    /// The tier of a median lead time for changes, in seconds.
    pub fn lead_time(&self, median_seconds: f64) -> Tier {
        self.lead_time.rate(median_seconds)
    }

    /// The tier of a change failure rate, a fraction in `0..=1`.
    pub fn change_failure_rate(&self, rate: f64) -> Tier {
        self.change_failure_rate.rate(rate)
    }

    /// The tier of a median time to restore (failed deployment recovery time), in seconds.
    pub fn time_to_restore(&self, median_seconds: f64) -> Tier {
        self.time_to_restore.rate(median_seconds)
    }

    /// Every metric and tier in words, metric by metric, best tier first: the published wording,
    /// Why a worse value can rate a better tier under these bands, citing the report: set when a
    /// metric's published point values are not in tier order (2024's change failure rate: high
    /// 20%, medium 10%), `None` otherwise. Shown beside every tier it applies to.
    pub fn non_monotonic_note(&self, metric: Metric) -> Option<String> {
        let scale = self.scale(metric);
        let Scale::Nearest { .. } = scale else {
            return None;
        };
        let points = scale.points();
        let (better, worse) = Tier::ALL
            .into_iter()
            .zip(Tier::ALL.into_iter().skip(1))
            .find(|(b, w)| points[b.index()] > points[w.index()])?;
        let source = self.publication.map_or_else(
            || format!("the {} bands", self.name),
            |p| format!("{}, {}", p.report, p.location),
        );
        Some(format!(
            "As published, {better} ({}) is a higher rate than {worse} ({}): a higher rate can \
             rate a better tier. Read the rate first. Source: {source}.",
            metric.format(points[better.index()]),
            metric.format(points[worse.index()]),
        ))
    }

    /// the threshold doraboard applies, and the citation.
    pub fn describe(&self) -> Vec<BandDescription> {
        let mut descriptions = Vec::with_capacity(16);
        for metric in Metric::ALL {
            let scale = self.scale(metric);
            let intervals = scale.intervals();
            for tier in Tier::ALL {
                let (from, to) = intervals[tier.index()];
                let mut threshold = describe_interval(metric, from, to);
                if let Scale::Nearest { .. } = scale {
                    let point = scale.points()[tier.index()];
                    threshold.push_str(&format!(
                        " (nearest published value: {})",
                        metric.format(point)
                    ));
                }
                let (published, note, citation) = match self.publication {
                    Some(publication) => {
                        let cell = &publication.cells[metric.index()][tier.index()];
                        let citation = Citation {
                            report: publication.report,
                            url: publication.url,
                            location: publication.location,
                            secondary: cell.secondary,
                            read_in: cell.read_in,
                        };
                        (cell.wording.to_string(), cell.note, Some(citation))
                    }
                    None => (custom_wording(metric, tier, from, to), None, None),
                };
                descriptions.push(BandDescription {
                    bands: self.name.clone(),
                    metric,
                    tier,
                    published,
                    threshold,
                    from,
                    to,
                    unit: metric.unit(),
                    note,
                    citation,
                });
            }
        }
        descriptions
    }
}

fn upper_bounds(bounds: [f64; 3]) -> Scale {
    Scale::UpperBounds {
        elite: Edge::closed(bounds[0]),
        high: Edge::closed(bounds[1]),
        medium: Edge::closed(bounds[2]),
    }
}

/// How a custom cell reads where a published one would quote the report.
fn custom_wording(metric: Metric, tier: Tier, from: Option<Edge>, to: Option<Edge>) -> String {
    let bound = match (metric, tier) {
        (_, Tier::Low) => return "custom: the rest".to_string(),
        (Metric::DeploymentFrequency, _) => {
            from.map(|edge| format!("at least {}", metric.format(edge.value)))
        }
        _ => to.map(|edge| format!("at most {}", metric.format(edge.value))),
    };
    format!("custom: {}", bound.unwrap_or_default())
}

fn validate_numbers(
    key: &'static str,
    values: &[f64; 3],
    valid: impl Fn(f64) -> bool,
    expected: &'static str,
) -> Result<[f64; 3], BandsError> {
    for (tier, &value) in Tier::ALL.iter().zip(values) {
        if !value.is_finite() || !valid(value) {
            return Err(BandsError::Value {
                key,
                tier: *tier,
                value,
                expected,
            });
        }
    }
    Ok(*values)
}

fn validate_durations(key: &'static str, values: &[String; 3]) -> Result<[f64; 3], BandsError> {
    let mut seconds = [0.0; 3];
    for (slot, text) in seconds.iter_mut().zip(values) {
        let duration =
            parse_duration(text).map_err(|reason| BandsError::Duration { key, reason })?;
        *slot = duration.num_seconds() as f64;
    }
    if !(seconds[0] <= seconds[1] && seconds[1] <= seconds[2]) {
        return Err(BandsError::NotMonotonic {
            key,
            expected: "maximum durations must not decrease from elite to medium",
            got: values.join(", "),
        });
    }
    Ok(seconds)
}

/// Custom bands from config: for each metric the bound of elite, high and medium (low = the rest).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomBands {
    /// Minimum deployments per week for elite, high and medium.
    pub deployment_frequency: [f64; 3],
    /// Maximum median lead times for elite, high and medium, like `"1h"`, `"1d"`, `"1w"`.
    pub lead_time: [String; 3],
    /// Maximum change failure rates (fractions of 1) for elite, high and medium.
    pub change_failure_rate: [f64; 3],
    /// Maximum median times to restore for elite, high and medium.
    pub time_to_restore: [String; 3],
}

/// Why custom bands were refused. Every message starts with the configuration key at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BandsError {
    /// A bound is not a duration.
    #[error("{}.{key}: {reason}", CUSTOM_KEY)]
    Duration { key: &'static str, reason: String },
    /// A bound is not a usable number.
    #[error("{}.{key}: the {tier} bound `{value}` is not {expected}", CUSTOM_KEY)]
    Value {
        key: &'static str,
        tier: Tier,
        value: f64,
        expected: &'static str,
    },
    /// The bounds get better from elite to medium.
    #[error("{}.{key}: {expected}, got [{got}]", CUSTOM_KEY)]
    NotMonotonic {
        key: &'static str,
        expected: &'static str,
        got: String,
    },
}

impl BandsError {
    /// The full configuration key at fault, e.g. `metrics.custom_tiers.lead_time`.
    pub fn key(&self) -> String {
        format!("{CUSTOM_KEY}.{}", self.field())
    }

    /// The metric at fault, the key below [`CUSTOM_KEY`]: `lead_time`.
    pub fn field(&self) -> &'static str {
        match self {
            BandsError::Duration { key, .. }
            | BandsError::Value { key, .. }
            | BandsError::NotMonotonic { key, .. } => key,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Durations
// ------------------------------------------------------------------------------------------------

/// A duration written as a whole number and a unit: `30s`, `30m`, `12h`, `7d`, `2w`.
///
/// The error says what was wrong without naming a key, so callers prefix their own
/// (`metrics.custom_tiers.lead_time: ...`).
pub fn parse_duration(s: &str) -> Result<chrono::Duration, String> {
    let invalid = || format!("`{s}` is not a duration (expected e.g. 30m, 12h, 7d, 2w)");
    let text = s.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(invalid());
    }
    let count: i64 = number.parse().map_err(|_| invalid())?;
    let unit_seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(invalid()),
    };
    count
        .checked_mul(unit_seconds)
        .and_then(chrono::Duration::try_seconds)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: f64 = 1.0;
    /// A nudge for deployments per week, far below any meaningful difference.
    const NUDGE: f64 = 1e-6;

    fn bands(version: &str) -> Bands {
        Bands::published(version).expect("a published table")
    }

    fn custom_spec() -> CustomBands {
        CustomBands {
            deployment_frequency: [7.0, 1.0, 0.25],
            lead_time: ["1h".into(), "1d".into(), "1w".into()],
            change_failure_rate: [0.05, 0.10, 0.20],
            time_to_restore: ["30m".into(), "4h".into(), "2d".into()],
        }
    }

    /// Asserts `rate(value) == tier` for each pair, naming the failing value.
    fn assert_tiers(rate: impl Fn(f64) -> Tier, cases: &[(f64, Tier)]) {
        for &(value, expected) in cases {
            assert_eq!(rate(value), expected, "value {value}");
        }
    }

    // --- Tier -----------------------------------------------------------------------------------

    #[test]
    fn tiers_sort_best_first_and_serialize_lowercase() {
        assert!(Tier::Elite < Tier::High && Tier::High < Tier::Medium && Tier::Medium < Tier::Low);
        assert_eq!(Tier::Medium.as_str(), "medium");
        assert_eq!(Tier::Elite.to_string(), "elite");
        assert_eq!(
            serde_json::to_string(&Tier::High).expect("serializes"),
            "\"high\""
        );
        let low: Tier = serde_json::from_str("\"low\"").expect("deserializes");
        assert_eq!(low, Tier::Low);
    }

    #[test]
    fn unit_constants_agree_with_each_other() {
        assert_eq!(MONTH_SECONDS, 2_620_800.0);
        assert_eq!(SIX_MONTHS_SECONDS, 15_724_800.0);
        assert_eq!(WEEK_SECONDS / MONTH_SECONDS, ONCE_PER_MONTH_PER_WEEK);
        assert_eq!(
            WEEK_SECONDS / SIX_MONTHS_SECONDS,
            ONCE_PER_SIX_MONTHS_PER_WEEK
        );
        assert_eq!(ONCE_PER_DAY_PER_WEEK, ON_DEMAND_PER_WEEK);
    }

    // --- Published tables -----------------------------------------------------------------------

    #[test]
    fn every_published_version_resolves_and_latest_is_2024() {
        for version in Bands::PUBLISHED {
            assert_eq!(bands(version).name, version);
        }
        assert_eq!(Bands::latest(), bands("2024"));
        assert_eq!(Bands::published("2022"), None);
        assert_eq!(Bands::published("custom"), None);
    }

    #[test]
    fn deployment_frequency_2021_boundaries() {
        let b = bands("2021");
        assert_tiers(
            |v| b.deployment_frequency(v),
            &[
                (50.0, Tier::Elite),
                (ON_DEMAND_PER_WEEK, Tier::Elite),
                // The gap between once per week and on demand goes to elite.
                (1.0 + NUDGE, Tier::Elite),
                (1.0, Tier::High),
                (1.0 - NUDGE, Tier::High),
                (ONCE_PER_MONTH_PER_WEEK + NUDGE, Tier::High),
                (ONCE_PER_MONTH_PER_WEEK, Tier::High),
                (ONCE_PER_MONTH_PER_WEEK - NUDGE, Tier::Medium),
                (ONCE_PER_SIX_MONTHS_PER_WEEK + NUDGE, Tier::Medium),
                (ONCE_PER_SIX_MONTHS_PER_WEEK, Tier::Medium),
                (ONCE_PER_SIX_MONTHS_PER_WEEK - NUDGE, Tier::Low),
                (0.0, Tier::Low),
            ],
        );
    }

    #[test]
    fn lead_time_2021_boundaries() {
        let b = bands("2021");
        assert_tiers(
            |v| b.lead_time(v),
            &[
                (0.0, Tier::Elite),
                (HOUR_SECONDS, Tier::Elite),
                (DAY_SECONDS - SECOND, Tier::Elite),
                (DAY_SECONDS, Tier::High),
                (DAY_SECONDS + SECOND, Tier::High),
                (WEEK_SECONDS, Tier::High),
                (WEEK_SECONDS + SECOND, Tier::High),
                (MONTH_SECONDS - SECOND, Tier::High),
                (MONTH_SECONDS, Tier::Medium),
                (MONTH_SECONDS + SECOND, Tier::Medium),
                (SIX_MONTHS_SECONDS - SECOND, Tier::Medium),
                (SIX_MONTHS_SECONDS, Tier::Medium),
                (SIX_MONTHS_SECONDS + SECOND, Tier::Low),
            ],
        );
    }

    #[test]
    fn change_failure_rate_2021_boundaries_never_rate_medium() {
        let b = bands("2021");
        assert_tiers(
            |v| b.change_failure_rate(v),
            &[
                (0.0, Tier::Elite),
                (0.15, Tier::Elite),
                (0.155, Tier::Elite),
                (0.16 - 1e-4, Tier::Elite),
                (4.0 / 25.0, Tier::High),
                (0.16 + 1e-4, Tier::High),
                (0.30 - 1e-4, Tier::High),
                (3.0 / 10.0, Tier::High),
                (0.30 + 1e-4, Tier::Low),
                (1.0, Tier::Low),
            ],
        );
        for step in 0..=1000 {
            assert_ne!(
                b.change_failure_rate(f64::from(step) / 1000.0),
                Tier::Medium
            );
        }
    }

    #[test]
    fn time_to_restore_2021_boundaries() {
        let b = bands("2021");
        assert_tiers(
            |v| b.time_to_restore(v),
            &[
                (0.0, Tier::Elite),
                (HOUR_SECONDS - SECOND, Tier::Elite),
                (HOUR_SECONDS, Tier::High),
                (HOUR_SECONDS + SECOND, Tier::High),
                (DAY_SECONDS - SECOND, Tier::High),
                (DAY_SECONDS, Tier::Medium),
                (DAY_SECONDS + SECOND, Tier::Medium),
                (WEEK_SECONDS, Tier::Medium),
                // The gap between one week and six months goes to medium.
                (WEEK_SECONDS + SECOND, Tier::Medium),
                (SIX_MONTHS_SECONDS - SECOND, Tier::Medium),
                (SIX_MONTHS_SECONDS, Tier::Medium),
                (SIX_MONTHS_SECONDS + SECOND, Tier::Low),
            ],
        );
    }

    #[test]
    fn deployment_frequency_2023_and_2024_boundaries() {
        for version in ["2023", "2024"] {
            let b = bands(version);
            assert_tiers(
                |v| b.deployment_frequency(v),
                &[
                    (ON_DEMAND_PER_WEEK + NUDGE, Tier::Elite),
                    (ON_DEMAND_PER_WEEK, Tier::Elite),
                    (ON_DEMAND_PER_WEEK - NUDGE, Tier::High),
                    (1.0 + NUDGE, Tier::High),
                    (1.0, Tier::High),
                    (1.0 - NUDGE, Tier::Medium),
                    (ONCE_PER_MONTH_PER_WEEK + NUDGE, Tier::Medium),
                    (ONCE_PER_MONTH_PER_WEEK, Tier::Medium),
                    (ONCE_PER_MONTH_PER_WEEK - NUDGE, Tier::Low),
                    (ONCE_PER_SIX_MONTHS_PER_WEEK, Tier::Low),
                    (0.0, Tier::Low),
                ],
            );
        }
    }

    #[test]
    fn lead_time_2023_and_2024_boundaries() {
        for version in ["2023", "2024"] {
            let b = bands(version);
            assert_tiers(
                |v| b.lead_time(v),
                &[
                    (0.0, Tier::Elite),
                    (DAY_SECONDS - SECOND, Tier::Elite),
                    (DAY_SECONDS, Tier::High),
                    (DAY_SECONDS + SECOND, Tier::High),
                    (WEEK_SECONDS - SECOND, Tier::High),
                    (WEEK_SECONDS, Tier::High),
                    (WEEK_SECONDS + SECOND, Tier::Medium),
                    (MONTH_SECONDS - SECOND, Tier::Medium),
                    (MONTH_SECONDS, Tier::Medium),
                    (MONTH_SECONDS + SECOND, Tier::Low),
                    (SIX_MONTHS_SECONDS, Tier::Low),
                    (SIX_MONTHS_SECONDS + SECOND, Tier::Low),
                ],
            );
        }
    }

    #[test]
    fn change_failure_rate_2023_nearest_published_value() {
        let b = bands("2023");
        assert_tiers(
            |v| b.change_failure_rate(v),
            &[
                (0.0, Tier::Elite),
                (0.05, Tier::Elite),
                (0.075, Tier::Elite), // halfway between 5% and 10%: the better tier
                (0.0751, Tier::High),
                (0.10, Tier::High),
                (0.125, Tier::High), // halfway between 10% and 15%
                (0.1251, Tier::Medium),
                (0.15, Tier::Medium),
                (0.395, Tier::Medium), // halfway between 15% and 64%
                (0.3951, Tier::Low),
                (0.64, Tier::Low),
                (1.0, Tier::Low),
            ],
        );
    }

    #[test]
    fn time_to_restore_2023_boundaries() {
        let b = bands("2023");
        assert_tiers(
            |v| b.time_to_restore(v),
            &[
                (0.0, Tier::Elite),
                (HOUR_SECONDS - SECOND, Tier::Elite),
                (HOUR_SECONDS, Tier::High),
                (DAY_SECONDS - SECOND, Tier::High),
                (DAY_SECONDS, Tier::Medium),
                (WEEK_SECONDS, Tier::Medium),
                // The gap between one week and one month goes to medium.
                (WEEK_SECONDS + SECOND, Tier::Medium),
                (MONTH_SECONDS - SECOND, Tier::Medium),
                (MONTH_SECONDS, Tier::Low),
                (SIX_MONTHS_SECONDS, Tier::Low),
                (SIX_MONTHS_SECONDS + SECOND, Tier::Low),
            ],
        );
    }

    #[test]
    fn change_failure_rate_2024_keeps_the_inverted_high_and_medium_values() {
        let b = bands("2024");
        assert_tiers(
            |v| b.change_failure_rate(v),
            &[
                (0.0, Tier::Elite),
                (0.05, Tier::Elite),
                (0.075, Tier::Elite), // halfway between elite's 5% and medium's 10%
                (0.0751, Tier::Medium),
                (0.10, Tier::Medium),
                (0.12, Tier::Medium),
                (0.1499, Tier::Medium),
                (3.0 / 20.0, Tier::High), // halfway between medium's 10% and high's 20%
                (0.16, Tier::High),
                (0.20, Tier::High),
                (0.30, Tier::High), // halfway between high's 20% and low's 40%
                (0.3001, Tier::Low),
                (0.40, Tier::Low),
                (1.0, Tier::Low),
            ],
        );
    }

    #[test]
    fn time_to_restore_2024_boundaries() {
        let b = bands("2024");
        assert_tiers(
            |v| b.time_to_restore(v),
            &[
                (0.0, Tier::Elite),
                (HOUR_SECONDS - SECOND, Tier::Elite),
                (HOUR_SECONDS, Tier::High),
                (HOUR_SECONDS + SECOND, Tier::High),
                (DAY_SECONDS - SECOND, Tier::High),
                // High and medium are both "less than one day": the gap up to a week is medium.
                (DAY_SECONDS, Tier::Medium),
                (DAY_SECONDS + SECOND, Tier::Medium),
                (WEEK_SECONDS - SECOND, Tier::Medium),
                (WEEK_SECONDS, Tier::Low),
                (WEEK_SECONDS + SECOND, Tier::Low),
                (MONTH_SECONDS, Tier::Low),
                (MONTH_SECONDS + SECOND, Tier::Low),
            ],
        );
    }

    #[test]
    fn nan_rates_low_on_every_scale() {
        for version in Bands::PUBLISHED {
            let b = bands(version);
            for metric in Metric::ALL {
                assert_eq!(b.rate(metric, f64::NAN), Tier::Low, "{version} {metric}");
            }
        }
    }

    // --- Descriptions ---------------------------------------------------------------------------

    #[test]
    fn only_a_column_out_of_tier_order_carries_a_note_citing_the_report() {
        let latest = Bands::published("2024").expect("2024");
        let note = latest
            .non_monotonic_note(Metric::ChangeFailureRate)
            .expect("2024's change failure rate is not monotonic");
        assert!(
            note.starts_with("As published, high (20%) is a higher rate than medium (10%)"),
            "{note}"
        );
        assert!(note.contains("Source: "), "{note}");
        assert_eq!(latest.non_monotonic_note(Metric::LeadTime), None);
        let monotonic = Bands::published("2023").expect("2023");
        assert_eq!(
            monotonic.non_monotonic_note(Metric::ChangeFailureRate),
            None
        );
    }

    #[test]
    fn every_published_cell_is_described_and_cited() {
        for version in Bands::PUBLISHED {
            let descriptions = bands(version).describe();
            assert_eq!(descriptions.len(), 16);
            for d in &descriptions {
                let citation = d.citation.expect("published cells are cited");
                assert!(!d.published.is_empty());
                assert!(citation.url.starts_with("https://dora.dev/research/"));
                assert!(
                    !citation.read_in.is_empty(),
                    "{version} {} {}",
                    d.metric,
                    d.tier
                );
                if !citation.secondary {
                    assert!(
                        citation
                            .read_in
                            .iter()
                            .any(|source| source.kind == SourceKind::Primary),
                        "a cell not marked secondary needs a primary source"
                    );
                }
            }
        }
    }

    #[test]
    fn descriptions_state_the_thresholds_used() {
        let find = |b: &Bands, metric: Metric, tier: Tier| {
            b.describe()
                .into_iter()
                .find(|d| d.metric == metric && d.tier == tier)
                .expect("described")
        };
        let b2024 = bands("2024");
        let medium = find(&b2024, Metric::ChangeFailureRate, Tier::Medium);
        assert_eq!(medium.published, "10%");
        assert_eq!(
            medium.threshold,
            "7.5% < rate < 15% (nearest published value: 10%)"
        );
        let high = find(&b2024, Metric::ChangeFailureRate, Tier::High);
        assert_eq!(
            high.threshold,
            "15% <= rate <= 30% (nearest published value: 20%)"
        );
        assert_eq!(
            find(&b2024, Metric::DeploymentFrequency, Tier::Elite).threshold,
            "5/week (one per working day) <= deployments per week"
        );
        assert_eq!(
            find(&b2024, Metric::LeadTime, Tier::High).threshold,
            "1d <= lead time <= 1w"
        );
        assert_eq!(
            find(&b2024, Metric::TimeToRestore, Tier::Low).threshold,
            "1w <= restore time"
        );
        let b2021 = bands("2021");
        assert_eq!(
            find(&b2021, Metric::ChangeFailureRate, Tier::Medium).threshold,
            "never assigned: no value falls in this band"
        );
        assert_eq!(
            find(&b2021, Metric::DeploymentFrequency, Tier::Medium).threshold,
            "2/52 per week (once every six months) <= deployments per week < 12/52 per week (once per month)"
        );
        assert_eq!(
            find(&b2021, Metric::LeadTime, Tier::Medium).threshold,
            "1 month (30.33d) <= lead time <= 6 months (26w)"
        );
    }

    /// The described intervals and the rating agree: every sampled value falls in the interval of
    /// the tier it is rated.
    #[test]
    fn described_intervals_contain_the_values_they_rate() {
        let mut all = Bands::PUBLISHED.map(bands).to_vec();
        all.push(Bands::custom(&custom_spec()).expect("valid"));
        let contains = |from: Option<Edge>, to: Option<Edge>, v: f64| {
            from.is_none_or(|edge| edge.admits_above(v))
                && to.is_none_or(|edge| edge.admits_below(v))
        };
        for b in &all {
            let descriptions = b.describe();
            for metric in Metric::ALL {
                let samples: Vec<f64> = match metric {
                    Metric::DeploymentFrequency => {
                        (0..=2000).map(|i| f64::from(i) / 100.0).collect()
                    }
                    Metric::ChangeFailureRate => {
                        (0..=1000).map(|i| f64::from(i) / 1000.0).collect()
                    }
                    Metric::LeadTime | Metric::TimeToRestore => (0..=400)
                        .map(|i| f64::from(i) * 43_200.0)
                        .chain([HOUR_SECONDS, DAY_SECONDS, WEEK_SECONDS, MONTH_SECONDS])
                        .collect(),
                };
                for v in samples {
                    let tier = b.rate(metric, v);
                    let d = descriptions
                        .iter()
                        .find(|d| d.metric == metric && d.tier == tier)
                        .expect("described");
                    assert!(
                        contains(d.from, d.to, v),
                        "{} {metric}: {v} rated {tier} but outside {}",
                        b.name,
                        d.threshold
                    );
                }
            }
        }
    }

    #[test]
    fn bands_serialize_with_their_rules() {
        let json = serde_json::to_value(bands("2024")).expect("serializes");
        assert_eq!(json["name"], "2024");
        assert_eq!(json["change_failure_rate"]["rule"], "nearest");
        assert_eq!(json["change_failure_rate"]["high"], 0.20);
        assert_eq!(json["lead_time"]["rule"], "upper_bounds");
        assert_eq!(json["lead_time"]["elite"]["value"], DAY_SECONDS);
        assert_eq!(json["lead_time"]["elite"]["inclusive"], false);
        assert_eq!(json["deployment_frequency"]["rule"], "lower_bounds");
    }

    // --- Custom bands ---------------------------------------------------------------------------

    #[test]
    fn custom_bands_are_inclusive_on_the_better_side() {
        let b = Bands::custom(&custom_spec()).expect("valid");
        assert_eq!(b.name, "custom");
        assert_tiers(
            |v| b.deployment_frequency(v),
            &[
                (7.0, Tier::Elite),
                (7.0 - NUDGE, Tier::High),
                (1.0, Tier::High),
                (1.0 - NUDGE, Tier::Medium),
                (0.25, Tier::Medium),
                (0.25 - NUDGE, Tier::Low),
            ],
        );
        assert_tiers(
            |v| b.lead_time(v),
            &[
                (HOUR_SECONDS, Tier::Elite),
                (HOUR_SECONDS + SECOND, Tier::High),
                (DAY_SECONDS, Tier::High),
                (DAY_SECONDS + SECOND, Tier::Medium),
                (WEEK_SECONDS, Tier::Medium),
                (WEEK_SECONDS + SECOND, Tier::Low),
            ],
        );
        assert_tiers(
            |v| b.change_failure_rate(v),
            &[
                (0.05, Tier::Elite),
                (0.0501, Tier::High),
                (0.10, Tier::High),
                (0.1001, Tier::Medium),
                (0.20, Tier::Medium),
                (0.2001, Tier::Low),
            ],
        );
        assert_tiers(
            |v| b.time_to_restore(v),
            &[
                (1_800.0, Tier::Elite),
                (1_801.0, Tier::High),
                (4.0 * HOUR_SECONDS, Tier::High),
                (4.0 * HOUR_SECONDS + SECOND, Tier::Medium),
                (2.0 * DAY_SECONDS, Tier::Medium),
                (2.0 * DAY_SECONDS + SECOND, Tier::Low),
            ],
        );
        let described = b.describe();
        assert!(described.iter().all(|d| d.citation.is_none()));
        assert_eq!(described[0].published, "custom: at least 7/week");
        assert_eq!(described[5].published, "custom: at most 1d");
        assert_eq!(described[3].published, "custom: the rest");
    }

    #[test]
    fn custom_bands_allow_equal_bounds() {
        let mut spec = custom_spec();
        spec.lead_time = ["1d".into(), "1d".into(), "1w".into()];
        let b = Bands::custom(&spec).expect("equal bounds leave high empty but are allowed");
        assert_eq!(b.lead_time(DAY_SECONDS), Tier::Elite);
        assert_eq!(b.lead_time(DAY_SECONDS + SECOND), Tier::Medium);
    }

    #[test]
    fn custom_bands_name_the_key_of_a_bad_duration() {
        let mut spec = custom_spec();
        spec.lead_time[1] = "2x".into();
        let error = Bands::custom(&spec).expect_err("invalid");
        assert_eq!(
            error.to_string(),
            "metrics.custom_tiers.lead_time: `2x` is not a duration (expected e.g. 30m, 12h, 7d, 2w)"
        );
        assert_eq!(error.key(), "metrics.custom_tiers.lead_time");
        assert_eq!(error.field(), "lead_time");

        let mut spec = custom_spec();
        spec.time_to_restore[2] = "".into();
        let error = Bands::custom(&spec).expect_err("invalid");
        assert_eq!(
            error.to_string(),
            "metrics.custom_tiers.time_to_restore: `` is not a duration (expected e.g. 30m, 12h, 7d, 2w)"
        );
    }

    #[test]
    fn custom_bands_name_the_key_of_bounds_out_of_order() {
        let mut spec = custom_spec();
        spec.lead_time = ["1w".into(), "1d".into(), "30d".into()];
        assert_eq!(
            Bands::custom(&spec).expect_err("invalid").to_string(),
            "metrics.custom_tiers.lead_time: maximum durations must not decrease from elite to medium, \
             got [1w, 1d, 30d]"
        );

        let mut spec = custom_spec();
        spec.time_to_restore = ["1h".into(), "1d".into(), "12h".into()];
        assert_eq!(
            Bands::custom(&spec).expect_err("invalid").key(),
            "metrics.custom_tiers.time_to_restore"
        );

        let mut spec = custom_spec();
        spec.deployment_frequency = [1.0, 5.0, 0.25];
        assert_eq!(
            Bands::custom(&spec).expect_err("invalid").to_string(),
            "metrics.custom_tiers.deployment_frequency: minimum deployments per week must not increase \
             from elite to medium, got [1, 5, 0.25]"
        );

        let mut spec = custom_spec();
        spec.change_failure_rate = [0.15, 0.10, 0.30];
        assert_eq!(
            Bands::custom(&spec).expect_err("invalid").to_string(),
            "metrics.custom_tiers.change_failure_rate: maximum rates must not decrease from elite to \
             medium, got [0.15, 0.1, 0.3]"
        );
    }

    #[test]
    fn custom_bands_name_the_key_and_tier_of_a_bad_number() {
        let mut spec = custom_spec();
        spec.change_failure_rate = [5.0, 10.0, 15.0];
        assert_eq!(
            Bands::custom(&spec).expect_err("invalid").to_string(),
            "metrics.custom_tiers.change_failure_rate: the elite bound `5` is not a rate (expected a \
             fraction between 0 and 1, e.g. 0.15 for 15%)"
        );

        let mut spec = custom_spec();
        spec.deployment_frequency = [7.0, -1.0, 0.25];
        assert_eq!(
            Bands::custom(&spec).expect_err("invalid").to_string(),
            "metrics.custom_tiers.deployment_frequency: the high bound `-1` is not a number of \
             deployments per week (expected a finite number >= 0)"
        );

        let mut spec = custom_spec();
        spec.deployment_frequency = [7.0, 1.0, f64::NAN];
        let error = Bands::custom(&spec).expect_err("invalid");
        assert_eq!(error.key(), "metrics.custom_tiers.deployment_frequency");
        assert!(error.to_string().contains("the medium bound `NaN`"));
    }

    #[test]
    fn custom_bands_deserialize_from_toml_and_refuse_unknown_keys() {
        let spec: CustomBands = toml::from_str(
            r#"
            deployment_frequency = [7, 1, 0.25]
            lead_time = ["1h", "1d", "1w"]
            change_failure_rate = [0.05, 0.10, 0.20]
            time_to_restore = ["30m", "4h", "2d"]
            "#,
        )
        .expect("valid TOML");
        assert_eq!(spec, custom_spec());

        let unknown = toml::from_str::<CustomBands>(
            r#"
            deployment_frequency = [7, 1, 0.25]
            lead_time = ["1h", "1d", "1w"]
            change_failure_rate = [0.05, 0.10, 0.20]
            time_to_restore = ["30m", "4h", "2d"]
            rework_rate = [0.01, 0.02, 0.03]
            "#,
        );
        assert!(unknown.is_err());
        let short = toml::from_str::<CustomBands>(
            r#"
            deployment_frequency = [7, 1]
            lead_time = ["1h", "1d", "1w"]
            change_failure_rate = [0.05, 0.10, 0.20]
            time_to_restore = ["30m", "4h", "2d"]
            "#,
        );
        assert!(short.is_err());
    }

    // --- parse_duration -------------------------------------------------------------------------

    #[test]
    fn parse_duration_reads_every_unit() {
        let seconds = |text: &str| parse_duration(text).expect("valid").num_seconds();
        assert_eq!(seconds("30s"), 30);
        assert_eq!(seconds("30m"), 1_800);
        assert_eq!(seconds("12h"), 43_200);
        assert_eq!(seconds("7d"), 604_800);
        assert_eq!(seconds("2w"), 1_209_600);
        assert_eq!(seconds("0s"), 0);
        assert_eq!(seconds(" 1d "), 86_400);
    }

    #[test]
    fn parse_duration_refuses_what_it_cannot_read() {
        for text in [
            "2x",
            "",
            "h",
            "12",
            "1.5h",
            "-1h",
            "1 h",
            "1H",
            "1d2h",
            "1hour",
            "99999999999999999999w",
            "9999999999999999w",
        ] {
            assert_eq!(
                parse_duration(text),
                Err(format!(
                    "`{text}` is not a duration (expected e.g. 30m, 12h, 7d, 2w)"
                )),
                "{text:?}"
            );
        }
    }
}
