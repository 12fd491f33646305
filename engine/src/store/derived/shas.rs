//! Finding shas by prefix, either way, in `change_commit`.

use super::FULL_SHA;
use crate::store::codec::{self, Value};

/// A condition on `change_commit.sha` matching any of `shas`: the same sha, a longer one it
/// abbreviates, or a stored abbreviation of it; appends its parameters. Shas shorter than 7
/// digits match nothing. Stored abbreviations are looked for only when the repository has some.
pub(super) fn sha_condition(
    shas: &[String],
    abbreviations: bool,
    params: &mut Vec<Value>,
) -> String {
    let mut terms = Vec::new();
    let mut exact = Vec::new();
    for sha in shas
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .filter(|s| s.len() >= 7)
    {
        if abbreviations {
            let prefixes: Vec<Value> = (7..sha.len().min(FULL_SHA))
                .filter_map(|n| sha.get(..n))
                .map(Value::text)
                .collect();
            if !prefixes.is_empty() {
                let first = params.len() + 1;
                terms.push(format!(
                    "sha IN ({})",
                    codec::placeholders(first, prefixes.len())
                ));
                params.extend(prefixes);
            }
        }
        if sha.len() >= FULL_SHA {
            exact.push(sha);
        } else {
            match prefix_end(&sha) {
                Some(end) => {
                    let n = params.len();
                    terms.push(format!("(sha >= ${} AND sha < ${})", n + 1, n + 2));
                    params.extend([Value::text(sha), Value::text(end)]);
                }
                None => {
                    params.push(Value::text(sha));
                    let n = params.len();
                    terms.push(format!("substr(sha, 1, length(${n})) = ${n}"));
                }
            }
        }
    }
    if !exact.is_empty() {
        let first = params.len() + 1;
        terms.push(format!(
            "sha IN ({})",
            codec::placeholders(first, exact.len())
        ));
        params.extend(exact.into_iter().map(Value::text));
    }
    if terms.is_empty() {
        "false".to_string()
    } else {
        format!("({})", terms.join(" OR "))
    }
}

/// The smallest string greater than every string starting with `prefix`, when its last byte can
/// be raised (ASCII): `abc1` -> `abc2`.
fn prefix_end(prefix: &str) -> Option<String> {
    let (last, rest) = prefix.as_bytes().split_last()?;
    if *last >= 0x7f {
        return None;
    }
    let mut end = rest.to_vec();
    end.push(last + 1);
    String::from_utf8(end).ok()
}
