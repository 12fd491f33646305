-- The abbreviated-sha lookup of every derivation (`SELECT sha FROM change_commit WHERE repo = ?
-- AND length(sha) < 40 ... LIMIT 1`) reads the index alone when it holds the sha: PostgreSQL's
-- planner otherwise preferred walking the repository's whole primary key (17 ms for 50,000
-- commits of the benchmark's largest repository, 0.05 ms through this index).
DROP INDEX change_commit_abbreviated;
CREATE INDEX change_commit_abbreviated ON change_commit (repo, sha) WHERE length(sha) < 40;
