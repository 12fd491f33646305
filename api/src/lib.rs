//! doraboard's HTTP side: the JSON API under `/api/v1`, health and the dashboard.
//!
//! - [`routes`]: the router, one handler per route of the interface contract;
//! - [`error`]: the one error type handlers return, and the status each variant answers;
//! - [`params`]: query parameters parsed into validated types before they reach the engine;
//! - [`server`]: binding, request tracing and graceful shutdown.

pub mod error;
pub mod params;
pub mod routes;
pub mod server;

pub use server::{AppState, serve};
