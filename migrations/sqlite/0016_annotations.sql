-- Annotations: dated notes drawn on the charts ("New CI system", "Team split"). `team` is the
-- slug of a team or tribe, NULL for the organisation; no foreign key, since the team table is
-- replaced from the configuration at every start. `inherit` also shows a team's note on its
-- tribe's and the organisation's charts (docs/annotations.md). `day` is the ISO date.
CREATE TABLE annotation (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    day        TEXT NOT NULL,
    title      TEXT NOT NULL,
    team       TEXT,
    inherit    BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX annotation_by_day ON annotation (day, id);
