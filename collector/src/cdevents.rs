//! CDEvents (the CD Foundation's event standard, spec 0.4/0.5) received on `POST /api/v1/events`
//! as CloudEvents JSON in structured mode: the CloudEvent whose `data` is the CDEvent, or the
//! CDEvent itself (`context`, `subject`, `customData`).
//!
//! Each handled CDEvent is rewritten as the generic event that says the same thing and validated
//! by [`parse_event`], so both paths give the same records by construction; an error names the
//! CDEvent's field (`context.timestamp`, `subject.content.environment.id`, ...), not the generic
//! one. Mapping (docs/events.md has a full example of each):
//! - `service.deployed` / `.upgraded`: a successful deployment, keyed by `context.id`, of the
//!   environment `subject.content.environment.id`, finished at `context.timestamp`;
//!   `service.rolledback`: the same, marked as a rollback;
//! - `incident.detected` / `.reported`: the incident `subject.id`, opened at `context.timestamp`;
//!   `incident.resolved`: resolved then (an [`IncidentUpdate`], merged in any order);
//! - `change.merged`: the change `subject.id` (`owner/name#N` when the id is a number), merged at
//!   `context.timestamp`, its other times and commits from `customData`.
//!
//! The repository (or, for an incident, the team) comes from `[cdevents] services`, looked up by
//! the subject's service (`subject.content.service.id` for incidents, `subject.id` for services,
//! `subject.content.repository.id` for changes), then `subject.source`, then `context.source`; a
//! change may also name its repository as `owner/name` in `subject.content.repository.id`, and a
//! `pkg:github/owner/name@sha` artifact names both. The sha is `customData.sha`, else the version
//! of the artifact's package URL (`subject.content.artifactId`).
//!
//! Other `dev.cdevents.*` types are [`Handling::Ignored`]: answered, stored nowhere. The raw log
//! keys a CDEvent by `context.id` ([`SOURCE`]), so a re-sent one changes nothing.

use crate::events::schema::parse_event;
use crate::events::{EventContext, EventError};
use engine::store::events::{EventRecord, IncidentTransition, IncidentUpdate};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Raw-log source of CDEvents.
pub const SOURCE: &str = "cdevents";
/// Prefix of every CDEvents type.
const TYPE_PREFIX: &str = "dev.cdevents.";

/// Whether a JSON object is a CDEvent, bare or in a CloudEvent, rather than a generic event.
pub fn is_cdevent(value: &Value) -> bool {
    let Some(object) = value.as_object() else {
        return false;
    };
    object.contains_key("specversion")
        || object.get("context").is_some_and(Value::is_object)
        || object
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.starts_with(TYPE_PREFIX))
}

/// What to do with a CDEvent.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per request, handled at once: boxing the record would buy nothing"
)]
pub enum Handling {
    /// Store this record, logged under the CDEvent's `context.id`.
    Record { id: String, record: EventRecord },
    /// A CDEvents type doraboard does not use (its full type).
    Ignored(String),
}

impl Handling {
    /// The record to store, if any.
    pub fn into_record(self) -> Option<EventRecord> {
        match self {
            Handling::Record { record, .. } => Some(record),
            Handling::Ignored(_) => None,
        }
    }
}

/// What a handled CDEvent is, from the `<subject>.<predicate>` of its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Deployed { rollback: bool },
    IncidentOpened,
    IncidentResolved,
    ChangeMerged,
}

