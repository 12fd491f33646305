-- Two lookups every derivation makes, which otherwise read every change of the repository:
-- whether its commits hold abbreviated shas (rare: the index is nearly empty), and its changes
-- that may be reverts or hotfixes (a few percent of them). The predicates are written exactly
-- as the queries write them (engine/src/store/derived), so the planner can use these indexes.
CREATE INDEX change_commit_abbreviated ON change_commit (repo) WHERE length(sha) < 40;
CREATE INDEX change_maybe_rework ON change (repo, merged_at, key)
    WHERE (reverts IS NOT NULL OR fixes IS NOT NULL OR title LIKE 'Revert "%'
    OR lower(labels) LIKE '%hotfix%' OR lower(labels) LIKE '%revert%'
    OR lower(branch) LIKE 'hotfix%');
