//! Noise filters: changes that should not move lead time (bots, chores by title, changes that only
//! touch excluded paths). Every filter counts what it removed, so a reader sees what was left out.

use crate::metrics::facts::ChangeFact;
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::Serialize;

/// Author patterns treated as bots unless bots are included.
pub const BUILT_IN_BOT_PATTERNS: [&str; 3] = [r"\[bot\]$", r"(?i)^dependabot", r"(?i)^renovate"];

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

/// A bad filter pattern, naming it.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("`{pattern}` is not a valid regular expression: {source}")]
    Regex {
        pattern: String,
        source: regex::Error,
    },
    #[error("`{pattern}` is not a valid glob: {source}")]
    Glob {
        pattern: String,
        source: globset::Error,
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
        Self::new(false, &[], &[], &[]).unwrap_or_else(|_| Self {
            bots: Vec::new(),
            include_bots: false,
            titles: Vec::new(),
            paths: GlobSet::empty(),
        })
    }
}

impl NoiseFilters {
    /// `bot_authors` add to the built-in bot patterns; `include_bots` turns bot filtering off.
    pub fn new(
        include_bots: bool,
        bot_authors: &[String],
        exclude_titles: &[String],
        exclude_paths: &[String],
    ) -> Result<Self, FilterError> {
        let compile = |p: &str| {
            Regex::new(p).map_err(|source| FilterError::Regex {
                pattern: p.to_string(),
                source,
            })
        };
        let bots = BUILT_IN_BOT_PATTERNS
            .iter()
            .copied()
            .chain(bot_authors.iter().map(String::as_str))
            .map(compile)
            .collect::<Result<_, _>>()?;
        let titles = exclude_titles
            .iter()
            .map(|p| compile(p))
            .collect::<Result<_, _>>()?;
        let mut paths = GlobSetBuilder::new();
        for pattern in exclude_paths {
            let glob = Glob::new(pattern).map_err(|source| FilterError::Glob {
                pattern: pattern.clone(),
                source,
            })?;
            paths.add(glob);
        }
        let paths = paths.build().map_err(|source| FilterError::Glob {
            pattern: exclude_paths.join(", "),
            source,
        })?;
        Ok(Self {
            bots,
            include_bots,
            titles,
            paths,
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