/// Validates a CDEvent (bare or in a CloudEvent) and normalizes it with the `[cdevents]
/// services` mapping.
pub fn parse(
    value: &Value,
    ctx: &EventContext,
    services: &BTreeMap<String, String>,
) -> Result<Handling, EventError> {
    let event = cdevent(value)?;
    let context = object_at(event, "context")?;
    let full_type = text_at(context, "context.type")?;
    let kind = match event_kind(&full_type)? {
        Some(kind) => kind,
        None => return Ok(Handling::Ignored(full_type)),
    };
    let id = text_at(context, "context.id")?;
    let timestamp = text_at(context, "context.timestamp")?;
    let subject = object_at(event, "subject")?;
    let subject_id = text_at(subject, "subject.id")?;
    let content = subject
        .get("content")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let custom = match event.get("customData") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(EventError::field(
                "customData",
                "expected an object of extra fields",
            ));
        }
    };
    let lookup = Lookup {
        services,
        keys: lookup_keys(kind, &subject_id, subject, context, &content),
    };
    let artifact = content
        .get("artifactId")
        .and_then(Value::as_str)
        .map(PackageUrl::parse)
        .transpose()?;
    let mut generic = Map::new();
    let mut keep = |fields: &[&str]| {
        for field in fields {
            if let Some(v) = custom.get(*field) {
                generic.insert((*field).to_string(), v.clone());
            }
        }
    };
    match kind {
        Kind::Deployed { rollback } => {
            keep(&["started_at", "changes", "commits"]);
            let environment = content
                .get("environment")
                .and_then(|e| e.get("id"))
                .cloned()
                .unwrap_or(Value::Null);
            generic.extend([
                ("type".into(), json!("deployment")),
                ("id".into(), json!(id)),
                ("environment".into(), environment),
                ("status".into(), json!("success")),
                ("finished_at".into(), json!(timestamp)),
                ("rollback".into(), json!(rollback)),
            ]);
            let repo = lookup.repo(artifact.as_ref())?;
            generic.insert("repo".into(), json!(repo));
            insert_sha(&mut generic, &custom, artifact.as_ref(), true)?;
        }
        Kind::IncidentOpened | Kind::IncidentResolved => {
            keep(&["deployment", "change", "title"]);
            generic.extend([
                ("type".into(), json!("incident")),
                ("id".into(), json!(subject_id)),
                ("opened_at".into(), json!(timestamp)),
            ]);
            if let Some(description) = content.get("description") {
                generic
                    .entry("title")
                    .or_insert_with(|| description.clone());
            }
            let owner = lookup
                .owner(artifact.as_ref())
                .ok_or_else(|| lookup.unmapped())?;
            let field = if owner.contains('/') { "repo" } else { "team" };
            generic.insert(field.into(), json!(owner));
            insert_sha(&mut generic, &custom, artifact.as_ref(), false)?;
        }
        Kind::ChangeMerged => {
            keep(&[
                "number",
                "title",
                "author",
                "bot",
                "first_commit_at",
                "opened_at",
                "first_review_at",
                "merge_sha",
                "commits",
                "labels",
                "branch",
                "paths",
                "reverts",
                "fixes",
            ]);
            let repo = match lookup.repo(artifact.as_ref()) {
                Ok(repo) => repo,
                Err(e) => content
                    .get("repository")
                    .and_then(|r| r.get("id"))
                    .and_then(Value::as_str)
                    .filter(|r| r.parse::<engine::model::RepoSlug>().is_ok())
                    .map(str::to_string)
                    .ok_or(e)?,
            };
            let key = match subject_id.trim().trim_start_matches('#').parse::<i64>() {
                Ok(number) => {
                    generic.entry("number").or_insert(json!(number));
                    format!("{repo}#{number}")
                }
                Err(_) => subject_id,
            };
            generic.extend([
                ("type".into(), json!("change")),
                ("id".into(), json!(key)),
                ("repo".into(), json!(repo)),
                ("merged_at".into(), json!(timestamp)),
            ]);
            if let Some(sha) = custom.get("sha") {
                generic.entry("merge_sha").or_insert_with(|| sha.clone());
            }
        }
    }
    let record = parse_event(&Value::Object(generic), ctx).map_err(|e| renamed(e, kind))?;
    let record = match (kind, record) {
        (Kind::IncidentOpened | Kind::IncidentResolved, EventRecord::Incident(incident)) => {
            let transition = if kind == Kind::IncidentResolved {
                IncidentTransition::Resolved(incident.opened_at)
            } else {
                IncidentTransition::Open
            };
            EventRecord::IncidentUpdate(IncidentUpdate {
                incident,
                transition,
            })
        }
        (_, record) => record,
    };
    Ok(Handling::Record { id, record })
}

