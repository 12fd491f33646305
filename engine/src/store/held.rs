//! A stored copy of each repository's rows ([`RepoRows`]), so a process that starts does not read
//! every change again: `held_rows` keeps them encoded compactly ([`encode`]), stamped with the
//! repository's version when they were read. Only a cache: a copy whose version is behind
//! the repository's is ignored (and replaced after the next full read), and one that does not
//! decode is read again.

use super::codec::{Statement, Value};
use super::rows::RepoRows;
use super::{Store, StoreError};
use crate::filters::Excluded;
use crate::metrics::rows::{ChangeRow, ChangeTimes, DeploymentRow, RollbackRow};
use crate::model::RepoSlug;
use std::collections::HashMap;

/// Bumped whenever the encoding or what a copy's version means changes: older copies then fail
/// to decode and are read again. 2: versions stop counting writes that stamp only every scope
/// (such writes now also stamp each repository whose facts they change). 3: differences from
/// nearby times.
const MAGIC: &[u8; 4] = b"DRH3";
/// Marks a difference written in eight bytes.
const ESCAPE: i32 = i32::MIN;

impl Store {
    /// The stored rows of `repos` for an environment and filter settings, with their versions.
    pub async fn held_rows(
        &self,
        repos: &[RepoSlug],
        environment: &str,
        filters_key: &str,
    ) -> Result<HashMap<RepoSlug, (i64, RepoRows)>, StoreError> {
        if repos.is_empty() {
            return Ok(HashMap::new());
        }
        // Decoded as each row arrives, from the driver's bytes: the copies (21 MB for the
        // 100,000-deployment benchmark) are never all held, nor copied, at once.
        let stored = self
            .fetch_all(
                copies_statement("repo, version, rows", repos, environment, filters_key),
                |row| {
                    Ok((
                        row.text("repo")?,
                        row.int("version")?,
                        unpack(row.bytes("rows")?),
                    ))
                },
            )
            .await?;
        Ok(stored
            .into_iter()
            .filter_map(|(repo, version, rows)| Some((repo.parse().ok()?, (version, rows?))))
            .collect())
    }

    /// The versions of the stored copies of `repos` (without reading the copies): which are
    /// current.
    pub async fn held_row_versions(
        &self,
        repos: &[RepoSlug],
        environment: &str,
        filters_key: &str,
    ) -> Result<HashMap<RepoSlug, i64>, StoreError> {
        if repos.is_empty() {
            return Ok(HashMap::new());
        }
        let stored = self
            .fetch_all(
                copies_statement("repo, version", repos, environment, filters_key),
                |row| Ok((row.text("repo")?, row.int("version")?)),
            )
            .await?;
        Ok(stored
            .into_iter()
            .filter_map(|(repo, version)| Some((repo.parse().ok()?, version)))
            .collect())
    }

    /// Stores rows read at `version` for each repository, replacing older copies (a newer copy
    /// written meanwhile by another process is kept).
    pub async fn keep_held_rows(
        &self,
        environment: &str,
        filters_key: &str,
        rows: &[(&RepoSlug, i64, &RepoRows)],
    ) -> Result<(), StoreError> {
        let copies: Vec<PackedCopy> = rows
            .iter()
            .map(|(repo, version, rows)| PackedCopy::of(repo, *version, rows))
            .collect();
        self.keep_packed_copies(environment, filters_key, copies)
            .await
    }

    /// [`Store::keep_held_rows`] of copies packed beforehand.
    pub async fn keep_packed_copies(
        &self,
        environment: &str,
        filters_key: &str,
        copies: Vec<PackedCopy>,
    ) -> Result<(), StoreError> {
        let statements = copies
            .into_iter()
            .map(|copy| {
                Statement::new(
                    "INSERT INTO held_rows (repo, environment, filters, version, rows) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (repo, environment, filters) DO UPDATE \
                     SET version = excluded.version, rows = excluded.rows \
                     WHERE held_rows.version < excluded.version",
                    vec![
                        Value::text(copy.repo.to_string()),
                        Value::text(environment),
                        Value::text(filters_key),
                        Value::int(copy.version),
                        Value::Bytes(copy.packed),
                    ],
                )
            })
            .collect();
        self.transaction(statements).await?;
        Ok(())
    }
}

