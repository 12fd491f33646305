//! Property tests of the parsers of what users type: the configuration file and dates. Random
//! text and random edits of the annotated example configuration: none may panic, and every
//! refusal names what is wrong.

use crate::config::Config;
use crate::period::{Bucket, Period};
use proptest::prelude::*;

/// Cases per property.
const CASES: u32 = 2_000;

const EXAMPLE: &str = include_str!("../../doraboard.example.toml");

/// The example with random edits: characters replaced, inserted or removed, or cut short.
fn mutated(seed: &'static str) -> impl Strategy<Value = String> {
    let edits = prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<char>()), 1..6);
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn configurations_never_panic_and_refusals_name_the_file(
        text in prop_oneof![any::<String>(), "[\\[\\]a-z_=\" \n.0-9]{0,120}", mutated(EXAMPLE)]
    ) {
        if let Err(e) = Config::from_toml_str(&text, "fuzz.toml") {
            let message = e.to_string();
            prop_assert!(message.contains("fuzz.toml"), "{message}");
        }
    }

    #[test]
    fn dates_and_buckets_never_panic(
        text in prop_oneof![any::<String>(), "[0-9T:Z+-]{0,30}", "[0-9]{4}-[0-9]{2}-[0-9]{2}.{0,3}"]
    ) {
        match Period::parse_date(&text) {
            Ok(date) => {
                let written = date.format("%Y-%m-%d").to_string();
                prop_assert_eq!(Some(written.as_str()), text.get(..10));
            }
            Err(e) => prop_assert!(e.to_string().contains(&text)),
        }
        if let Err(e) = text.parse::<Bucket>() {
            prop_assert!(!e.is_empty());
        }
    }
}

#[test]
fn the_example_configuration_is_valid() {
    Config::from_toml_str(EXAMPLE, "doraboard.example.toml").expect("the example parses");
}
