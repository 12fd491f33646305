-- The successful deployments that ship a linear cut of the default branch (declaring neither
-- changes nor commits, not a rollback): every incremental derivation takes the latest cut-off
-- of those before its start (engine/src/store/derived/resume.rs), which otherwise walks every
-- earlier deployment of the repository (3-8 ms a delivery for the benchmark's 4,000-deployment
-- repository, whose deployments declare their changes; 0.1 ms through this index). The query
-- repeats this predicate.
CREATE INDEX deployment_linear_cuts ON deployment (repo, finished_at)
    WHERE status = 'success' AND declared_changes IS NULL AND declared_commits IS NULL
    AND NOT rollback;
