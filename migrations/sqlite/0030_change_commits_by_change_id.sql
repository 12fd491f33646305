-- A change's commits name it by its id (migration 0029) instead of its key: the key was 24 of
-- the row's 100 bytes at 100,000 deployments (1.3M rows). Same primary key order otherwise.
CREATE TABLE change_commit_by_id (
    repo      TEXT NOT NULL,
    sha       TEXT NOT NULL,
    change_id INTEGER NOT NULL,
    PRIMARY KEY (repo, sha, change_id)
) WITHOUT ROWID;
INSERT INTO change_commit_by_id (repo, sha, change_id)
SELECT cc.repo, cc.sha, c.id FROM change_commit cc JOIN change c ON c.key = cc.change
ORDER BY 1, 2, 3;
DROP TABLE change_commit;
ALTER TABLE change_commit_by_id RENAME TO change_commit;
CREATE INDEX change_commit_abbreviated ON change_commit (repo, sha) WHERE length(sha) < 40;
