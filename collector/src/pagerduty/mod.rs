//! PagerDuty V3 webhooks: verifying a delivery's signature, and turning incident lifecycle
//! events into incidents.
//!
//! A delivery is `{"event": {"id", "event_type", "occurred_at", "data": {...}}}`, signed in the
//! `X-PagerDuty-Signature` header: `v1=<hex HMAC-SHA256 of the raw body>`, several signatures
//! separated by commas while a secret is being rotated ([`verify_signature`]).
//!
//! Handled: `incident.triggered`, `incident.acknowledged`, `incident.reopened` and
//! `incident.resolved`. The incident's key is `pagerduty:<incident id>`; it opened when it was
//! created (triggered) and is resolved at the time of its latest `incident.resolved`, unless
//! reopened after that ([`IncidentTransition`], merged in the store whatever order deliveries
//! arrive in). Its service id picks its team, or repository, in `[pagerduty] services`; an
//! incident of an unmapped service is kept without an owner (replay it once mapped).
//! `pagey.ping` is answered and not stored; other event types are ignored.

use chrono::{DateTime, Utc};
use engine::model::{Incident, Source};
use engine::store::events::{EventRecord, IncidentTransition, IncidentUpdate};
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::collections::BTreeMap;

/// Raw-log source of PagerDuty deliveries.
pub const SOURCE: &str = "pagerduty";
/// Prefix of the keys of incidents from PagerDuty.
pub const KEY_PREFIX: &str = "pagerduty:";
/// The header carrying the signatures.
pub const SIGNATURE_HEADER: &str = "x-pagerduty-signature";

type HmacSha256 = hmac::Hmac<Sha256>;

/// Why a delivery's signature does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-PagerDuty-Signature header is missing")]
    Missing,
    #[error("no v1 signature in X-PagerDuty-Signature matches the body")]
    Mismatch,
}

/// `v1=<hex HMAC-SHA256 of body>`, as PagerDuty signs a delivery (for tests and load tools).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable_key());
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks that one of the `v1=` signatures of the header is the HMAC-SHA256 of `body` with
/// `secret`, comparing in constant time.
pub fn verify_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::Missing)?;
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable_key());
    mac.update(body);
    let mut matched = false;
    for signature in header.split(',').map(str::trim) {
        let Some(digest) = signature
            .strip_prefix("v1=")
            .and_then(|hex_digest| hex::decode(hex_digest).ok())
        else {
            continue;
        };
        // `verify_slice` compares in constant time; every candidate is checked.
        matched |= mac.clone().verify_slice(&digest).is_ok();
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// HMAC accepts keys of any length; this is never reached.
fn unreachable_key() -> HmacSha256 {
    unreachable!("HMAC takes keys of any length")
}

/// Why a delivery cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PayloadError(pub String);

/// One delivery: a V3 webhook event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebhookEvent {
    /// Unique per event: redeliveries carry the same id.
    pub id: String,
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub data: serde_json::Value,
}

#[derive(Deserialize)]
struct Envelope {
    event: WebhookEvent,
}

/// The parts of an incident (`data` of `incident.*` events) doraboard reads.
#[derive(Debug, Clone, Deserialize)]
struct IncidentData {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    number: Option<i64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    service: Option<Reference>,
}

#[derive(Debug, Clone, Deserialize)]
struct Reference {
    id: String,
}

/// Reads a delivery's body.
pub fn parse(body: &[u8]) -> Result<WebhookEvent, PayloadError> {
    serde_json::from_slice::<Envelope>(body)
        .map(|e| e.event)
        .map_err(|e| PayloadError(format!("not a PagerDuty V3 webhook payload: {e}")))
}

/// What to do with a delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Handling {
    /// An incident lifecycle event: store it.
    Incident(IncidentUpdate),
    /// `pagey.ping`, sent when a subscription is created or tested.
    Ping,
    /// An event type doraboard does not use.
    Ignored,
}

impl Handling {
    /// The record to store, if any.
    pub fn into_record(self) -> Option<EventRecord> {
        match self {
            Handling::Incident(update) => Some(EventRecord::IncidentUpdate(update)),
            Handling::Ping | Handling::Ignored => None,
        }
    }
}

