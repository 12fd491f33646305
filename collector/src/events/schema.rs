//! One generic event, a JSON object, validated into an engine record.
//!
//! Required: change — `id`, `repo`, `first_commit_at`, `merged_at`; deployment — `id`, `repo`,
//! `environment`, `sha`, `status` (`success` | `failure`), `finished_at`; incident — `id`, `repo`
//! or `team`, `opened_at`. Times are RFC 3339. Unknown fields are ignored and `null` is the same
//! as leaving a field out. Every error names its field.

use super::{EventContext, EventError};
use chrono::{DateTime, Utc};
use engine::model::{
    Change, Deployment, DeploymentStatus, Incident, IncidentCause, RepoSlug, Timestamp,
};
use engine::store::events::EventRecord;
use serde_json::{Map, Value};

/// Validates one event object and normalizes it into the record it describes.
pub fn parse_event(value: &Value, ctx: &EventContext) -> Result<EventRecord, EventError> {
    let Some(object) = value.as_object() else {
        return Err(EventError::general(format!(
            "expected a JSON object (an event), found {}",
            json_kind(value)
        )));
    };
    let fields = Fields(object);
    let kind = fields.required_text("type", "every event")?;
    match kind.as_str() {
        "change" => change(&fields).map(EventRecord::Change),
        "deployment" => deployment(&fields, ctx).map(EventRecord::Deployment),
        "incident" => incident(&fields, ctx).map(EventRecord::Incident),
        other => Err(EventError::field(
            "type",
            format!("expected `change`, `deployment` or `incident`, found `{other}`"),
        )),
    }
}

fn change(f: &Fields) -> Result<Change, EventError> {
    const WHAT: &str = "a change event";
    let first_commit_at = f.required_time("first_commit_at", WHAT)?;
    let merged_at = f.required_time("merged_at", WHAT)?;
    if first_commit_at > merged_at {
        return Err(EventError::field(
            "first_commit_at",
            format!(
                "is after merged_at ({}): the first commit of a change comes before its merge",
                merged_at.to_rfc3339()
            ),
        ));
    }
    Ok(Change {
        key: f.id(WHAT)?,
        repo: f.required_repo(WHAT)?,
        number: f.integer("number")?,
        title: f.text("title")?.unwrap_or_default(),
        author: f.text("author")?.unwrap_or_default(),
        bot: f.flag("bot")?.unwrap_or(false),
        first_commit_at,
        opened_at: f.time("opened_at")?,
        first_review_at: f.time("first_review_at")?,
        merged_at,
        merge_sha: f.text("merge_sha")?,
        commits: f.list("commits")?.unwrap_or_default(),
        labels: f.list("labels")?.unwrap_or_default(),
        branch: f.text("branch")?,
        paths: f.list("paths")?.unwrap_or_default(),
        reverts: f.text("reverts")?,
        fixes: f.text("fixes")?,
        cherry_picks: Vec::new(),
        side_branch: None,
    })
}

fn deployment(f: &Fields, ctx: &EventContext) -> Result<Deployment, EventError> {
    const WHAT: &str = "a deployment event";
    let status = f.required_text("status", WHAT)?;
    let status = match status.to_ascii_lowercase().as_str() {
        "success" => DeploymentStatus::Success,
        "failure" => DeploymentStatus::Failure,
        _ => {
            return Err(EventError::field(
                "status",
                format!("expected `success` or `failure`, found `{status}`"),
            ));
        }
    };
    let finished_at = f.required_time("finished_at", WHAT)?;
    let started_at = f.time("started_at")?;
    if started_at.is_some_and(|s| s > finished_at) {
        return Err(EventError::field(
            "started_at",
            format!("is after finished_at ({})", finished_at.to_rfc3339()),
        ));
    }
    Ok(Deployment {
        key: f.id(WHAT)?,
        repo: f.required_repo(WHAT)?,
        environment: f.required_text("environment", WHAT)?,
        sha: f.required_text("sha", WHAT)?,
        status,
        started_at,
        finished_at,
        source: ctx.source,
        rollback: f.flag("rollback")?.unwrap_or(false),
        declared_changes: f.list("changes")?,
        declared_commits: f.list("commits")?,
    })
}