/// A repository's rows packed as `held_rows` keeps them, with the version they were read at:
/// what an import prepares on one connection and stores on another.
#[derive(Debug, Clone)]
pub struct PackedCopy {
    repo: RepoSlug,
    version: i64,
    packed: Vec<u8>,
}

impl PackedCopy {
    pub fn of(repo: &RepoSlug, version: i64, rows: &RepoRows) -> Self {
        PackedCopy {
            repo: repo.clone(),
            version,
            packed: pack(rows),
        }
    }

    /// Its size in bytes, for whoever holds several.
    pub fn size(&self) -> usize {
        self.packed.len()
    }
}

/// zstd's level for the stored copies: its fastest packs the encoded rows to 56 % (`held_rows`
/// at 100k 10.9 -> 6.1 MB), in about 30 ms for all of the 100k benchmark's copies; unpacking them
/// adds about 10 ms to a start's first read of them.
const COPY_LEVEL: i32 = 1;

/// A copy as stored: the zstd frame of its encoding, or the encoding itself when that is no
/// larger (a few rows) or compression fails; both unpack the same.
fn pack(rows: &RepoRows) -> Vec<u8> {
    let encoded = encode(rows);
    match zstd::bulk::compress(&encoded, COPY_LEVEL) {
        Ok(packed) if packed.len() < encoded.len() => packed,
        _ => encoded,
    }
}

/// The rows of a stored copy: a zstd frame of their encoding, or (copies stored before) the
/// encoding itself, which starts with [`MAGIC`], never with zstd's magic number.
fn unpack(stored: &[u8]) -> Option<RepoRows> {
    if !stored.starts_with(&super::packed::ZSTD_MAGIC) {
        return decode(stored);
    }
    let size = zstd::zstd_safe::get_frame_content_size(stored).ok()??;
    decode(&zstd::bulk::decompress(stored, usize::try_from(size).ok()?).ok()?)
}

/// Each kind sorted by time, so every time is written as a difference from a time close to it
/// (the previous row's, or another time of the same change) that fits in four bytes: 21 bytes a
/// change where eight-byte times took 41, half the bytes to store and read. Decoding the 100k
/// benchmark's copies takes 6 ms (2.7 ms with eight-byte times); varints would have taken 14
/// bytes a change, but 15 ms. Differences wrap, so any `i64` reads back exactly.
fn encode(rows: &RepoRows) -> Vec<u8> {
    let mut out = Writer(Vec::with_capacity(
        16 + rows.deployments.len() * 5 + rows.changes.len() * 21 + rows.rollbacks.len() * 8,
    ));
    out.0.extend_from_slice(MAGIC);
    for n in [
        rows.deployments.len(),
        rows.changes.len(),
        rows.rollbacks.len(),
    ] {
        out.count(n);
    }
    let mut previous = 0;
    for d in &rows.deployments {
        out.int(d.at.wrapping_sub(previous));
        out.byte(u8::from(d.success) | u8::from(d.failed) << 1 | u8::from(d.rework) << 2);
        previous = d.at;
    }
    let mut previous = 0;
    for c in rows.changes.iter().map(ChangeRow::times) {
        let excluded = match c.excluded {
            None => 0,
            Some(Excluded::Bot) => 1,
            Some(Excluded::Title) => 2,
            Some(Excluded::Paths) => 3,
        };
        out.byte(
            excluded
                | u8::from(c.opened_at.is_some()) << 2
                | u8::from(c.first_review_at.is_some()) << 3,
        );
        out.int(c.deployed_at.wrapping_sub(previous));
        out.int(c.deployed_at.wrapping_sub(c.merged_at));
        out.int(c.merged_at.wrapping_sub(c.first_commit_at));
        for t in [c.opened_at, c.first_review_at].into_iter().flatten() {
            out.int(c.merged_at.wrapping_sub(t));
        }
        previous = c.deployed_at;
    }
    let mut previous = 0;
    for r in &rows.rollbacks {
        out.int(r.failed_at.wrapping_sub(previous));
        out.int(r.restored_at.wrapping_sub(r.failed_at));
        previous = r.failed_at;
    }
    out.0
}

