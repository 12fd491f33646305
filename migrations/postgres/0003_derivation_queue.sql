-- Derivation still to do, kept in the store so that no process has to redo everything when it
-- starts. Keep in step with migrations/sqlite/0003_derivation_queue.sql.

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
