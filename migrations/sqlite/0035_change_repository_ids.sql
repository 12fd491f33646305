-- A change names its repository by id (`change_row.repo_id`) instead of its slug: the slug was
-- 21 bytes of each of the 500 k rows at 100,000 deployments, and again of each entry of the
-- indexes by repository (`change` 94.5 -> 85.9 MB, `change_by_repo_merged` 17.9 -> 8.5 MB).
-- `change` is now a view of the rows joined to their repository, with the columns it had, so
-- every query reads it as before; writes go to `change_row` (engine/src/store/codec.rs). The
-- index of changes numbered off their `owner/name#N` key cannot compare the key with a slug
-- kept elsewhere: each row says so itself (`numbered_off_key`, set by the writes). Keep in step
-- with migrations/postgres/0035_change_repository_ids.sql.
-- Every repository a change names has a row first (the writes register them; older stores may
-- lack some).
INSERT INTO repository (slug, owner, name)
SELECT DISTINCT repo, substr(repo, 1, instr(repo, '/') - 1), substr(repo, instr(repo, '/') + 1)
FROM change WHERE true
ON CONFLICT (slug) DO NOTHING;

CREATE TABLE change_row (
    id               INTEGER PRIMARY KEY,
    key              TEXT NOT NULL UNIQUE,
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
INSERT INTO change_row (id, key, repo_id, number, numbered_off_key, title, author, bot,
    first_commit_at, opened_at, first_review_at, merged_at, merge_sha, commits, labels, branch,
    paths, reverts, fixes, cherry_picks, side_branch)
SELECT c.id, c.key, r.id, c.number,
    c.number IS NOT NULL AND c.key <> c.repo || '#' || CAST(c.number AS TEXT),
    c.title, c.author, c.bot, c.first_commit_at, c.opened_at, c.first_review_at, c.merged_at,
    c.merge_sha, c.commits, c.labels, c.branch, c.paths, c.reverts, c.fixes, c.cherry_picks,
    c.side_branch
FROM change c JOIN repository r ON r.slug = c.repo
ORDER BY c.id;
DROP TABLE change;
CREATE VIEW change AS
SELECT c.id, c.key, r.slug AS repo, c.number, c.title, c.author, c.bot, c.first_commit_at,
    c.opened_at, c.first_review_at, c.merged_at, c.merge_sha, c.commits, c.labels, c.branch,
    c.paths, c.reverts, c.fixes, c.cherry_picks, c.side_branch, c.numbered_off_key,
    c.repo_id
FROM change_row c JOIN repository r ON r.id = c.repo_id;
CREATE INDEX change_by_repo_merged ON change_row (repo_id, merged_at);
CREATE INDEX change_maybe_rework ON change_row (repo_id, merged_at, key)
    WHERE (reverts IS NOT NULL OR fixes IS NOT NULL OR title LIKE 'Revert "%'
    OR lower(labels) LIKE '%hotfix%' OR lower(labels) LIKE '%revert%'
    OR lower(branch) LIKE 'hotfix%');
CREATE INDEX change_by_unconventional_number ON change_row (repo_id, number)
    WHERE numbered_off_key;
