-- A change keeps its key without the slug of its repository when the key starts with it: the
-- keys sources give (`owner/name#N` for pull requests, `owner/name@sha` for pushes) repeated the
-- slug in each of the 500 k rows at 100,000 deployments and again in the unique index of keys
-- (`change_row` 24 bytes a row; the index 18 MB). `key_repo_id` is the change's repository when
-- its key starts with that repository's slug followed by `#` or `@`, and then `key_rest` is the
-- rest of the key (`#42`); otherwise `key_repo_id` is 0 and `key_rest` the whole key. The pair is
-- unique, as keys were (engine/src/store/change_key.rs). The view `change` gives the keys whole,
-- so every query reads it as before. Keep in step with
-- migrations/postgres/0038_change_keys_by_repository.sql.
CREATE TABLE change_keyed (
    id               INTEGER PRIMARY KEY,
    key_repo_id      INTEGER NOT NULL,
    key_rest         TEXT NOT NULL,
    repo_id          INTEGER NOT NULL,
    number           BIGINT,
    numbered_off_key BOOLEAN NOT NULL,
    title            TEXT NOT NULL,
    author           TEXT NOT NULL,
    bot              BOOLEAN NOT NULL,
    first_commit_at  BIGINT NOT NULL,
    opened_at        BIGINT,
    first_review_at  BIGINT,
    merged_at        BIGINT NOT NULL,
    merge_sha        TEXT,
    commits          TEXT NOT NULL,
    labels           TEXT NOT NULL,
    branch           TEXT,
    paths            TEXT NOT NULL,
    reverts          TEXT,
    fixes            TEXT,
    cherry_picks     TEXT NOT NULL DEFAULT '[]',
    side_branch      TEXT
);
INSERT INTO change_keyed (id, key_repo_id, key_rest, repo_id, number, numbered_off_key, title,
    author, bot, first_commit_at, opened_at, first_review_at, merged_at, merge_sha, commits,
    labels, branch, paths, reverts, fixes, cherry_picks, side_branch)
SELECT c.id,
    CASE WHEN substr(c.key, 1, length(r.slug) + 1) IN (r.slug || '#', r.slug || '@')
        THEN r.id ELSE 0 END,
    CASE WHEN substr(c.key, 1, length(r.slug) + 1) IN (r.slug || '#', r.slug || '@')
        THEN substr(c.key, length(r.slug) + 1) ELSE c.key END,
    c.repo_id, c.number, c.numbered_off_key, c.title, c.author, c.bot, c.first_commit_at,
    c.opened_at, c.first_review_at, c.merged_at, c.merge_sha, c.commits, c.labels, c.branch,
    c.paths, c.reverts, c.fixes, c.cherry_picks, c.side_branch
FROM change_row c JOIN repository r ON r.id = c.repo_id
ORDER BY c.id;
DROP VIEW change;
DROP TABLE change_row;
ALTER TABLE change_keyed RENAME TO change_row;
CREATE UNIQUE INDEX change_by_key ON change_row (key_repo_id, key_rest);
CREATE VIEW change AS
SELECT c.id, CASE WHEN c.key_repo_id = 0 THEN c.key_rest ELSE r.slug || c.key_rest END AS key,
    r.slug AS repo, c.number, c.title, c.author, c.bot, c.first_commit_at, c.opened_at,
    c.first_review_at, c.merged_at, c.merge_sha, c.commits, c.labels, c.branch, c.paths,
    c.reverts, c.fixes, c.cherry_picks, c.side_branch, c.numbered_off_key, c.repo_id
FROM change_row c JOIN repository r ON r.id = c.repo_id;
CREATE INDEX change_by_repo_merged ON change_row (repo_id, merged_at);
CREATE INDEX change_maybe_rework ON change_row (repo_id, merged_at)
    WHERE (reverts IS NOT NULL OR fixes IS NOT NULL OR title LIKE 'Revert "%'
    OR lower(labels) LIKE '%hotfix%' OR lower(labels) LIKE '%revert%'
    OR lower(branch) LIKE 'hotfix%');
CREATE INDEX change_by_unconventional_number ON change_row (repo_id, number)
    WHERE numbered_off_key;
