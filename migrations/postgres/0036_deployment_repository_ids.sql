-- A deployment names its repository by id (`deployment_row.repo_id`) instead of its slug, and
-- `deployment` is a view of the rows joined to their repository, with the columns it had (see
-- migrations/sqlite/0036_deployment_repository_ids.sql, which this keeps in step with).
INSERT INTO repository (slug, owner, name)
SELECT DISTINCT repo, split_part(repo, '/', 1), substr(repo, strpos(repo, '/') + 1)
FROM deployment
ON CONFLICT (slug) DO NOTHING;
ALTER TABLE deployment RENAME TO deployment_row;
ALTER TABLE deployment_row ADD COLUMN repo_id BIGINT;
UPDATE deployment_row d SET repo_id = r.id FROM repository r WHERE r.slug = d.repo;
ALTER TABLE deployment_row ALTER COLUMN repo_id SET NOT NULL;
-- Its indexes by repository go with the column.
ALTER TABLE deployment_row DROP COLUMN repo;
CREATE VIEW deployment AS
SELECT d.id, d.key, r.slug AS repo, d.environment, d.sha, d.status, d.started_at,
    d.finished_at, d.source, d.rollback, d.declared_changes, d.declared_commits, d.repo_id
FROM deployment_row d JOIN repository r ON r.id = d.repo_id;
CREATE INDEX deployment_by_repo_finished ON deployment_row (repo_id, finished_at);
CREATE INDEX deployment_by_repo_sha ON deployment_row (repo_id, sha);
CREATE INDEX deployment_linear_cuts ON deployment_row (repo_id, finished_at)
    WHERE status = 'success' AND declared_changes IS NULL AND declared_commits IS NULL
    AND NOT rollback;
