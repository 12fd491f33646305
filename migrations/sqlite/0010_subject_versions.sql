-- Versions per repository, so a write to one repository leaves the cached answers of every
-- scope without it valid. Keep in step with the other backend's 0010_subject_versions.sql.
--
-- `subject` is a repository slug, or `*` for a write that may change any scope (teams, an
-- incident filed against a team). Every write bumps data_version and stamps the subjects it
-- touched with the new value, in its transaction: a reader that has seen versions up to V asks
-- only for the rows above V.
CREATE TABLE subject_version (
    subject TEXT PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX subject_version_by_version ON subject_version (version);
INSERT INTO subject_version (subject, version) SELECT '*', version FROM data_version WHERE id = 1;

-- Each repository's facts as the metrics read them (engine/src/store/rows.rs encodes them), per
-- environment and noise-filter settings, stamped with the repository's version when they were
-- read: a process that starts (`doraboard metrics`, a new replica) loads these instead of
-- reading every change again. Only a cache: rows whose version is behind are read again.
CREATE TABLE held_rows (
    repo        TEXT NOT NULL,
    environment TEXT NOT NULL,
    filters     TEXT NOT NULL,
    version     BIGINT NOT NULL,
    rows        BLOB NOT NULL,
    PRIMARY KEY (repo, environment, filters)
);
