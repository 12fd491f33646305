-- A commit named by an incident of no repository is looked up repository by repository, through
-- `change_commit`'s primary key (engine/src/store/derived/mod.rs, INCIDENT_OWNER): the index by
-- sha alone, a copy of the whole table, is not needed. Every repository holding changes gets its
-- `repository` row, as every write registers it. Keep in step with
-- migrations/sqlite/0011_change_commit_without_sha_index.sql.
INSERT INTO repository (slug, owner, name)
SELECT DISTINCT repo, split_part(repo, '/', 1), substr(repo, strpos(repo, '/') + 1)
FROM change_commit
ON CONFLICT (slug) DO NOTHING;
DROP INDEX change_commit_by_sha;
