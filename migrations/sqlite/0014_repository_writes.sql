-- Which change rows each write to a repository can have changed, so a process holding the
-- repository's rows (engine/src/facts_cache.rs) reads again only the changes deployed from that
-- time on instead of the whole history. Keep in step with the other backend's
-- 0014_repository_writes.sql.
--
-- One row per repository a write stamped in `subject_version`, at the version it bumped to:
-- `changes_from` (Unix seconds) says that every change row deployed before it is as it was
-- (the first successful deployment the write can affect, as the derivation queue marks it);
-- NULL says any row may have changed. Rows older than a window of versions are deleted by the
-- writes themselves: a reader whose rows are older than that window reads them whole.
CREATE TABLE repository_write (
    version      BIGINT NOT NULL,
    repo         TEXT NOT NULL,
    changes_from BIGINT,
    PRIMARY KEY (version, repo)
) WITHOUT ROWID;
