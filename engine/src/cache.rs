//! Recently computed metrics reports, reused while the data they were computed from is unchanged.
//!
//! An entry is keyed by the store, the question (scope, period, bucket) and every setting that
//! shapes the answer, and it remembers the version of its scope's data when it was made (see
//! [`crate::freshness`]): a write to a repository moves only the versions of the scopes holding
//! it, so every other scope's entries stay valid. The entries are bounded by their size in
//! memory; the oldest go first.

use crate::metrics::MetricsReport;
use std::collections::{HashMap, VecDeque};
use std::mem::size_of;
use std::sync::{Arc, Mutex, OnceLock};

/// How much memory the kept reports may take, roughly (a one-year weekly report takes about
/// 25 KB, so this keeps about 2,500 of them).
const CAPACITY_BYTES: usize = 64 * 1024 * 1024;

/// Which report an entry holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportKey {
    pub store: u64,
    /// The question and the settings behind it, rendered to text.
    pub question: String,
}

struct Entry {
    version: i64,
    report: Arc<MetricsReport>,
    bytes: usize,
}

#[derive(Default)]
struct Entries {
    reports: HashMap<ReportKey, Entry>,
    order: VecDeque<ReportKey>,
    bytes: usize,
}

fn entries() -> &'static Mutex<Entries> {
    static ENTRIES: OnceLock<Mutex<Entries>> = OnceLock::new();
    ENTRIES.get_or_init(Mutex::default)
}

/// The report stored for `key`, if it was made at `version`.
pub fn get(key: &ReportKey, version: i64) -> Option<Arc<MetricsReport>> {
    let entries = entries().lock().ok()?;
    entries
        .reports
        .get(key)
        .filter(|entry| entry.version == version)
        .map(|entry| Arc::clone(&entry.report))
}

/// Keeps `report`, made at `version`, for `key`; drops the oldest entries beyond the capacity.
pub fn put(key: ReportKey, version: i64, report: Arc<MetricsReport>) {
    let Ok(mut entries) = entries().lock() else {
        return;
    };
    let bytes = report_bytes(&report) + key.question.len() + size_of::<(ReportKey, Entry)>();
    let entry = Entry {
        version,
        report,
        bytes,
    };
    entries.bytes += bytes;
    match entries.reports.insert(key.clone(), entry) {
        Some(replaced) => entries.bytes -= replaced.bytes,
        None => entries.order.push_back(key),
    }
    while entries.bytes > CAPACITY_BYTES {
        let Some(oldest) = entries.order.pop_front() else {
            break;
        };
        if let Some(dropped) = entries.reports.remove(&oldest) {
            entries.bytes -= dropped.bytes;
        }
    }
}

/// Roughly how much memory a report takes: its fields, its series and its previous figures.
pub fn report_bytes(r: &MetricsReport) -> usize {
    size_of::<MetricsReport>()
        + r.name.len()
        + r.time_zone.len()
        + r.tiers.len()
        + r.team.as_ref().map_or(0, String::len)
        + r.deployment_frequency.series.capacity() * size_of::<crate::metrics::FrequencyPoint>()
        + r.lead_time.series.capacity() * size_of::<crate::metrics::LeadTimePoint>()
        + r.change_failure_rate.series.capacity() * size_of::<crate::metrics::RatePoint>()
        + r.time_to_restore.series.capacity() * size_of::<crate::metrics::RestorePoint>()
        + r.rework_rate.series.capacity() * size_of::<crate::metrics::RatePoint>()
        + size_of::<crate::metrics::DeploymentFrequency>()
        + size_of::<crate::metrics::LeadTime>()
        + size_of::<crate::metrics::ChangeFailureRate>()
        + size_of::<crate::metrics::TimeToRestore>()
        + size_of::<crate::metrics::ReworkRate>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::NoiseFilters;
    use crate::metrics::rows::FactView;
    use crate::metrics::{MetricsRequest, ScopeLabel, compute_view};
    use crate::period::{Bucket, Period};
    use crate::tiers::Bands;

    fn report(bucket: Option<Bucket>) -> MetricsReport {
        let day = |s| Period::parse_date(s).expect("date");
        let bands = Bands::published("2024").expect("bands");
        let request = MetricsRequest {
            period: Period::new(day("2025-01-01"), day("2026-01-01")).expect("period"),
            bucket,
            time_zone: chrono_tz::UTC,
            bands: &bands,
            filters: &NoiseFilters::default(),
            small_sample: 10,
            phases_per_bucket: false,
            benchmark: crate::score::Benchmark::standard(),
        };
        let label = ScopeLabel {
            team: None,
            name: "Organisation".into(),
            kind: "organisation".into(),
        };
        compute_view(&FactView::default(), label, &request)
    }

    #[test]
    fn a_report_weighs_more_with_a_series() {
        let (weekly, bare) = (report(Some(Bucket::Week)), report(None));
        assert!(report_bytes(&weekly) >= report_bytes(&bare) + 53 * 5 * 32);
    }

    #[test]
    fn entries_beyond_the_capacity_are_dropped_oldest_first() {
        let report = Arc::new(report(Some(Bucket::Week)));
        let fits = CAPACITY_BYTES / report_bytes(&report);
        let key = |i: usize| ReportKey {
            store: u64::MAX,
            question: format!("q{i}"),
        };
        for i in 0..=fits {
            put(key(i), 1, Arc::clone(&report));
        }
        assert!(get(&key(0), 1).is_none(), "the oldest entry went first");
        assert!(get(&key(fits), 1).is_some(), "the newest stays");
        assert!(
            get(&key(fits), 2).is_none(),
            "an entry of another version is stale"
        );
    }
}
