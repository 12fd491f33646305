-- On SQLite a deployment's sha is kept as its 20 bytes when it is a lower-case full sha
-- (migrations/sqlite/0037_deployment_binary_shas.sql); here shas stay text, as in
-- `change_commit` (engine/src/store/sha_form.rs). Same version on both backends.
SELECT 1;
