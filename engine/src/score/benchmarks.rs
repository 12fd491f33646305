//! The Quick Check's benchmark tables (DORA, dora.dev Quick Check benchmarks, CC BY 4.0), embedded
//! from `engine/data/dora-quick-check/` and read so that every figure means "10 is best".
//!
//! The files store change fail rate, rework and instability before inversion, and the 2025
//! organisation-size file stores failed deployment recovery time inverted too (its "all
//! organizations" row reads 2.6 where the industry file's "all industries", the same respondents,
//! reads 7.4, and that file's own throughput mean, 6, is the mean of 5.5, 4.8 and 7.4, not of 5.5,
//! 4.8 and 2.6). [`Benchmark`] holds the figures after those inversions; the overall mean is the
//! mean of the metric means, as the Quick Check recomputes it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

/// The attribution every view shows beside a benchmark.
pub const SOURCE: &str = "DORA, dora.dev Quick Check benchmarks (CC BY 4.0)";

/// The editions the data holds, oldest first; the last is the default.
pub const EDITIONS: [u16; 2] = [2024, 2025];

/// The default benchmark: every respondent of the latest edition.
pub const DEFAULT_BENCHMARK: &str = "industry:all";

/// What a benchmark compares with: respondents of one industry or of one organisation size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grouping {
    Industry,
    OrganizationSize,
}

impl Grouping {
    pub const ALL: [Grouping; 2] = [Grouping::Industry, Grouping::OrganizationSize];

    /// The prefix in `metrics.benchmark`.
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Industry => "industry",
            Grouping::OrganizationSize => "organization_size",
        }
    }
}

/// A mean and a standard deviation of 0-10 scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stat {
    pub mean: f64,
    pub std: f64,
}

impl Stat {
    /// The same spread around the other end of the scale: `10 - mean`.
    fn inverted(self) -> Stat {
        Stat {
            mean: 10.0 - self.mean,
            std: self.std,
        }
    }
}

/// The benchmark figures of each metric, by its metrics JSON key.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MetricStats {
    pub deployment_frequency: Stat,
    pub lead_time: Stat,
    pub change_failure_rate: Stat,
    pub time_to_restore: Stat,
    /// Not in the 2024 edition.
    pub rework_rate: Option<Stat>,
}

/// One benchmark: who it describes and their scores, 10 best throughout.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Benchmark {
    /// As `metrics.benchmark` names it: `industry:consumer`, `organization_size:fewer_than_1000`.
    pub id: String,
    /// The Quick Check's name of the group: "Retail/Consumer/e-Commerce".
    pub name: String,
    pub edition: u16,
    /// The attribution: "DORA, dora.dev Quick Check benchmarks (CC BY 4.0)".
    pub source: String,
    /// The mean of the metric means, with the published deviation of the overall average.
    pub overall: Stat,
    /// Software delivery throughput; not published in the 2024 edition.
    pub throughput: Option<Stat>,
    /// Software delivery stability (10 minus the published instability); not in 2024.
    pub stability: Option<Stat>,
    pub metrics: MetricStats,
    /// Where the scope stands against this benchmark; set on a [`super::DoraScore`]'s copy.
    pub standing: Option<Standing>,
}

/// How far the scope's scores are from the benchmark's means, in its standard deviations.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Standing {
    /// (overall score - mean) / standard deviation; `None` without an overall score.
    pub overall: Option<f64>,
    pub throughput: Option<f64>,
    pub stability: Option<f64>,
    /// "1.1 standard deviations above Retail/Consumer/e-Commerce"; `None` without an overall
    /// score.
    pub text: Option<String>,
}

/// A `metrics.benchmark` the data does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BenchmarkError {
    #[error("expected `industry:KEY` or `organization_size:KEY`, found `{0}`")]
    Shape(String),
    #[error("edition {edition} has no benchmark `{id}`; expected one of {known}")]
    Unknown {
        id: String,
        edition: u16,
        known: String,
    },
    #[error("no edition {0} of the Quick Check benchmarks; expected 2024 or 2025")]
    Edition(u16),
}