fn incident(f: &Fields, ctx: &EventContext) -> Result<Incident, EventError> {
    const WHAT: &str = "an incident event";
    let key = f.id(WHAT)?;
    let repo = f.repo("repo")?;
    let team = f.text("team")?;
    if let Some(team) = &team
        && !ctx.teams.contains(team)
    {
        let why = if ctx.tribes.contains(team) {
            "is a tribe; an incident belongs to a team or a repository".to_string()
        } else {
            format!("`{team}` is not a configured team")
        };
        return Err(EventError::field("team", why));
    }
    if repo.is_none() && team.is_none() {
        return Err(EventError::field(
            "repo",
            "missing: an incident event needs `repo` (owner/name) or `team` (a team slug)",
        ));
    }
    let opened_at = f.required_time("opened_at", WHAT)?;
    let resolved_at = f.time("resolved_at")?;
    if resolved_at.is_some_and(|r| r < opened_at) {
        return Err(EventError::field(
            "resolved_at",
            format!("is before opened_at ({})", opened_at.to_rfc3339()),
        ));
    }
    // The most specific cause wins when several are named.
    let cause = if let Some(d) = f.text("deployment")? {
        Some(IncidentCause::Deployment(d))
    } else if let Some(c) = f.text("change")? {
        Some(IncidentCause::Change(c))
    } else {
        f.text("sha")?.map(IncidentCause::Sha)
    };
    Ok(Incident {
        title: f.text("title")?.unwrap_or_else(|| key.clone()),
        key,
        repo,
        team,
        opened_at,
        resolved_at,
        source: ctx.source,
        cause,
    })
}

/// Typed access to an event's fields, each error naming the field.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    /// The field, with `null` read as absent.
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn text(&self, name: &str) -> Result<Option<String>, EventError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(clean(s).map_err(|e| EventError::field(name, e))?)),
            Some(other) => Err(EventError::field(
                name,
                format!("expected a string, found {}", json_kind(other)),
            )),
        }
    }

    fn required_text(&self, name: &str, what: &str) -> Result<String, EventError> {
        self.text(name)?
            .ok_or_else(|| EventError::field(name, format!("missing: required for {what}")))
    }

    /// The event's id: a string, or a whole number (CI build numbers) read as one.
    fn id(&self, what: &str) -> Result<String, EventError> {
        match self.get("id") {
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
            _ => self.required_text("id", what),
        }
    }

    fn integer(&self, name: &str) -> Result<Option<i64>, EventError> {
        let bad = |found: &str| {
            EventError::field(name, format!("expected a whole number, found {found}"))
        };
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| bad(&n.to_string())),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .trim_start_matches('#')
                .parse()
                .map(Some)
                .map_err(|_| bad(&format!("`{s}`"))),
            Some(other) => Err(bad(json_kind(other))),
        }
    }

    fn flag(&self, name: &str) -> Result<Option<bool>, EventError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" | "yes" | "1" => Ok(Some(true)),
                "false" | "no" | "0" => Ok(Some(false)),
                _ => Err(EventError::field(
                    name,
                    format!("expected true or false, found `{s}`"),
                )),
            },
            Some(other) => Err(EventError::field(
                name,
                format!("expected true or false, found {}", json_kind(other)),
            )),
        }
    }

    /// A list of strings; a single string is a list of one.
    fn list(&self, name: &str) -> Result<Option<Vec<String>>, EventError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(
                Some(s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .into_iter()
                    .collect(),
            )),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_null())
                .map(|(i, v)| match v {
                    // The element's name is written only for an error: a list may hold hundreds.
                    Value::String(s) => {
                        clean(s).map_err(|e| EventError::field(&format!("{name}[{i}]"), e))
                    }
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(EventError::field(
                        &format!("{name}[{i}]"),
                        format!("expected a string, found {}", json_kind(other)),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|list| Some(list.into_iter().filter(|s| !s.is_empty()).collect())),
            Some(other) => Err(EventError::field(
                name,
                format!("expected a list of strings, found {}", json_kind(other)),
            )),
        }
    }

    fn time(&self, name: &str) -> Result<Option<Timestamp>, EventError> {
        let Some(text) = self.text(name).map_err(|_| {
            EventError::field(
                name,
                "expected an RFC 3339 time such as \"2026-03-02T11:06:00Z\"",
            )
        })?
        else {
            return Ok(None);
        };
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| {
                EventError::field(
                    name,
                    format!(
                        "`{text}` is not an RFC 3339 time ({e}): expected e.g. \
                         \"2026-03-02T11:06:00Z\" or \"2026-03-02T12:06:00+01:00\""
                    ),
                )
            })
    }

    fn required_time(&self, name: &str, what: &str) -> Result<Timestamp, EventError> {
        self.time(name)?
            .ok_or_else(|| EventError::field(name, format!("missing: required for {what}")))
    }

    fn repo(&self, name: &str) -> Result<Option<RepoSlug>, EventError> {
        self.text(name)?
            .map(|s| {
                s.parse()
                    .map_err(|e| EventError::field(name, format!("{e}")))
            })
            .transpose()
    }

    fn required_repo(&self, what: &str) -> Result<RepoSlug, EventError> {
        self.repo("repo")?.ok_or_else(|| {
            EventError::field("repo", format!("missing: required for {what} (owner/name)"))
        })
    }
}

