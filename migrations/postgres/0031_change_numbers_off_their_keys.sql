-- A change numbered `#42` is nearly always keyed `owner/name#42`, which its primary key already
-- finds: only the changes numbered otherwise stay in an index by number (17 MB and one b-tree
-- write per change at 100,000 deployments before). The lookup of `#42` references
-- (engine/src/store/derived/reverts.rs) reads both and repeats this predicate.
DROP INDEX change_by_repo_number;
CREATE INDEX change_by_unconventional_number ON change (repo, number)
    WHERE number IS NOT NULL AND key <> repo || '#' || CAST(number AS TEXT);