impl Benchmark {
    /// The benchmark `id` (`industry:consumer`) of `edition`.
    pub fn find(id: &str, edition: u16) -> Result<&'static Benchmark, BenchmarkError> {
        let (grouping, key) = parse_id(id)?;
        let table = TABLES
            .get(&(edition, grouping))
            .ok_or(BenchmarkError::Edition(edition))?;
        table.get(key).ok_or_else(|| BenchmarkError::Unknown {
            id: id.to_string(),
            edition,
            known: table
                .keys()
                .map(|k| format!("`{}:{k}`", grouping.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The default: all industries, latest edition.
    pub fn standard() -> &'static Benchmark {
        let latest = EDITIONS[EDITIONS.len() - 1];
        Benchmark::find(DEFAULT_BENCHMARK, latest)
            .unwrap_or_else(|e| unreachable!("the embedded data holds the default benchmark: {e}"))
    }
}

fn parse_id(id: &str) -> Result<(Grouping, &str), BenchmarkError> {
    let shape = || BenchmarkError::Shape(id.to_string());
    let (prefix, key) = id.split_once(':').ok_or_else(shape)?;
    let grouping = Grouping::ALL
        .into_iter()
        .find(|g| g.as_str() == prefix)
        .ok_or_else(shape)?;
    Ok((grouping, key))
}

impl fmt::Display for Benchmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.edition)
    }
}

/// One row of a benchmark file, as stored.
#[derive(Deserialize)]
struct Row {
    name: String,
    performance_average: Stat,
    software_delivery_throughput: Option<Stat>,
    software_delivery_instability: Option<Stat>,
    leadtime: Stat,
    deployfreq: Stat,
    changefailure: Stat,
    failurerecovery: Stat,
    rework: Option<Stat>,
}

/// A file and how it is stored: whether its `failurerecovery` is inverted (see the module doc).
struct File {
    edition: u16,
    grouping: Grouping,
    json: &'static str,
    recovery_inverted: bool,
}

const FILES: [File; 4] = [
    File {
        edition: 2024,
        grouping: Grouping::Industry,
        json: include_str!("../../data/dora-quick-check/editions/2024/industry_metrics.json"),
        recovery_inverted: false,
    },
    File {
        edition: 2024,
        grouping: Grouping::OrganizationSize,
        json: include_str!(
            "../../data/dora-quick-check/editions/2024/organization_size_metrics.json"
        ),
        recovery_inverted: false,
    },
    File {
        edition: 2025,
        grouping: Grouping::Industry,
        json: include_str!("../../data/dora-quick-check/editions/2025/industry_metrics.json"),
        recovery_inverted: false,
    },
    File {
        edition: 2025,
        grouping: Grouping::OrganizationSize,
        json: include_str!(
            "../../data/dora-quick-check/editions/2025/organization_size_metrics.json"
        ),
        recovery_inverted: true,
    },
];

type Tables = BTreeMap<(u16, Grouping), BTreeMap<String, Benchmark>>;

/// Every benchmark, by edition and grouping, then by key. The files are part of the build and a
/// test reads every one, so a file that does not parse fails the tests, not a user.
static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|file| {
            let rows: BTreeMap<String, Row> = serde_json::from_str(file.json).unwrap_or_default();
            let table = rows
                .into_iter()
                .map(|(key, row)| {
                    let id = format!("{}:{key}", file.grouping.as_str());
                    (key, benchmark(id, file, row))
                })
                .collect();
            ((file.edition, file.grouping), table)
        })
        .collect()
});

