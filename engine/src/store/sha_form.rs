//! How the store keeps shas. They were most of the bytes of `change_commit` (1.3 M rows at the
//! benchmark's 100,000 deployments) and half of `change`'s: on SQLite a full sha (40 hex
//! digits) is kept as its 20 bytes, which halves them (`change_commit` 76 -> 46 MB, `change` 130
//! -> 94.5 MB).
//!
//! - `change_commit.sha`: a full sha as its bytes, anything else (an abbreviation, a malformed
//!   sha) as lower-case text, so abbreviations are still found by prefix. SQLite orders every
//!   text before every blob, so a condition on texts never matches a full sha and a range of
//!   blobs never matches a text.
//! - A change's merge sha and commits: as bytes when they are full shas written in lower case,
//!   else as text and a JSON list, so a change reads back exactly as written.
//! - A deployment's sha, the same way (migration 0037): SQL that reads it as text goes through
//!   [`ShaForm::text`].
//!
//! PostgreSQL keeps them all as text.

use super::codec::{self, Value};

/// A full sha's length in hex digits.
const FULL_SHA: usize = 40;
/// A full sha's length in bytes.
pub(crate) const SHA_BYTES: usize = 20;

/// How the backend of a transaction keeps `change_commit.sha`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShaForm {
    binary: bool,
}

impl ShaForm {
    /// Shas as lower-case text: PostgreSQL's `change_commit`, and other tables' shas.
    pub(crate) const TEXT: Self = Self { binary: false };

    pub(crate) fn of(postgres: bool) -> Self {
        Self { binary: !postgres }
    }

    /// The stored form of `sha`, as a parameter.
    pub(crate) fn value(self, sha: &str) -> Value {
        let lower = sha.to_ascii_lowercase();
        match self.bytes(&lower) {
            Some(bytes) => Value::Bytes(bytes),
            None => Value::text(lower),
        }
    }

    /// SQL: the stored form of the text sha `expr` (evaluated more than once).
    pub(crate) fn stored(self, expr: &str) -> String {
        if self.binary {
            format!(
                "COALESCE(unhex(CASE WHEN length({expr}) = {FULL_SHA} THEN {expr} END), lower({expr}))"
            )
        } else {
            format!("lower({expr})")
        }
    }

    /// SQL: the stored sha `column` as lower-case text.
    pub(crate) fn text(self, column: &str) -> String {
        if self.binary {
            format!(
                "CASE WHEN typeof({column}) = 'blob' THEN lower(hex({column})) ELSE {column} END"
            )
        } else {
            column.to_string()
        }
    }

    /// SQL: whether the stored sha `column` is not a full sha (the predicate of the index
    /// `change_commit_abbreviated`, which queries repeat to use it).
    pub(crate) fn abbreviated(self, column: &str) -> String {
        if self.binary {
            format!("typeof({column}) = 'text'")
        } else {
            format!("length({column}) < {FULL_SHA}")
        }
    }

    /// The full shas starting with the hex digits `prefix` (lower-case, shorter than a full
    /// sha), as the first and last stored values of their range; `None` when they are kept as
    /// text (PostgreSQL, where a text range finds them) or `prefix` is not hex.
    pub(crate) fn full_range(self, prefix: &str) -> Option<(Value, Value)> {
        if prefix.len() >= FULL_SHA {
            return None;
        }
        let pad = |digit: char| {
            let mut sha = prefix.to_string();
            sha.extend(std::iter::repeat_n(digit, FULL_SHA - prefix.len()));
            self.bytes(&sha).map(Value::Bytes)
        };
        Some((pad('0')?, pad('f')?))
    }

    /// SQL: a condition on the stored sha `column` matching the full shas that the text `expr`
    /// (lower-case hex, 7 to 40 digits) abbreviates, when they are kept as blobs; `None` on
    /// PostgreSQL, whose text ranges find them.
    pub(crate) fn full_range_sql(self, column: &str, expr: &str) -> Option<String> {
        self.binary.then(|| {
            let zeros = "0".repeat(FULL_SHA);
            let effs = "f".repeat(FULL_SHA);
            format!(
                "(length({expr}) <= {FULL_SHA} AND {column} BETWEEN \
                 unhex(substr({expr} || '{zeros}', 1, {FULL_SHA})) AND \
                 unhex(substr({expr} || '{effs}', 1, {FULL_SHA})))"
            )
        })
    }

