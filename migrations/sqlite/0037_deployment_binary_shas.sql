-- A deployment's sha is kept as its 20 bytes when it is a lower-case full sha (40 hex digits),
-- as a change's merge sha is (engine/src/store/sha_form.rs): any other text stays as written, so
-- every sha reads back as it was written (`codec::deployed_sha`). 5 MB of the table and its
-- index by repository and sha at 100,000 deployments. PostgreSQL keeps text: see
-- migrations/postgres/0037_deployment_binary_shas.sql.
UPDATE deployment_row SET sha = unhex(sha)
WHERE length(sha) = 40 AND sha = lower(sha) AND unhex(sha) IS NOT NULL;
