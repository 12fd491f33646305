//! How records map to columns and back: timestamps as Unix seconds, lists as JSON text, enums by
//! their snake_case names. Decoding never trusts the database: a bad value is
//! [`StoreError::Corrupt`], naming the record.

use super::StoreError;
use super::change_key;
use super::sha_form::{SHA_BYTES, ShaForm};
use crate::model::{
    Change, Deployment, DeploymentStatus, Incident, IncidentCause, RepoSlug, Source, Timestamp,
};
use chrono::DateTime;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Rows per multi-row `INSERT`: far below the bind-parameter limits of both backends (SQLite
/// 32,766, PostgreSQL 65,535) for our widest table.
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// A bind parameter; every column is one of these, on both backends.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// Shared, so that a write can keep its texts and free them away from SQLite's thread
    /// (`tx::Transaction::execute`).
    Text(Option<Arc<str>>),
    Int(Option<i64>),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl Value {
    pub(crate) fn text(s: impl AsRef<str>) -> Self {
        Value::Text(Some(Arc::from(s.as_ref())))
    }
    pub(crate) fn opt_text(s: Option<impl AsRef<str>>) -> Self {
        Value::Text(s.map(|s| Arc::from(s.as_ref())))
    }
    pub(crate) fn int(i: i64) -> Self {
        Value::Int(Some(i))
    }
    pub(crate) fn time(t: Timestamp) -> Self {
        Value::Int(Some(t.timestamp()))
    }
    pub(crate) fn opt_time(t: Option<Timestamp>) -> Self {
        Value::Int(t.map(|t| t.timestamp()))
    }
}

/// One SQL statement (shared by both backends) with its parameters.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub sql: Cow<'static, str>,
    pub params: Vec<Value>,
}

impl Statement {
    pub(crate) fn new(sql: impl Into<Cow<'static, str>>, params: Vec<Value>) -> Self {
        Statement {
            sql: sql.into(),
            params,
        }
    }
}

/// The SQL with its placeholders `$1, $2, ...` turned into anonymous `?`, when each appears
/// exactly once and in order (so binding by position gives the same result); None otherwise.
///
/// SQLite finds a numbered parameter by a linear search of its names, so binding a statement of
/// thousands of them (a 500-row insert, a list of 2,000 repositories) takes quadratic time;
/// anonymous ones bind directly. Our SQL never holds a `$` followed by a digit in a literal.
pub(crate) fn anonymous_placeholders(sql: &str) -> Option<String> {
    let mut out = String::with_capacity(sql.len());
    let (mut copied, mut expected) = (0, 1_usize);
    // Each `$` found by a vectorised search: a 500-row insert holds thousands of placeholders.
    let mut rest = 0;
    while let Some(at) = sql[rest..].find('$').map(|at| rest + at) {
        let digits = sql[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
        rest = at + 1 + digits;
        if digits == 0 {
            continue;
        }
        let n = sql[at + 1..rest].bytes().try_fold(0_usize, |n, d| {
            n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
        })?;
        if n != expected {
            return None;
        }
        out.push_str(&sql[copied..at]);
        out.push('?');
        expected += 1;
        copied = rest;
    }
    out.push_str(&sql[copied..]);
    Some(out)
}

/// [`anonymous_placeholders`], remembering the statements of [`insert_statements`]'s full size:
/// an import runs the same few 500-row inserts thousands of times, each with thousands of
/// placeholders to rewrite, where comparing the text with the one remembered is a `memcmp`.
pub(crate) fn anonymous_placeholders_remembered(sql: &str) -> Option<String> {
    /// The longest statements rewritten lately, with their rewriting; most recent first.
    static REMEMBERED: std::sync::Mutex<Vec<(String, Option<String>)>> =
        std::sync::Mutex::new(Vec::new());
    const SHORTEST: usize = 4096;
    const KEPT: usize = 8;
    if sql.len() < SHORTEST {
        return anonymous_placeholders(sql);
    }
    // A poisoned lock only ever held a complete list.
    let mut remembered = REMEMBERED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(at) = remembered.iter().position(|(text, _)| text == sql) {
        let entry = remembered.remove(at);
        let rewritten = entry.1.clone();
        remembered.insert(0, entry);
        return rewritten;
    }
    let rewritten = anonymous_placeholders(sql);
    remembered.insert(0, (sql.to_string(), rewritten.clone()));
    remembered.truncate(KEPT);
    rewritten
}

/// The columns of a row of either backend, so decoders are written once.
pub(crate) trait RowExt {
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    /// Borrowed from the row: a read of many rows allocates nothing per row for it.
    fn str(&self, column: &str) -> Result<&str, sqlx::Error>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    fn flag(&self, column: &str) -> Result<bool, sqlx::Error>;
    /// Borrowed from the row: a large value (a stored copy) is decoded without copying it.
    fn bytes(&self, column: &str) -> Result<&[u8], sqlx::Error>;
    /// Whether the value is a blob (SQLite keeps some columns' values as bytes or text).
    fn is_blob(&self, column: &str) -> Result<bool, sqlx::Error>;
}

/// `$first, $first+1, ...`: `n` placeholders for an `IN (...)` list.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    let mut list = String::with_capacity(n * 8);
    push_placeholders(&mut list, first, n);
    list
}

