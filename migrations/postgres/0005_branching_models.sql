-- Changes merged into any branch: cherry-picks and merges of one branch into another.
-- Keep in step with migrations/sqlite/0005_branching_models.sql.

-- The commits of a change that `git cherry-pick -x` copied from another commit, as a JSON array
-- of {"commit": sha, "from": sha}: the copy is the same change as the original.
ALTER TABLE change ADD COLUMN cherry_picks TEXT NOT NULL DEFAULT '[]';

-- The branch a pull request was merged into when that is not the default branch: such a change
-- ships only when a deployment's commits reach it, never by the linear-history rule.
ALTER TABLE change ADD COLUMN side_branch TEXT;

-- Derived: changes that are not changes of their own (a merge of one branch into another, a
-- cherry-pick of another change), with the reason. They never ship; their commits ship the
-- changes that hold them.
CREATE TABLE absorbed_change (
    change TEXT PRIMARY KEY,
    reason TEXT NOT NULL
);

-- Derived: a commit that ships another change than the ones holding it. A cherry-pick's copy
-- (and the merge sha of the change carrying it) ships the original change.
CREATE TABLE shipped_through (
    repo   TEXT NOT NULL,
    sha    TEXT COLLATE "C" NOT NULL,
    change TEXT NOT NULL,
    PRIMARY KEY (repo, sha, change)
);
