//! The end-to-end tests, compiled into one binary: each former test file is a module here, and
//! the helpers they share are modules of this crate. One binary links the product once instead
//! of once per file, which is most of a test run's time on a small machine.
//!
//! Tests run on threads of one process: whatever is process-wide (the global sync runner) is
//! taken through [`support::process_wide_sync`] by the tests that start it or read it.

// Declared first: the `on_both_backends!` macro is visible to the modules declared after it.
#[macro_use]
mod support;
mod events_support;
#[path = "../fake_github/mod.rs"]
mod fake_github;

mod annotations_api;
mod api_server;
mod browser_dashboard;
mod cdevents_api;
mod charts_api;
mod charts_snapshots;
mod cli;
mod conformance;
mod demo;
mod derivation_queue;
mod digest;
mod events_api;
mod events_backpressure;
mod events_import;
mod events_replay;
mod events_serve;
mod events_store;
mod exports_api;
mod github_branching;
mod github_cli;
mod github_health;
mod github_sync;
mod github_webhooks;
mod pagerduty_webhooks;
mod read_protection;
mod report_page;
mod report_words;