/// Appends `$first, ..., $(first + n - 1)` to `sql`: a bulk write writes millions of them.
fn push_placeholders(sql: &mut String, first: usize, n: usize) {
    let mut number = itoa::Buffer::new();
    for i in first..first + n {
        if i > first {
            sql.push_str(", ");
        }
        sql.push('$');
        sql.push_str(number.format(i));
    }
}

/// Splits rows into multi-row `INSERT` statements: `{head} VALUES (...), (...) {tail}`.
pub(crate) fn insert_statements(head: &str, tail: &str, rows: Vec<Vec<Value>>) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        let columns = chunk.first().map_or(0, Vec::len);
        let mut sql =
            String::with_capacity(head.len() + tail.len() + 16 + chunk.len() * (columns * 8 + 4));
        sql.push_str(head);
        sql.push_str(" VALUES ");
        let mut params = Vec::with_capacity(chunk.iter().map(Vec::len).sum());
        for (i, row) in chunk.into_iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            push_placeholders(&mut sql, params.len() + 1, row.len());
            sql.push(')');
            params.extend(row);
        }
        sql.push(' ');
        sql.push_str(tail);
        statements.push(Statement::new(sql, params));
    }
    statements
}

/// What a write may have changed: whose cached answers and facts it makes stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Touched {
    /// Repositories (slugs) whose facts it may have changed: their held rows are read again,
    /// each from the time its change rows may have changed (`None`: all of them).
    repos: BTreeMap<String, Option<i64>>,
    /// It may change any scope's answers (teams, incidents filed against a team, deletions of
    /// unknown reach), though no repository's facts beyond `repos`.
    every_scope: bool,
}

impl Touched {
    /// Repositories any of whose rows may have changed.
    pub(crate) fn repos<'a>(repos: impl IntoIterator<Item = &'a RepoSlug>) -> Self {
        Self::repos_from(repos.into_iter().map(|r| (r, None)))
    }

    /// Repositories whose rows before the time given with each are as they were (`None`: none
    /// is; see `derived::moved` and `IngestTransaction`'s marks).
    pub(crate) fn repos_from<'a>(
        repos: impl IntoIterator<Item = (&'a RepoSlug, Option<i64>)>,
    ) -> Self {
        Self {
            repos: repos
                .into_iter()
                .map(|(r, from)| (r.to_string(), from))
                .collect(),
            every_scope: false,
        }
    }

    /// Every scope's answers, and no repository's facts.
    pub(crate) fn every_scope() -> Self {
        Self {
            repos: BTreeMap::new(),
            every_scope: true,
        }
    }

    /// The same, and every scope's answers too if `also`.
    pub(crate) fn with_every_scope(self, also: bool) -> Self {
        Self {
            every_scope: self.every_scope || also,
            ..self
        }
    }

    /// The subjects of `subject_version` it stamps: slugs, and `*` for every scope.
    fn subjects(&self) -> Vec<String> {
        let every = self.every_scope.then(|| EVERY_SUBJECT.to_string());
        self.repos.keys().cloned().chain(every).collect()
    }
}

/// The `subject_version` row every scope depends on.
pub(crate) const EVERY_SUBJECT: &str = "*";

