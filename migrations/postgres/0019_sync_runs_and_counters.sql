-- What the service did, kept in the store so every process reports the same: the GitHub syncs
-- (whichever process ran them: a replica's schedule or a `doraboard collect`), each with the
-- outcome of every repository, and the service's counters for `GET /metrics`.
--
-- Only the last runs are kept (the store deletes older ones as it records a new one; their
-- repositories go with them). Counters grow by increments in SQL, never by rewriting a value
-- read before, so processes adding at once lose nothing. A gauge keeps the value observed last
-- (`observed_at`, Unix seconds), whichever process wrote it last.
CREATE TABLE sync_run (
    id          BIGSERIAL PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT NOT NULL
);
CREATE TABLE sync_run_repo (
    run               BIGINT NOT NULL REFERENCES sync_run (id) ON DELETE CASCADE,
    repo              TEXT NOT NULL,
    changes           BIGINT NOT NULL,
    deployments       BIGINT NOT NULL,
    incidents         BIGINT NOT NULL,
    incidents_deleted BIGINT NOT NULL,
    requests          BIGINT NOT NULL,
    not_modified      BIGINT NOT NULL,
    retries           BIGINT NOT NULL,
    duration_ms       BIGINT NOT NULL,
    error             TEXT,
    PRIMARY KEY (run, repo)
);
CREATE TABLE service_counter (
    name  TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
CREATE TABLE service_gauge (
    name        TEXT PRIMARY KEY NOT NULL,
    value       BIGINT NOT NULL,
    observed_at BIGINT NOT NULL
);
