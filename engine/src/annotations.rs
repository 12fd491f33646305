//! Annotations: dated notes for the organisation, a tribe or a team ("New CI system", "Team
//! split", "Holiday freeze"), drawn on the charts and listed beside the figures so a change in a
//! line has its reason next to it.
//!
//! They come from two places: the store (`POST /api/v1/annotations`, `doraboard annotate`) and
//! the configuration (`[[annotations]]`, read-only: edit the file to change them). Both are
//! validated by [`NewAnnotation::new`], so the same input is refused the same way everywhere.
//!
//! Which charts show one is [`Annotation::shows_on`] (docs/annotations.md has the table):
//! the organisation's everywhere; a tribe's on the tribe and its teams; a team's on the team.
//! Marked `scope = "inherit"`, a team's also shows on its tribe and the organisation, a tribe's
//! on the organisation.

use crate::config::{Config, Scope, ScopeKind};
use crate::store::{Store, StoreError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest title, in characters: a marker's label must stay readable on a chart.
pub const MAX_TITLE_CHARS: usize = 80;
/// The most annotations one listing answers; a longer one is refused, asking for a shorter
/// period, so a listing never grows without bound.
pub const MAX_LISTED: usize = 500;

/// Whether an annotation reaches beyond its own team or tribe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Reach {
    /// Only the charts of its owner (and, for a tribe, of its teams).
    #[default]
    Own,
    /// Also the charts of the owner's tribe and of the organisation.
    Inherit,
}

impl Reach {
    pub fn as_str(self) -> &'static str {
        match self {
            Reach::Own => "own",
            Reach::Inherit => "inherit",
        }
    }

    /// `"own"` or `"inherit"`; anything else is the message of an error.
    pub fn parse(text: &str) -> Result<Reach, String> {
        match text {
            "own" => Ok(Reach::Own),
            "inherit" => Ok(Reach::Inherit),
            other => Err(format!(
                "`{other}` is not a scope: expected `own` or `inherit`"
            )),
        }
    }
}

/// Where an annotation is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// In the store: added through the API or the CLI, removable there.
    Stored,
    /// In `[[annotations]]` of the configuration: read-only.
    Config,
}

/// An annotation as stored and listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Annotation {
    /// The store's id (what `DELETE /api/v1/annotations/{id}` takes); null for the
    /// configuration's.
    pub id: Option<i64>,
    #[schema(value_type = String, format = Date, example = "2026-03-10")]
    pub date: NaiveDate,
    #[schema(example = "New CI system")]
    pub title: String,
    /// The team or tribe it belongs to; null for the organisation.
    pub team: Option<String>,
    pub scope: Reach,
    pub source: Origin,
}

/// An annotation to add, validated against the configuration's teams and tribes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnnotation {
    pub date: NaiveDate,
    pub title: String,
    pub team: Option<String>,
    pub scope: Reach,
}

/// Why an annotation was refused; `field` names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct AnnotationError {
    pub field: &'static str,
    pub message: String,
}

impl AnnotationError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        AnnotationError {
            field,
            message: message.into(),
        }
    }
}

impl NewAnnotation {
    /// Checks the title (trimmed, 1 to [`MAX_TITLE_CHARS`] characters, one line) and that
    /// `team` is a configured team or tribe. `scope = inherit` on an organisation's annotation
    /// is refused: it already shows everywhere, and accepting it would hide a mistake.
    pub fn new(
        config: &Config,
        date: NaiveDate,
        title: &str,
        team: Option<&str>,
        scope: Reach,
    ) -> Result<NewAnnotation, AnnotationError> {
        let title = check_title(title).map_err(|m| AnnotationError::new("title", m))?;
        let team = team.map(str::trim).filter(|t| !t.is_empty());
        if let Some(slug) = team {
            config
                .scope(Some(slug))
                .map_err(|_| AnnotationError::new("team", unknown_team(config, slug)))?;
        } else if scope == Reach::Inherit {
            return Err(AnnotationError::new(
                "scope",
                "`inherit` needs a team or tribe: the organisation's annotations show on every \
                 chart already",
            ));
        }
        Ok(NewAnnotation {
            date,
            title,
            team: team.map(str::to_string),
            scope,
        })
    }
}

/// The title as kept (trimmed), or why it cannot be one.
pub fn check_title(title: &str) -> Result<String, String> {
    let title = title.trim();
    let chars = title.chars().count();
    if chars == 0 {
        return Err("must not be empty".to_string());
    }
    if chars > MAX_TITLE_CHARS {
        return Err(format!(
            "{chars} characters is too long: at most {MAX_TITLE_CHARS} fit on a chart"
        ));
    }
    if title.chars().any(char::is_control) {
        return Err("must be one line of text, without control characters".to_string());
    }
    Ok(title.to_string())
}

/// "`x` is not a team or tribe; known: a, b".
pub fn unknown_team(config: &Config, slug: &str) -> String {
    let known: Vec<&str> = config
        .tribes
        .iter()
        .map(|t| t.slug.as_str())
        .chain(config.teams.iter().map(|t| t.slug.as_str()))
        .collect();
    if known.is_empty() {
        format!("`{slug}` is not a team or tribe: none are configured")
    } else {
        format!(
            "`{slug}` is not a team or tribe; known: {}",
            known.join(", ")
        )
    }
}