/// The CDEvent: the CloudEvent's `data`, or the object itself.
fn cdevent(value: &Value) -> Result<&Map<String, Value>, EventError> {
    let object = value
        .as_object()
        .ok_or_else(|| EventError::general("expected a JSON object (a CDEvent)"))?;
    if object.contains_key("context") {
        return Ok(object);
    }
    match object.get("data") {
        Some(Value::Object(data)) => Ok(data),
        Some(Value::String(_)) => Err(EventError::field(
            "data",
            "a CDEvent in a string: send it as a JSON object (structured mode, \
             datacontenttype application/json)",
        )),
        _ => Err(EventError::field(
            "data",
            "missing: a CloudEvent carries its CDEvent (context, subject) in `data`",
        )),
    }
}

/// `None` for a CDEvents type doraboard does not use; an error for a type that is not one.
fn event_kind(full_type: &str) -> Result<Option<Kind>, EventError> {
    let Some(rest) = full_type.strip_prefix(TYPE_PREFIX) else {
        return Err(EventError::field(
            "context.type",
            format!(
                "`{full_type}` is not a CDEvents type (dev.cdevents.<subject>.<predicate>.<version>)"
            ),
        ));
    };
    let mut parts = rest.splitn(3, '.');
    let (subject, predicate) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    Ok(match (subject, predicate) {
        ("service", "deployed" | "upgraded") => Some(Kind::Deployed { rollback: false }),
        ("service", "rolledback") => Some(Kind::Deployed { rollback: true }),
        ("incident", "detected" | "reported") => Some(Kind::IncidentOpened),
        ("incident", "resolved") => Some(Kind::IncidentResolved),
        ("change", "merged") => Some(Kind::ChangeMerged),
        _ => None,
    })
}

