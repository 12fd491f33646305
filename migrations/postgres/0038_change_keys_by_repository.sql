-- A change keeps its key without the slug of its repository when the key starts with it
-- (`key_repo_id`, `key_rest`; see migrations/sqlite/0038_change_keys_by_repository.sql, which this
-- keeps in step with); the view `change` gives the keys whole.
ALTER TABLE change_row ADD COLUMN key_repo_id BIGINT, ADD COLUMN key_rest TEXT;
UPDATE change_row c
SET key_repo_id = CASE WHEN substr(c.key, 1, length(r.slug) + 1) IN (r.slug || '#', r.slug || '@')
        THEN r.id ELSE 0 END,
    key_rest = CASE WHEN substr(c.key, 1, length(r.slug) + 1) IN (r.slug || '#', r.slug || '@')
        THEN substr(c.key, length(r.slug) + 1) ELSE c.key END
FROM repository r WHERE r.id = c.repo_id;
ALTER TABLE change_row ALTER COLUMN key_repo_id SET NOT NULL,
    ALTER COLUMN key_rest SET NOT NULL;
DROP VIEW change;
-- Its unique constraint and the index of rework candidates go with the column.
ALTER TABLE change_row DROP COLUMN key;
CREATE UNIQUE INDEX change_by_key ON change_row (key_repo_id, key_rest);
CREATE VIEW change AS
SELECT c.id, CASE WHEN c.key_repo_id = 0 THEN c.key_rest ELSE r.slug || c.key_rest END AS key,
    r.slug AS repo, c.number, c.title, c.author, c.bot, c.first_commit_at, c.opened_at,
    c.first_review_at, c.merged_at, c.merge_sha, c.commits, c.labels, c.branch, c.paths,
    c.reverts, c.fixes, c.cherry_picks, c.side_branch, c.numbered_off_key, c.repo_id
FROM change_row c JOIN repository r ON r.id = c.repo_id;
CREATE INDEX change_maybe_rework ON change_row (repo_id, merged_at)
    WHERE (reverts IS NOT NULL OR fixes IS NOT NULL OR title LIKE 'Revert "%'
    OR lower(labels) LIKE '%hotfix%' OR lower(labels) LIKE '%revert%'
    OR lower(branch) LIKE 'hotfix%');
