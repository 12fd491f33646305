-- What finds the repository whose analysis links an incident (engine/src/store/derived, the
-- incident's owner): the incidents naming a change of a repository, and the changes holding a
-- commit a team-only incident names, whatever their repository.
-- Keep in step with migrations/sqlite/0004_incident_cause_lookups.sql (same text).

CREATE INDEX incident_by_change_cause ON incident (cause_ref) WHERE cause_kind = 'change';
CREATE INDEX change_commit_by_sha ON change_commit (sha);
