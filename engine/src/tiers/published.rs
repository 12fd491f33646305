//! The published tables (2021, 2023 and 2024 State of DevOps reports), cell by cell, with the
//! documents each cell was read in.

use super::units::*;
use super::{Bands, Edge, Scale};
use serde::Serialize;

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

/// One cell of a published table.
#[derive(Debug)]
pub(super) struct Cell {
    pub(super) wording: &'static str,
    pub(super) note: Option<&'static str>,
    pub(super) read_in: &'static [Source],
    pub(super) secondary: bool,
}

/// A published table: the report, its thresholds and its cells, by metric (in
/// [`MetricKey::RATED`](crate::metric_key::MetricKey::RATED) order) then tier.
#[derive(Debug)]
pub(super) struct Publication {
    pub(super) version: &'static str,
    pub(super) report: &'static str,
    pub(super) url: &'static str,
    pub(super) location: &'static str,
    pub(super) scales: [Scale; 4],
    pub(super) cells: [[Cell; 4]; 4],
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
}
