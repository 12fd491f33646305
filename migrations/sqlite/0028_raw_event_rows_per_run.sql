-- A row of the raw log may stand for several events: a run of a block's events of one source,
-- from the rank its body refers to (engine/src/store/events.rs, `runs`). Rows written before
-- stand for one event each. Keep in step with
-- migrations/postgres/0028_raw_event_rows_per_run.sql.
ALTER TABLE raw_event ADD COLUMN events BIGINT NOT NULL DEFAULT 1;
