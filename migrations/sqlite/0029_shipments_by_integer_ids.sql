-- Changes and deployments get integer ids, and a shipment (`deployment_change`) is a pair of
-- them instead of a pair of keys: at 100,000 deployments the table and its index by change held
-- 56 MB of repeated text keys (about 50 bytes a row, twice); a pair of integers is a few bytes.
-- `id` is the rowid on SQLite, so each table is stored as before (rows in id order, the key in
-- its unique index); the upserts on `key` keep a row's id.
CREATE TABLE change_with_id (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    repo            TEXT NOT NULL,
    number          BIGINT,
    title           TEXT NOT NULL,
    author          TEXT NOT NULL,
    bot             BOOLEAN NOT NULL,
    first_commit_at BIGINT NOT NULL,
    opened_at       BIGINT,
    first_review_at BIGINT,
    merged_at       BIGINT NOT NULL,
    merge_sha       TEXT,
    commits         TEXT NOT NULL,
    labels          TEXT NOT NULL,
    branch          TEXT,
    paths           TEXT NOT NULL,
    reverts         TEXT,
    fixes           TEXT,
    cherry_picks    TEXT NOT NULL DEFAULT '[]',
    side_branch     TEXT
);
INSERT INTO change_with_id (key, repo, number, title, author, bot, first_commit_at, opened_at,
    first_review_at, merged_at, merge_sha, commits, labels, branch, paths, reverts, fixes,
    cherry_picks, side_branch)
SELECT key, repo, number, title, author, bot, first_commit_at, opened_at, first_review_at,
    merged_at, merge_sha, commits, labels, branch, paths, reverts, fixes, cherry_picks,
    side_branch
FROM change ORDER BY rowid;

CREATE TABLE deployment_with_id (
    id               INTEGER PRIMARY KEY,
    key              TEXT NOT NULL UNIQUE,
    repo             TEXT NOT NULL,
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
INSERT INTO deployment_with_id (key, repo, environment, sha, status, started_at, finished_at,
    source, rollback, declared_changes, declared_commits)
SELECT key, repo, environment, sha, status, started_at, finished_at, source, rollback,
    declared_changes, declared_commits
FROM deployment ORDER BY rowid;

-- A change ships once: its id is the key (the rowid), the deployment's id indexed.
CREATE TABLE shipment (
    change_id     INTEGER PRIMARY KEY,
    deployment_id INTEGER NOT NULL
);
INSERT INTO shipment (change_id, deployment_id)
SELECT c.id, d.id FROM deployment_change dc
JOIN change_with_id c ON c.key = dc.change
JOIN deployment_with_id d ON d.key = dc.deployment;

DROP TABLE deployment_change;
DROP TABLE change;
DROP TABLE deployment;
ALTER TABLE change_with_id RENAME TO change;
ALTER TABLE deployment_with_id RENAME TO deployment;
ALTER TABLE shipment RENAME TO deployment_change;
CREATE INDEX deployment_change_by_deployment ON deployment_change (deployment_id);

CREATE INDEX change_by_repo_merged ON change (repo, merged_at);
CREATE INDEX change_by_repo_number ON change (repo, number);
CREATE INDEX change_maybe_rework ON change (repo, merged_at, key)
    WHERE (reverts IS NOT NULL OR fixes IS NOT NULL OR title LIKE 'Revert "%'
    OR lower(labels) LIKE '%hotfix%' OR lower(labels) LIKE '%revert%'
    OR lower(branch) LIKE 'hotfix%');
CREATE INDEX deployment_by_repo_finished ON deployment (repo, finished_at);
CREATE INDEX deployment_by_repo_sha ON deployment (repo, sha);
CREATE INDEX deployment_linear_cuts ON deployment (repo, finished_at)
    WHERE status = 'success' AND declared_changes IS NULL AND declared_commits IS NULL
    AND NOT rollback;