impl Annotation {
    /// Whether the charts and lists of `scope` show this annotation: the organisation's on every
    /// scope; a tribe's on the tribe and its teams, and on the organisation when it inherits; a
    /// team's on the team, and on its tribe and the organisation when it inherits.
    pub fn shows_on(&self, scope: &Scope, config: &Config) -> bool {
        let Some(owner) = self.team.as_deref() else {
            return true;
        };
        if scope.slug.as_deref() == Some(owner) {
            return true;
        }
        let inherits = self.scope == Reach::Inherit;
        match scope.kind {
            ScopeKind::Organisation => inherits,
            ScopeKind::Tribe => {
                inherits
                    && config
                        .teams
                        .iter()
                        .any(|t| t.slug == owner && t.tribe.as_deref() == scope.slug.as_deref())
            }
            ScopeKind::Team => {
                scope.parent.as_deref() == Some(owner)
                    && config.tribes.iter().any(|t| t.slug == owner)
            }
        }
    }
}

/// Every annotation dated in `[from, to)`, the configuration's and the store's, by date (the
/// configuration's first on a day). More than [`MAX_LISTED`] is an error naming the period.
pub async fn in_period(
    store: &Store,
    config: &Config,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Annotation>, ListError> {
    let mut all: Vec<Annotation> = config
        .annotations
        .iter()
        .filter(|a| a.date >= from && a.date < to)
        .cloned()
        .collect();
    let stored = store.annotations(from, to, MAX_LISTED + 1).await?;
    all.extend(stored);
    if all.len() > MAX_LISTED {
        return Err(ListError::TooMany { from, to });
    }
    all.sort_by_key(|a| (a.date, a.source == Origin::Stored, a.id));
    Ok(all)
}

/// The annotations of `[from, to)` that any of `scopes` shows (a chart comparing teams shows
/// each one's), by date.
pub async fn for_scopes(
    store: &Store,
    config: &Config,
    scopes: &[&Scope],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Annotation>, ListError> {
    let mut all = in_period(store, config, from, to).await?;
    all.retain(|a| scopes.iter().any(|s| a.shows_on(s, config)));
    Ok(all)
}

/// Why annotations could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(
        "more than {MAX_LISTED} annotations are dated from {from} to {to}: ask for a shorter period"
    )]
    TooMany { from: NaiveDate, to: NaiveDate },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_toml_str(
            r#"
            [[tribes]]
            slug = "customer"
            [[tribes]]
            slug = "platform"
            [[teams]]
            slug = "checkout"
            tribe = "customer"
            repos = ["acme/shop"]
            [[teams]]
            slug = "loyalty"
            tribe = "customer"
            repos = ["acme/points"]
            [[teams]]
            slug = "infra"
            tribe = "platform"
            repos = ["acme/infra"]
            "#,
            "test",
        )
        .expect("config")
    }

    fn note(team: Option<&str>, scope: Reach) -> Annotation {
        Annotation {
            id: Some(1),
            date: NaiveDate::from_ymd_opt(2026, 3, 10).expect("date"),
            title: "New CI system".to_string(),
            team: team.map(str::to_string),
            scope,
            source: Origin::Stored,
        }
    }

    /// Where each annotation shows, worked out by hand from the rule: one row per annotation,
    /// one column per scope (organisation, customer, platform, checkout, loyalty, infra).
    #[test]
    fn the_scope_rule_on_every_scope() {
        let config = config();
        let scopes: Vec<Scope> = [
            None,
            Some("customer"),
            Some("platform"),
            Some("checkout"),
            Some("loyalty"),
            Some("infra"),
        ]
        .into_iter()
        .map(|s| config.scope(s).expect("scope"))
        .collect();
        let cases = [
            (note(None, Reach::Own), [true, true, true, true, true, true]),
            (
                note(Some("checkout"), Reach::Own),
                [false, false, false, true, false, false],
            ),
            (
                note(Some("checkout"), Reach::Inherit),
                [true, true, false, true, false, false],
            ),
            (
                note(Some("customer"), Reach::Own),
                [false, true, false, true, true, false],
            ),
            (
                note(Some("customer"), Reach::Inherit),
                [true, true, false, true, true, false],
            ),
        ];
        for (annotation, expected) in cases {
            let shown: Vec<bool> = scopes
                .iter()
                .map(|s| annotation.shows_on(s, &config))
                .collect();
            assert_eq!(
                shown, expected,
                "{:?} {:?}",
                annotation.team, annotation.scope
            );
        }
    }

    #[test]
    fn bad_input_names_the_field() {
        let config = config();
        let day = NaiveDate::from_ymd_opt(2026, 3, 10).expect("date");
        let field = |title: &str, team: Option<&str>, scope| {
            NewAnnotation::new(&config, day, title, team, scope)
                .expect_err("refused")
                .field
        };
        assert_eq!(field("  ", None, Reach::Own), "title");
        assert_eq!(
            field(&"x".repeat(MAX_TITLE_CHARS + 1), None, Reach::Own),
            "title"
        );
        assert_eq!(field("two\nlines", None, Reach::Own), "title");
        assert_eq!(field("Freeze", Some("nobody"), Reach::Own), "team");
        assert_eq!(field("Freeze", None, Reach::Inherit), "scope");
        let ok = NewAnnotation::new(&config, day, " Freeze ", Some("customer"), Reach::Inherit)
            .expect("valid");
        assert_eq!(ok.title, "Freeze");
        assert!(
            NewAnnotation::new(&config, day, &"é".repeat(MAX_TITLE_CHARS), None, Reach::Own)
                .is_ok(),
            "the limit counts characters, not bytes"
        );
    }
}
