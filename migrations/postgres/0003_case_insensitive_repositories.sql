-- Repository names are case-insensitive, as on GitHub: `Acme/Shop`, `acme/shop` and `ACME/shop`
-- are one repository, stored and compared in lower case from now on (RepoSlug lower-cases what
-- it parses). This moves records stored under another case to the lower-case name, together with
-- the keys GitHub records embed it in (`Acme/Shop#42`, `Acme/Shop@<sha>`,
-- `Acme/Shop/deployments/7`), and what refers to those keys. Where two cases of one record were
-- both stored, the lower-case one (else the first in key order) is kept. What the analysis
-- derived for those repositories is deleted and their analysis marked pending: `serve` reanalyses
-- every repository when it starts, `collect` the pending ones.
-- Keep in step with migrations/sqlite/0003_case_insensitive_repositories.sql (same text).

-- 1. Derived rows of records of repositories stored in another case.
DELETE FROM deployment_change WHERE deployment IN (SELECT key FROM deployment WHERE repo <> lower(repo));
DELETE FROM deployment_change WHERE change IN (SELECT key FROM change WHERE repo <> lower(repo));
DELETE FROM failure_link WHERE deployment IN (SELECT key FROM deployment WHERE repo <> lower(repo));
DELETE FROM failure_link WHERE kind = 'incident' AND evidence IN (SELECT key FROM incident WHERE repo <> lower(repo));
DELETE FROM rework WHERE deployment IN (SELECT key FROM deployment WHERE repo <> lower(repo));
DELETE FROM incident_link WHERE deployment IN (SELECT key FROM deployment WHERE repo <> lower(repo));
DELETE FROM incident_link WHERE incident IN (SELECT key FROM incident WHERE repo <> lower(repo));

-- 2. Of records stored under two cases of one key, keep one.
DELETE FROM change WHERE repo <> lower(repo)
    AND substr(key, 1, length(repo) + 1) IN (repo || '#', repo || '@', repo || '/')
    AND EXISTS (SELECT 1 FROM change c2 WHERE lower(c2.key) = lower(change.key)
        AND c2.key <> change.key AND (c2.key = lower(c2.key) OR c2.key < change.key));
DELETE FROM deployment WHERE repo <> lower(repo)
    AND substr(key, 1, length(repo) + 1) IN (repo || '#', repo || '@', repo || '/')
    AND EXISTS (SELECT 1 FROM deployment d2 WHERE lower(d2.key) = lower(deployment.key)
        AND d2.key <> deployment.key AND (d2.key = lower(d2.key) OR d2.key < deployment.key));
DELETE FROM incident WHERE repo <> lower(repo)
    AND substr(key, 1, length(repo) + 1) IN (repo || '#', repo || '@', repo || '/')
    AND EXISTS (SELECT 1 FROM incident i2 WHERE lower(i2.key) = lower(incident.key)
        AND i2.key <> incident.key AND (i2.key = lower(i2.key) OR i2.key < incident.key));
DELETE FROM change_commit WHERE repo <> lower(repo) AND change NOT IN (SELECT key FROM change);

-- 3. References to keys that embed a repository name (of any repository), while `repository`
-- still holds the names as they were stored.
UPDATE incident SET cause_ref = (
        SELECT lower(r.slug) || substr(incident.cause_ref, length(r.slug) + 1) FROM repository r
        WHERE r.slug <> lower(r.slug)
        AND substr(incident.cause_ref, 1, length(r.slug) + 1) IN (r.slug || '#', r.slug || '@', r.slug || '/'))
    WHERE cause_kind IN ('deployment', 'change') AND EXISTS (
        SELECT 1 FROM repository r WHERE r.slug <> lower(r.slug)
        AND substr(incident.cause_ref, 1, length(r.slug) + 1) IN (r.slug || '#', r.slug || '@', r.slug || '/'));
UPDATE change SET reverts = (
        SELECT lower(r.slug) || substr(change.reverts, length(r.slug) + 1) FROM repository r
        WHERE r.slug <> lower(r.slug) AND substr(change.reverts, 1, length(r.slug) + 1) IN (r.slug || '#', r.slug || '@'))
    WHERE EXISTS (
        SELECT 1 FROM repository r WHERE r.slug <> lower(r.slug)
        AND substr(change.reverts, 1, length(r.slug) + 1) IN (r.slug || '#', r.slug || '@'));
