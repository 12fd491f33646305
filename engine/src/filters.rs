//! Noise filters: changes that should not move lead time (bots, chores by title, changes that only
//! touch excluded paths). Every filter counts what it removed, so a reader sees what was left out.

use crate::config::{Globs, Regexes};
use crate::metrics::facts::ChangeFact;
use globset::GlobSet;
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

/// Author patterns treated as bots unless bots are included.
pub const BUILT_IN_BOT_PATTERNS: [&str; 3] = [r"\[bot\]$", r"(?i)^dependabot", r"(?i)^renovate"];

/// [`BUILT_IN_BOT_PATTERNS`] compiled once per process rather than for every question; they are
/// constants, so a failure would be the same each time (and is reported each time).
static BUILT_IN_BOTS: LazyLock<Result<Vec<Regex>, (&str, regex::Error)>> = LazyLock::new(|| {
    BUILT_IN_BOT_PATTERNS
        .iter()
        .map(|p| Regex::new(p).map_err(|e| (*p, e)))
        .collect()
});

/// Why a change was left out of lead time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Excluded {
    Bot,
    Title,
    Paths,
}

/// How many changes each filter removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FilterCounts {
    pub bots: usize,
    pub titles: usize,
    pub paths: usize,
}

impl FilterCounts {
    pub fn add(&mut self, reason: Excluded) {
        match reason {
            Excluded::Bot => self.bots += 1,
            Excluded::Title => self.titles += 1,
            Excluded::Paths => self.paths += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.bots + self.titles + self.paths
    }
}

impl std::ops::AddAssign for FilterCounts {
    fn add_assign(&mut self, other: Self) {
        self.bots += other.bots;
        self.titles += other.titles;
        self.paths += other.paths;
    }
}

/// A built-in bot pattern that does not compile, naming it.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("`{pattern}` is not a valid regular expression: {source}")]
    Regex {
        pattern: String,
        source: regex::Error,
    },
}

/// The compiled filters.
#[derive(Debug, Clone)]
pub struct NoiseFilters {
    bots: Vec<Regex>,
    include_bots: bool,
    titles: Vec<Regex>,
    paths: GlobSet,
}

impl Default for NoiseFilters {
    fn default() -> Self {
        let none = Regexes::default();
        Self::new(false, &none, &none, &Globs::default()).unwrap_or_else(|_| Self {
            bots: Vec::new(),
            include_bots: false,
            titles: Vec::new(),
            paths: GlobSet::empty(),
        })
    }
}

impl NoiseFilters {
    /// `bot_authors` add to the built-in bot patterns; `include_bots` turns bot filtering off.
    /// Nothing is compiled here: the configured patterns were when the configuration was read,
    /// the built-in ones once per process.
    pub fn new(
        include_bots: bool,
        bot_authors: &Regexes,
        exclude_titles: &Regexes,
        exclude_paths: &Globs,
    ) -> Result<Self, FilterError> {
        let built_in = BUILT_IN_BOTS
            .as_ref()
            .map_err(|(pattern, source)| FilterError::Regex {
                pattern: pattern.to_string(),
                source: source.clone(),
            })?;
        let bots = built_in
            .iter()
            .chain(bot_authors.compiled())
            .cloned()
            .collect();
        Ok(Self {
            bots,
            include_bots,
            titles: exclude_titles.compiled().to_vec(),
            paths: exclude_paths.set().clone(),
        })
    }

    /// Why `change` is left out, or None when it counts.
    pub fn excludes(&self, change: &ChangeFact) -> Option<Excluded> {
        let bot = change.bot || self.is_bot_author(&change.author);
        self.excludes_parts(bot, &change.title, &change.paths)
    }

    /// Whether an author's name says it is a bot.
    pub fn is_bot_author(&self, author: &str) -> bool {
        self.bots.iter().any(|r| r.is_match(author))
    }

    /// [`NoiseFilters::excludes`] from the parts of a change it reads: whether it is a bot's
    /// (flagged, or by [`NoiseFilters::is_bot_author`]), its title and its paths.
    pub fn excludes_parts(&self, bot: bool, title: &str, paths: &[String]) -> Option<Excluded> {
        if bot && !self.include_bots {
            return Some(Excluded::Bot);
        }
        if self.titles.iter().any(|r| r.is_match(title)) {
            return Some(Excluded::Title);
        }
        let only_excluded_paths = !self.paths.is_empty()
            && !paths.is_empty()
            && paths.iter().all(|p| self.paths.is_match(p));
        only_excluded_paths.then_some(Excluded::Paths)
    }

    /// Whether any title pattern is set (else titles need not be read).
    pub fn reads_titles(&self) -> bool {
        !self.titles.is_empty()
    }

    /// Whether any path pattern is set (else paths need not be read).
    pub fn reads_paths(&self) -> bool {
        !self.paths.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_bot_patterns_compile_and_match_bots_only() {
        let none = Regexes::default();
        let filters = NoiseFilters::new(false, &none, &none, &Globs::default()).expect("compile");
        for bot in ["github-actions[bot]", "dependabot-preview", "Renovate"] {
            assert!(filters.is_bot_author(bot), "{bot}");
        }
        for person in ["alice", "bot-enthusiast", "the-renovate-team"] {
            assert!(!filters.is_bot_author(person), "{person}");
        }
    }
}
