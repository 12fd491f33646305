//! Property tests of the parsers of what users type: the configuration file and dates. Random
//! text and random edits of the annotated example configuration: none may panic, and every
//! refusal names what is wrong.

use crate::config::Config;
use crate::period::{Bucket, Period};
use crate::test_support::mutated;
use proptest::prelude::*;

/// Cases per property.
const CASES: u32 = 2_000;

const EXAMPLE: &str = include_str!("../../doraboard.example.toml");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn configurations_never_panic_and_refusals_name_the_file(
        text in prop_oneof![any::<String>(), "[\\[\\]a-z_=\" \n.0-9]{0,120}", mutated(EXAMPLE, 1..6)]
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