/// The string trimmed; a NUL character (which no database text column takes) is refused.
fn clean(s: &str) -> Result<String, &'static str> {
    if s.contains('\0') {
        return Err("contains a NUL character");
    }
    Ok(s.trim().to_string())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::model::Source;
    use serde_json::json;

    fn ctx() -> EventContext {
        EventContext {
            source: Source::Import,
            teams: ["shop".to_string()].into(),
            tribes: ["commerce".to_string()].into(),
            owned: Default::default(),
        }
    }

    fn parse(value: Value) -> Result<EventRecord, EventError> {
        parse_event(&value, &ctx())
    }

    fn error(value: Value) -> EventError {
        parse(value).expect_err("the event is refused")
    }

    #[test]
    fn the_documented_change_becomes_a_change_record() {
        let record = parse(json!({
            "type": "change", "id": "acme/shop#42", "repo": "acme/shop", "number": 42,
            "title": "Faster checkout", "author": "alice",
            "first_commit_at": "2026-03-01T09:00:00Z", "opened_at": "2026-03-01T12:00:00Z",
            "first_review_at": "2026-03-02T08:00:00Z", "merged_at": "2026-03-02T10:00:00+00:00",
            "merge_sha": "3f2a", "commits": ["9c1e", "3f2a"], "labels": ["feature"],
            "some_tool_specific_field": {"ignored": true}
        }))
        .expect("valid");
        let EventRecord::Change(c) = record else {
            panic!("a change: {record:?}")
        };
        assert_eq!(c.key, "acme/shop#42");
        assert_eq!(c.number, Some(42));
        assert_eq!(c.commits, ["9c1e", "3f2a"]);
        assert!(!c.is_rework());
        assert_eq!(c.merged_at.to_rfc3339(), "2026-03-02T10:00:00+00:00");
    }

    #[test]
    fn hotfix_labels_and_reverts_mark_rework() {
        let base = json!({"type": "change", "id": "c2", "repo": "acme/shop",
            "first_commit_at": "2026-03-01T09:00:00Z", "merged_at": "2026-03-01T10:00:00Z"});
        let mut hotfix = base.clone();
        hotfix["labels"] = json!(["Hotfix"]);
        let mut revert = base.clone();
        revert["reverts"] = json!("acme/shop#42");
        for event in [hotfix, revert] {
            let Ok(EventRecord::Change(c)) = parse(event) else {
                panic!("a change")
            };
            assert!(c.is_rework(), "{c:?}");
        }
    }

    #[test]
    fn the_documented_deployment_keeps_its_declared_changes() {
        let Ok(EventRecord::Deployment(d)) = parse(json!({
            "type": "deployment", "id": 1187, "repo": "acme/shop", "environment": "production",
            "sha": "3f2a", "status": "success", "started_at": "2026-03-02T11:00:00Z",
            "finished_at": "2026-03-02T11:06:00Z", "changes": ["acme/shop#42"]
        })) else {
            panic!("a deployment")
        };
        assert_eq!(d.key, "1187");
        assert_eq!(d.source, Source::Import);
        assert_eq!(d.declared_changes, Some(vec!["acme/shop#42".to_string()]));
        assert_eq!(d.declared_commits, None);
    }

    #[test]
    fn an_incident_names_its_cause() {
        let base = json!({"type": "incident", "id": "PD-1", "repo": "acme/shop",
            "opened_at": "2026-03-02T13:00:00Z"});
        for (field, cause) in [
            ("deployment", IncidentCause::Deployment("d1".into())),
            ("sha", IncidentCause::Sha("d1".into())),
            ("change", IncidentCause::Change("d1".into())),
        ] {
            let mut event = base.clone();
            event[field] = json!("d1");
            let Ok(EventRecord::Incident(i)) = parse(event) else {
                panic!("an incident")
            };
            assert_eq!(i.cause, Some(cause));
            assert_eq!(i.resolved_at, None);
        }
    }

    #[test]
    fn missing_required_fields_are_named() {
        let e = error(json!({"type": "deployment", "id": "d", "repo": "acme/shop",
            "environment": "production", "sha": "abc", "status": "success"}));
        assert_eq!(e.field.as_deref(), Some("finished_at"));
        assert!(e.message.contains("missing"), "{e}");
        let e = error(json!({"type": "incident", "id": "i", "opened_at": "2026-03-02T13:00:00Z"}));
        assert_eq!(e.field.as_deref(), Some("repo"));
        let e = error(json!({"id": "x"}));
        assert_eq!(e.field.as_deref(), Some("type"));
        let e = error(json!({"type": "change", "repo": "acme/shop",
            "first_commit_at": "2026-03-01T09:00:00Z", "merged_at": "2026-03-01T10:00:00Z"}));
        assert_eq!(e.field.as_deref(), Some("id"));
    }

    #[test]
    fn bad_values_are_named_with_what_was_expected() {
        let deployment = json!({"type": "deployment", "id": "d", "repo": "acme/shop",
            "environment": "production", "sha": "abc", "status": "success",
            "finished_at": "2026-03-02T11:06:00Z"});
        for (field, value, expected) in [
            ("status", json!("ok"), "success"),
            ("finished_at", json!("2026-03-02 11:06"), "RFC 3339"),
            ("repo", json!("shop"), "owner/name"),
            ("changes", json!({"a": 1}), "list"),
            ("rollback", json!("maybe"), "true or false"),
        ] {
            let mut event = deployment.clone();
            event[field] = value;
            let e = error(event);
            assert_eq!(e.field.as_deref(), Some(field), "{e}");
            assert!(e.message.contains(expected), "{e}");
        }
    }

    #[test]
    fn incident_teams_must_be_configured_teams() {
        let event = |team: &str| {
            json!({"type": "incident", "id": "i", "team": team,
                "opened_at": "2026-03-02T13:00:00Z"})
        };
        assert!(parse(event("shop")).is_ok());
        assert_eq!(error(event("nope")).field.as_deref(), Some("team"));
        assert!(error(event("commerce")).message.contains("tribe"));
    }

    #[test]
    fn nul_characters_are_refused() {
        let e = error(json!({"type": "incident", "id": "i", "repo": "acme/shop",
            "title": "bad\u{0}title", "opened_at": "2026-03-02T13:00:00Z"}));
        assert_eq!(e.field.as_deref(), Some("title"));
    }

    #[test]
    fn times_out_of_order_are_refused() {
        let e = error(json!({"type": "incident", "id": "i", "repo": "acme/shop",
            "opened_at": "2026-03-02T13:00:00Z", "resolved_at": "2026-03-02T12:00:00Z"}));
        assert_eq!(e.field.as_deref(), Some("resolved_at"));
    }
}
