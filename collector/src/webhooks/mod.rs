//! Webhook deliveries from source platforms, verified and normalized with the same functions as
//! the pollers so a delivery and a later poll of the same object give one record.
//!
//! - [`github`]: `POST /api/v1/webhooks/github` (HMAC-SHA256 `X-Hub-Signature-256`, idempotent
//!   on `X-GitHub-Delivery`).
//!
//! PagerDuty's webhooks live in [`crate::pagerduty`].

pub mod github;