/// A stored row read "10 is best" throughout.
fn benchmark(id: String, file: &File, row: Row) -> Benchmark {
    let recovery = if file.recovery_inverted {
        row.failurerecovery.inverted()
    } else {
        row.failurerecovery
    };
    let metrics = MetricStats {
        deployment_frequency: row.deployfreq,
        lead_time: row.leadtime,
        change_failure_rate: row.changefailure.inverted(),
        time_to_restore: recovery,
        rework_rate: row.rework.map(Stat::inverted),
    };
    let means: Vec<f64> = [
        Some(metrics.lead_time),
        Some(metrics.deployment_frequency),
        Some(metrics.time_to_restore),
        Some(metrics.change_failure_rate),
        metrics.rework_rate,
    ]
    .into_iter()
    .flatten()
    .map(|s| s.mean)
    .collect();
    Benchmark {
        id,
        name: row.name,
        edition: file.edition,
        source: SOURCE.to_string(),
        overall: Stat {
            mean: means.iter().sum::<f64>() / means.len() as f64,
            std: row.performance_average.std,
        },
        throughput: row.software_delivery_throughput,
        stability: row.software_delivery_instability.map(Stat::inverted),
        metrics,
        standing: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn every_file_parses_into_a_table_with_all() {
        for file in &FILES {
            let table = &TABLES[&(file.edition, file.grouping)];
            assert!(table.len() > 5, "{} {:?}", file.edition, file.grouping);
            assert!(table.contains_key("all"));
        }
    }

    // The Quick Check's own expectations, from `data-service.test.ts` in dora-team/dora.dev
    // (commit fcaf07b4): "should load 2024 industry metrics" and "should load 2025 industry
    // metrics and transform them correctly".
    #[test]
    fn the_quick_checks_own_loading_expectations() {
        let all_2024 = Benchmark::find("industry:all", 2024).expect("2024");
        assert_eq!(all_2024.name, "All industries");
        assert_eq!(all_2024.metrics.rework_rate, None);

        let all = Benchmark::find("industry:all", 2025).expect("2025");
        assert_eq!(all.name, "All industries");
        let rework = all.metrics.rework_rate.expect("rework in 2025");
        assert!(close(all.metrics.change_failure_rate.mean, 8.1));
        assert!(close(rework.mean, 7.8));
        assert!(close(all.stability.expect("stability").mean, 7.9));
        // (5.5 + 4.8 + 7.4 + 8.1 + 7.8) / 5
        assert!(close(all.overall.mean, 6.72));
    }

    #[test]
    fn the_organisation_size_files_recovery_time_is_read_the_right_way_up() {
        // The same respondents as all industries: every metric agrees once read right.
        let industries = Benchmark::find("industry:all", 2025).expect("industries");
        let sizes = Benchmark::find("organization_size:all", 2025).expect("sizes");
        assert!(close(sizes.metrics.time_to_restore.mean, 7.4));
        assert_eq!(sizes.metrics, industries.metrics);
        assert!(close(sizes.overall.mean, industries.overall.mean));
        // The 2024 file was stored the right way up: it agrees without a correction.
        let industries = Benchmark::find("industry:all", 2024).expect("industries");
        let sizes = Benchmark::find("organization_size:all", 2024).expect("sizes");
        assert_eq!(sizes.metrics, industries.metrics);
    }

    #[test]
    fn a_consumer_benchmark_of_2025() {
        let b = Benchmark::find("industry:consumer", 2025).expect("consumer");
        assert_eq!(b.name, "Retail/Consumer/e-Commerce");
        // (5.9 + 5.3 + 7.8 + (10 - 1.7) + (10 - 2.0)) / 5
        assert!(close(b.overall.mean, 7.06));
        assert!(close(b.overall.std, 1.1));
        assert_eq!(
            b.throughput,
            Some(Stat {
                mean: 6.3,
                std: 2.0
            })
        );
        assert!(close(b.stability.expect("stability").mean, 8.2));
    }

    #[test]
    fn an_unknown_benchmark_names_the_known_ones() {
        let e = Benchmark::find("industry:mining", 2025).expect_err("unknown");
        let text = e.to_string();
        assert!(text.contains("`industry:mining`"), "{text}");
        assert!(text.contains("`industry:consumer`"), "{text}");
        assert_eq!(
            Benchmark::find("consumer", 2025),
            Err(BenchmarkError::Shape("consumer".into()))
        );
        assert_eq!(
            Benchmark::find("industry:all", 2023),
            Err(BenchmarkError::Edition(2023))
        );
        // The sizes differ between editions.
        assert!(Benchmark::find("organization_size:solo", 2025).is_ok());
        assert!(Benchmark::find("organization_size:solo", 2024).is_err());
    }

    #[test]
    fn the_default_is_all_industries_of_2025() {
        let b = Benchmark::standard();
        assert_eq!((b.id.as_str(), b.edition), ("industry:all", 2025));
    }
}
