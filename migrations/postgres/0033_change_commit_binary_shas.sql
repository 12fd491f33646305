-- On SQLite `change_commit` keeps full shas as their 20 bytes
-- (migrations/sqlite/0033_change_commit_binary_shas.sql); here they stay lower-case text, which
-- every query compares as before (engine/src/store/sha_form.rs). Same version on both backends.
SELECT 1;
