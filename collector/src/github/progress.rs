//! Progress bars for `doraboard collect` on a terminal: one line per repository, showing what it
//! has stored so far, then its outcome.

use crate::sync::{RepoReport, SyncObserver};
use engine::model::RepoSlug;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// A [`SyncObserver`] drawing a spinner per repository on stderr.
pub struct ProgressBars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, (ProgressBar, u64)>>,
}

impl ProgressBars {
    pub fn new(repos: &[RepoSlug]) -> ProgressBars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {prefix:<32} {wide_msg} {elapsed:>4}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let width = repos.iter().map(|r| r.to_string().len()).max().unwrap_or(0);
        let bars = repos
            .iter()
            .map(|repo| {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(style.clone());
                bar.set_prefix(format!("{:width$}", repo.to_string()));
                bar.set_message("waiting");
                (repo.to_string(), (bar, 0))
            })
            .collect();
        ProgressBars {
            multi,
            bars: Mutex::new(bars),
        }
    }

    /// Clears the bars (the summary follows).
    pub fn finish(&self) {
        let _ = self.multi.clear();
    }
}

impl SyncObserver for ProgressBars {
    fn repo_started(&self, repo: &RepoSlug) {
        let bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((bar, _)) = bars.get(&repo.to_string()) {
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message("syncing");
        }
    }

    fn advanced(&self, repo: &RepoSlug, what: &str, records: u64) {
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((bar, total)) = bars.get_mut(&repo.to_string()) {
            *total += records;
            bar.set_message(format!("{total} records stored ({what})"));
        }
    }

    fn repo_finished(&self, report: &RepoReport) {
        let bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((bar, _)) = bars.get(&report.repo) {
            let message = match &report.error {
                None => format!(
                    "done: {} records, {} requests ({} not modified)",
                    report.records(),
                    report.requests,
                    report.not_modified
                ),
                Some(e) => format!("FAILED: {e}"),
            };
            bar.finish_with_message(message);
        }
    }
}
