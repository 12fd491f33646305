-- A deployment names its repository by id (`deployment_row.repo_id`) instead of its slug, as a
-- change does since migration 0035: the slug was 21 bytes of each row and of each entry of the
-- three indexes by repository. `deployment` is now a view of the rows joined to their
-- repository, with the columns it had; writes go to `deployment_row`
-- (engine/src/store/codec.rs). Keep in step with
-- migrations/postgres/0036_deployment_repository_ids.sql.
INSERT INTO repository (slug, owner, name)
SELECT DISTINCT repo, substr(repo, 1, instr(repo, '/') - 1), substr(repo, instr(repo, '/') + 1)
FROM deployment WHERE true
ON CONFLICT (slug) DO NOTHING;

CREATE TABLE deployment_row (
    id               INTEGER PRIMARY KEY,
    key              TEXT NOT NULL UNIQUE,
    repo_id          INTEGER NOT NULL,
    environment      TEXT NOT NULL,
    sha              TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('success', 'failure')),
    started_at       BIGINT,
    finished_at      BIGINT NOT NULL,
    source           TEXT NOT NULL,
    rollback         BOOLEAN NOT NULL,
    declared_changes TEXT,
    declared_commits TEXT
);
INSERT INTO deployment_row (id, key, repo_id, environment, sha, status, started_at,
    finished_at, source, rollback, declared_changes, declared_commits)
SELECT d.id, d.key, r.id, d.environment, d.sha, d.status, d.started_at, d.finished_at, d.source,
    d.rollback, d.declared_changes, d.declared_commits
FROM deployment d JOIN repository r ON r.slug = d.repo
ORDER BY d.id;
DROP TABLE deployment;
CREATE VIEW deployment AS
SELECT d.id, d.key, r.slug AS repo, d.environment, d.sha, d.status, d.started_at,
    d.finished_at, d.source, d.rollback, d.declared_changes, d.declared_commits, d.repo_id
FROM deployment_row d JOIN repository r ON r.id = d.repo_id;
CREATE INDEX deployment_by_repo_finished ON deployment_row (repo_id, finished_at);
CREATE INDEX deployment_by_repo_sha ON deployment_row (repo_id, sha);
CREATE INDEX deployment_linear_cuts ON deployment_row (repo_id, finished_at)
    WHERE status = 'success' AND declared_changes IS NULL AND declared_commits IS NULL
    AND NOT rollback;
