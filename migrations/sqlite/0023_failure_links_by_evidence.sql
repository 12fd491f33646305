-- Failure links by their evidence: a derivation deletes the links of the incidents it covers
-- (which another repository's derivation may have written) and of the rollbacks it derives
-- again by their evidence, which the primary key (deployment, kind, evidence) cannot find
-- without reading every link of the store.
CREATE INDEX failure_link_by_evidence ON failure_link (evidence);
