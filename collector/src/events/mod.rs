//! Generic events: the small documented schema (`docs/events.md`) that lets any CI or incident
//! tool report a change, a deployment or an incident with one curl line, and its normalization
//! into the engine's records.
//!
//! - [`schema`]: one JSON object -> a validated [`EventRecord`] (required fields, RFC 3339 times,
//!   the rework marks, the explicit cause of an incident);
//! - [`ndjson`]: a request body (one JSON object, or NDJSON) or a file read line by line;
//! - [`csv`]: a CSV file with a header row, each row read as the JSON object of its columns.
//!
//! Keys: an event's `id` is its record's key, verbatim (a change `acme/shop#42` is the same record
//! whether GitHub or a generic event reported it, and a deployment's `changes` or an incident's
//! `deployment` name records by those ids). The three types have separate key spaces.
//!
//! Every accepted event is logged as received; its delivery id ([`delivery_id`]) is its type, id
//! and a digest of its normalized record, so re-sending the same event is recognised and changes
//! nothing, while a new version of it (an incident now resolved) is logged and replaces the old.

pub mod csv;
pub mod ndjson;
pub mod schema;

use engine::config::Config;
use engine::model::{RepoSlug, Source};
use engine::store::events::{EventRecord, LoggedEvent, NewRawEvent};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;

/// Raw-log source of events posted to `POST /api/v1/events`.
pub const API_SOURCE: &str = "events";
/// Raw-log source of events loaded by `doraboard import`.
pub const IMPORT_SOURCE: &str = "import";

/// Why an event was refused: the line (for a file or an NDJSON body), the field, and what is
/// wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct EventError {
    /// 1-based line of the file or body; None for a single object.
    pub line: Option<u64>,
    /// The offending field, when one is to blame.
    pub field: Option<String>,
    pub message: String,
}

impl EventError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        EventError {
            line: None,
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn general(message: impl Into<String>) -> Self {
        EventError {
            line: None,
            field: None,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "`{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// What normalization needs besides the event: where it came from and which teams exist.
#[derive(Debug, Clone)]
pub struct EventContext {
    /// `Source::Webhook` for the API, `Source::Import` for files.
    pub source: Source,
    /// Team slugs an incident's `team` may name.
    pub teams: BTreeSet<String>,
    /// Tribe slugs, only to say why they are refused as an incident's team.
    pub tribes: BTreeSet<String>,
    /// Repositories some team owns: events of others are stored, with a [`Warning`].
    pub owned: BTreeSet<RepoSlug>,
}

impl EventContext {
    pub fn new(config: &Config, source: Source) -> Self {
        EventContext {
            source,
            teams: config.teams.iter().map(|t| t.slug.clone()).collect(),
            tribes: config.tribes.iter().map(|t| t.slug.clone()).collect(),
            owned: config.repos().into_iter().collect(),
        }
    }

    /// The repositories of `records` that no team owns, each once, in order.
    pub fn unowned<'a>(
        &self,
        records: impl IntoIterator<Item = &'a EventRecord>,
    ) -> BTreeSet<RepoSlug> {
        records
            .into_iter()
            .filter_map(EventRecord::repo)
            .filter(|repo| !self.owned.contains(*repo))
            .cloned()
            .collect()
    }

    /// The raw-log source of this context's events.
    pub fn log_source(&self) -> &'static str {
        if self.source == Source::Import {
            IMPORT_SOURCE
        } else {
            API_SOURCE
        }
    }
}

/// The kind of a record, as the schema's `type` names it.
pub fn kind(record: &EventRecord) -> &'static str {
    match record {
        EventRecord::Change(_) => "change",
        EventRecord::Deployment(_) => "deployment",
        EventRecord::Incident(_)
        | EventRecord::IncidentUpdate(_)
        | EventRecord::IncidentDeletion(_) => "incident",
    }
}

/// `type:id@digest`: the same for every re-sending of an event that normalizes to the same
/// record, whatever its whitespace, field order or ignored fields; different for a new version.
pub fn delivery_id(record: &EventRecord) -> String {
    thread_local! {
        // The record's JSON, digested whole: an import digests millions, and hashing each
        // token as serde writes it cost more than the hash of the whole.
        static JSON: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let (key, digest) = JSON.with_borrow_mut(|json| {
        json.clear();
        let (key, written) = match record {
            EventRecord::Change(c) => (&c.key, serde_json::to_writer(&mut *json, c)),
            EventRecord::Deployment(d) => (&d.key, serde_json::to_writer(&mut *json, d)),
            EventRecord::Incident(i) => (&i.key, serde_json::to_writer(&mut *json, i)),
            EventRecord::IncidentUpdate(u) => (
                &u.incident.key,
                serde_json::to_writer(&mut *json, &u.incident),
            ),
            EventRecord::IncidentDeletion(d) => (
                &d.key,
                serde_json::to_writer(&mut *json, &("deleted", &d.key)),
            ),
        };
        // Serializing plain records cannot fail; were it to, the digest of an empty input is
        // as deterministic as the one it had.
        if written.is_err() {
            json.clear();
        }
        (key, Sha256::digest(&json[..]))
    });
    let kind = kind(record);
    let mut id = String::with_capacity(kind.len() + key.len() + 26);
    id.push_str(kind);
    id.push(':');
    id.push_str(key);
    id.push('@');
    id.push_str(&hex::encode(&digest[..12]));
    id
}

/// A validated event ready for the store: the record, logged with its raw text.
pub fn logged(record: EventRecord, raw_body: &str, ctx: &EventContext) -> LoggedEvent {
    LoggedEvent {
        raw: Some(NewRawEvent {
            source: ctx.log_source().to_string(),
            delivery_id: delivery_id(&record),
            body: raw_body.to_string(),
        }),
        record: Some(record),
    }
}

/// Something the sender should know about events that were stored all the same.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// The repository it is about.
    pub repo: String,
    pub message: String,
}

impl Warning {
    /// Events of a repository no team lists are stored, but no team's figures (nor the
    /// organisation's, the union of the teams') include them until a team lists it.
    pub fn unowned(repo: &RepoSlug) -> Self {
        Warning {
            repo: repo.to_string(),
            message: format!(
                "no team owns {repo}: its events are stored but count in no team's figures \
                 until a team lists it"
            ),
        }
    }
}

/// Counts of events per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindCounts {
    pub changes: usize,
    pub deployments: usize,
    /// Incident events, deletions included.
    pub incidents: usize,
}

impl KindCounts {
    /// One record's count: cheaper to keep than the record.
    pub fn of(record: &EventRecord) -> Self {
        let mut one = Self::default();
        one.add(record);
        one
    }

    pub fn add(&mut self, record: &EventRecord) {
        match record {
            EventRecord::Change(_) => self.changes += 1,
            EventRecord::Deployment(_) => self.deployments += 1,
            EventRecord::Incident(_)
            | EventRecord::IncidentUpdate(_)
            | EventRecord::IncidentDeletion(_) => self.incidents += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.changes + self.deployments + self.incidents
    }
}

impl std::ops::AddAssign for KindCounts {
    fn add_assign(&mut self, other: Self) {
        self.changes += other.changes;
        self.deployments += other.deployments;
        self.incidents += other.incidents;
    }
}

impl fmt::Display for KindCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        write!(
            f,
            "{}, {}, {}",
            plural(self.changes, "change", "changes"),
            plural(self.deployments, "deployment", "deployments"),
            plural(self.incidents, "incident", "incidents")
        )
    }
}