/// Reads what [`encode`] wrote; None if it is not that (another version, a truncated copy).
fn decode(bytes: &[u8]) -> Option<RepoRows> {
    let mut at = Reader { bytes, pos: 0 };
    if at.array()? != *MAGIC {
        return None;
    }
    let (deployments, changes, rollbacks) = (at.count()?, at.count()?, at.count()?);
    // Refuse counts the bytes cannot hold (each row takes at least 5, 13 and 8 bytes) before
    // allocating for them.
    let least = deployments as u64 * 5 + changes as u64 * 13 + rollbacks as u64 * 8;
    if least > (bytes.len() - at.pos) as u64 {
        return None;
    }
    let mut rows = RepoRows {
        deployments: Vec::with_capacity(deployments),
        changes: Vec::with_capacity(changes),
        rollbacks: Vec::with_capacity(rollbacks),
    };
    let mut previous = 0i64;
    for _ in 0..deployments {
        previous = previous.wrapping_add(at.int()?);
        let flags = at.byte()?;
        rows.deployments.push(DeploymentRow {
            at: previous,
            success: flags & 1 != 0,
            failed: flags & 2 != 0,
            rework: flags & 4 != 0,
        });
    }
    let mut previous = 0i64;
    for _ in 0..changes {
        let flags = at.byte()?;
        let excluded = match flags & 3 {
            0 => None,
            1 => Some(Excluded::Bot),
            2 => Some(Excluded::Title),
            _ => Some(Excluded::Paths),
        };
        let deployed_at = previous.wrapping_add(at.int()?);
        let merged_at = deployed_at.wrapping_sub(at.int()?);
        let first_commit_at = merged_at.wrapping_sub(at.int()?);
        let mut before_merge = |present: bool| -> Option<Option<i64>> {
            Some(if present {
                Some(merged_at.wrapping_sub(at.int()?))
            } else {
                None
            })
        };
        let opened_at = before_merge(flags & 4 != 0)?;
        let first_review_at = before_merge(flags & 8 != 0)?;
        rows.changes.push(
            ChangeTimes {
                deployed_at,
                first_commit_at,
                opened_at,
                first_review_at,
                merged_at,
                excluded,
            }
            .into(),
        );
        previous = deployed_at;
    }
    let mut previous = 0i64;
    for _ in 0..rollbacks {
        let failed_at = previous.wrapping_add(at.int()?);
        rows.rollbacks.push(RollbackRow {
            failed_at,
            restored_at: failed_at.wrapping_add(at.int()?),
        });
        previous = failed_at;
    }
    (at.pos == bytes.len()).then_some(rows)
}

struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, byte: u8) {
        self.0.push(byte);
    }

    fn count(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u32).to_le_bytes());
    }

    /// Four bytes, or (differences beyond 68 years) an escape and eight.
    fn int(&mut self, value: i64) {
        match i32::try_from(value) {
            Ok(small) if small != ESCAPE => self.0.extend_from_slice(&small.to_le_bytes()),
            _ => {
                self.0.extend_from_slice(&ESCAPE.to_le_bytes());
                self.0.extend_from_slice(&value.to_le_bytes());
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let array = *self.bytes.get(self.pos..)?.first_chunk::<N>()?;
        self.pos += N;
        Some(array)
    }

    fn int(&mut self) -> Option<i64> {
        match i32::from_le_bytes(self.array()?) {
            ESCAPE => Some(i64::from_le_bytes(self.array()?)),
            small => Some(small.into()),
        }
    }

    fn count(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.array()?) as usize)
    }
}

