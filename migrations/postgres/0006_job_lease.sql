-- One process at a time runs a scheduled job (the GitHub sync) on SQLite, where no advisory
-- lock exists: a lease row, renewed by its holder's heartbeat, taken over once it expires (its
-- holder was killed). PostgreSQL uses an advisory lock instead; the table exists on both so the
-- schemas stay in step.
CREATE TABLE job_lease (
    key        BIGINT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
