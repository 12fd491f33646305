//! (in progress)
pub mod facts;
