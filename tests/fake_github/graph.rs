//! The fake repository's git history: a commit graph replayed from the world, so that listing
//! commits, `compare` and "the pull requests of a commit" answer by reachability as GitHub does.
//!
//! Events are replayed in time order: a branch is created from another's tip; a pull request
//! merged into its base lands as a squash commit, as its own commits plus a merge commit
//! ([`Strategy::MergeCommit`]), or, when its head is a branch of the repository (a GitFlow
//! release, a maintenance branch merged forward), as a merge commit of that branch; a push adds a
//! commit on top of its branch; a merge (no pull request) joins two branches. Every commit's
//! parents were created before it, so a commit's index in creation order is a topological order.

use super::{FakeCommit, FakeRepo, Strategy, Time};
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};

/// A branch created at `at` from the tip of `from` (a branch name).
#[derive(Debug, Clone)]
pub struct FakeBranch {
    pub name: String,
    pub from: String,
    pub at: Time,
}

/// A merge commit joining `from` into `into` without a pull request (`git merge` and a push).
#[derive(Debug, Clone)]
pub struct FakeMerge {
    pub into: String,
    pub from: String,
    pub commit: FakeCommit,
}

#[derive(Debug, Clone)]
pub struct GraphCommit {
    pub commit: FakeCommit,
    pub parents: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Graph {
    /// Every commit, in creation order (parents first).
    commits: Vec<GraphCommit>,
    index: HashMap<String, usize>,
    /// Branch name -> the index of its tip.
    tips: HashMap<String, usize>,
    /// The commits of each pull request whose head is a branch: what the branch brought in.
    branch_pull_commits: HashMap<i64, Vec<usize>>,
}

enum Event<'a> {
    Branch(&'a FakeBranch),
    Pull(i64),
    Push(&'a str, &'a FakeCommit),
    Merge(&'a FakeMerge),
}

impl Graph {
    pub fn build(repo: &FakeRepo) -> Graph {
        let mut events: Vec<(Time, u8, String, Event<'_>)> = Vec::new();
        for b in &repo.branches {
            events.push((b.at, 0, b.name.clone(), Event::Branch(b)));
        }
        for pr in repo.pulls.values() {
            let (Some(merged), Some(merge_sha)) = (pr.merged_at, &pr.merge_sha) else {
                continue;
            };
            events.push((merged, 1, merge_sha.clone(), Event::Pull(pr.number)));
        }
        for push in &repo.pushes {
            let event = Event::Push(repo.default_branch.as_str(), push);
            events.push((push.committed_at, 1, push.sha.clone(), event));
        }
        for (branch, push) in &repo.branch_pushes {
            let event = Event::Push(branch.as_str(), push);
            events.push((push.committed_at, 1, push.sha.clone(), event));
        }
        for m in &repo.merges {
            events.push((
                m.commit.committed_at,
                1,
                m.commit.sha.clone(),
                Event::Merge(m),
            ));
        }
        events.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));

        let mut g = Graph::default();
        for (_, _, _, event) in events {
            match event {
                Event::Branch(b) => {
                    if let Some(tip) = g.tips.get(&b.from).copied() {
                        g.tips.insert(b.name.clone(), tip);
                    }
                }
                Event::Push(branch, commit) => {
                    let parents = g.tip_sha(branch).into_iter().collect();
                    g.add(branch, commit.clone(), parents);
                }
                Event::Merge(m) => {
                    let parents = [g.tip_sha(&m.into), g.tip_sha(&m.from)]
                        .into_iter()
                        .flatten()
                        .collect();
                    g.add(&m.into, m.commit.clone(), parents);
                }
                Event::Pull(number) => g.merge_pull(repo, number),
            }
        }
        g
    }

    fn merge_pull(&mut self, repo: &FakeRepo, number: i64) {
        let pr = &repo.pulls[&number];
        let (Some(merged), Some(merge_sha)) = (pr.merged_at, pr.merge_sha.clone()) else {
            return;
        };
        let base_tip = self.tip_sha(&pr.base);
        let message = match (self.tips.contains_key(&pr.head), pr.strategy) {
            (false, Strategy::Squash) => format!("{} (#{})", pr.title, pr.number),
            _ => format!("Merge pull request #{} from acme/{}", pr.number, pr.head),
        };
        let merge = FakeCommit {
            sha: merge_sha,
            message,
            author: pr.author.clone(),
            authored_at: merged,
            committed_at: merged,
        };
        if let Some(&head) = self.tips.get(&pr.head) {
            let brought = self.only_in(head, base_tip.as_deref().map(|s| self.index[s]));
            self.branch_pull_commits.insert(number, brought);
            let head_sha = self.commits[head].commit.sha.clone();
            let parents = base_tip.into_iter().chain([head_sha]).collect();
            self.add(&pr.base, merge, parents);
            return;
        }
        if pr.strategy == Strategy::MergeCommit {
            let mut parent = base_tip.clone();
            for c in &pr.commits {
                self.add_detached(c.clone(), parent.iter().cloned().collect());
                parent = Some(c.sha.clone());
            }
            let parents = base_tip.into_iter().chain(parent).collect();
            self.add(&pr.base, merge, parents);
        } else {
            self.add(&pr.base, merge, base_tip.into_iter().collect());
        }
    }

    fn tip_sha(&self, branch: &str) -> Option<String> {
        self.tips
            .get(branch)
            .map(|&i| self.commits[i].commit.sha.clone())
    }

    fn add_detached(&mut self, commit: FakeCommit, parents: Vec<String>) -> usize {
        let i = self.commits.len();
        self.index.insert(commit.sha.clone(), i);
        self.commits.push(GraphCommit { commit, parents });
        i
    }

    fn add(&mut self, branch: &str, commit: FakeCommit, parents: Vec<String>) {
        let i = self.add_detached(commit, parents);
        self.tips.insert(branch.to_string(), i);
    }

    pub fn commit(&self, sha: &str) -> Option<&GraphCommit> {
        self.index.get(sha).and_then(|&i| self.commit_at(i))
    }

    pub fn commit_at(&self, i: usize) -> Option<&GraphCommit> {
        self.commits.get(i)
    }

    /// A branch name or a sha, as GitHub resolves `?sha=` and compare's ends.
    pub fn resolve(&self, reference: &str) -> Option<usize> {
        self.tips
            .get(reference)
            .or_else(|| self.index.get(reference))
            .copied()
    }

    /// The commits reachable from `head`, newest first (git log order).
    pub fn log(&self, head: usize) -> Vec<&GraphCommit> {
        self.only_in(head, None)
            .into_iter()
            .rev()
            .map(|i| &self.commits[i])
            .collect()
    }

    /// The commits reachable from `head` and not from `base`, oldest first (as `compare` lists
    /// them). Walks from the newest commit down, painting what each side reaches, and stops once
    /// only commits the base reaches are left.
    pub fn only_in(&self, head: usize, base: Option<usize>) -> Vec<usize> {
        const HEAD: u8 = 1;
        const BASE: u8 = 2;
        let mut flags: HashMap<usize, u8> = HashMap::from([(head, HEAD)]);
        let mut queue = BinaryHeap::from([head]);
        let mut queued: HashSet<usize> = HashSet::from([head]);
        if let Some(b) = base {
            *flags.entry(b).or_default() |= BASE;
            if queued.insert(b) {
                queue.push(b);
            }
        }
        let mut head_only = usize::from(flags[&head] == HEAD);
        let mut found = BTreeSet::new();
        while head_only > 0 {
            let Some(i) = queue.pop() else { break };
            queued.remove(&i);
            let f = flags[&i];
            if f == HEAD {
                head_only -= 1;
                found.insert(i);
            }
            for parent in &self.commits[i].parents {
                let Some(&p) = self.index.get(parent) else {
                    continue;
                };
                let old = flags.get(&p).copied().unwrap_or(0);
                let new = old | f;
                if new == old {
                    continue;
                }
                flags.insert(p, new);
                if queued.insert(p) {
                    queue.push(p);
                    head_only += usize::from(new == HEAD);
                } else if old == HEAD {
                    head_only -= 1;
                }
            }
        }
        found.into_iter().collect()
    }

    /// The newest commit both reach.
    pub fn merge_base(&self, a: usize, b: usize) -> Option<usize> {
        let from_a: HashSet<usize> = self.only_in(a, None).into_iter().collect();
        self.only_in(b, None)
            .into_iter()
            .rev()
            .find(|i| from_a.contains(i))
    }

    /// The commits a pull request lists: what its head branch brought in, or its own commits.
    pub fn pull_commits(&self, number: i64) -> Option<Vec<&GraphCommit>> {
        self.branch_pull_commits
            .get(&number)
            .map(|list| list.iter().map(|&i| &self.commits[i]).collect())
    }
}
