-- Derivation still to do, kept in the store so that no process has to redo everything when it
-- starts. Keep in step with migrations/sqlite/0007_derivation_queue.sql.

-- A repository whose derived rows are stale. Written in the transaction of the records that
-- made them stale, deleted in the transaction of the derivation that brings them up to date:
-- a process killed in between leaves the row, and whoever starts next resumes it.
CREATE TABLE derivation_queue (
    repo      TEXT PRIMARY KEY NOT NULL,
    -- Re-derive from the successful deployments finished at or after this time (Unix seconds);
    -- NULL: the repository's whole history.
    from_at   BIGINT,
    queued_at BIGINT NOT NULL
);

-- The analysis options (environment, since, attribution window) the derived rows follow: a
-- process started with other options queues every repository.
CREATE TABLE derivation_options (
    id          INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    fingerprint TEXT NOT NULL
);

-- Repositories an earlier version marked for reanalysis (the `analysis` resource of
-- `sync_state`, e.g. by 0003 after merging repository names that differed in case) are queued
-- for a full derivation; the marks are no longer used.
INSERT INTO derivation_queue (repo, from_at, queued_at)
    SELECT repo, NULL, 0 FROM sync_state WHERE resource = 'analysis' AND cursor = 'pending';
DELETE FROM sync_state WHERE resource = 'analysis';
