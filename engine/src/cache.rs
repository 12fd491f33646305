//! Recently computed metrics reports, reused while the data they were computed from is unchanged.
//!
//! An entry is keyed by the store, the question (scope, period, bucket) and every setting that
//! shapes the answer, and it remembers the store's data version when it was made: every write
//! bumps that version, so an entry is served only while no write has happened since. Checking
//! costs one single-row read, which keeps several API replicas on one PostgreSQL consistent.

use crate::metrics::MetricsReport;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

/// How many reports are kept; the oldest goes first.
const CAPACITY: usize = 512;

/// Which report an entry holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportKey {
    pub store: u64,
    /// The question and the settings behind it, rendered to text.
    pub question: String,
}

#[derive(Default)]
struct Entries {
    reports: HashMap<ReportKey, (i64, Arc<MetricsReport>)>,
    order: VecDeque<ReportKey>,
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
        .filter(|(made_at, _)| *made_at == version)
        .map(|(_, report)| Arc::clone(report))
}

/// Keeps `report`, made at `version`, for `key`.
pub fn put(key: ReportKey, version: i64, report: Arc<MetricsReport>) {
    let Ok(mut entries) = entries().lock() else {
        return;
    };
    if entries
        .reports
        .insert(key.clone(), (version, report))
        .is_none()
    {
        entries.order.push_back(key);
    }
    while entries.order.len() > CAPACITY {
        if let Some(oldest) = entries.order.pop_front() {
            entries.reports.remove(&oldest);
        }
    }
}
