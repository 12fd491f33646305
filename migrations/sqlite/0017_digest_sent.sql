-- The digests sent, one row per scope, period and channel: a replica claims a row before it
-- sends (an insert that only one replica wins), so the scheduled digest goes out once per
-- period even when several replicas run `serve`. A delivery that failed deletes its claim, so
-- a later run of the schedule tries again.
CREATE TABLE digest_sent (
    scope       TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    claimed_at  BIGINT NOT NULL,
    PRIMARY KEY (scope, period_from, period_to, channel)
);