UPDATE change SET fixes = (
        SELECT lower(r.slug) || substr(change.fixes, length(r.slug) + 1) FROM repository r
        WHERE r.slug <> lower(r.slug) AND substr(change.fixes, 1, length(r.slug) + 1) IN (r.slug || '#', r.slug || '@'))
    WHERE EXISTS (
        SELECT 1 FROM repository r WHERE r.slug <> lower(r.slug)
        AND substr(change.fixes, 1, length(r.slug) + 1) IN (r.slug || '#', r.slug || '@'));
UPDATE deployment SET declared_changes = replace(replace(declared_changes,
        '"' || repo || '#', '"' || lower(repo) || '#'), '"' || repo || '@', '"' || lower(repo) || '@')
    WHERE repo <> lower(repo) AND declared_changes IS NOT NULL;

-- 4. The records themselves: their keys, then their repository.
UPDATE change_commit SET change = lower(repo) || substr(change, length(repo) + 1)
    WHERE repo <> lower(repo) AND substr(change, 1, length(repo) + 1) IN (repo || '#', repo || '@', repo || '/');
UPDATE change_commit SET repo = lower(repo) WHERE repo <> lower(repo);
UPDATE change SET key = lower(repo) || substr(key, length(repo) + 1)
    WHERE repo <> lower(repo) AND substr(key, 1, length(repo) + 1) IN (repo || '#', repo || '@', repo || '/');
UPDATE change SET repo = lower(repo) WHERE repo <> lower(repo);
UPDATE deployment SET key = lower(repo) || substr(key, length(repo) + 1)
    WHERE repo <> lower(repo) AND substr(key, 1, length(repo) + 1) IN (repo || '#', repo || '@', repo || '/');
UPDATE deployment SET repo = lower(repo) WHERE repo <> lower(repo);
UPDATE incident SET key = lower(repo) || substr(key, length(repo) + 1)
    WHERE repo <> lower(repo) AND substr(key, 1, length(repo) + 1) IN (repo || '#', repo || '@', repo || '/');
UPDATE incident SET repo = lower(repo) WHERE repo <> lower(repo);

-- 5. Rows keyed by repository: one per lower-case name (the lower-case one, else the first).
DELETE FROM sync_state WHERE repo <> lower(repo) AND EXISTS (SELECT 1 FROM sync_state s2
    WHERE lower(s2.repo) = lower(sync_state.repo) AND s2.resource = sync_state.resource
    AND s2.repo <> sync_state.repo AND (s2.repo = lower(s2.repo) OR s2.repo < sync_state.repo));
UPDATE sync_state SET repo = lower(repo) WHERE repo <> lower(repo);
INSERT INTO sync_state (repo, resource, cursor)
    SELECT DISTINCT lower(slug), 'analysis', 'pending' FROM repository WHERE slug <> lower(slug)
    ON CONFLICT (repo, resource) DO UPDATE SET cursor = 'pending';
DELETE FROM team_repository WHERE repo <> lower(repo) AND EXISTS (SELECT 1 FROM team_repository t2
    WHERE lower(t2.repo) = lower(team_repository.repo) AND t2.team = team_repository.team
    AND t2.repo <> team_repository.repo AND (t2.repo = lower(t2.repo) OR t2.repo < team_repository.repo));
UPDATE team_repository SET repo = lower(repo) WHERE repo <> lower(repo);
DELETE FROM repository WHERE slug <> lower(slug) AND EXISTS (SELECT 1 FROM repository r2
    WHERE lower(r2.slug) = lower(repository.slug)
    AND r2.slug <> repository.slug AND (r2.slug = lower(r2.slug) OR r2.slug < repository.slug));
UPDATE repository SET slug = lower(slug), owner = lower(owner), name = lower(name)
    WHERE slug <> lower(slug) OR owner <> lower(owner) OR name <> lower(name);