/// How many versions back `repository_write` remembers which change rows a write touched: a
/// process whose rows of a repository are older reads them whole again.
pub(crate) const WRITES_REMEMBERED: i64 = 10_000;

/// The statements every write ends with: bump the data version, then stamp what the write
/// touched with it, so caches (see [`crate::freshness`]) see it, and record from when each
/// repository's rows may have changed (`repository_write`). Last, because on PostgreSQL
/// the bump holds the row's lock until commit: concurrent writers queue only for that final
/// step, and versions become visible in the order they were handed out.
pub(crate) fn bump_data_version(touched: &Touched) -> Vec<Statement> {
    let mut statements = vec![Statement::new(
        "UPDATE data_version SET version = version + 1 WHERE id = 1",
        vec![],
    )];
    let version = "(SELECT version FROM data_version WHERE id = 1)";
    for chunk in touched.subjects().chunks(ROWS_PER_INSERT) {
        let rows = (1..=chunk.len())
            .map(|i| format!("(${i})"))
            .collect::<Vec<_>>()
            .join(", ");
        // `WHERE true` tells SQLite's parser the SELECT ends before ON CONFLICT.
        statements.push(Statement::new(
            format!(
                "INSERT INTO subject_version (subject, version) \
                 SELECT column1, {version} \
                 FROM (VALUES {rows}) AS touched WHERE true \
                 ON CONFLICT (subject) DO UPDATE SET version = excluded.version"
            ),
            chunk.iter().map(Value::text).collect(),
        ));
    }
    let writes: Vec<(&String, &Option<i64>)> = touched.repos.iter().collect();
    for chunk in writes.chunks(ROWS_PER_INSERT) {
        let rows = (0..chunk.len())
            .map(|i| format!("(${}, CAST(${} AS BIGINT))", 2 * i + 1, 2 * i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        statements.push(Statement::new(
            format!(
                "INSERT INTO repository_write (version, repo, changes_from) \
                 SELECT {version}, column1, column2 FROM (VALUES {rows}) AS touched"
            ),
            chunk
                .iter()
                .flat_map(|(repo, from)| [Value::text(*repo), Value::Int(**from)])
                .collect(),
        ));
    }
    if !writes.is_empty() {
        statements.push(Statement::new(
            format!(
                "DELETE FROM repository_write WHERE version <= {version} - {WRITES_REMEMBERED}"
            ),
            vec![],
        ));
    }
    statements
}

/// Whole seconds at or after `t`: the exact bound on stored whole-second times for `>= t` and
/// `< t`.
pub(crate) fn bound_secs(t: Timestamp) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

pub(crate) fn json_list(list: &[String]) -> Value {
    // A list of strings always serializes; the fallback is unreachable but never panics.
    Value::text(serde_json::to_string(list).unwrap_or_else(|_| "[]".to_string()))
}

pub(crate) fn opt_json_list(list: Option<&Vec<String>>) -> Value {
    match list {
        Some(list) => json_list(list),
        None => Value::Text(None),
    }
}

// ---- decoding -------------------------------------------------------------------------------

pub(crate) fn time(secs: i64, what: &'static str, key: &str) -> Result<Timestamp, StoreError> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| StoreError::corrupt(what, key, format!("{secs} is not a Unix time")))
}

pub(crate) fn opt_time(
    secs: Option<i64>,
    what: &'static str,
    key: &str,
) -> Result<Option<Timestamp>, StoreError> {
    secs.map(|s| time(s, what, key)).transpose()
}

pub(crate) fn list(json: &str, what: &'static str, key: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::corrupt(what, key, e))
}

/// A sha written by [`ShaForm::exact_value`]: its bytes or its text.
pub(crate) fn stored_sha(row: &dyn RowExt, column: &str) -> Result<Option<String>, sqlx::Error> {
    if row.is_blob(column)? {
        Ok(Some(hex::encode(row.bytes(column)?)))
    } else {
        row.opt_text(column)
    }
}

/// A deployment's sha as [`deployment_values`] wrote it.
pub(crate) fn deployed_sha(row: &dyn RowExt, key: &str) -> Result<String, StoreError> {
    stored_sha(row, "sha")?
        .ok_or_else(|| StoreError::corrupt("sha", key, "a deployment without a sha"))
}

/// A change's commits as [`ShaForm::commits_value`] wrote them: their bytes or a JSON list.
pub(crate) fn stored_commits(row: &dyn RowExt, key: &str) -> Result<Vec<String>, StoreError> {
    if !row.is_blob("commits")? {
        return list(&row.text("commits")?, "commits", key);
    }
    let packed = row.bytes("commits")?;
    if packed.len() % SHA_BYTES != 0 {
        return Err(StoreError::corrupt(
            "commits",
            key,
            format!("{} bytes are not a whole number of shas", packed.len()),
        ));
    }
    Ok(packed.chunks(SHA_BYTES).map(hex::encode).collect())
}

pub(crate) fn opt_list(
    json: Option<String>,
    what: &'static str,
    key: &str,
) -> Result<Option<Vec<String>>, StoreError> {
    json.map(|j| list(&j, what, key)).transpose()
}

pub(crate) fn repo(slug: &str, key: &str) -> Result<RepoSlug, StoreError> {
    slug.parse()
        .map_err(|e| StoreError::corrupt("repository", key, e))
}

pub(crate) fn source(name: &str, key: &str) -> Result<Source, StoreError> {
    name.parse()
        .map_err(|e: String| StoreError::corrupt("source", key, e))
}

pub(crate) fn status(name: &str, key: &str) -> Result<DeploymentStatus, StoreError> {
    name.parse()
        .map_err(|e: String| StoreError::corrupt("status", key, e))
}

/// Columns of `change` in the order [`change_values`] binds them.
pub(crate) const CHANGE_COLUMNS: &str = "key, repo, number, title, author, bot, first_commit_at, \
     opened_at, first_review_at, merged_at, merge_sha, commits, labels, branch, paths, reverts, \
     fixes, cherry_picks, side_branch";

/// The write of changes, followed by the values of [`change_values`] of each row, then
/// [`CHANGE_UPSERT`] (`codec::insert_statements`): a row names its repository by id
/// (`change_row`, migration 0035), keeps its key after that repository's slug when it starts
/// with it (`change_key`, migration 0038) and says whether it is numbered off its `owner/name#N`
/// key.
pub(crate) const CHANGE_INSERT: &str = "INSERT INTO change_row (key_repo_id, key_rest, repo_id, \
     number, numbered_off_key, title, author, bot, first_commit_at, opened_at, first_review_at, \
     merged_at, merge_sha, commits, labels, branch, paths, reverts, fixes, cherry_picks, \
     side_branch) SELECT CASE WHEN v.column20 THEN r.id ELSE 0 END, v.column21, r.id, \
     v.column3, \
     v.column3 IS NOT NULL AND v.column1 <> v.column2 || '#' || CAST(v.column3 AS TEXT), \
     v.column4, v.column5, v.column6, v.column7, v.column8, v.column9, v.column10, v.column11, \
     v.column12, v.column13, v.column14, v.column15, v.column16, v.column17, v.column18, \
     v.column19 FROM (";

/// The upsert of a change on its key, by every path (poll, webhook, events, import, replay).
/// What a poll filled in is never lost to a record that lacks it (a webhook's or a replayed
/// delivery's pull request carries no commits and no reviews): when the incoming change has no
/// commits and the stored one has, the stored commits, first commit, cherry-picks, reverted
/// commit and first review stay. One conditional write, so no path can race it. Each row's
/// repository is registered by every write before its changes.
pub(crate) const CHANGE_UPSERT: &str = ") AS v CROSS JOIN repository r WHERE r.slug = v.column2 \
     ON CONFLICT (key_repo_id, key_rest) DO UPDATE SET \
     repo_id = excluded.repo_id, numbered_off_key = excluded.numbered_off_key, \
     number = excluded.number, title = excluded.title, author = excluded.author, \
     bot = excluded.bot, opened_at = excluded.opened_at, merged_at = excluded.merged_at, \
     merge_sha = excluded.merge_sha, labels = excluded.labels, branch = excluded.branch, \
     paths = excluded.paths, fixes = excluded.fixes, side_branch = excluded.side_branch, \
     first_review_at = CASE WHEN excluded.commits = '[]' AND change_row.commits <> '[]' \
         THEN COALESCE(excluded.first_review_at, change_row.first_review_at) \
         ELSE excluded.first_review_at END, \
     commits = CASE WHEN excluded.commits = '[]' THEN change_row.commits ELSE excluded.commits END, \
     first_commit_at = CASE WHEN excluded.commits = '[]' AND change_row.commits <> '[]' \
         THEN change_row.first_commit_at ELSE excluded.first_commit_at END, \
     cherry_picks = CASE WHEN excluded.commits = '[]' AND change_row.commits <> '[]' \
         THEN change_row.cherry_picks ELSE excluded.cherry_picks END, \
     reverts = CASE WHEN excluded.commits = '[]' AND change_row.commits <> '[]' \
         THEN COALESCE(excluded.reverts, change_row.reverts) ELSE excluded.reverts END";

/// The values of [`CHANGE_COLUMNS`], shas kept in `form`, then how the key is kept
/// ([`change_key::form_values`]).
pub(crate) fn change_values(c: &Change, form: ShaForm) -> Vec<Value> {
    let repo = c.repo.to_string();
    let [after_slug, rest] = change_key::form_values(&c.key, &repo);
    vec![
        Value::text(&c.key),
        Value::text(repo),
        Value::Int(c.number),
        Value::text(&c.title),
        Value::text(&c.author),
        Value::Bool(c.bot),
        Value::time(c.first_commit_at),
        Value::opt_time(c.opened_at),
        Value::opt_time(c.first_review_at),
        Value::time(c.merged_at),
        form.exact_value(c.merge_sha.as_deref()),
        form.commits_value(&c.commits),
        json_list(&c.labels),
        Value::opt_text(c.branch.as_deref()),
        json_list(&c.paths),
        Value::opt_text(c.reverts.as_deref()),
        Value::opt_text(c.fixes.as_deref()),
        Value::text(serde_json::to_string(&c.cherry_picks).unwrap_or_else(|_| "[]".into())),
        Value::opt_text(c.side_branch.as_deref()),
        after_slug,
        rest,
    ]
}

/// A [`Change`] from a row holding [`CHANGE_COLUMNS`].
pub(crate) fn change(row: &dyn RowExt) -> Result<Change, StoreError> {
    let key = row.text("key")?;
    let k = key.as_str();
    Ok(Change {
        repo: repo(&row.text("repo")?, k)?,
        number: row.opt_int("number")?,
        title: row.text("title")?,
        author: row.text("author")?,
        bot: row.flag("bot")?,
        first_commit_at: time(row.int("first_commit_at")?, "first_commit_at", k)?,
        opened_at: opt_time(row.opt_int("opened_at")?, "opened_at", k)?,
        first_review_at: opt_time(row.opt_int("first_review_at")?, "first_review_at", k)?,
        merged_at: time(row.int("merged_at")?, "merged_at", k)?,
        merge_sha: stored_sha(row, "merge_sha")?,
        commits: stored_commits(row, k)?,
        labels: list(&row.text("labels")?, "labels", k)?,
        branch: row.opt_text("branch")?,
        paths: list(&row.text("paths")?, "paths", k)?,
        reverts: row.opt_text("reverts")?,
        fixes: row.opt_text("fixes")?,
        cherry_picks: serde_json::from_str(&row.text("cherry_picks")?)
            .map_err(|e| StoreError::corrupt("cherry_picks", k, e))?,
        side_branch: row.opt_text("side_branch")?,
        key,
    })
}

/// Inserts the `change_commit` rows of the changes (which the streamed analysis looks shas up
/// in), once [`super::records::delete_change_commits`] deleted those of their stored versions;
/// shas kept in `form`.
pub(crate) fn change_commit_statements(changes: &[&Change], form: ShaForm) -> Vec<Statement> {
    let rows = changes
        .iter()
        .flat_map(|c| {
            let repo = c.repo.to_string();
            let key = change_key::form_values(&c.key, &repo);
            commit_shas(c.merge_sha.as_ref(), &c.commits)
                .into_iter()
                .map(move |sha| {
                    let mut row = vec![form.value(&sha), Value::text(&repo)];
                    row.extend(key.iter().cloned());
                    row
                })
        })
        .collect();
    insert_statements(
        "INSERT INTO change_commit (repo_id, sha, change_id) \
         SELECT c.repo_id, commits.column1, c.id FROM (",
        &format!(
            ") AS commits JOIN repository r ON r.slug = commits.column2 \
             JOIN change_row c ON {} WHERE true ON CONFLICT DO NOTHING",
            change_key::in_repo_form("c", "r.id", "commits.column3", "commits.column4")
        ),
        rows,
    )
}

/// The `change_commit` rows of a change: its merge sha and commits, lower-cased, each once.
pub(crate) fn commit_shas(merge_sha: Option<&String>, commits: &[String]) -> Vec<String> {
    let mut shas: Vec<String> = merge_sha
        .into_iter()
        .chain(commits)
        .map(|sha| sha.to_ascii_lowercase())
        .collect();
    shas.sort();
    shas.dedup();
    shas
}

/// Columns of `deployment` in the order [`deployment_values`] binds them.
pub(crate) const DEPLOYMENT_COLUMNS: &str = "key, repo, environment, sha, status, started_at, \
     finished_at, source, rollback, declared_changes, declared_commits";

/// The write of deployments, followed by the values of [`DEPLOYMENT_COLUMNS`] of each row, then
/// [`DEPLOYMENT_UPSERT`] (`codec::insert_statements`): a row names its repository by id
/// (`deployment_row`, migration 0036).
pub(crate) const DEPLOYMENT_INSERT: &str = "INSERT INTO deployment_row (key, repo_id, \
     environment, sha, status, started_at, finished_at, source, rollback, declared_changes, \
     declared_commits) SELECT v.column1, r.id, v.column3, v.column4, v.column5, v.column6, \
     v.column7, v.column8, v.column9, v.column10, v.column11 FROM (";

/// The upsert of a deployment on its key (each row's repository is registered by every write
/// before its deployments).
pub(crate) const DEPLOYMENT_UPSERT: &str = ") AS v CROSS JOIN repository r \
     WHERE r.slug = v.column2 ON CONFLICT (key) DO UPDATE SET repo_id = excluded.repo_id, \
     environment = excluded.environment, sha = excluded.sha, status = excluded.status, \
     started_at = excluded.started_at, finished_at = excluded.finished_at, \
     source = excluded.source, rollback = excluded.rollback, \
     declared_changes = excluded.declared_changes, declared_commits = excluded.declared_commits";

/// The values of [`DEPLOYMENT_COLUMNS`], the sha kept in `form` (as it was written: its bytes
/// only when it is a lower-case full sha).
pub(crate) fn deployment_values(d: &Deployment, form: ShaForm) -> Vec<Value> {
    vec![
        Value::text(&d.key),
        Value::text(d.repo.to_string()),
        Value::text(&d.environment),
        form.exact_value(Some(&d.sha)),
        Value::text(d.status.as_str()),
        Value::opt_time(d.started_at),
        Value::time(d.finished_at),
        Value::text(d.source.as_str()),
        Value::Bool(d.rollback),
        declared_changes(&d.repo.to_string(), d.declared_changes.as_ref()),
        opt_json_list(d.declared_commits.as_ref()),
    ]
}

/// A deployment's declared changes as stored: the numbers alone (`#12,#13`) when every key is
/// `{repo}#{number}` of the deployment's own repository, as nearly all are (a pipeline names the
/// pull requests it ships), otherwise a JSON list of the keys. At 100,000 deployments the lists
/// took 18 MB as JSON, about a quarter of that as numbers. Only the codec reads the column (SQL
/// only asks whether it is null), so rows stored as JSON before read back the same.
fn declared_changes(repo: &str, keys: Option<&Vec<String>>) -> Value {
    let Some(keys) = keys else {
        return Value::Text(None);
    };
    let numbers: Option<Vec<&str>> = keys
        .iter()
        .map(|key| {
            key.strip_prefix(repo)
                .and_then(|rest| rest.strip_prefix('#'))
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    match numbers {
        Some(numbers) if !numbers.is_empty() => {
            let mut text = String::with_capacity(numbers.len() * 6);
            for n in numbers {
                if !text.is_empty() {
                    text.push(',');
                }
                text.push('#');
                text.push_str(n);
            }
            Value::text(text)
        }
        _ => json_list(keys),
    }
}

/// The keys [`declared_changes`] stored for a deployment of `repo`.
fn read_declared_changes(
    repo: &str,
    stored: Option<String>,
    key: &str,
) -> Result<Option<Vec<String>>, StoreError> {
    match stored {
        Some(numbers) if numbers.starts_with('#') => numbers
            .split(',')
            .map(|n| match n.strip_prefix('#') {
                Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                    Ok(format!("{repo}#{n}"))
                }
                _ => Err(StoreError::corrupt(
                    "declared_changes",
                    key,
                    format!("{n:?} is not a change number"),
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        stored => opt_list(stored, "declared_changes", key),
    }
}

/// A [`Deployment`] from a row holding [`DEPLOYMENT_COLUMNS`].
pub(crate) fn deployment(row: &dyn RowExt) -> Result<Deployment, StoreError> {
    let key = row.text("key")?;
    let k = key.as_str();
    let repo_slug = row.text("repo")?;
    Ok(Deployment {
        repo: repo(&repo_slug, k)?,
        environment: row.text("environment")?,
        sha: deployed_sha(row, k)?,
        status: status(&row.text("status")?, k)?,
        started_at: opt_time(row.opt_int("started_at")?, "started_at", k)?,
        finished_at: time(row.int("finished_at")?, "finished_at", k)?,
        source: source(&row.text("source")?, k)?,
        rollback: row.flag("rollback")?,
        declared_changes: read_declared_changes(&repo_slug, row.opt_text("declared_changes")?, k)?,
        declared_commits: opt_list(row.opt_text("declared_commits")?, "declared_commits", k)?,
        key,
    })
}

/// Columns of `incident` in the order [`incident_values`] binds them.
pub(crate) const INCIDENT_COLUMNS: &str =
    "key, repo, team, title, opened_at, resolved_at, source, cause_kind, cause_ref";

pub(crate) fn incident_values(i: &Incident) -> Vec<Value> {
    let (cause_kind, cause_ref) = match &i.cause {
        Some(IncidentCause::Deployment(r)) => (Some("deployment"), Some(r.as_str())),
        Some(IncidentCause::Sha(r)) => (Some("sha"), Some(r.as_str())),
        Some(IncidentCause::Change(r)) => (Some("change"), Some(r.as_str())),
        None => (None, None),
    };
    vec![
        Value::text(&i.key),
        Value::opt_text(i.repo.as_ref().map(ToString::to_string)),
        Value::opt_text(i.team.as_deref()),
        Value::text(&i.title),
        Value::time(i.opened_at),
        Value::opt_time(i.resolved_at),
        Value::text(i.source.as_str()),
        Value::opt_text(cause_kind),
        Value::opt_text(cause_ref),
    ]
}

/// An [`Incident`] from a row holding [`INCIDENT_COLUMNS`].
pub(crate) fn incident(row: &dyn RowExt) -> Result<Incident, StoreError> {
    let key = row.text("key")?;
    let k = key.as_str();
    let cause = match (row.opt_text("cause_kind")?, row.opt_text("cause_ref")?) {
        (None, _) => None,
        (Some(kind), Some(r)) => Some(match kind.as_str() {
            "deployment" => IncidentCause::Deployment(r),
            "sha" => IncidentCause::Sha(r),
            "change" => IncidentCause::Change(r),
            other => {
                return Err(StoreError::corrupt(
                    "cause",
                    k,
                    format!("unknown cause kind `{other}`"),
                ));
            }
        }),
        (Some(kind), None) => {
            return Err(StoreError::corrupt(
                "cause",
                k,
                format!("a `{kind}` cause without a reference"),
            ));
        }
    };
    Ok(Incident {
        repo: row.opt_text("repo")?.map(|r| repo(&r, k)).transpose()?,
        team: row.opt_text("team")?,
        title: row.text("title")?,
        opened_at: time(row.int("opened_at")?, "opened_at", k)?,
        resolved_at: opt_time(row.opt_int("resolved_at")?, "resolved_at", k)?,
        source: source(&row.text("source")?, k)?,
        cause,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(value: Value) -> Option<String> {
        match value {
            Value::Text(text) => text.map(|t| t.to_string()),
            _ => panic!("a text"),
        }
    }

    #[test]
    fn declared_changes_of_the_repository_are_stored_as_numbers_and_read_back() {
        let repo = "acme/shop";
        let keys = |list: &[&str]| list.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        let cases = [
            (
                Some(keys(&["acme/shop#42", "acme/shop#007"])),
                Some("#42,#007"),
            ),
            // Another repository's change, a key not numbered, a number with more after it:
            // the keys as JSON.
            (
                Some(keys(&["acme/shop#42", "acme/web#42"])),
                Some(r#"["acme/shop#42","acme/web#42"]"#),
            ),
            (
                Some(keys(&["acme/shop#hotfix"])),
                Some(r#"["acme/shop#hotfix"]"#),
            ),
            (Some(keys(&["acme/shop#4#2"])), Some(r#"["acme/shop#4#2"]"#)),
            (Some(keys(&["acme/shop#"])), Some(r#"["acme/shop#"]"#)),
            (
                Some(keys(&["acme/shopping#1"])),
                Some(r#"["acme/shopping#1"]"#),
            ),
            (Some(vec![]), Some("[]")),
            (None, None),
        ];
        for (declared, expected) in cases {
            let text = stored(declared_changes(repo, declared.as_ref()));
            assert_eq!(text.as_deref(), expected, "{declared:?}");
            let read = read_declared_changes(repo, text, "d1").expect("reads back");
            assert_eq!(read, declared);
        }
        // A store written before keeps JSON lists of the repository's own changes.
        let before = Some(r#"["acme/shop#42"]"#.to_string());
        let read = read_declared_changes(repo, before, "d1").expect("reads back");
        assert_eq!(read, Some(keys(&["acme/shop#42"])));
        let broken = read_declared_changes(repo, Some("#42,x".into()), "d1").unwrap_err();
        assert!(broken.to_string().contains("d1"), "{broken}");
    }

    #[test]
    fn placeholders_in_order_become_anonymous() {
        let sql = format!("INSERT INTO t VALUES ({}), ($10, $11)", placeholders(1, 9));
        assert_eq!(
            anonymous_placeholders(&sql).as_deref(),
            Some("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?)")
        );
        assert_eq!(
            anonymous_placeholders("SELECT 'é' WHERE a = $1").as_deref(),
            Some("SELECT 'é' WHERE a = ?")
        );
        assert_eq!(
            anonymous_placeholders("SELECT '$' || $1 || '$x'").as_deref(),
            Some("SELECT '$' || ? || '$x'")
        );
    }

    #[test]
    fn long_statements_remembered_are_rewritten_as_the_first_time() {
        let rows = |n| (0..n).map(|_| vec![Value::int(1); 20]).collect::<Vec<_>>();
        let full = insert_statements("INSERT INTO t (a)", "", rows(ROWS_PER_INSERT));
        let short = insert_statements("INSERT INTO t (a)", "", rows(3));
        let reordered = format!("{} OR x = $1", full[0].sql);
        for _ in 0..3 {
            for sql in [&full[0].sql, &short[0].sql, &Cow::Owned(reordered.clone())] {
                assert_eq!(
                    anonymous_placeholders_remembered(sql),
                    anonymous_placeholders(sql)
                );
            }
        }
        assert!(anonymous_placeholders_remembered(&reordered).is_none());
    }

    #[test]
    fn reused_or_reordered_placeholders_stay_numbered() {
        assert_eq!(anonymous_placeholders("a = $1 OR b = $1"), None);
        assert_eq!(anonymous_placeholders("a = $2 AND b = $1"), None);
        assert_eq!(anonymous_placeholders("a = $1 AND b = $3"), None);
    }

    #[test]
    fn inserts_are_split_into_statements_of_bounded_size() {
        let rows = (0..1001)
            .map(|i| vec![Value::int(i), Value::text("x")])
            .collect();
        let statements = insert_statements("INSERT INTO t (a, b)", "ON CONFLICT DO NOTHING", rows);
        assert_eq!(statements.len(), 3);
        assert_eq!(statements[0].params.len(), 1000);
        assert_eq!(statements[2].params.len(), 2);
        assert_eq!(
            statements[2].sql,
            "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn window_bounds_round_up_to_whole_seconds() {
        let whole = DateTime::from_timestamp(100, 0).expect("a valid time");
        let half = DateTime::from_timestamp(100, 500_000_000).expect("a valid time");
        assert_eq!(bound_secs(whole), 100);
        assert_eq!(bound_secs(half), 101);
    }
}