/// `columns` of the stored copies of `repos` for the environment and filters.
fn copies_statement(
    columns: &str,
    repos: &[RepoSlug],
    environment: &str,
    filters_key: &str,
) -> Statement {
    let mut params = vec![Value::text(environment), Value::text(filters_key)];
    params.extend(repos.iter().map(|r| Value::text(r.to_string())));
    Statement::new(
        format!(
            "SELECT {columns} FROM held_rows \
             WHERE environment = $1 AND filters = $2 AND repo IN ({})",
            super::codec::placeholders(3, repos.len())
        ),
        params,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn time() -> impl Strategy<Value = i64> {
        prop_oneof![
            1_600_000_000..1_800_000_000i64,
            Just(i64::MIN),
            Just(i64::MAX),
            any::<i64>(),
        ]
    }

    fn excluded() -> impl Strategy<Value = Option<Excluded>> {
        prop::sample::select(vec![
            None,
            Some(Excluded::Bot),
            Some(Excluded::Title),
            Some(Excluded::Paths),
        ])
    }

    prop_compose! {
        fn repo_rows()(
            deployments in prop::collection::vec((time(), any::<[bool; 3]>()), 0..20),
            changes in prop::collection::vec(
                (time(), time(), prop::option::of(time()), prop::option::of(time()), time(), excluded()),
                0..20,
            ),
            rollbacks in prop::collection::vec((time(), time()), 0..5),
        ) -> RepoRows {
            RepoRows {
                deployments: deployments
                    .into_iter()
                    .map(|(at, [success, failed, rework])| DeploymentRow { at, success, failed, rework })
                    .collect(),
                changes: changes
                    .into_iter()
                    .map(|(deployed_at, first_commit_at, opened_at, first_review_at, merged_at, excluded)| {
                        ChangeTimes { deployed_at, first_commit_at, opened_at, first_review_at, merged_at, excluded }.into()
                    })
                    .collect(),
                rollbacks: rollbacks
                    .into_iter()
                    .map(|(failed_at, restored_at)| RollbackRow { failed_at, restored_at })
                    .collect(),
            }
        }
    }

    proptest! {
        /// Any rows, in any order and with any times (the extremes included), read back exactly,
        /// packed or not; any shorter copy is refused.
        #[test]
        fn any_rows_decode_as_they_were_encoded(rows in repo_rows(), cut in any::<prop::sample::Index>()) {
            let bytes = encode(&rows);
            prop_assert_eq!(decode(&bytes), Some(rows.clone()));
            let shorter = cut.index(bytes.len());
            prop_assert_eq!(decode(&bytes[..shorter]), None);
            let packed = pack(&rows);
            prop_assert_eq!(unpack(&packed), Some(rows));
            prop_assert_eq!(unpack(&packed[..cut.index(packed.len())]), None);
        }
    }

    #[test]
    fn differences_at_the_edges_of_four_bytes_read_back() {
        let edges = [i32::MIN, i32::MIN + 1, i32::MAX].map(i64::from);
        let rows = RepoRows {
            deployments: edges
                .iter()
                .chain(&[i64::from(i32::MAX) + 1, -i64::from(i32::MAX) - 2])
                .map(|&at| DeploymentRow {
                    at,
                    success: true,
                    failed: false,
                    rework: false,
                })
                .collect(),
            ..RepoRows::default()
        };
        assert_eq!(decode(&encode(&rows)), Some(rows));
    }

    #[test]
    fn counts_the_bytes_cannot_hold_are_refused() {
        let mut bytes = MAGIC.to_vec();
        for count in [u32::MAX, 1, 1] {
            bytes.extend_from_slice(&count.to_le_bytes());
        }
        bytes.extend_from_slice(&[0; 26]);
        assert_eq!(decode(&bytes), None);
        assert_eq!(decode(&bytes[..10]), None, "counts cut short");
    }

    #[test]
    fn rows_decode_as_they_were_encoded() {
        let rows = RepoRows {
            deployments: vec![DeploymentRow {
                at: 1_700_000_000,
                success: true,
                failed: false,
                rework: true,
            }],
            changes: vec![
                ChangeTimes {
                    deployed_at: 10,
                    first_commit_at: -5,
                    opened_at: None,
                    first_review_at: Some(7),
                    merged_at: 8,
                    excluded: Some(Excluded::Title),
                }
                .into(),
                ChangeTimes {
                    deployed_at: 11,
                    first_commit_at: 1,
                    opened_at: Some(2),
                    first_review_at: None,
                    merged_at: 9,
                    excluded: None,
                }
                .into(),
            ],
            rollbacks: vec![RollbackRow {
                failed_at: 3,
                restored_at: 4,
            }],
        };
        let bytes = encode(&rows);
        assert_eq!(decode(&bytes), Some(rows.clone()));
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None, "truncated");
        assert_eq!(decode(b"DRH0"), None, "another encoding");
        assert_eq!(unpack(&pack(&rows)), Some(rows.clone()));
        assert_eq!(
            unpack(&bytes),
            Some(rows),
            "copies stored before unpack the same"
        );
    }
}
