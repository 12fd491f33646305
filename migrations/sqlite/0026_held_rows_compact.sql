-- Held rows are encoded as four-byte differences between nearby times (engine/src/store/held.rs):
-- copies in the older encoding would no longer decode, so they go now rather than be read and
-- dropped at each start. Keep in step with migrations/postgres/0026_held_rows_compact.sql (which
-- also stores the copies uncompressed).
DELETE FROM held_rows;
