-- `deployment_change` is kept in the order of its primary key, without a rowid: the table was a
-- rowid b-tree plus a copy of every row in its primary key's index (75 MB with the index by
-- change at 100,000 deployments, 56 MB now). Same rows, same indexes otherwise. PostgreSQL has no such choice: see
-- migrations/postgres/0013_deployment_change_without_rowid.sql.
CREATE TABLE deployment_change_keyed (
    deployment TEXT NOT NULL,
    change     TEXT NOT NULL,
    PRIMARY KEY (deployment, change)
) WITHOUT ROWID;
INSERT INTO deployment_change_keyed (deployment, change)
SELECT deployment, change FROM deployment_change;
DROP TABLE deployment_change;
ALTER TABLE deployment_change_keyed RENAME TO deployment_change;
CREATE UNIQUE INDEX deployment_change_by_change ON deployment_change (change);
