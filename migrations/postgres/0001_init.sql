-- doraboard's normalized store (PostgreSQL). Keep in step with migrations/sqlite/0001_init.sql:
-- same tables, columns and version numbers; only column types differ.
-- Timestamps are Unix seconds (UTC); lists are JSON arrays stored as text.

CREATE TABLE team (
    slug      TEXT PRIMARY KEY NOT NULL,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('team', 'tribe')),
    parent    TEXT,
    time_zone TEXT NOT NULL
);

-- Repositories we hold records of (config may name more; see team_repository).
CREATE TABLE repository (
    slug  TEXT PRIMARY KEY NOT NULL,
    host  TEXT NOT NULL DEFAULT 'github.com',
    owner TEXT NOT NULL,
    name  TEXT NOT NULL
);

-- A repository may belong to several teams, each owning some paths (empty list: all of it).
CREATE TABLE team_repository (
    team  TEXT NOT NULL REFERENCES team (slug) ON DELETE CASCADE,
    repo  TEXT NOT NULL,
    paths TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (team, repo)
);
CREATE INDEX team_repository_by_repo ON team_repository (repo);

CREATE TABLE change (
    key             TEXT PRIMARY KEY NOT NULL,
    repo            TEXT NOT NULL,
    number          BIGINT,
    title           TEXT NOT NULL,
    author          TEXT NOT NULL,
    bot             BOOLEAN NOT NULL,
    first_commit_at BIGINT NOT NULL,
    opened_at       BIGINT,
    first_review_at BIGINT,
    merged_at       BIGINT NOT NULL,
    merge_sha       TEXT,
    commits         TEXT NOT NULL,
    labels          TEXT NOT NULL,
    branch          TEXT,
    paths           TEXT NOT NULL,
    reverts         TEXT,
    fixes           TEXT
);
CREATE INDEX change_by_repo_merged ON change (repo, merged_at);

CREATE TABLE deployment (
    key              TEXT PRIMARY KEY NOT NULL,
    repo             TEXT NOT NULL,
    environment      TEXT NOT NULL,
    sha              TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('success', 'failure')),
    started_at       BIGINT,
    finished_at      BIGINT NOT NULL,
    source           TEXT NOT NULL,
    rollback         BOOLEAN NOT NULL,
    declared_changes TEXT,
    declared_commits TEXT
);
CREATE INDEX deployment_by_repo_finished ON deployment (repo, finished_at);

CREATE TABLE incident (
    key         TEXT PRIMARY KEY NOT NULL,
    repo        TEXT,
    team        TEXT,
    title       TEXT NOT NULL,
    opened_at   BIGINT NOT NULL,
    resolved_at BIGINT,
    source      TEXT NOT NULL,
    cause_kind  TEXT CHECK (cause_kind IN ('deployment', 'sha', 'change')),
    cause_ref   TEXT
);
CREATE INDEX incident_by_repo_opened ON incident (repo, opened_at);
CREATE INDEX incident_by_team_opened ON incident (team, opened_at);
CREATE INDEX incident_by_deployment_cause ON incident (cause_ref) WHERE cause_kind = 'deployment';

-- Derived tables: rewritten per repository by each reanalysis, from keys it has just read from
-- the records above. They carry no foreign keys: the per-row checks would double the cost of a
-- reanalysis on PostgreSQL, and records are never deleted.

-- Which changes a deployment shipped for the first time.
CREATE TABLE deployment_change (
    deployment TEXT NOT NULL,
    change     TEXT NOT NULL,
    PRIMARY KEY (deployment, change)
);
CREATE INDEX deployment_change_by_change ON deployment_change (change);

-- Derived: evidence that a deployment failed.
CREATE TABLE failure_link (
    deployment  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('incident', 'rollback', 'revert', 'hotfix')),
    evidence    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    restored_at BIGINT,
    PRIMARY KEY (deployment, kind, evidence)
);

-- Derived: deployments that were unplanned work.
CREATE TABLE rework (
    deployment TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (deployment, reason)
);

-- Derived: the deployment an incident is blamed on (NULL: not caused by a change).
CREATE TABLE incident_link (
    incident   TEXT PRIMARY KEY NOT NULL,
    deployment TEXT,
    reason     TEXT NOT NULL
);
CREATE INDEX incident_link_by_deployment ON incident_link (deployment);

-- Where each incremental sync of a repository's resource stopped.
CREATE TABLE sync_state (
    repo            TEXT NOT NULL,
    resource        TEXT NOT NULL,
    cursor          TEXT,
    etag            TEXT,
    last_success_at BIGINT,
    PRIMARY KEY (repo, resource)
);

-- Every received webhook or imported event, stored once per delivery.
CREATE TABLE raw_event (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    body        TEXT NOT NULL,
    UNIQUE (source, delivery_id)
);

-- One row, bumped by every write that can change a metric: caches compare it.
CREATE TABLE data_version (
    id      INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);
