//! Finding shas by prefix, either way, in `change_commit` (or `shipped_through`).

use super::FULL_SHA;
use crate::store::codec::{self, Value};
use crate::store::sha_form::ShaForm;

/// A condition on a `sha` column kept in `form` matching any of `shas`: the same sha, a longer
/// one it abbreviates, or a stored abbreviation of it; appends its parameters. Shas shorter than
/// 7 digits match nothing. Stored abbreviations are looked for only when the repository has some.
pub(super) fn sha_condition(
    shas: &[String],
    abbreviations: bool,
    form: ShaForm,
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
            if let Some((first, last)) = form.full_range(&sha) {
                let n = params.len();
                terms.push(format!("sha BETWEEN ${} AND ${}", n + 1, n + 2));
                params.extend([first, last]);
            }
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
        params.extend(exact.iter().map(|sha| form.value(sha)));
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