/// The keys `[cdevents] services` is searched by, most specific first.
fn lookup_keys(
    kind: Kind,
    subject_id: &str,
    subject: &Map<String, Value>,
    context: &Map<String, Value>,
    content: &Map<String, Value>,
) -> Vec<String> {
    let nested_id = |field: &str| {
        content
            .get(field)
            .and_then(|v| v.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let first = match kind {
        Kind::Deployed { .. } => Some(subject_id.to_string()),
        Kind::IncidentOpened | Kind::IncidentResolved => nested_id("service"),
        Kind::ChangeMerged => nested_id("repository"),
    };
    let sources = [subject.get("source"), context.get("source")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string);
    first.into_iter().chain(sources).collect()
}

/// Where a CDEvent belongs.
struct Lookup<'a> {
    services: &'a BTreeMap<String, String>,
    keys: Vec<String>,
}

impl Lookup<'_> {
    /// The mapped team or repository, else the repository of a `pkg:github` artifact.
    fn owner(&self, artifact: Option<&PackageUrl>) -> Option<String> {
        self.keys
            .iter()
            .find_map(|k| self.services.get(k).cloned())
            .or_else(|| artifact.and_then(PackageUrl::github_repo))
    }

    /// The repository, which a deployment or change needs: a team is not enough.
    fn repo(&self, artifact: Option<&PackageUrl>) -> Result<String, EventError> {
        match self.owner(artifact) {
            Some(repo) if repo.contains('/') => Ok(repo),
            Some(team) => Err(EventError::field(
                "subject.id",
                format!(
                    "[cdevents] services maps it to the team `{team}`: a deployment or a change \
                     needs a repository (owner/name)"
                ),
            )),
            None => Err(self.unmapped()),
        }
    }

    /// No key is mapped and no artifact names a repository.
    fn unmapped(&self) -> EventError {
        EventError::field(
            "subject.id",
            format!(
                "nowhere to put it: none of {} is in [cdevents] services, and no pkg:github \
                 artifact names a repository",
                self.keys
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }
}

/// `sha` from `customData.sha`, else the artifact's version. An image digest is not a commit: an
/// error for a deployment (`digest_is_error`), no sha for an incident.
fn insert_sha(
    generic: &mut Map<String, Value>,
    custom: &Map<String, Value>,
    artifact: Option<&PackageUrl>,
    digest_is_error: bool,
) -> Result<(), EventError> {
    if let Some(sha) = custom.get("sha") {
        generic.insert("sha".into(), sha.clone());
        return Ok(());
    }
    if let Some(version) = artifact.and_then(|a| a.version.as_deref()) {
        if version.contains(':') {
            if !digest_is_error {
                return Ok(());
            }
            return Err(EventError::field(
                "subject.content.artifactId",
                format!(
                    "its version `{version}` is an image digest, not a commit: send the \
                     commit in customData.sha"
                ),
            ));
        }
        generic.insert("sha".into(), json!(version));
    }
    Ok(())
}

/// The parts of a package URL (`pkg:type/namespace/name@version?qualifiers#subpath`) used here.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PackageUrl {
    kind: String,
    /// Namespace and name, `/`-separated, percent-decoded.
    path: String,
    version: Option<String>,
}

impl PackageUrl {
    fn parse(text: &str) -> Result<Self, EventError> {
        let bad = |why: &str| {
            EventError::field(
                "subject.content.artifactId",
                format!("`{text}` is not a package URL: {why} (e.g. pkg:github/acme/shop@3f2a9c1)"),
            )
        };
        let rest = text
            .trim()
            .strip_prefix("pkg:")
            .ok_or_else(|| bad("it does not start with pkg:"))?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (path, version) = match rest.rsplit_once('@') {
            Some((path, version)) => (path, Some(decode(version))),
            None => (rest, None),
        };
        let (kind, path) = path
            .trim_start_matches('/')
            .split_once('/')
            .ok_or_else(|| bad("no name"))?;
        Ok(PackageUrl {
            kind: kind.to_ascii_lowercase(),
            path: decode(path),
            version: version.filter(|v| !v.is_empty()),
        })
    }

    /// `owner/name` of a `pkg:github/owner/name` artifact.
    fn github_repo(&self) -> Option<String> {
        (self.kind == "github" && self.path.parse::<engine::model::RepoSlug>().is_ok())
            .then(|| self.path.clone())
    }
}

/// Percent-decodes a package URL component (invalid escapes are kept as they are).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An object field of the CDEvent, or an error naming it.
fn object_at<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a Map<String, Value>, EventError> {
    match object.get(name) {
        Some(Value::Object(map)) => Ok(map),
        None | Some(Value::Null) => Err(EventError::field(name, "missing: required by CDEvents")),
        Some(_) => Err(EventError::field(name, "expected an object")),
    }
}

/// A non-empty string field, or an error naming it by its path.
fn text_at(object: &Map<String, Value>, path: &str) -> Result<String, EventError> {
    let name = path.rsplit('.').next().unwrap_or(path);
    match object.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(Value::Number(n)) if name == "id" => Ok(n.to_string()),
        None | Some(Value::Null) => Err(EventError::field(path, "missing: required by CDEvents")),
        Some(_) => Err(EventError::field(path, "expected a non-empty string")),
    }
}

