-- A change names its repository by id (`change_row.repo_id`) instead of its slug, and `change` is
-- a view of the rows joined to their repository, with the columns it had (see
-- migrations/sqlite/0035_change_repository_ids.sql, which this keeps in step with). Every
-- repository a change names has a row first.
INSERT INTO repository (slug, owner, name)
SELECT DISTINCT repo, split_part(repo, '/', 1), substr(repo, strpos(repo, '/') + 1)
FROM change
ON CONFLICT (slug) DO NOTHING;
ALTER TABLE change RENAME TO change_row;
ALTER TABLE change_row ADD COLUMN repo_id BIGINT, ADD COLUMN numbered_off_key BOOLEAN;
UPDATE change_row c
SET repo_id = r.id,
    numbered_off_key = c.number IS NOT NULL AND c.key <> c.repo || '#' || CAST(c.number AS TEXT)
FROM repository r WHERE r.slug = c.repo;
ALTER TABLE change_row ALTER COLUMN repo_id SET NOT NULL,
    ALTER COLUMN numbered_off_key SET NOT NULL;
-- Its indexes by repository go with the column.
ALTER TABLE change_row DROP COLUMN repo;
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
