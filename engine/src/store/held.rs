//! A stored copy of each repository's rows ([`RepoRows`]), so a process that starts does not read
//! every change again: `held_rows` keeps them encoded as fixed-size little-endian records, stamped
//! with the repository's version when they were read. Only a cache: a copy whose version is behind
//! the repository's is ignored (and replaced after the next full read), and one that does not
//! decode is read again.

use super::codec::{Statement, Value};
use super::rows::RepoRows;
use super::{Store, StoreError};
use crate::filters::Excluded;
use crate::metrics::rows::{ChangeRow, DeploymentRow, RollbackRow};
use crate::model::RepoSlug;
use std::collections::HashMap;

/// Bumped whenever the encoding or what a copy's version means changes: older copies then fail
/// to decode and are read again. 2: versions stop counting writes that stamp only every scope
/// (such writes now also stamp each repository whose facts they change).
const MAGIC: &[u8; 4] = b"DRH2";
/// An absent time.
const NONE: i64 = i64::MIN;

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
                        decode(row.bytes("rows")?),
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
        let statements = rows
            .iter()
            .map(|(repo, version, rows)| {
                Statement::new(
                    "INSERT INTO held_rows (repo, environment, filters, version, rows) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (repo, environment, filters) DO UPDATE \
                     SET version = excluded.version, rows = excluded.rows \
                     WHERE held_rows.version < excluded.version",
                    vec![
                        Value::text(repo.to_string()),
                        Value::text(environment),
                        Value::text(filters_key),
                        Value::int(*version),
                        Value::Bytes(encode(rows)),
                    ],
                )
            })
            .collect();
        self.transaction(statements).await?;
        Ok(())
    }
}

fn encode(rows: &RepoRows) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        16 + rows.deployments.len() * 9 + rows.changes.len() * 41 + rows.rollbacks.len() * 16,
    );
    out.extend_from_slice(MAGIC);
    for n in [
        rows.deployments.len(),
        rows.changes.len(),
        rows.rollbacks.len(),
    ] {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    for d in &rows.deployments {
        out.extend_from_slice(&d.at.to_le_bytes());
        out.push(u8::from(d.success) | u8::from(d.failed) << 1 | u8::from(d.rework) << 2);
    }
    for c in &rows.changes {
        for t in [
            c.deployed_at,
            c.first_commit_at,
            c.opened_at.unwrap_or(NONE),
            c.first_review_at.unwrap_or(NONE),
            c.merged_at,
        ] {
            out.extend_from_slice(&t.to_le_bytes());
        }
        out.push(match c.excluded {
            None => 0,
            Some(Excluded::Bot) => 1,
            Some(Excluded::Title) => 2,
            Some(Excluded::Paths) => 3,
        });
    }
    for r in &rows.rollbacks {
        out.extend_from_slice(&r.failed_at.to_le_bytes());
        out.extend_from_slice(&r.restored_at.to_le_bytes());
    }
    out
}

/// Reads what [`encode`] wrote; None if it is not that (another version, a truncated copy).
fn decode(bytes: &[u8]) -> Option<RepoRows> {
    let mut at = Reader { bytes, pos: 0 };
    if at.take(4)? != MAGIC {
        return None;
    }
    let mut count = || Some(u32::from_le_bytes(at.take(4)?.try_into().ok()?) as usize);
    let (deployments, changes, rollbacks) = (count()?, count()?, count()?);
    // Refuse counts the bytes cannot hold before allocating for them.
    if deployments * 9 + changes * 41 + rollbacks * 16 != bytes.len() - 16 {
        return None;
    }
    let mut rows = RepoRows {
        deployments: Vec::with_capacity(deployments),
        changes: Vec::with_capacity(changes),
        rollbacks: Vec::with_capacity(rollbacks),
    };
    for _ in 0..deployments {
        let at_time = at.int()?;
        let flags = at.take(1)?[0];
        rows.deployments.push(DeploymentRow {
            at: at_time,
            success: flags & 1 != 0,
            failed: flags & 2 != 0,
            rework: flags & 4 != 0,
        });
    }
    let some = |t: i64| (t != NONE).then_some(t);
    for _ in 0..changes {
        let (deployed_at, first_commit_at) = (at.int()?, at.int()?);
        let (opened_at, first_review_at, merged_at) = (at.int()?, at.int()?, at.int()?);
        let excluded = match at.take(1)?[0] {
            0 => None,
            1 => Some(Excluded::Bot),
            2 => Some(Excluded::Title),
            3 => Some(Excluded::Paths),
            _ => return None,
        };
        rows.changes.push(ChangeRow {
            deployed_at,
            first_commit_at,
            opened_at: some(opened_at),
            first_review_at: some(first_review_at),
            merged_at,
            excluded,
        });
    }
    for _ in 0..rollbacks {
        let failed_at = at.int()?;
        rows.rollbacks.push(RollbackRow {
            failed_at,
            restored_at: at.int()?,
        });
    }
    Some(rows)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let slice = self.bytes.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some(slice)
    }

    fn int(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
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
                ChangeRow {
                    deployed_at: 10,
                    first_commit_at: -5,
                    opened_at: None,
                    first_review_at: Some(7),
                    merged_at: 8,
                    excluded: Some(Excluded::Title),
                },
                ChangeRow {
                    deployed_at: 11,
                    first_commit_at: 1,
                    opened_at: Some(2),
                    first_review_at: None,
                    merged_at: 9,
                    excluded: None,
                },
            ],
            rollbacks: vec![RollbackRow {
                failed_at: 3,
                restored_at: 4,
            }],
        };
        let bytes = encode(&rows);
        assert_eq!(decode(&bytes), Some(rows));
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None, "truncated");
        assert_eq!(decode(b"DRH0"), None, "another encoding");
    }
}
