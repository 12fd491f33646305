//! Helpers for the tests of this crate and of the crates above it (behind the `test-support`
//! feature): nothing here is part of the product.

use proptest::prelude::*;
use std::ops::Range;

/// `seed` with a number of random edits in `edits`: characters replaced, inserted or removed, or
/// the text cut short. Edits of a valid input reach deep into a parser, where random text is
/// mostly refused at its first character.
pub fn mutated(seed: &'static str, edits: Range<usize>) -> impl Strategy<Value = String> {
    let edits = prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<char>()), edits);
    edits.prop_map(move |edits| {
        let mut text: Vec<char> = seed.chars().collect();
        for (at, kind, c) in edits {
            if text.is_empty() {
                break;
            }
            let i = at.index(text.len());
            match kind {
                0 => text[i] = c,
                1 => text.insert(i, c),
                2 => {
                    text.remove(i);
                }
                _ => text.truncate(i),
            }
        }
        text.into_iter().collect()
    })
}