/// The CDEvent field a generic event's field came from, for errors.
fn renamed(mut error: EventError, kind: Kind) -> EventError {
    let from = match (error.field.as_deref(), kind) {
        (Some("finished_at" | "opened_at" | "merged_at"), _) => Some("context.timestamp"),
        (Some("id"), Kind::Deployed { .. }) => Some("context.id"),
        (Some("id"), _) => Some("subject.id"),
        (Some("environment"), _) => Some("subject.content.environment.id"),
        (Some("sha"), _) => Some("subject.content.artifactId"),
        (Some("repo" | "team"), _) => Some("subject.id"),
        (Some("title"), _) => Some("subject.content.description"),
        (Some(other), _) => {
            error.field = Some(format!("customData.{other}"));
            None
        }
        (None, _) => None,
    };
    if let Some(from) = from {
        if error.field.as_deref() == Some("sha") && error.message.starts_with("missing") {
            error.message = "missing: send customData.sha, or an artifactId whose version is \
                             the commit (pkg:github/owner/name@<sha>)"
                .to_string();
        }
        error.field = Some(from.to_string());
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::model::{IncidentCause, Source};

    fn ctx() -> EventContext {
        EventContext {
            source: Source::Webhook,
            teams: ["shop".to_string()].into(),
            tribes: Default::default(),
            owned: Default::default(),
        }
    }

    fn services() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("service/shop".to_string(), "acme/shop".to_string()),
            ("/pagerduty/shop".to_string(), "shop".to_string()),
        ])
    }

    fn deployed(kind: &str) -> Value {
        json!({
            "context": {"specversion": "0.4.1", "id": "ctx-1", "source": "/argocd/prod",
                "type": format!("dev.cdevents.service.{kind}.0.2.0"),
                "timestamp": "2026-03-02T11:06:00Z"},
            "subject": {"id": "service/shop", "source": "/argocd/prod", "type": "service",
                "content": {"environment": {"id": "production"},
                    "artifactId": "pkg:github/acme/shop@3f2a9c1"}}
        })
    }

    fn parse_ok(value: &Value) -> EventRecord {
        match parse(value, &ctx(), &services()) {
            Ok(Handling::Record { record, .. }) => record,
            other => panic!("a record: {other:?}"),
        }
    }

    fn error(value: &Value) -> EventError {
        parse(value, &ctx(), &services()).expect_err("refused")
    }

    #[test]
    fn service_events_are_deployments_and_rollbacks() {
        let EventRecord::Deployment(d) = parse_ok(&deployed("deployed")) else {
            panic!("a deployment")
        };
        assert_eq!(
            (d.key.as_str(), d.repo.to_string(), d.sha.as_str()),
            ("ctx-1", "acme/shop".to_string(), "3f2a9c1")
        );
        assert!(!d.rollback);
        let EventRecord::Deployment(r) = parse_ok(&deployed("rolledback")) else {
            panic!("a deployment")
        };
        assert!(r.rollback);
        // The same CDEvent inside a CloudEvent.
        let cloud = json!({"specversion": "1.0", "id": "ctx-1", "source": "/argocd/prod",
            "type": "dev.cdevents.service.upgraded.0.2.0", "data": deployed("upgraded")});
        assert_eq!(parse_ok(&cloud), parse_ok(&deployed("deployed")));
    }

    #[test]
    fn incidents_open_and_resolve_one_incident_of_the_mapped_team() {
        let event = |predicate: &str, at: &str| {
            json!({
                "context": {"id": format!("inc-{predicate}"), "source": "/pagerduty/shop",
                    "type": format!("dev.cdevents.incident.{predicate}.0.1.0"), "timestamp": at},
                "subject": {"id": "INC-7", "content": {"description": "Checkout errors",
                    "environment": {"id": "production"}}},
                "customData": {"deployment": "ctx-1"}
            })
        };
        let EventRecord::IncidentUpdate(open) =
            parse_ok(&event("detected", "2026-03-02T13:00:00Z"))
        else {
            panic!("an update")
        };
        assert_eq!(open.incident.key, "INC-7");
        assert_eq!(open.incident.team.as_deref(), Some("shop"));
        assert_eq!(open.incident.title, "Checkout errors");
        assert_eq!(
            open.incident.cause,
            Some(IncidentCause::Deployment("ctx-1".into()))
        );
        assert_eq!(open.transition, IncidentTransition::Open);
        let EventRecord::IncidentUpdate(resolved) =
            parse_ok(&event("resolved", "2026-03-02T14:30:00Z"))
        else {
            panic!("an update")
        };
        assert!(matches!(
            resolved.transition,
            IncidentTransition::Resolved(t) if t.to_rfc3339() == "2026-03-02T14:30:00+00:00"
        ));
        let mut nowhere = event("detected", "2026-03-02T13:00:00Z");
        nowhere["context"]["source"] = json!("/elsewhere");
        let e = error(&nowhere);
        assert_eq!(e.field.as_deref(), Some("subject.id"));
        assert!(e.message.contains("`/elsewhere`"), "{e}");
    }

    #[test]
    fn a_deployment_mapped_to_a_team_is_refused() {
        let mut event = deployed("deployed");
        event["subject"]["id"] = json!("/pagerduty/shop");
        let e = error(&event);
        assert_eq!(e.field.as_deref(), Some("subject.id"));
        assert!(e.message.contains("team `shop`"), "{e}");
    }

    #[test]
    fn a_merged_change_of_a_numbered_subject_takes_the_github_key() {
        let EventRecord::Change(c) = parse_ok(&json!({
            "context": {"id": "c-1", "source": "/github", "type": "dev.cdevents.change.merged.0.2.0",
                "timestamp": "2026-03-02T10:00:00Z"},
            "subject": {"id": "42", "content": {"repository": {"id": "acme/shop"}}},
            "customData": {"first_commit_at": "2026-03-01T09:00:00Z", "sha": "3f2a9c1",
                "commits": ["9c1e", "3f2a9c1"]}
        })) else {
            panic!("a change")
        };
        assert_eq!((c.key.as_str(), c.number), ("acme/shop#42", Some(42)));
        assert_eq!(c.merge_sha.as_deref(), Some("3f2a9c1"));
    }

    #[test]
    fn unknown_types_are_ignored_and_malformed_events_name_the_field() {
        let mut other = deployed("deployed");
        other["context"]["type"] = json!("dev.cdevents.pipelinerun.finished.0.2.0");
        assert_eq!(
            parse(&other, &ctx(), &services()),
            Ok(Handling::Ignored(
                "dev.cdevents.pipelinerun.finished.0.2.0".into()
            ))
        );
        type Mutation = fn(&mut Value);
        let cases: [(&str, Mutation); 7] = [
            ("context.id", |v| v["context"]["id"] = Value::Null),
            ("context.timestamp", |v| {
                v["context"]["timestamp"] = json!("yesterday")
            }),
            ("context.type", |v| {
                v["context"]["type"] = json!("com.example.deployed")
            }),
            ("subject.content.environment.id", |v| {
                v["subject"]["content"]["environment"] = json!({})
            }),
            ("subject.content.artifactId", |v| {
                v["subject"]["content"]["artifactId"] = json!("pkg:oci/shop@sha256%3Aab12")
            }),
            ("subject.id", |v| {
                v["subject"]["id"] = json!("service/other");
                v["subject"]["source"] = Value::Null;
                v["context"]["source"] = json!("/elsewhere");
                v["subject"]["content"]["artifactId"] = json!("pkg:generic/shop@3f2a9c1");
            }),
            ("customData.started_at", |v| {
                v["customData"] = json!({"started_at": "2026-03-02T12:00:00Z"})
            }),
        ];
        for (field, mutate) in cases {
            let mut event = deployed("deployed");
            mutate(&mut event);
            let e = error(&event);
            assert_eq!(e.field.as_deref(), Some(field), "{e}");
        }
    }

    #[test]
    fn package_urls_give_the_version_and_a_github_repository() {
        let purl = PackageUrl::parse("pkg:github/acme/shop@3f2a%39c1?arch=x#sub").expect("valid");
        assert_eq!(purl.version.as_deref(), Some("3f2a9c1"));
        assert_eq!(purl.github_repo().as_deref(), Some("acme/shop"));
        let oci = PackageUrl::parse("pkg:oci/shop@sha256%3Aab").expect("valid");
        assert_eq!(oci.version.as_deref(), Some("sha256:ab"));
        assert_eq!(oci.github_repo(), None);
        assert!(PackageUrl::parse("https://example.com").is_err());
    }
}