    /// A change's merge sha or a deployment's sha as stored: on SQLite its 20 bytes when it is
    /// a lower-case full sha, else its text as given, so it reads back the same
    /// ([`super::codec::stored_sha`]).
    pub(crate) fn exact_value(self, sha: Option<&str>) -> Value {
        match sha.and_then(|sha| self.exact_bytes(sha)) {
            Some(bytes) => Value::Bytes(bytes.to_vec()),
            None => Value::opt_text(sha),
        }
    }

    /// A change's commits as stored: on SQLite the 20 bytes of each, one after another, when
    /// there are some and every one is a lower-case full sha; else their JSON list. Either
    /// reads back the same ([`super::codec::stored_commits`]).
    pub(crate) fn commits_value(self, commits: &[String]) -> Value {
        if self.binary && !commits.is_empty() {
            let mut packed = Vec::with_capacity(commits.len() * SHA_BYTES);
            for sha in commits {
                match self.exact_bytes(sha) {
                    Some(bytes) => packed.extend(bytes),
                    None => return codec::json_list(commits),
                }
            }
            return Value::Bytes(packed);
        }
        codec::json_list(commits)
    }

    /// The 20 bytes of a full sha written in lower case.
    fn exact_bytes(self, sha: &str) -> Option<[u8; SHA_BYTES]> {
        if !self.binary || sha.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut bytes = [0; SHA_BYTES];
        hex::decode_to_slice(sha, &mut bytes).ok()?;
        Some(bytes)
    }

    /// The 20 bytes of a lower-case full sha, when they are what is stored.
    fn bytes(self, lower: &str) -> Option<Vec<u8>> {
        if !self.binary || lower.len() != FULL_SHA {
            return None;
        }
        hex::decode(lower).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(value: Value) -> Option<Vec<u8>> {
        match value {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    #[test]
    fn full_shas_are_bytes_on_sqlite_only() {
        let sha = "ABCDEF0123456789abcdef0123456789abcdef01";
        let sqlite = ShaForm::of(false);
        let stored = bytes(sqlite.value(sha)).expect("bytes");
        assert_eq!(hex::encode(stored), sha.to_ascii_lowercase());
        assert!(bytes(ShaForm::of(true).value(sha)).is_none());
        // An abbreviation, or 40 characters that are not hex, stay text.
        assert!(bytes(sqlite.value("abcdef0")).is_none());
        assert!(bytes(sqlite.value(&"g".repeat(40))).is_none());
    }

    #[test]
    fn a_change_keeps_its_shas_as_given() {
        let sqlite = ShaForm::of(false);
        let lower = "abcdef0123456789abcdef0123456789abcdef01".to_string();
        let upper = lower.to_ascii_uppercase();
        assert!(bytes(sqlite.exact_value(Some(&lower))).is_some());
        assert!(bytes(sqlite.exact_value(Some(&upper))).is_none());
        assert!(bytes(ShaForm::of(true).exact_value(Some(&lower))).is_none());
        let packed = bytes(sqlite.commits_value(&[lower.clone(), lower.clone()])).expect("bytes");
        assert_eq!(packed.len(), 2 * SHA_BYTES);
        // One sha that cannot be packed keeps the whole list as JSON; so does an empty one.
        assert!(bytes(sqlite.commits_value(&[lower.clone(), "abcdef0".into()])).is_none());
        assert!(bytes(sqlite.commits_value(&[lower, upper])).is_none());
        assert!(bytes(sqlite.commits_value(&[])).is_none());
    }

    #[test]
    fn a_prefix_spans_the_full_shas_it_abbreviates() {
        let sqlite = ShaForm::of(false);
        let (first, last) = sqlite.full_range("abc1234").expect("range");
        let first = bytes(first).expect("bytes");
        let last = bytes(last).expect("bytes");
        assert_eq!(hex::encode(&first), format!("abc1234{}", "0".repeat(33)));
        assert_eq!(hex::encode(&last), format!("abc1234{}", "f".repeat(33)));
        assert!(sqlite.full_range("xyz1234").is_none());
        assert!(sqlite.full_range(&"a".repeat(40)).is_none());
        assert!(ShaForm::of(true).full_range("abc1234").is_none());
    }
}
