-- The repository of each failure and incident link (that of its deployment), so a derivation
-- deletes a repository's incident links by an index range instead of probing the links of every
-- deployment of the repository (thousands; 8 ms a statement for the benchmark's 4,000-deployment
-- repository, four such statements a delivery). A derivation of a repository links only that
-- repository's deployments (engine/src/store/derived).
ALTER TABLE failure_link ADD COLUMN repo TEXT;
UPDATE failure_link SET repo = (SELECT d.repo FROM deployment d WHERE d.key = failure_link.deployment);
CREATE INDEX failure_link_by_repo ON failure_link (repo, kind);
ALTER TABLE incident_link ADD COLUMN repo TEXT;
UPDATE incident_link SET repo = (SELECT d.repo FROM deployment d WHERE d.key = incident_link.deployment);
CREATE INDEX incident_link_by_repo ON incident_link (repo);