/// Normalizes a delivery with the service mapping of `[pagerduty] services`.
pub fn normalize(
    event: &WebhookEvent,
    services: &BTreeMap<String, String>,
) -> Result<Handling, PayloadError> {
    let transition = match event.event_type.as_str() {
        "pagey.ping" => return Ok(Handling::Ping),
        "incident.triggered" | "incident.acknowledged" => IncidentTransition::Open,
        "incident.resolved" => IncidentTransition::Resolved(event.occurred_at),
        "incident.reopened" => IncidentTransition::Reopened(event.occurred_at),
        _ => return Ok(Handling::Ignored),
    };
    let data: IncidentData = serde_json::from_value(event.data.clone()).map_err(|e| {
        PayloadError(format!(
            "{} event {}: `data` is not an incident: {e}",
            event.event_type, event.id
        ))
    })?;
    if data.kind != "incident" {
        return Err(PayloadError(format!(
            "{} event {}: `data.type` is `{}`, expected `incident`",
            event.event_type, event.id, data.kind
        )));
    }
    let owner = data
        .service
        .as_ref()
        .and_then(|s| services.get(&s.id))
        .map(String::as_str);
    let (repo, team) = match owner {
        Some(owner) if owner.contains('/') => (owner.parse().ok(), None),
        Some(team) => (None, Some(team.to_string())),
        None => (None, None),
    };
    let title = data
        .title
        .clone()
        .or_else(|| data.number.map(|n| format!("PagerDuty incident #{n}")))
        .unwrap_or_else(|| format!("PagerDuty incident {}", data.id))
        // No database text column takes NUL.
        .replace('\0', "");
    Ok(Handling::Incident(IncidentUpdate {
        incident: Incident {
            key: format!("{KEY_PREFIX}{}", data.id),
            repo,
            team,
            title,
            opened_at: data.created_at.unwrap_or(event.occurred_at),
            resolved_at: None,
            source: Source::Webhook,
            cause: None,
        },
        transition,
    }))
}

/// The PagerDuty service id of an incident event, for logs about unmapped services.
pub fn service_id(event: &WebhookEvent) -> Option<&str> {
    event.data.get("service")?.get("id")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    #[test]
    fn signatures_are_hex_hmac_sha256() {
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "v1=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn any_listed_signature_may_match() {
        let body = br#"{"event":{}}"#;
        let good = sign(b"new-secret", body);
        let old = sign(b"old-secret", body);
        assert_eq!(verify_signature(b"new-secret", body, Some(&good)), Ok(()));
        let rotated = format!("{old}, {good}");
        assert_eq!(
            verify_signature(b"new-secret", body, Some(&rotated)),
            Ok(())
        );
        assert_eq!(
            verify_signature(b"new-secret", body, Some(&old)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"new-secret", body, Some("v1=zz, v0=abc")),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"new-secret", body, None),
            Err(SignatureError::Missing)
        );
        let tampered = br#"{"event":{ }}"#;
        assert_eq!(
            verify_signature(b"new-secret", tampered, Some(&good)),
            Err(SignatureError::Mismatch)
        );
    }

    fn event(event_type: &str, service: &str) -> WebhookEvent {
        let body = serde_json::json!({"event": {
            "id": "01DEN0JXXVH4SXK9ZP3LBJ9WWF", "event_type": event_type,
            "resource_type": "incident", "occurred_at": "2026-03-02T14:30:00.123Z",
            "agent": {"id": "PLH1HKV", "type": "user_reference"}, "client": {"name": "PagerDuty"},
            "data": {"id": "Q2W3E4R5", "type": "incident", "number": 7, "status": "resolved",
                "title": "Checkout errors", "created_at": "2026-03-02T13:00:00Z",
                "service": {"id": service, "summary": "Checkout", "type": "service_reference"}}
        }});
        parse(body.to_string().as_bytes()).expect("a V3 payload")
    }

    #[test]
    fn incident_events_become_incident_updates_of_the_mapped_team() {
        let services = BTreeMap::from([
            ("PSHOP01".to_string(), "shop".to_string()),
            ("PREPO01".to_string(), "acme/shop".to_string()),
        ]);
        let Ok(Handling::Incident(update)) =
            normalize(&event("incident.resolved", "PSHOP01"), &services)
        else {
            panic!("an incident")
        };
        assert_eq!(update.incident.key, "pagerduty:Q2W3E4R5");
        assert_eq!(update.incident.team.as_deref(), Some("shop"));
        assert_eq!(
            update.incident.opened_at.to_rfc3339(),
            "2026-03-02T13:00:00+00:00"
        );
        let IncidentTransition::Resolved(at) = update.transition else {
            panic!("resolved")
        };
        assert_eq!(at.to_rfc3339(), "2026-03-02T14:30:00.123+00:00");
        let Ok(Handling::Incident(by_repo)) =
            normalize(&event("incident.triggered", "PREPO01"), &services)
        else {
            panic!("an incident")
        };
        assert_eq!(
            by_repo.incident.repo.map(|r| r.to_string()).as_deref(),
            Some("acme/shop")
        );
        assert_eq!(by_repo.transition, IncidentTransition::Open);
        let Ok(Handling::Incident(unmapped)) =
            normalize(&event("incident.reopened", "POTHER1"), &services)
        else {
            panic!("an incident")
        };
        assert_eq!(
            (unmapped.incident.repo, unmapped.incident.team),
            (None, None)
        );
    }

    #[test]
    fn pings_and_other_events_are_not_incidents() {
        let none = BTreeMap::new();
        assert_eq!(
            normalize(&event("pagey.ping", "P"), &none),
            Ok(Handling::Ping)
        );
        assert_eq!(
            normalize(&event("incident.annotated", "P"), &none),
            Ok(Handling::Ignored)
        );
        assert!(parse(b"{\"not\": \"pagerduty\"}").is_err());
    }
}
