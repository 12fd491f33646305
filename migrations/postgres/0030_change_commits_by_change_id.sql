-- A change's commits name it by its id (migration 0029) instead of its key (see
-- migrations/sqlite/0030_change_commits_by_change_id.sql).
CREATE TABLE change_commit_by_id (
    repo      TEXT NOT NULL,
    sha       TEXT COLLATE "C" NOT NULL,
    change_id BIGINT NOT NULL,
    PRIMARY KEY (repo, sha, change_id)
);
INSERT INTO change_commit_by_id (repo, sha, change_id)
SELECT cc.repo, cc.sha, c.id FROM change_commit cc JOIN change c ON c.key = cc.change;
DROP TABLE change_commit;
ALTER TABLE change_commit_by_id RENAME TO change_commit;
ALTER INDEX change_commit_by_id_pkey RENAME TO change_commit_pkey;
CREATE INDEX change_commit_abbreviated ON change_commit (repo, sha) WHERE length(sha) < 40;
