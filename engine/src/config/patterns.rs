//! Pattern lists in their parsed form: compiled once, when the configuration is read, instead of
//! on every question. Each keeps the text as written beside it: that is what reading code sees
//! (through `Deref` to the strings) and what `Debug` prints, so keys made from the
//! configuration's `Debug` output stay as they were.

use super::de::{GlobPattern, RegexPattern};
use globset::{GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::ops::Deref;

/// Regular expressions (`filters.bot_authors`, `filters.exclude_titles`), each checked and
/// compiled when read.
#[derive(Clone, Default)]
pub struct Regexes {
    text: Vec<String>,
    compiled: Vec<Regex>,
}

impl Regexes {
    /// The compiled expressions, in the order written.
    pub fn compiled(&self) -> &[Regex] {
        &self.compiled
    }
}

impl<'de> Deserialize<'de> for Regexes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (text, compiled) = Vec::<RegexPattern>::deserialize(d)?
            .into_iter()
            .map(|p| (p.text, p.regex))
            .unzip();
        Ok(Regexes { text, compiled })
    }
}

/// Globs (`filters.exclude_paths`), each checked when read and built into one set.
#[derive(Clone)]
pub struct Globs {
    text: Vec<String>,
    set: GlobSet,
}

impl Globs {
    /// The set matching a path against every glob at once.
    pub fn set(&self) -> &GlobSet {
        &self.set
    }
}

impl Default for Globs {
    fn default() -> Self {
        Globs {
            text: Vec::new(),
            set: GlobSet::empty(),
        }
    }
}

impl<'de> Deserialize<'de> for Globs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let patterns = Vec::<GlobPattern>::deserialize(d)?;
        let mut set = GlobSetBuilder::new();
        for pattern in &patterns {
            set.add(pattern.glob.clone());
        }
        let text: Vec<String> = patterns.into_iter().map(|p| p.text).collect();
        let set = set.build().map_err(|e| {
            D::Error::custom(format!(
                "the globs {text:?} cannot be matched together: {}",
                e.kind()
            ))
        })?;
        Ok(Globs { text, set })
    }
}

/// The lists read as the strings written, as before they were compiled.
macro_rules! as_written {
    ($($list:ty),*) => {$(
        impl Deref for $list {
            type Target = [String];
            fn deref(&self) -> &[String] {
                &self.text
            }
        }

        /// Compared by the text written: the compiled forms follow from it.
        impl PartialEq for $list {
            fn eq(&self, other: &Self) -> bool {
                self.text == other.text
            }
        }

        /// The text written, exactly as a list of strings prints.
        impl fmt::Debug for $list {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.text.fmt(f)
            }
        }
    )*};
}

as_written!(Regexes, Globs);

#[cfg(test)]
mod tests {
    use crate::config::testing::*;

    #[test]
    fn patterns_are_compiled_once_read_and_print_as_written() {
        let c = parse(
            "[filters]\nbot_authors = [\"^ci-\"]\nexclude_titles = [\"^WIP\", \"(?i)chore\"]\n\
             exclude_paths = [\"docs/**\", \"*.md\"]",
        )
        .expect("valid");
        let f = &c.filters;
        assert!(f.bot_authors.compiled()[0].is_match("ci-runner"));
        let titles: Vec<bool> = f
            .exclude_titles
            .compiled()
            .iter()
            .map(|r| r.is_match("Chore: bump"))
            .collect();
        assert_eq!(titles, [false, true]);
        assert!(f.exclude_paths.set().is_match("docs/a/b.txt"));
        assert!(f.exclude_paths.set().is_match("README.md"));
        assert!(!f.exclude_paths.set().is_match("src/main.rs"));
        assert_eq!(f.exclude_paths.len(), 2);
        assert_eq!(
            format!("{f:?}"),
            "FiltersConfig { include_bots: false, bot_authors: [\"^ci-\"], exclude_titles: \
             [\"^WIP\", \"(?i)chore\"], exclude_paths: [\"docs/**\", \"*.md\"] }"
        );
    }
}
