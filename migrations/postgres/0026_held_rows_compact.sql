-- Held rows are encoded as four-byte differences between nearby times (engine/src/store/held.rs):
-- copies in the older encoding would no longer decode, so they go now rather than be read and
-- dropped at each start. PostgreSQL's own compression (pglz) of the copies cost more to undo than
-- it saved: the 100,000-deployment benchmark's 21 MB of copies took 68 ms to read compressed, 36
-- ms stored as they are. Keep in step with migrations/sqlite/0026_held_rows_compact.sql.
DELETE FROM held_rows;
ALTER TABLE held_rows ALTER COLUMN rows SET STORAGE EXTERNAL;
