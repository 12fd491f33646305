-- `change_commit` keeps a full sha (40 hex digits) as its 20 bytes, anything else (an
-- abbreviation) as lower-case text (engine/src/store/sha_form.rs): the shas were most of the
-- table's bytes (76 -> 46 MB at 100,000 deployments, 1.3M rows). SQLite orders every text before
-- every blob, so abbreviations are still found by text prefix and full shas by ranges of blobs.
-- The index of abbreviations now selects the texts. PostgreSQL keeps text: see
-- migrations/postgres/0033_change_commit_binary_shas.sql.
CREATE TABLE change_commit_binary (
    repo_id   INTEGER NOT NULL,
    sha       BLOB NOT NULL,
    change_id INTEGER NOT NULL,
    PRIMARY KEY (repo_id, sha, change_id)
) WITHOUT ROWID;
INSERT INTO change_commit_binary (repo_id, sha, change_id)
SELECT repo_id, COALESCE(unhex(CASE WHEN length(sha) = 40 THEN sha END), lower(sha)), change_id
FROM change_commit
ORDER BY 1, 2, 3;
DROP TABLE change_commit;
ALTER TABLE change_commit_binary RENAME TO change_commit;
CREATE INDEX change_commit_abbreviated ON change_commit (repo_id, sha) WHERE typeof(sha) = 'text';
