-- The repository of the deployment an incident's cause names, when that deployment is stored
-- (kept by every write of incidents and deployments: engine/src/store/derived/causes.rs). A
-- derivation finds the incidents of other repositories that name one of its deployments through
-- this column's index, instead of probing the incidents' causes with each of the repository's
-- deployments (4,000 probes, 6 ms a delivery for the benchmark's largest repository, and more
-- the longer its history).
ALTER TABLE incident ADD COLUMN cause_repo TEXT;
UPDATE incident SET cause_repo = (SELECT d.repo FROM deployment d WHERE d.key = incident.cause_ref)
WHERE cause_kind = 'deployment';
CREATE INDEX incident_by_cause_repo ON incident (cause_repo) WHERE cause_repo IS NOT NULL;
