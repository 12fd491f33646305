-- What the streamed reanalysis of a repository looks up instead of holding its history in
-- memory. Keep in step with migrations/postgres/0002_streamed_analysis.sql.

-- Every commit sha of a change (its merge sha and its commits), lower-cased: finds the change
-- that holds a deployed or declared sha, or one an incident or a revert names.
CREATE TABLE change_commit (
    repo   TEXT NOT NULL,
    sha    TEXT NOT NULL,
    change TEXT NOT NULL,
    PRIMARY KEY (repo, sha, change)
) WITHOUT ROWID;
CREATE INDEX change_commit_by_change ON change_commit (change);
INSERT INTO change_commit (repo, sha, change)
    SELECT change.repo, lower(json_each.value), change.key FROM change, json_each(change.commits)
    UNION
    SELECT repo, lower(merge_sha), key FROM change WHERE merge_sha IS NOT NULL;

-- Redeployments and rollbacks are found by sha; `#42` references by number.
CREATE INDEX deployment_by_repo_sha ON deployment (repo, sha);
CREATE INDEX change_by_repo_number ON change (repo, number);

-- A change ships once: the unique index lets the analysis insert every candidate and keep the
-- first deployment's claim.
DELETE FROM deployment_change WHERE rowid NOT IN (
    SELECT MIN(rowid) FROM deployment_change GROUP BY change
);
DROP INDEX deployment_change_by_change;
CREATE UNIQUE INDEX deployment_change_by_change ON deployment_change (change);
