-- On SQLite `deployment_change` becomes a table without rowid
-- (migrations/sqlite/0013_deployment_change_without_rowid.sql); PostgreSQL tables are heaps
-- whatever their key, so nothing changes here. Same version on both backends.
SELECT 1;
