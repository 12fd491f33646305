//! One storage story, two backends: every test here runs against SQLite (in memory) and against
//! PostgreSQL when `TEST_POSTGRES_URL` points at a server (each test in a schema of its own, so
//! they run in parallel). Without it the PostgreSQL variants say they were skipped, and fail
//! instead when `DORABOARD_REQUIRE_EXTERNAL=1` (CI), so a missing database is never mistaken
//! for a pass.

use chrono::{DateTime, Duration, Utc};
use engine::analysis::{AnalysisOptions, FailureKind};
use engine::metrics::facts::MetricInputs;
use engine::model::{
    Change, CherryPick, Deployment, DeploymentStatus, Incident, IncidentCause, RepoSlug, Source,
};
use engine::store::testing::{TestStore, derived_rows};
use engine::store::{
    Counter, Gauge, Observation, RepoReport, SYNC_RUNS_KEPT, Store, StoreCounts, StoreError,
    SyncReport, SyncState, TeamRow,
};

// ---- the two backends ----------------------------------------------------------------------

/// Declares each test once per backend: `sqlite::<name>` and `postgres::<name>`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::sqlite_store().await).await;
                }
            )*
        }
        mod postgres {
            use engine::store::testing::TestStore;
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(db) = TestStore::postgres(stringify!($name)).await {
                        super::$name(db.store.clone()).await;
                        db.finish().await;
                    }
                }
            )*
        }
    };
}

conformance!(
    loading_the_same_records_twice_changes_nothing,
    a_record_loaded_again_with_a_changed_field_is_updated,
    records_read_back_exactly_as_written,
    reanalysis_derives_shipments_failures_and_incident_links,
    reanalysing_twice_changes_nothing,
    metric_windows_are_half_open_at_exact_boundaries,
    deployments_match_the_environment_case_insensitively,
    incidents_of_a_team_without_repository_count_for_that_team,
    an_incident_without_repository_naming_a_deployment_is_linked_to_it,
    a_cause_in_another_repository_is_linked_by_that_repository_alone,
    ingesting_an_incident_reanalyses_the_repository_of_its_cause,
    an_incident_naming_a_deployment_stored_later_is_linked_by_its_repository,
    a_rollback_reports_the_failed_deployment_and_when_service_was_restored,
    deployment_detail_explains_why_a_deployment_failed,
    a_webhook_delivered_twice_is_stored_once,
    sync_state_round_trips_and_is_replaced,
    syncing_teams_replaces_the_previous_set,
    every_write_moves_the_data_version,
    deleting_incidents_removes_what_was_derived_from_them,
    an_ingested_deletion_undoes_the_incident_in_arrival_order,
    two_thousand_repositories_fit_in_one_metrics_query,
    a_release_merge_ships_its_features_and_is_not_a_change_of_its_own,
    a_change_no_longer_absorbed_ships_as_a_change_of_its_own,
    a_cherry_pick_ships_the_original_at_whichever_copy_lands_first,
    a_linear_cut_ships_neither_absorbed_changes_nor_other_branches,
    a_derivation_left_queued_resumes_to_the_figures_of_a_full_one,
    other_analysis_options_queue_every_repository,
    incremental_derivation_equals_a_full_one_on_a_random_history,
    a_change_rewritten_with_other_commits_is_found_by_its_new_shas_only,
    a_bulk_write_finds_each_change_by_the_shas_of_its_last_version,
    a_change_keeps_its_shas_as_written_and_is_found_by_each,
    a_deployment_keeps_its_sha_as_written_and_ships_by_it,
    a_change_is_found_by_its_key_in_whichever_form_it_is_kept,
    a_bulk_write_into_an_empty_store_keeps_a_moved_key_one_change,
    a_write_stamps_only_the_repositories_it_touched,
    a_replica_answers_fresh_after_another_handle_writes,
    held_rows_give_the_figures_of_the_whole_read,
    postgres_sessions_compile_no_statement,
    postgres_sessions_receive_no_notices,
    held_rows_patched_after_deliveries_give_the_figures_of_the_whole_read,
    a_teams_repositories_indexed_together_give_the_figures_of_the_whole_read,
    a_record_without_commits_never_overwrites_what_a_poll_filled_in,
    a_number_reference_names_the_earliest_change_numbered_so_whatever_its_key,
    annotations_are_added_listed_by_date_and_removed,
    a_sync_run_is_recorded_counted_and_only_the_last_ones_kept,
    counters_add_up_across_concurrent_writers_and_gauges_keep_the_newest,
);

async fn sqlite_store() -> Store {
    TestStore::sqlite().await.store
}

// ---- fixtures --------------------------------------------------------------------------------

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("fixture times are RFC 3339")
        .with_timezone(&Utc)
}

fn repo(slug: &str) -> RepoSlug {
    slug.parse().expect("fixture repositories are owner/name")
}

fn change(key: &str, repo_slug: &str, sha: &str, merged_at: &str) -> Change {
    let merged_at = at(merged_at);
    Change {
        key: key.into(),
        repo: repo(repo_slug),
        number: key.rsplit('#').next().and_then(|n| n.parse().ok()),
        title: format!("Change {key}"),
        author: "ada".into(),
        bot: false,
        first_commit_at: merged_at - Duration::hours(5),
        opened_at: Some(merged_at - Duration::hours(4)),
        first_review_at: Some(merged_at - Duration::hours(1)),
        merged_at,
        merge_sha: Some(sha.into()),
        commits: vec![sha.into()],
        labels: vec![],
        branch: Some(format!("feature/{sha}")),
        paths: vec!["src/lib.rs".into()],
        reverts: None,
        fixes: None,
        cherry_picks: Vec::new(),
        side_branch: None,
    }
}

fn deployment(key: &str, repo_slug: &str, sha: &str, finished_at: &str) -> Deployment {
    let finished_at = at(finished_at);
    Deployment {
        key: key.into(),
        repo: repo(repo_slug),
        environment: "production".into(),
        sha: sha.into(),
        status: DeploymentStatus::Success,
        started_at: Some(finished_at - Duration::minutes(10)),
        finished_at,
        source: Source::GithubDeployment,
        rollback: false,
        declared_changes: None,
        declared_commits: None,
    }
}

fn incident(key: &str, repo_slug: Option<&str>, opened_at: &str) -> Incident {
    let opened_at = at(opened_at);
    Incident {
        key: key.into(),
        repo: repo_slug.map(repo),
        team: None,
        title: format!("Incident {key}"),
        opened_at,
        resolved_at: Some(opened_at + Duration::minutes(45)),
        source: Source::GithubIssue,
        cause: None,
    }
}

/// Changes as the events of a push-ingestion batch, without raw forms.
fn logged_changes(
    changes: impl IntoIterator<Item = Change>,
) -> Vec<engine::store::events::LoggedEvent> {
    changes
        .into_iter()
        .map(|c| engine::store::events::LoggedEvent {
            raw: None,
            record: Some(engine::store::events::EventRecord::Change(c)),
        })
        .collect()
}

fn keys<'a>(keys: impl IntoIterator<Item = &'a String>) -> Vec<&'a str> {
    keys.into_iter().map(String::as_str).collect()
}

const API: &str = "acme/api";
const SHA_A: &str = "aaaaaaa1111111";
const SHA_B: &str = "bbbbbbb2222222";

/// Two changes shipped by two deployments; the second deployment hurt production (an incident
/// half an hour later) and was rolled back to the first sha an hour later.
async fn load_rollback_story(store: &Store) {
    write_rollback_story(store).await;
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("the repository reanalyses");
}

/// The records of [`load_rollback_story`], written but not derived: what a process killed
/// before (or during) the derivation leaves behind.
async fn write_rollback_story(store: &Store) {
    store
        .upsert_changes(&[
            change("acme/api#1", API, SHA_A, "2026-03-02T10:00:00Z"),
            change("acme/api#2", API, SHA_B, "2026-03-02T11:00:00Z"),
        ])
        .await
        .expect("changes load");
    let mut rollback = deployment("d3", API, SHA_A, "2026-03-02T13:00:00Z");
    rollback.rollback = true;
    store
        .upsert_deployments(&[
            deployment("d1", API, SHA_A, "2026-03-02T10:30:00Z"),
            deployment("d2", API, SHA_B, "2026-03-02T12:00:00Z"),
            rollback,
        ])
        .await
        .expect("deployments load");
    store
        .upsert_incidents(&[incident("inc-1", Some(API), "2026-03-02T12:30:00Z")])
        .await
        .expect("incidents load");
}

/// The metric inputs of the API repository for March 2026.
async fn march(store: &Store) -> MetricInputs {
    store
        .metric_inputs(
            &[repo(API)],
            &[],
            "production",
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("metric inputs load")
}

// ---- the story -------------------------------------------------------------------------------

/// Records written in a transaction queue their repository in that same transaction; whoever
/// drains the queue next derives exactly what a full reanalysis derives.
async fn a_derivation_left_queued_resumes_to_the_figures_of_a_full_one(store: Store) {
    write_rollback_story(&store).await;
    assert_eq!(
        store.queued_derivations().await.expect("queue"),
        [repo(API)]
    );
    assert!(derived_rows(&store).await.is_empty(), "nothing derived yet");
    let options = AnalysisOptions::default();
    let report = store.derive_all_queued(&options).await.expect("derives");
    assert_eq!(report.repositories, 1);
    assert!(store.queued_derivations().await.expect("queue").is_empty());
    let resumed = derived_rows(&store).await;
    assert!(
        resumed.iter().any(|r| r.starts_with("failure d2 rollback")),
        "{resumed:#?}"
    );
    assert_eq!(
        store.derive_queued(&repo(API), &options).await.expect("ok"),
        None,
        "nothing left to do"
    );
    store
        .reanalyze(&[repo(API)], &options)
        .await
        .expect("full reanalysis");
    assert_eq!(derived_rows(&store).await, resumed);
}

/// A small deterministic generator (xorshift), so the random history is the same on every run.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Deployments written a few at a time, out of time order, some rewritten (moved in time, failed,
/// to another environment): after each write the incremental derivation of the queued repository
/// (from the earliest time the write touched) derives exactly what a full derivation derives.
async fn incremental_derivation_equals_a_full_one_on_a_random_history(store: Store) {
    use engine::store::events::{EventRecord, LoggedEvent};
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let t0 = at("2026-03-01T00:00:00Z");
    let full_sha = |i: u64| format!("{i:040x}");
    let mut changes = Vec::new();
    for i in 0..40 {
        let mut c = change(
            &format!("acme/api#{i}"),
            API,
            &full_sha(i),
            "2026-03-01T00:00:00Z",
        );
        c.merged_at = t0 + Duration::hours(3 * i as i64);
        c.first_commit_at = c.merged_at - Duration::hours(2);
        c.opened_at = None;
        c.first_review_at = None;
        if i % 9 == 8 {
            c.title = format!("Revert \"Change acme/api#{}\"", i - 3);
        }
        if i % 11 == 10 {
            c.fixes = Some(format!("#{}", i - 2));
        }
        changes.push(c);
    }
    let mut deployments = Vec::new();
    for i in 0..36_u64 {
        let sha = match random.below(6) {
            0 => full_sha(1000 + i),            // unknown sha: cut by its start
            1 => full_sha(random.below(i + 1)), // maybe a redeployment or a rollback
            _ => full_sha(i + random.below(3)),
        };
        let minutes = 180 * i as i64 + 60 + 30 * random.below(4) as i64;
        let mut d = deployment(&format!("d{i:02}"), API, &sha, "2026-03-01T00:00:00Z");
        d.finished_at = t0 + Duration::minutes(minutes);
        d.started_at = Some(d.finished_at - Duration::minutes(20));
        match random.below(8) {
            0 => {
                d.declared_changes = Some(vec![
                    format!("acme/api#{}", random.below(40)),
                    format!("acme/api#{}", random.below(40)),
                ])
            }
            1 => d.declared_commits = Some(vec![full_sha(random.below(40))]),
            2 => d.rollback = true,
            3 => d.status = DeploymentStatus::Failure,
            _ => {}
        }
        deployments.push(d);
    }
    let incidents: Vec<Incident> = (0..6)
        .map(|i| {
            let mut inc = incident(&format!("inc-{i}"), Some(API), "2026-03-01T00:00:00Z");
            inc.opened_at = t0 + Duration::hours(17 * i + 5);
            inc.resolved_at = Some(inc.opened_at + Duration::hours(1));
            inc
        })
        .collect();
    store.upsert_changes(&changes).await.expect("changes");
    store.upsert_incidents(&incidents).await.expect("incidents");
    let options = AnalysisOptions::default();
    // The first dozen deployments, then the rest in shuffled batches.
    let (first, rest) = deployments.split_at(12);
    store.upsert_deployments(first).await.expect("deployments");
    store.derive_all_queued(&options).await.expect("derives");
    let mut rest = rest.to_vec();
    for i in (1..rest.len()).rev() {
        rest.swap(i, random.below(i as u64 + 1) as usize);
    }
    let mut written: Vec<Deployment> = first.to_vec();
    let mut batches = 0;
    while !rest.is_empty() {
        let take = (1 + random.below(4) as usize).min(rest.len());
        let mut batch: Vec<Deployment> = rest.drain(..take).collect();
        // Now and then a deployment already written comes again, changed.
        if random.below(3) == 0 {
            let mut again = written[random.below(written.len() as u64) as usize].clone();
            match random.below(3) {
                0 => again.finished_at += Duration::minutes(200),
                1 => again.status = DeploymentStatus::Failure,
                _ => again.environment = "staging".into(),
            }
            batch.push(again);
        }
        written.extend(batch.iter().cloned());
        let mut tx = store.begin_ingest().await.expect("begin");
        tx.write(
            batch
                .into_iter()
                .map(|d| LoggedEvent {
                    raw: None,
                    record: Some(EventRecord::Deployment(d)),
                })
                .collect(),
        )
        .await
        .expect("write");
        tx.commit().await.expect("commit");
        store.derive_all_queued(&options).await.expect("derives");
        let incremental = derived_rows(&store).await;
        store.reanalyze(&[repo(API)], &options).await.expect("full");
        assert_eq!(
            incremental,
            derived_rows(&store).await,
            "after batch {batches}"
        );
        batches += 1;
    }
    let derived = derived_rows(&store).await;
    for kind in ["shipment", "failure", "rework", "incident"] {
        assert!(
            derived.iter().any(|r| r.starts_with(kind)),
            "the history derives some {kind}: {derived:#?}"
        );
    }
}

/// The commit shas of a change are looked up in a table of their own: rewriting the change
/// replaces its rows there (by the shas of the stored version), through both write paths.
async fn a_change_rewritten_with_other_commits_is_found_by_its_new_shas_only(store: Store) {
    let (old, new) = ("1".repeat(40), "2".repeat(40));
    let mut first = change("acme/api#9", API, &old, "2026-03-02T10:00:00Z");
    store.upsert_changes(&[first.clone()]).await.expect("loads");
    first.merge_sha = Some(new.clone());
    first.commits = vec![new.clone()];
    store
        .upsert_changes(&[first.clone()])
        .await
        .expect("loads again");
    let declaring = |key: &str, sha: &str, finished: &str| {
        let mut d = deployment(key, API, sha, finished);
        d.declared_commits = Some(vec![sha.to_string()]);
        d
    };
    store
        .upsert_deployments(&[
            declaring("d-old", &old, "2026-03-03T10:00:00Z"),
            declaring("d-new", &new, "2026-03-04T10:00:00Z"),
        ])
        .await
        .expect("deployments");
    let options = AnalysisOptions::default();
    store.derive_all_queued(&options).await.expect("derives");
    let shipped = ["shipment d-new acme/api#9".to_string()];
    assert_eq!(derived_rows(&store).await, shipped);
    // The same through push ingestion, back to the old sha.
    first.merge_sha = Some(old.clone());
    first.commits = vec![old.clone()];
    let mut tx = store.begin_ingest().await.expect("begin");
    tx.write(logged_changes([first])).await.expect("write");
    tx.commit().await.expect("commit");
    store.derive_all_queued(&options).await.expect("derives");
    assert_eq!(
        derived_rows(&store).await,
        ["shipment d-old acme/api#9".to_string()]
    );
}

/// A bulk write (one transaction, many batches) finds each change by the shas of its last
/// version with commits (and the merge shas of versions without commits after it), whether its
/// earlier version was stored before the write or by an earlier batch of it.
async fn a_bulk_write_finds_each_change_by_the_shas_of_its_last_version(store: Store) {
    let sha = |n: u32| n.to_string().repeat(40);
    let before = change("acme/api#9", API, &sha(1), "2026-03-02T10:00:00Z");
    store.upsert_changes(&[before]).await.expect("loads");
    let mut tx = store.begin_bulk_ingest().await.expect("begin");
    tx.write(logged_changes([
        change("acme/api#9", API, &sha(2), "2026-03-02T10:00:00Z"),
        change("acme/api#10", API, &sha(3), "2026-03-02T11:00:00Z"),
    ]))
    .await
    .expect("first batch");
    tx.write(logged_changes([
        change("acme/api#10", API, &sha(4), "2026-03-02T11:00:00Z"),
        change("acme/api#11", API, &sha(5), "2026-03-02T12:00:00Z"),
    ]))
    .await
    .expect("second batch");
    let mut without_commits = change("acme/api#11", API, &sha(6), "2026-03-02T12:00:00Z");
    without_commits.commits = Vec::new();
    tx.write(logged_changes([without_commits]))
        .await
        .expect("third batch");
    tx.commit().await.expect("commit");
    // One deployment declaring each sha, in order: a change ships at the first that finds it.
    let deployments: Vec<Deployment> = (1..=6)
        .map(|n| {
            let finished = format!("2026-03-0{}T10:00:00Z", n + 2);
            declaring(&format!("d{n}"), &sha(n), &finished, &[&sha(n)])
        })
        .collect();
    store
        .upsert_deployments(&deployments)
        .await
        .expect("deployments");
    let options = AnalysisOptions::default();
    store.derive_all_queued(&options).await.expect("derives");
    // #9 by its new sha only, #10 by its second version's, #11 by both of its versions' (its
    // first version's sha comes first).
    assert_eq!(
        derived_rows(&store).await,
        [
            "shipment d2 acme/api#9".to_string(),
            "shipment d4 acme/api#10".to_string(),
            "shipment d5 acme/api#11".to_string(),
        ]
    );
    // The merge sha of #11's version without commits finds it too: a deployment of it finished
    // before all the others ships it.
    let again = declaring("d7", &sha(6), "2026-03-02T13:00:00Z", &[&sha(6)]);
    store
        .upsert_deployments(&[again])
        .await
        .expect("deployment");
    store.derive_all_queued(&options).await.expect("derives");
    assert!(
        derived_rows(&store)
            .await
            .contains(&"shipment d7 acme/api#11".to_string())
    );
}

/// Whatever form the store keeps a change's shas in (on SQLite: bytes for lower-case full shas,
/// text otherwise), the change reads back as written and each of its commits finds it, whether a
/// bulk write or a plain one stored it.
async fn a_change_keeps_its_shas_as_written_and_is_found_by_each(store: Store) {
    let full = |n: u32| format!("{n:x}").repeat(40);
    let mut packed = change("acme/api#20", API, &full(3), "2026-03-02T10:00:00Z");
    packed.commits = vec![full(1), full(2), full(3)];
    let mut listed = change("acme/api#21", API, "1234abcd", "2026-03-02T11:00:00Z");
    listed.commits = vec![full(10).to_ascii_uppercase(), "abcd123".into()];
    let mut plain = change("acme/api#22", API, &full(5), "2026-03-02T12:00:00Z");
    plain.commits = vec![full(4), full(5)];
    let mut tx = store.begin_bulk_ingest().await.expect("begin");
    tx.write(logged_changes([packed.clone(), listed.clone()]))
        .await
        .expect("bulk write");
    tx.commit().await.expect("commit");
    store
        .upsert_changes(&[plain.clone()])
        .await
        .expect("plain write");
    let merges = [full(3), "1234abcd".to_string(), full(5)];
    let mut read = store
        .changes_by_merge_sha(&repo(API), &merges)
        .await
        .expect("read back");
    read.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(read, [packed, listed, plain]);
    // A deployment declaring each change's middle or odd commit, one day apart.
    let deployments = [
        declaring("d-packed", &full(2), "2026-03-03T10:00:00Z", &[&full(2)]),
        declaring("d-listed", &full(10), "2026-03-04T10:00:00Z", &[&full(10)]),
        declaring("d-plain", &full(4), "2026-03-05T10:00:00Z", &[&full(4)]),
    ];
    store
        .upsert_deployments(&deployments)
        .await
        .expect("deployments");
    store
        .derive_all_queued(&AnalysisOptions::default())
        .await
        .expect("derives");
    assert_eq!(
        derived_rows(&store).await,
        [
            "shipment d-listed acme/api#21",
            "shipment d-packed acme/api#20",
            "shipment d-plain acme/api#22",
        ]
    );
}

/// A deployment's sha reads back as written, whatever its form (on SQLite a lower-case full sha
/// is kept as bytes, anything else as text), and ships the change it names either way; incidents
/// naming a prefix of a deployed sha find its deployment, through a change holding it or not.
async fn a_deployment_keeps_its_sha_as_written_and_ships_by_it(store: Store) {
    let full = |n: u32| format!("{n:x}").repeat(40);
    let changes = [
        change("acme/api#30", API, &full(6), "2026-03-02T10:00:00Z"),
        change("acme/api#31", API, &full(7), "2026-03-02T11:00:00Z"),
        change("acme/api#32", API, &full(8), "2026-03-02T12:00:00Z"),
    ];
    store.upsert_changes(&changes).await.expect("changes");
    let deployments = [
        deployment("d-lower", API, &full(6), "2026-03-03T10:00:00Z"),
        deployment(
            "d-upper",
            API,
            &full(7).to_ascii_uppercase(),
            "2026-03-04T10:00:00Z",
        ),
        deployment("d-short", API, "8888888", "2026-03-05T10:00:00Z"),
        // A sha no change holds: an incident naming it is blamed through the deployment alone.
        deployment("d-orphan", API, &full(9), "2026-03-06T10:00:00Z"),
    ];
    store
        .upsert_deployments(&deployments)
        .await
        .expect("deployments");
    for written in &deployments {
        let read = store.deployment(&written.key).await.expect("reads");
        assert_eq!(read.as_ref(), Some(written), "{} reads back", written.key);
    }
    let mut caused = incident("inc-sha", Some(API), "2026-03-03T12:00:00Z");
    caused.cause = Some(IncidentCause::Sha("6666666".into()));
    let mut orphan = incident("inc-orphan", Some(API), "2026-03-06T12:00:00Z");
    orphan.cause = Some(IncidentCause::Sha("9999999".into()));
    store
        .upsert_incidents(&[caused, orphan])
        .await
        .expect("incidents");
    store
        .derive_all_queued(&AnalysisOptions::default())
        .await
        .expect("derives");
    let rows = derived_rows(&store).await;
    for expected in [
        "incident inc-orphan d-orphan the incident names commit 9999999, shipped by deployment \
         d-orphan",
        "incident inc-sha d-lower the incident names commit 6666666, shipped by deployment d-lower",
        "shipment d-lower acme/api#30",
        "shipment d-short acme/api#32",
        "shipment d-upper acme/api#31",
    ] {
        assert!(
            rows.iter().any(|r| r == expected),
            "{expected} in {rows:#?}"
        );
    }
}

/// A change keeps its key after its repository's slug when the key starts with it and `#` or
/// `@`, whole otherwise (`store/change_key.rs`): every form reads back, ships by the keys a
/// deployment declares, is named by an incident, and stays one change when it moves between
/// repositories (its key then kept in the other form), by either write path.
async fn a_change_is_found_by_its_key_in_whichever_form_it_is_kept(store: Store) {
    let full = |n: u32| format!("{n:x}").repeat(40);
    let keys = [
        "acme/web#1".to_string(),
        format!("acme/web@{}", full(2)),
        "acme/api#5".to_string(),
        "ACME/web#3".to_string(),
        "JIRA-7".to_string(),
        "acme/webapp#4".to_string(),
    ];
    let changes: Vec<Change> = keys
        .iter()
        .zip(1..)
        .map(|(key, n)| {
            let merged = format!("2026-03-02T1{n}:00:00Z");
            change(key, WEB, &full(n), &merged)
        })
        .collect();
    store.upsert_changes(&changes).await.expect("changes");
    for written in &changes {
        let read = store.change(&written.key).await.expect("reads");
        assert_eq!(read.as_ref(), Some(written), "{} reads back", written.key);
    }
    let mut declaring = deployment("d-web", WEB, &full(9), "2026-03-03T10:00:00Z");
    declaring.declared_changes = Some(keys.to_vec());
    store
        .upsert_deployments(&[declaring])
        .await
        .expect("deployment");
    let mut named = incident("inc-change", None, "2026-03-03T12:00:00Z");
    named.cause = Some(IncidentCause::Change("acme/api#5".into()));
    store.upsert_incidents(&[named]).await.expect("incident");
    let options = AnalysisOptions::default();
    store.derive_all_queued(&options).await.expect("derives");
    let rows = derived_rows(&store).await;
    for key in &keys {
        let expected = format!("shipment d-web {key}");
        assert!(rows.contains(&expected), "{expected} in {rows:#?}");
    }
    assert!(
        rows.iter()
            .any(|r| r.starts_with("incident inc-change d-web")),
        "the incident names a change of acme/web by a key naming acme/api: {rows:#?}"
    );

    // `acme/api#5` moves to acme/api (kept after its slug from now on), `acme/web#1` leaves
    // acme/web (kept whole): one by an upsert, one by push ingestion.
    let mut to_api = changes[2].clone();
    to_api.repo = repo(API);
    store
        .upsert_changes(std::slice::from_ref(&to_api))
        .await
        .expect("moves");
    let mut from_web = changes[0].clone();
    from_web.repo = repo(API);
    let mut tx = store.begin_ingest().await.expect("begin");
    tx.write(logged_changes([from_web.clone()]))
        .await
        .expect("write");
    tx.commit().await.expect("commit");
    for moved in [&to_api, &from_web] {
        let read = store.change(&moved.key).await.expect("reads");
        assert_eq!(read.as_ref(), Some(moved), "{} moved", moved.key);
    }
    store
        .upsert_changes(&[to_api, from_web])
        .await
        .expect("again");
    assert_eq!(
        engine::store::testing::rows_in(&store, "change").await,
        6,
        "each key is one change"
    );
}

/// A bulk write into a store that held no changes looks up only the keys that may have moved
/// (`records::prepare_change_writes`): a key written by one batch and moved into or out of the
/// repository it names by a later batch is still one change, found by the commits of its last
/// version.
async fn a_bulk_write_into_an_empty_store_keeps_a_moved_key_one_change(store: Store) {
    let full = |n: u32| format!("{n:x}").repeat(40);
    let mut tx = store.begin_bulk_ingest().await.expect("begin");
    tx.write(logged_changes([
        change("acme/api#5", WEB, &full(1), "2026-03-02T10:00:00Z"),
        change("acme/web#1", WEB, &full(2), "2026-03-02T11:00:00Z"),
    ]))
    .await
    .expect("first batch");
    tx.write(logged_changes([
        change("acme/api#5", API, &full(3), "2026-03-02T10:00:00Z"),
        change("acme/web#1", API, &full(4), "2026-03-02T11:00:00Z"),
    ]))
    .await
    .expect("second batch");
    tx.commit().await.expect("commit");
    assert_eq!(
        engine::store::testing::rows_in(&store, "change").await,
        2,
        "each key is one change"
    );
    for key in ["acme/api#5", "acme/web#1"] {
        let read = store.change(key).await.expect("reads").expect("stored");
        assert_eq!(read.repo, repo(API), "{key} moved");
    }
    let deployments = [
        deployment("d-3", API, &full(3), "2026-03-03T10:00:00Z"),
        deployment("d-4", API, &full(4), "2026-03-04T10:00:00Z"),
    ];
    store
        .upsert_deployments(&deployments)
        .await
        .expect("deployments");
    store
        .derive_all_queued(&AnalysisOptions::default())
        .await
        .expect("derives");
    assert_eq!(
        derived_rows(&store).await,
        ["shipment d-3 acme/api#5", "shipment d-4 acme/web#1"]
    );
}

/// Derived rows follow the analysis options: other options queue every repository, once.
async fn other_analysis_options_queue_every_repository(store: Store) {
    load_rollback_story(&store).await;
    assert!(store.queued_derivations().await.expect("queue").is_empty());
    let options = AnalysisOptions::default();
    // No options recorded yet (a store older than the queue): everything is queued.
    assert!(
        store
            .queue_all_if_options_changed(&options)
            .await
            .expect("ok")
    );
    assert_eq!(
        store.queued_derivations().await.expect("queue"),
        [repo(API)]
    );
    store.derive_all_queued(&options).await.expect("derives");
    assert!(
        !store
            .queue_all_if_options_changed(&options)
            .await
            .expect("ok")
    );
    assert!(store.queued_derivations().await.expect("queue").is_empty());
    let staging = AnalysisOptions {
        environment: "staging".into(),
        ..AnalysisOptions::default()
    };
    assert!(
        store
            .queue_all_if_options_changed(&staging)
            .await
            .expect("ok")
    );
    assert_eq!(
        store.queued_derivations().await.expect("queue"),
        [repo(API)]
    );
    store.derive_all_queued(&staging).await.expect("derives");
    let derived = derived_rows(&store).await;
    assert!(
        !derived.iter().any(|r| r.starts_with("shipment")),
        "nothing deployed to staging: {derived:#?}"
    );
}

async fn loading_the_same_records_twice_changes_nothing(store: Store) {
    load_rollback_story(&store).await;
    let first = store.counts().await.expect("counts");
    assert_eq!(
        first,
        StoreCounts {
            changes: 2,
            deployments: 3,
            incidents: 1,
            shipments: 2,
            failure_links: 2,
        }
    );
    let inputs = march(&store).await;
    load_rollback_story(&store).await;
    assert_eq!(store.counts().await.expect("counts"), first);
    assert_eq!(march(&store).await, inputs);
    assert_eq!(
        store.repositories().await.expect("repositories"),
        vec![repo(API)]
    );

    // A key repeated within one batch is one record: the last version wins.
    let mut newer = change("acme/api#3", API, "ccccccc3333333", "2026-03-02T11:30:00Z");
    let older = newer.clone();
    newer.title = "The newer title".into();
    let written = store
        .upsert_changes(&[older, newer])
        .await
        .expect("a batch with a repeated key loads");
    assert_eq!(written, 1);
    assert_eq!(store.counts().await.expect("counts").changes, 3);
}

async fn a_record_loaded_again_with_a_changed_field_is_updated(store: Store) {
    load_rollback_story(&store).await;
    let mut retitled = change("acme/api#2", API, SHA_B, "2026-03-02T11:00:00Z");
    retitled.title = "Retitled after merge".into();
    retitled.first_review_at = None;
    store
        .upsert_changes(&[retitled])
        .await
        .expect("the change loads again");
    let mut later = deployment("d2", API, SHA_B, "2026-03-02T12:05:00Z");
    later.environment = "Production".into();
    store
        .upsert_deployments(&[later.clone()])
        .await
        .expect("the deployment loads again");
    let mut resolved = incident("inc-1", Some(API), "2026-03-02T12:30:00Z");
    resolved.resolved_at = Some(at("2026-03-02T15:00:00Z"));
    store
        .upsert_incidents(&[resolved.clone()])
        .await
        .expect("the incident loads again");

    assert_eq!(store.counts().await.expect("counts").changes, 2);
    let detail = store
        .deployment_detail("d2")
        .await
        .expect("detail loads")
        .expect("d2 exists");
    assert_eq!(detail.deployment, later);
    let shipped = detail
        .changes
        .iter()
        .find(|c| c.key == "acme/api#2")
        .expect("d2 still ships #2");
    assert_eq!(shipped.title, "Retitled after merge");
    assert_eq!(shipped.first_review_at, None);
    let links = store
        .incident_links(
            &[repo(API)],
            &[],
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("incident links load");
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].incident, resolved);

    // A deployment that turns out to have failed no longer ships anything after reanalysis.
    let mut failed = later;
    failed.status = DeploymentStatus::Failure;
    store
        .upsert_deployments(&[failed])
        .await
        .expect("the deployment loads again");
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    let detail = store
        .deployment_detail("d2")
        .await
        .expect("detail loads")
        .expect("d2 exists");
    assert!(detail.changes.is_empty());
    assert!(detail.failures.is_empty());
}

async fn records_read_back_exactly_as_written(store: Store) {
    let mut full = change("acme/api#7", API, SHA_A, "2026-03-02T10:00:00Z");
    full.bot = true;
    full.commits = vec![SHA_A.into(), "0123456789abcdef".into()];
    full.labels = vec!["revert".into(), "ünïcode \"quoted\" ✓".into()];
    full.paths = vec![];
    full.reverts = Some("#6".into());
    full.fixes = Some("acme/api#5".into());
    full.branch = None;
    full.number = None;
    let mut sparse = change(
        "acme/api@deadbee",
        API,
        "deadbeef00",
        "2026-03-02T09:00:00Z",
    );
    sparse.opened_at = None;
    sparse.first_review_at = None;
    sparse.merge_sha = None;
    store
        .upsert_changes(&[full.clone(), sparse.clone()])
        .await
        .expect("changes load");
    let mut declared = deployment("d-declared", API, SHA_A, "2026-03-02T11:00:00Z");
    declared.started_at = None;
    declared.source = Source::Webhook;
    declared.declared_changes = Some(vec![full.key.clone(), sparse.key.clone()]);
    declared.declared_commits = Some(vec![]);
    store
        .upsert_deployments(&[declared.clone()])
        .await
        .expect("deployment loads");
    let mut caused = incident("inc-7", None, "2026-03-02T12:00:00Z");
    caused.team = Some("payments".into());
    caused.resolved_at = None;
    caused.cause = Some(IncidentCause::Sha(SHA_A.into()));
    store
        .upsert_incidents(&[caused.clone()])
        .await
        .expect("incident loads");
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");

    let detail = store
        .deployment_detail("d-declared")
        .await
        .expect("detail loads")
        .expect("the deployment exists");
    assert_eq!(detail.deployment, declared);
    assert_eq!(detail.changes, vec![sparse, full]);
    let links = store
        .incident_links(
            &[],
            &["payments".to_string()],
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("incident links load");
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].incident, caused);
    // Named by a team only, it is linked through the commit it names (the explicit cause).
    assert_eq!(links[0].deployment.as_deref(), Some("d-declared"));
    assert_eq!(
        links[0].reason.as_deref(),
        Some("the incident names commit aaaaaaa of acme/api, shipped by deployment d-declared")
    );
    assert_eq!(store.deployment_detail("nope").await.expect("query"), None);
}

async fn reanalysis_derives_shipments_failures_and_incident_links(store: Store) {
    load_rollback_story(&store).await;
    let inputs = march(&store).await;

    let shipped: Vec<(&str, &str)> = inputs
        .changes
        .iter()
        .map(|c| (c.key.as_str(), c.deployment.as_str()))
        .collect();
    assert_eq!(shipped, vec![("acme/api#1", "d1"), ("acme/api#2", "d2")]);
    assert_eq!(inputs.changes[1].deployed_at, at("2026-03-02T12:00:00Z"));

    let flags: Vec<(&str, bool, bool)> = inputs
        .deployments
        .iter()
        .map(|d| (d.key.as_str(), d.failed, d.rework))
        .collect();
    assert_eq!(
        flags,
        vec![
            ("d1", false, false),
            ("d2", true, false),
            ("d3", false, true)
        ]
    );

    assert_eq!(inputs.incidents.len(), 1);
    assert_eq!(inputs.incidents[0].deployment.as_deref(), Some("d2"));
    assert_eq!(inputs.rollbacks.len(), 1);
    let links = store
        .incident_links(
            &[repo(API)],
            &[],
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("incident links load");
    assert!(
        links[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("attribution window"))
    );
}

async fn reanalysing_twice_changes_nothing(store: Store) {
    load_rollback_story(&store).await;
    let counts = store.counts().await.expect("counts");
    let inputs = march(&store).await;
    let detail = store.deployment_detail("d2").await.expect("detail");
    let report = store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    assert_eq!(report.repositories, 1);
    assert_eq!(report.shipments, 2);
    assert_eq!(report.failures, 2);
    assert_eq!(store.counts().await.expect("counts"), counts);
    assert_eq!(march(&store).await, inputs);
    assert_eq!(store.deployment_detail("d2").await.expect("detail"), detail);
}

async fn metric_windows_are_half_open_at_exact_boundaries(store: Store) {
    let from = "2026-03-02T00:00:00Z";
    let to = "2026-03-03T00:00:00Z";
    store
        .upsert_changes(&[
            change("acme/api#1", API, "1111111aaaa", "2026-03-01T20:00:00Z"),
            change("acme/api#2", API, "2222222aaaa", "2026-03-02T20:00:00Z"),
            change("acme/api#3", API, "3333333aaaa", "2026-03-02T23:00:00Z"),
        ])
        .await
        .expect("changes load");
    store
        .upsert_deployments(&[
            deployment("at-from", API, "1111111aaaa", from),
            deployment("before-to", API, "2222222aaaa", "2026-03-02T23:59:59Z"),
            deployment("at-to", API, "3333333aaaa", to),
        ])
        .await
        .expect("deployments load");
    store
        .upsert_incidents(&[
            incident("opened-before-from", Some(API), "2026-03-01T23:59:59Z"),
            incident("opened-at-from", Some(API), from),
            incident("opened-at-to", Some(API), to),
        ])
        .await
        .expect("incidents load");
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");

    let inputs = store
        .metric_inputs(&[repo(API)], &[], "production", at(from), at(to))
        .await
        .expect("metric inputs");
    assert_eq!(
        keys(inputs.deployments.iter().map(|d| &d.key)),
        ["at-from", "before-to"]
    );
    assert_eq!(
        keys(inputs.changes.iter().map(|c| &c.key)),
        ["acme/api#1", "acme/api#2"]
    );
    assert_eq!(
        keys(inputs.incidents.iter().map(|i| &i.key)),
        ["opened-at-from"]
    );

    // Bounds between whole seconds still cut exactly: [from + 0.5 s, to + 0.5 s).
    let half = Duration::milliseconds(500);
    let shifted = store
        .metric_inputs(
            &[repo(API)],
            &[],
            "production",
            at(from) + half,
            at(to) + half,
        )
        .await
        .expect("metric inputs");
    assert_eq!(
        keys(shifted.deployments.iter().map(|d| &d.key)),
        ["before-to", "at-to"]
    );
}

async fn deployments_match_the_environment_case_insensitively(store: Store) {
    let mut shouty = deployment("d-prod", API, SHA_A, "2026-03-02T10:00:00Z");
    shouty.environment = "Production".into();
    let mut staging = deployment("d-staging", API, SHA_B, "2026-03-02T11:00:00Z");
    staging.environment = "staging".into();
    store
        .upsert_deployments(&[shouty, staging])
        .await
        .expect("deployments load");
    let inputs = store
        .metric_inputs(
            &[repo(API)],
            &[],
            "PRODUCTION",
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("metric inputs");
    assert_eq!(keys(inputs.deployments.iter().map(|d| &d.key)), ["d-prod"]);
    assert_eq!(inputs.deployments[0].environment, "Production");
}

async fn incidents_of_a_team_without_repository_count_for_that_team(store: Store) {
    let mut outage = incident("pager-1", None, "2026-03-05T08:00:00Z");
    outage.team = Some("payments".into());
    store
        .upsert_incidents(&[outage])
        .await
        .expect("incident loads");
    let (from, to) = (at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z"));

    let payments = store
        .metric_inputs(
            &[repo(API)],
            &["payments".to_string()],
            "production",
            from,
            to,
        )
        .await
        .expect("metric inputs");
    assert_eq!(payments.incidents.len(), 1);
    assert_eq!(payments.incidents[0].team.as_deref(), Some("payments"));
    assert_eq!(payments.incidents[0].repo, None);
    assert_eq!(payments.incidents[0].deployment, None);

    let search = store
        .metric_inputs(
            &[repo(API)],
            &["search".to_string()],
            "production",
            from,
            to,
        )
        .await
        .expect("metric inputs");
    assert!(search.incidents.is_empty());

    let team_only = store
        .metric_inputs(&[], &["payments".to_string()], "production", from, to)
        .await
        .expect("metric inputs");
    assert_eq!(team_only.incidents.len(), 1);
    assert!(team_only.deployments.is_empty());
}

async fn an_incident_without_repository_naming_a_deployment_is_linked_to_it(store: Store) {
    load_two_incidents(&store).await;
    let inputs = store
        .metric_inputs(
            &[repo(API)],
            &["platform".to_string()],
            "production",
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("metric inputs");
    let ext = inputs
        .incidents
        .iter()
        .find(|i| i.key == "ext-9")
        .expect("the team's incident is in scope");
    assert_eq!(ext.deployment.as_deref(), Some("d1"));
    assert!(inputs.deployments.iter().any(|d| d.key == "d1" && d.failed));
}

const WEB: &str = "acme/web";

/// The incident links of API's and WEB's incidents in March, as (incident, deployment).
async fn links_of(store: &Store) -> Vec<(String, Option<String>)> {
    let mut links: Vec<(String, Option<String>)> = store
        .incident_links(
            &[repo(API), repo(WEB)],
            &[],
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("incident links")
        .into_iter()
        .map(|l| (l.incident.key, l.deployment))
        .collect();
    links.sort();
    links
}

/// The failed deployments of API and WEB in March.
async fn failed_of(store: &Store) -> Vec<String> {
    let inputs = store
        .metric_inputs(
            &[repo(API), repo(WEB)],
            &[],
            "production",
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("metric inputs");
    let mut failed: Vec<String> = inputs
        .deployments
        .into_iter()
        .filter(|d| d.failed)
        .map(|d| d.key)
        .collect();
    failed.sort();
    failed
}

/// An incident of API names WEB's change #5 before WEB's records arrive: API's window blames
/// a1. Once WEB's change and its deployment w1 are in, WEB's analysis alone moves the blame to
/// w1 (a1 is no longer failed); reanalysing either repository again, in any order, changes
/// nothing.
async fn a_cause_in_another_repository_is_linked_by_that_repository_alone(store: Store) {
    let options = AnalysisOptions::default();
    store
        .upsert_deployments(&[deployment("a1", API, SHA_A, "2026-03-02T10:00:00Z")])
        .await
        .expect("deployment loads");
    let mut named = incident("inc-x", Some(API), "2026-03-02T12:00:00Z");
    named.cause = Some(IncidentCause::Change("acme/web#5".into()));
    store
        .upsert_incidents(&[named])
        .await
        .expect("incident loads");
    store
        .reanalyze(&[repo(API)], &options)
        .await
        .expect("reanalysis");
    assert_eq!(
        links_of(&store).await,
        [("inc-x".to_string(), Some("a1".to_string()))]
    );
    assert_eq!(failed_of(&store).await, ["a1"]);
    let elsewhere = store.incident_owners_elsewhere(&repo(API)).await;
    assert_eq!(elsewhere.expect("owners"), []);

    store
        .upsert_changes(&[change("acme/web#5", WEB, SHA_B, "2026-03-01T09:00:00Z")])
        .await
        .expect("change loads");
    // A sync of API's incidents now reanalyses WEB too.
    let elsewhere = store.incident_owners_elsewhere(&repo(API)).await;
    assert_eq!(elsewhere.expect("owners"), [repo(WEB)]);
    store
        .upsert_deployments(&[deployment("w1", WEB, SHA_B, "2026-03-01T10:00:00Z")])
        .await
        .expect("deployment loads");
    store
        .reanalyze(&[repo(WEB)], &options)
        .await
        .expect("reanalysis");
    let expected = [("inc-x".to_string(), Some("w1".to_string()))];
    assert_eq!(links_of(&store).await, expected);
    assert_eq!(failed_of(&store).await, ["w1"]);
    let counts = store.counts().await.expect("counts");
    assert_eq!(counts.failure_links, 1);

    for order in [[API, WEB], [WEB, API]] {
        for slug in order {
            store
                .reanalyze(&[repo(slug)], &options)
                .await
                .expect("reanalysis");
            assert_eq!(links_of(&store).await, expected, "after {slug}");
            assert_eq!(failed_of(&store).await, ["w1"], "after {slug}");
            assert_eq!(store.counts().await.expect("counts"), counts);
        }
    }
    let links = store
        .incident_links(
            &[repo(API)],
            &[],
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("incident links");
    assert_eq!(
        links[0].reason.as_deref(),
        Some("the incident names change `acme/web#5` of acme/web, shipped by deployment w1")
    );
}

/// Ingesting an incident of API that names WEB's deployment asks for WEB's reanalysis (its
/// analysis links it) besides API's; deleting it asks for both again.
async fn ingesting_an_incident_reanalyses_the_repository_of_its_cause(store: Store) {
    use engine::store::events::{EventRecord, LoggedEvent};
    store
        .upsert_deployments(&[deployment("w1", WEB, SHA_B, "2026-03-01T10:00:00Z")])
        .await
        .expect("deployment loads");
    let mut named = incident("inc-y", Some(API), "2026-03-02T12:00:00Z");
    named.cause = Some(IncidentCause::Deployment("w1".into()));
    let (_, commit) = store
        .ingest(vec![LoggedEvent {
            raw: None,
            record: Some(EventRecord::Incident(named)),
        }])
        .await
        .expect("ingests");
    assert_eq!(commit.repos, [repo(API), repo(WEB)]);
    store
        .reanalyze(&commit.repos, &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    assert_eq!(
        links_of(&store).await,
        [("inc-y".to_string(), Some("w1".to_string()))]
    );
    let deleted = store
        .delete_incidents(&["inc-y".to_string()])
        .await
        .expect("deletes");
    assert_eq!(deleted.repos, [repo(API), repo(WEB)]);
    assert!(failed_of(&store).await.is_empty());
}

/// An incident of API naming WEB's deployment `w9` before `w9` is stored, then one naming it
/// afterwards: once `w9` arrives, WEB's derivation finds and links both (a derivation finds the
/// incidents naming its deployments by the repository of the deployment named, which every
/// write of either keeps), through each write path. When `w9` moves to API, WEB's derivation no
/// longer covers them: run after API's, it leaves API's links to `w9` as they are.
async fn an_incident_naming_a_deployment_stored_later_is_linked_by_its_repository(store: Store) {
    use engine::store::events::{EventRecord, LoggedEvent};
    let options = AnalysisOptions::default();
    let mut early = incident("inc-early", Some(API), "2026-03-02T12:00:00Z");
    early.cause = Some(IncidentCause::Deployment("w9".into()));
    let logged = |record| LoggedEvent {
        raw: None,
        record: Some(record),
    };
    store
        .ingest(vec![logged(EventRecord::Incident(early))])
        .await
        .expect("ingests the incident");
    store.derive_all_queued(&options).await.expect("derives");
    assert_eq!(links_of(&store).await, [("inc-early".to_string(), None)]);

    let w9 = deployment("w9", WEB, SHA_B, "2026-03-01T10:00:00Z");
    store
        .ingest(vec![logged(EventRecord::Deployment(w9.clone()))])
        .await
        .expect("ingests the deployment");
    let mut late = incident("inc-late", Some(API), "2026-03-03T12:00:00Z");
    late.cause = Some(IncidentCause::Deployment("w9".into()));
    store
        .upsert_incidents(&[late])
        .await
        .expect("incident loads");
    store.derive_all_queued(&options).await.expect("derives");
    let named = |d: Option<&str>| {
        ["inc-early", "inc-late"]
            .map(|i| (i.to_string(), d.map(String::from)))
            .to_vec()
    };
    assert_eq!(links_of(&store).await, named(Some("w9")));

    let moved = Deployment {
        repo: repo(API),
        ..w9
    };
    store
        .upsert_deployments(&[moved])
        .await
        .expect("deployment moves");
    // API's derivation links them to `w9`; WEB's, after it, must not take them back.
    store
        .reanalyze(&[repo(API), repo(WEB)], &options)
        .await
        .expect("reanalysis");
    assert_eq!(links_of(&store).await, named(Some("w9")));
}

async fn a_rollback_reports_the_failed_deployment_and_when_service_was_restored(store: Store) {
    load_rollback_story(&store).await;
    let inputs = march(&store).await;
    assert_eq!(inputs.rollbacks.len(), 1);
    let rollback = &inputs.rollbacks[0];
    assert_eq!(rollback.failed_deployment, "d2");
    assert_eq!(rollback.repo, repo(API));
    assert_eq!(rollback.failed_at, at("2026-03-02T12:00:00Z"));
    assert_eq!(rollback.rollback_deployment, "d3");
    assert_eq!(rollback.restored_at, at("2026-03-02T13:00:00Z"));

    // The window applies to the failed deployment: [d2, d3) holds it, a second later does not.
    let failed_only = store
        .metric_inputs(
            &[repo(API)],
            &[],
            "production",
            at("2026-03-02T12:00:00Z"),
            at("2026-03-02T13:00:00Z"),
        )
        .await
        .expect("metric inputs");
    assert_eq!(failed_only.rollbacks.len(), 1);
    let after = store
        .metric_inputs(
            &[repo(API)],
            &[],
            "production",
            at("2026-03-02T12:00:01Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("metric inputs");
    assert!(after.rollbacks.is_empty());
}

async fn deployment_detail_explains_why_a_deployment_failed(store: Store) {
    load_rollback_story(&store).await;
    let detail = store
        .deployment_detail("d2")
        .await
        .expect("detail loads")
        .expect("d2 exists");
    assert_eq!(detail.deployment.sha, SHA_B);
    assert_eq!(keys(detail.changes.iter().map(|c| &c.key)), ["acme/api#2"]);
    let evidence: Vec<(FailureKind, &str)> = detail
        .failures
        .iter()
        .map(|f| (f.kind, f.evidence.as_str()))
        .collect();
    assert_eq!(
        evidence,
        vec![
            (FailureKind::Incident, "inc-1"),
            (FailureKind::Rollback, "d3")
        ]
    );
    assert!(detail.failures.iter().all(|f| !f.reason.is_empty()));
    assert_eq!(
        detail.failures[1].restored_at,
        Some(at("2026-03-02T13:00:00Z"))
    );
    let rollback = store
        .deployment_detail("d3")
        .await
        .expect("detail loads")
        .expect("d3 exists");
    assert_eq!(rollback.rework.len(), 1);
    assert!(rollback.rework[0].reason.contains("rollback"));
}

async fn a_webhook_delivered_twice_is_stored_once(store: Store) {
    let body = r#"{"action":"created"}"#;
    let first = store.insert_raw_event("github", "delivery-1", body).await;
    assert!(first.expect("first delivery"));
    let again = store.insert_raw_event("github", "delivery-1", body).await;
    assert!(!again.expect("redelivery"));
    let elsewhere = store.insert_raw_event("generic", "delivery-1", body).await;
    assert!(elsewhere.expect("the same id from another source"));
}

async fn sync_state_round_trips_and_is_replaced(store: Store) {
    let get = |resource: &'static str| {
        let store = store.clone();
        async move {
            store
                .get_sync_state(&repo(API), resource)
                .await
                .expect("sync state loads")
        }
    };
    assert_eq!(get("pulls").await, None);
    let mut state = SyncState {
        repo: repo(API),
        resource: "pulls".into(),
        cursor: Some("2026-03-02T10:00:00Z".into()),
        etag: Some("W/\"abc\"".into()),
        last_success_at: Some(at("2026-03-02T10:05:00Z")),
    };
    store.put_sync_state(&state).await.expect("state saves");
    assert_eq!(get("pulls").await, Some(state.clone()));
    state.cursor = Some("page-3".into());
    state.etag = None;
    store.put_sync_state(&state).await.expect("state saves");
    assert_eq!(get("pulls").await, Some(state));
    assert_eq!(get("deployments").await, None);
}

async fn syncing_teams_replaces_the_previous_set(store: Store) {
    let tribe = TeamRow {
        slug: "commerce".into(),
        name: "Commerce".into(),
        kind: "tribe".into(),
        parent: None,
        time_zone: "Europe/Paris".into(),
        repos: vec![],
    };
    let payments = TeamRow {
        slug: "payments".into(),
        name: "Payments".into(),
        kind: "team".into(),
        parent: Some("commerce".into()),
        time_zone: "Europe/Paris".into(),
        repos: vec![
            (repo(API), vec![]),
            (repo("acme/monorepo"), vec!["services/pay/**".into()]),
        ],
    };
    store
        .sync_teams(&[payments.clone(), tribe.clone()])
        .await
        .expect("teams sync");
    assert_eq!(
        store.teams().await.expect("teams"),
        vec![tribe.clone(), payments.clone()]
    );

    let moved = TeamRow {
        repos: vec![(repo("acme/web"), vec![])],
        ..payments
    };
    store
        .sync_teams(std::slice::from_ref(&moved))
        .await
        .expect("teams sync");
    assert_eq!(store.teams().await.expect("teams"), vec![moved.clone()]);

    let bad = TeamRow {
        kind: "squad".into(),
        ..tribe
    };
    assert!(matches!(
        store.sync_teams(&[bad]).await,
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(store.teams().await.expect("teams"), vec![moved]);
}

async fn every_write_moves_the_data_version(store: Store) {
    let start = store.data_version().await.expect("version");
    store
        .upsert_changes(&[change("acme/api#1", API, SHA_A, "2026-03-02T10:00:00Z")])
        .await
        .expect("changes load");
    let after_changes = store.data_version().await.expect("version");
    assert!(after_changes > start);
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    let after_analysis = store.data_version().await.expect("version");
    assert!(after_analysis > after_changes);
    store
        .upsert_changes(&[])
        .await
        .expect("an empty batch is fine");
    assert_eq!(store.data_version().await.expect("version"), after_analysis);
}

/// The rollback story, plus an incident without repository that names `d1`.
async fn load_two_incidents(store: &Store) {
    load_rollback_story(store).await;
    let mut named = incident("ext-9", None, "2026-03-02T10:40:00Z");
    named.team = Some("platform".into());
    named.cause = Some(IncidentCause::Deployment("d1".into()));
    store
        .upsert_incidents(&[named])
        .await
        .expect("incident loads");
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
}

async fn deleting_incidents_removes_what_was_derived_from_them(store: Store) {
    load_two_incidents(&store).await;
    // d2: rolled back, and inc-1; d1: ext-9.
    assert_eq!(store.counts().await.expect("counts").failure_links, 3);
    let version = store.data_version().await.expect("version");

    let keys = ["inc-1", "ext-9", "never-stored", "inc-1"].map(String::from);
    let deleted = store.delete_incidents(&keys).await.expect("deletes");
    assert_eq!(deleted.incidents, 2);
    // inc-1's own repository, and the one of the deployment ext-9 names.
    assert_eq!(deleted.repos, vec![repo(API)]);
    let counts = store.counts().await.expect("counts");
    assert_eq!((counts.incidents, counts.failure_links), (0, 1));
    assert!(store.data_version().await.expect("version") > version);

    // Before any reanalysis, the metrics already leave them out.
    let inputs = march(&store).await;
    assert!(inputs.incidents.is_empty());
    let flags: Vec<(&str, bool)> = inputs
        .deployments
        .iter()
        .map(|d| (d.key.as_str(), d.failed))
        .collect();
    assert_eq!(flags, vec![("d1", false), ("d2", true), ("d3", false)]);
    let detail = store
        .deployment_detail("d2")
        .await
        .expect("detail")
        .expect("d2");
    assert!(
        detail
            .failures
            .iter()
            .all(|f| f.kind == FailureKind::Rollback),
        "{detail:?}"
    );
    let links = store
        .incident_links(
            &[repo(API)],
            &["platform".to_string()],
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("incident links");
    assert!(links.is_empty(), "{links:?}");

    // Deleting again deletes nothing and moves nothing.
    let version = store.data_version().await.expect("version");
    let again = store.delete_incidents(&keys).await.expect("deletes");
    assert_eq!((again.incidents, again.repos.len()), (0, 0));
    assert_eq!(store.data_version().await.expect("version"), version);
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    assert_eq!(store.counts().await.expect("counts"), counts);
    assert_eq!(march(&store).await, inputs);
}

async fn an_ingested_deletion_undoes_the_incident_in_arrival_order(store: Store) {
    use engine::store::events::{EventRecord, IncidentDeletion, LoggedEvent, NewRawEvent};
    load_rollback_story(&store).await;
    let event = |id: &str, record: EventRecord| LoggedEvent {
        raw: Some(NewRawEvent {
            source: "github".into(),
            delivery_id: id.into(),
            body: format!("{{\"delivery\": \"{id}\"}}"),
        }),
        record: Some(record),
    };
    let deletion = |key: &str| {
        EventRecord::IncidentDeletion(IncidentDeletion {
            key: key.into(),
            repo: Some(repo(API)),
        })
    };
    let (outcome, commit) = store
        .ingest(vec![
            event("e1", deletion("inc-1")),
            event(
                "e2",
                EventRecord::Incident(incident("inc-2", Some(API), "2026-03-02T12:40:00Z")),
            ),
            event(
                "e3",
                EventRecord::Incident(incident("inc-3", Some(API), "2026-03-02T12:50:00Z")),
            ),
            event("e4", deletion("inc-3")),
        ])
        .await
        .expect("ingests");
    // inc-1 was stored; inc-3 never reached the store.
    assert_eq!(outcome.deleted_incidents, 1);
    assert_eq!(commit.repos, vec![repo(API)]);
    assert_eq!(store.incident("inc-1").await.expect("read"), None);
    assert!(store.incident("inc-2").await.expect("read").is_some());
    assert_eq!(store.incident("inc-3").await.expect("read"), None);

    store
        .reanalyze(&commit.repos, &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    let version = store.data_version().await.expect("version");
    let counts = store.counts().await.expect("counts");
    // A redelivery changes nothing; a deletion of what is not stored moves nothing.
    let (outcome, commit) = store
        .ingest(vec![
            event("e1", deletion("inc-2")),
            event("e5", deletion("inc-9")),
        ])
        .await
        .expect("ingests");
    assert_eq!(outcome.new, vec![false, true]);
    assert_eq!(outcome.deleted_incidents, 0);
    assert!(commit.repos.is_empty());
    assert_eq!(store.data_version().await.expect("version"), version);
    assert_eq!(store.counts().await.expect("counts"), counts);
}

async fn two_thousand_repositories_fit_in_one_metrics_query(store: Store) {
    let repos: Vec<RepoSlug> = (0..2000)
        .map(|i| repo(&format!("acme/svc-{i:04}")))
        .collect();
    let deployments: Vec<Deployment> = repos
        .iter()
        .step_by(100)
        .map(|r| {
            deployment(
                &format!("deploy-{}", r.name()),
                &r.to_string(),
                SHA_A,
                "2026-03-02T10:00:00Z",
            )
        })
        .collect();
    store
        .upsert_deployments(&deployments)
        .await
        .expect("deployments load");
    let teams: Vec<String> = (0..200).map(|i| format!("team-{i}")).collect();
    let inputs = store
        .metric_inputs(
            &repos,
            &teams,
            "production",
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .await
        .expect("metric inputs for 2,000 repositories");
    assert_eq!(inputs.deployments.len(), 20);
    assert_eq!(store.repositories().await.expect("repositories").len(), 20);
}

// ---- backend-independent ---------------------------------------------------------------------

#[tokio::test]
async fn an_unknown_url_scheme_is_refused_without_echoing_the_url() {
    let err = Store::connect("mysql://admin:hunter2@db.example/doraboard")
        .await
        .expect_err("mysql is not a backend");
    let message = err.to_string();
    assert!(message.contains("`mysql`"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    let err = Store::connect("admin:hunter2@db.example")
        .await
        .expect_err("no scheme");
    assert!(!err.to_string().contains("hunter2"));
}

#[tokio::test]
async fn a_sqlite_file_is_created_and_keeps_its_data_when_reopened() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("doraboard.db").display());
    let store = Store::connect(&url).await.expect("the file is created");
    load_rollback_story(&store).await;
    let counts = store.counts().await.expect("counts");
    let inputs = march(&store).await;
    store.close().await;
    let reopened = Store::connect(&url).await.expect("the file reopens");
    assert_eq!(reopened.counts().await.expect("counts"), counts);
    assert_eq!(march(&reopened).await, inputs);
}

/// A side store (an import's row copies are read on one while it derives) reads the same SQLite
/// file on a connection of its own; an in-memory database has none to give.
#[tokio::test]
async fn a_side_store_reads_the_same_sqlite_file_and_an_in_memory_one_has_none() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("doraboard.db").display());
    let store = Store::connect_for_bulk_load(&url)
        .await
        .expect("the file is created");
    load_rollback_story(&store).await;
    let side = store
        .side_store()
        .await
        .expect("opens")
        .expect("a file has another connection");
    assert_ne!(side.id(), store.id());
    assert_eq!(
        side.counts().await.expect("counts"),
        store.counts().await.expect("counts")
    );
    let memory = Store::connect("sqlite::memory:").await.expect("store");
    assert!(memory.side_store().await.expect("answers").is_none());
}

/// A first load holds a SQLite store until it ends (`store/first_load.rs`): another opener is told
/// so, once SQLite's busy timeout has passed, and opens it once the load has committed.
#[tokio::test]
async fn a_store_held_by_a_first_load_says_so_to_another_opener() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("doraboard.db").display());
    let loading = Store::connect_for_bulk_load(&url).await.expect("opens");
    let mut tx = loading.begin_bulk_ingest().await.expect("begin");
    let sha = "1".repeat(40);
    tx.write(logged_changes([change(
        "acme/api#1",
        API,
        &sha,
        "2026-03-02T10:00:00Z",
    )]))
    .await
    .expect("written");

    let refused = Store::connect(&url).await.map(|_| ()).expect_err("held");
    assert!(
        matches!(refused, engine::store::StoreError::HeldByALoad),
        "{refused:?}"
    );
    assert!(
        refused
            .to_string()
            .contains("an import into an empty store")
    );

    tx.commit().await.expect("commit");
    let reopened = Store::connect(&url)
        .await
        .expect("opens once the load is done");
    assert_eq!(reopened.counts().await.expect("counts").changes, 1);
}

#[test]
fn store_futures_can_cross_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let store = sqlite_store().await;
        let future = store.metric_inputs(&[], &[], "production", Utc::now(), Utc::now());
        assert_send(&future);
        future.await.expect("an empty scope is fine");
        assert_send(&store.reanalyze(&[], &AnalysisOptions::default()));
        assert_send(&store.upsert_changes(&[]));
        assert_send(&store.deployment_detail("d1"));
    });
}

// ---- branching models ------------------------------------------------------------------------

/// Which change each deployment shipped, as (change, deployment), in March 2026.
async fn shipped(store: &Store) -> Vec<(String, String)> {
    march(store)
        .await
        .changes
        .into_iter()
        .map(|c| (c.key, c.deployment))
        .collect()
}

/// A deployment of `sha` declaring the commits its compare listed.
fn declaring(key: &str, sha: &str, finished_at: &str, commits: &[&str]) -> Deployment {
    let mut d = deployment(key, API, sha, finished_at);
    d.declared_commits = Some(commits.iter().map(|c| c.to_string()).collect());
    d
}

const F1: &str = "f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1";
const F2: &str = "f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2";
const RELEASE: &str = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

/// Two features squash-merged into `develop`, then a release pull request merging `develop`
/// into `main` (its commits: the two squash commits, its merge sha of its own).
async fn load_gitflow_release(store: &Store) {
    let mut release = change("acme/api#3", API, RELEASE, "2026-03-03T10:00:00Z");
    release.commits = vec![F1.into(), F2.into()];
    release.first_commit_at = at("2026-03-02T00:00:00Z");
    store
        .upsert_changes(&[
            change("acme/api#1", API, F1, "2026-03-02T10:00:00Z"),
            change("acme/api#2", API, F2, "2026-03-02T11:00:00Z"),
            release,
        ])
        .await
        .expect("changes load");
}

async fn a_release_merge_ships_its_features_and_is_not_a_change_of_its_own(store: Store) {
    load_gitflow_release(&store).await;
    store
        .upsert_deployments(&[declaring(
            "d1",
            RELEASE,
            "2026-03-03T11:00:00Z",
            &[F1, F2, RELEASE],
        )])
        .await
        .expect("deployments load");
    let report = store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    assert_eq!((report.absorbed, report.shipments), (1, 2));
    let d1 = |c: &str| (c.to_string(), "d1".to_string());
    assert_eq!(
        shipped(&store).await,
        vec![d1("acme/api#1"), d1("acme/api#2")]
    );
}

/// The release of [`load_gitflow_release`], rewritten with a commit of its own, is no longer
/// absorbed: what the last derivation recorded is replaced, not kept.
async fn a_change_no_longer_absorbed_ships_as_a_change_of_its_own(store: Store) {
    const OWN: &str = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
    load_gitflow_release(&store).await;
    store
        .upsert_deployments(&[declaring(
            "d1",
            RELEASE,
            "2026-03-03T11:00:00Z",
            &[F1, F2, OWN, RELEASE],
        )])
        .await
        .expect("deployments load");
    let options = AnalysisOptions::default();
    store
        .reanalyze(&[repo(API)], &options)
        .await
        .expect("reanalysis");
    let d1 = |c: &str| (c.to_string(), "d1".to_string());
    assert_eq!(
        shipped(&store).await,
        vec![d1("acme/api#1"), d1("acme/api#2")]
    );

    let mut release = change("acme/api#3", API, RELEASE, "2026-03-03T10:00:00Z");
    release.commits = vec![F1.into(), F2.into(), OWN.into()];
    store
        .upsert_changes(&[release])
        .await
        .expect("the release rewritten");
    store
        .reanalyze(&[repo(API)], &options)
        .await
        .expect("reanalysis");
    assert_eq!(
        shipped(&store).await,
        vec![d1("acme/api#1"), d1("acme/api#2"), d1("acme/api#3")]
    );
}

async fn a_cherry_pick_ships_the_original_at_whichever_copy_lands_first(store: Store) {
    const FIX: &str = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
    const PICK: &str = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
    const PICK_SQUASH: &str = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";
    // The fix lands on main; its cherry-pick is squash-merged into a release branch an hour
    // later, and the release branch is deployed first: its squash commit ships the original.
    let original = change("acme/api#1", API, FIX, "2026-03-02T10:00:00Z");
    let mut copy = change("acme/api#2", API, PICK_SQUASH, "2026-03-02T11:00:00Z");
    copy.commits = vec![PICK.into()];
    copy.cherry_picks = vec![CherryPick {
        commit: PICK.into(),
        from: FIX.into(),
    }];
    store
        .upsert_changes(&[original, copy])
        .await
        .expect("changes load");
    store
        .upsert_deployments(&[
            declaring(
                "release",
                PICK_SQUASH,
                "2026-03-02T12:00:00Z",
                &[PICK_SQUASH],
            ),
            declaring("main", FIX, "2026-03-02T13:00:00Z", &[FIX]),
        ])
        .await
        .expect("deployments load");
    let report = store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    assert_eq!(report.absorbed, 1, "the copy is not a change of its own");
    assert_eq!(
        shipped(&store).await,
        vec![("acme/api#1".to_string(), "release".to_string())]
    );
    // Deployed the other way round, the original ships with main.
    store
        .upsert_deployments(&[declaring(
            "release",
            PICK_SQUASH,
            "2026-03-02T14:00:00Z",
            &[PICK_SQUASH],
        )])
        .await
        .expect("deployments load");
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    assert_eq!(
        shipped(&store).await,
        vec![("acme/api#1".to_string(), "main".to_string())]
    );
}

async fn a_linear_cut_ships_neither_absorbed_changes_nor_other_branches(store: Store) {
    load_gitflow_release(&store).await;
    let mut backport = change("acme/api#4", API, "dddddddd", "2026-03-03T09:00:00Z");
    backport.side_branch = Some("release-1.x".into());
    store
        .upsert_changes(&[backport])
        .await
        .expect("changes load");
    // No declared commits (an event from another CI tool): everything merged into the default
    // branch before it ships, but the release pull request is not a change of its own, and the
    // backport into a maintenance branch waits for a deployment that reaches it.
    store
        .upsert_deployments(&[deployment("d1", API, RELEASE, "2026-03-03T11:00:00Z")])
        .await
        .expect("deployments load");
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    let d1 = |c: &str| (c.to_string(), "d1".to_string());
    assert_eq!(
        shipped(&store).await,
        vec![d1("acme/api#1"), d1("acme/api#2")]
    );
}

// ---- versions per repository and the answers built on them ------------------------------------

async fn a_write_stamps_only_the_repositories_it_touched(store: Store) {
    let start = store.data_version().await.expect("version");
    store
        .upsert_deployments(&[deployment("d1", API, SHA_A, "2026-03-02T12:00:00Z")])
        .await
        .expect("deployment loads");
    let stamped = store.versions_after(start).await.expect("versions");
    assert_eq!(stamped, vec![(API.to_string(), start + 1)]);
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    assert_eq!(
        store.versions_after(start + 1).await.expect("versions"),
        vec![(API.to_string(), start + 2)]
    );
    // An incident may move between repositories or be a team's: every scope's version moves,
    // and its repository's, whose facts (a deployment blamed) it may change.
    store
        .upsert_incidents(&[incident("inc-1", Some(API), "2026-03-02T12:30:00Z")])
        .await
        .expect("incident loads");
    let mut stamped = store.versions_after(start + 2).await.expect("versions");
    stamped.sort();
    assert_eq!(
        stamped,
        vec![("*".to_string(), start + 3), (API.to_string(), start + 3)]
    );
    assert!(
        store
            .versions_after(start + 3)
            .await
            .expect("versions")
            .is_empty()
    );
}

fn two_teams() -> engine::config::Config {
    engine::config::Config::from_toml_str(
        r#"
[[teams]]
slug = "api"
name = "API"
repos = ["acme/api"]

[[teams]]
slug = "web"
name = "Web"
repos = ["acme/web"]
"#,
        "two teams",
    )
    .expect("the configuration parses")
}

fn march_period() -> engine::period::Period {
    let day = |s| engine::period::Period::parse_date(s).expect("date");
    engine::period::Period::new(day("2026-03-01"), day("2026-04-01")).expect("period")
}

async fn deploy_and_analyse(store: &Store, d: Deployment, config: &engine::config::Config) {
    let slug = d.repo.clone();
    store
        .upsert_deployments(&[d])
        .await
        .expect("deployment loads");
    store
        .reanalyze(&[slug], &engine::query::analysis_options(config))
        .await
        .expect("reanalysis");
}

async fn deployments_of(
    store: &Store,
    config: &engine::config::Config,
    slug: Option<&str>,
) -> usize {
    engine::query::metrics(store, config, slug, march_period(), None)
        .await
        .expect("metrics")
        .deployment_frequency
        .deployments
}

async fn a_replica_answers_fresh_after_another_handle_writes(store: Store) {
    let config = two_teams();
    let replica = engine::store::testing::replica(&store);
    deploy_and_analyse(
        &store,
        deployment("a1", API, SHA_A, "2026-03-02T12:00:00Z"),
        &config,
    )
    .await;
    deploy_and_analyse(
        &store,
        deployment("w1", WEB, SHA_B, "2026-03-03T12:00:00Z"),
        &config,
    )
    .await;
    assert_eq!(deployments_of(&replica, &config, None).await, 2);
    assert_eq!(deployments_of(&replica, &config, Some("web")).await, 1);
    let web = config.scope(Some("web")).expect("web");
    let web_version = |handle: Store| {
        let repos = web.repos.clone();
        async move {
            engine::freshness::current(&handle, &repos)
                .await
                .expect("versions")
                .of_scope(&repos)
        }
    };
    let before = web_version(replica.clone()).await;

    // The first handle writes to the API repository only.
    deploy_and_analyse(
        &store,
        deployment("a2", API, "ccccccc3333333", "2026-03-04T12:00:00Z"),
        &config,
    )
    .await;
    assert_eq!(
        web_version(replica.clone()).await,
        before,
        "the web team's answers stay valid"
    );
    assert_eq!(
        deployments_of(&replica, &config, None).await,
        3,
        "fresh after a write"
    );
    assert_eq!(deployments_of(&replica, &config, Some("api")).await, 2);
    assert_eq!(deployments_of(&replica, &config, Some("web")).await, 1);
}

async fn held_rows_give_the_figures_of_the_whole_read(store: Store) {
    load_rollback_story(&store).await;
    let config = two_teams();
    let api = config.scope(Some("api")).expect("api");
    let period = march_period();
    let read_whole = engine::query::compute_for_scope(
        &store,
        &config,
        &api,
        engine::query::Question::figures(period, Some(engine::period::Bucket::Week)),
    )
    .await
    .expect("whole read");
    let held = engine::query::metrics_for_scope(
        &store,
        &config,
        &api,
        period,
        Some(engine::period::Bucket::Week),
    )
    .await
    .expect("held rows");
    assert_eq!(held, read_whole);
    // A process that starts afterwards (no rows in memory) takes the stored copy.
    let replica = engine::store::testing::replica(&store);
    let from_copy = engine::query::metrics_for_scope(
        &replica,
        &config,
        &api,
        period,
        Some(engine::period::Bucket::Week),
    )
    .await
    .expect("stored copy");
    assert_eq!(from_copy, read_whole);
    assert_eq!(held.time_to_restore.rollbacks, 1);
    assert_eq!(held.change_failure_rate.failed, 1);
}

async fn held_rows_patched_after_deliveries_give_the_figures_of_the_whole_read(store: Store) {
    use engine::store::events::{EventRecord, LoggedEvent};
    const SHA_C: &str = "ccccccc3333333";
    const SHA_E: &str = "eeeeeee5555555";
    const SHA_G: &str = "ggggggg7777777";
    load_rollback_story(&store).await;
    store
        .upsert_changes(&[change("acme/api#3", API, SHA_C, "2026-03-05T10:00:00Z")])
        .await
        .expect("change");
    let options = AnalysisOptions::default();
    store.derive_all_queued(&options).await.expect("derives");
    let config = two_teams();
    let api = config.scope(Some("api")).expect("api");
    let question =
        engine::query::Question::figures(march_period(), Some(engine::period::Bucket::Week));
    let held_version = || async {
        engine::freshness::current(&store, &[repo(API)])
            .await
            .expect("versions")
            .of_repo(&repo(API))
    };
    let ask = || engine::query::answer_one(&store, &config, &api, question);
    // Held, then indexed (a second question), as a server holds them.
    ask().await.expect("first");
    ask().await.expect("second");
    let deliver = |records: Vec<EventRecord>| {
        let store = store.clone();
        async move {
            let events = records
                .into_iter()
                .map(|record| LoggedEvent {
                    raw: None,
                    record: Some(record),
                })
                .collect();
            store.ingest(events).await.expect("delivery");
        }
    };
    // The rows held, and those read whole, for the configuration's environment and filters.
    let rows = || async {
        let versions = engine::freshness::current(&store, &[repo(API)])
            .await
            .expect("versions");
        let filters = config.filters.noise();
        let environment = &config.deployments.environment;
        let held = engine::facts_cache::repo_rows(
            &store,
            &[repo(API)],
            &versions,
            environment,
            filters,
            &engine::query::filters_key(&config),
        )
        .await
        .expect("held rows");
        let whole = store
            .repo_rows(&[repo(API)], environment, filters, None)
            .await
            .expect("whole read");
        (held[0].rows.clone(), whole[&repo(API)].clone())
    };
    // A new deployment shipping the third change: only rows from its finish are read again.
    // A deployment moved later: from its old finish (d2, 12:00 on 2 March), or earlier still, as
    // here: the rollback d3 and the incident now blame d1 (10:30), no longer d2.
    let moved = deployment("d2", API, SHA_B, "2026-03-07T12:00:00Z");
    // Redeploying an earlier sha rolls back: the deployment before it, finished before the
    // write's mark, is blamed, and the derivation marks from it; d6 delivered again with a sha
    // of its own blames none, and marks from the one it stopped blaming.
    let d6 = |sha| deployment("d6", API, sha, "2026-03-10T12:00:00Z");
    let deployed = |d: Deployment| vec![EventRecord::Deployment(d)];
    // A pull request edited after it shipped: its row moves, from its shipment (d1, 10:30 on 2
    // March); its derivation (in full) moves nothing else.
    let mut edited = change("acme/api#1", API, SHA_A, "2026-03-02T10:00:00Z");
    edited.first_commit_at -= Duration::days(2);
    let incident_on_d7 = incident("inc-2", Some(API), "2026-03-11T13:00:00Z");
    let mut failures = Vec::new();
    for (delivered, from) in [
        (
            deployed(deployment("d4", API, SHA_C, "2026-03-06T12:00:00Z")),
            Some("2026-03-06T12:00:00Z"),
        ),
        (deployed(moved), Some("2026-03-02T10:30:00Z")),
        // A redeployment ships nothing new: the changes (and their index) stay as they were.
        // It blames d2, moved to 12:00 on 7 March.
        (
            deployed(deployment("d5", API, SHA_C, "2026-03-09T12:00:00Z")),
            Some("2026-03-07T12:00:00Z"),
        ),
        (deployed(d6(SHA_B)), Some("2026-03-09T12:00:00Z")),
        (deployed(d6("ddddddd4444444")), Some("2026-03-09T12:00:00Z")),
        // A new pull request and the deployment shipping it: the derivation (in full) marks
        // from the one shipment that moved.
        (
            vec![
                EventRecord::Change(change("acme/api#4", API, SHA_E, "2026-03-11T10:00:00Z")),
                EventRecord::Deployment(deployment("d7", API, SHA_E, "2026-03-11T12:00:00Z")),
            ],
            Some("2026-03-11T12:00:00Z"),
        ),
        (
            vec![EventRecord::Change(edited)],
            Some("2026-03-02T10:30:00Z"),
        ),
        // A pull request no deployment shipped moves no row: a mark past every time.
        (
            vec![EventRecord::Change(change(
                "acme/api#5",
                API,
                "fffffff6666666",
                "2026-03-20T10:00:00Z",
            ))],
            None,
        ),
        // An incident moves no row when written; its derivation (in full) blames d7 and marks
        // from it.
        (
            vec![EventRecord::Incident(incident_on_d7)],
            Some("2026-03-11T12:00:00Z"),
        ),
        // A deployment delivered before the pull request it ships: the pull request moves no
        // row when written, its derivation ships it from that deployment, and marks from there.
        (
            deployed(deployment("d8", API, SHA_G, "2026-03-12T12:00:00Z")),
            Some("2026-03-12T12:00:00Z"),
        ),
        (
            vec![EventRecord::Change(change(
                "acme/api#6",
                API,
                SHA_G,
                "2026-03-12T10:00:00Z",
            ))],
            Some("2026-03-12T12:00:00Z"),
        ),
    ] {
        let failed_before = ask().await.expect("answer").change_failure_rate.failed;
        let before = held_version().await;
        deliver(delivered).await;
        store.derive_all_queued(&options).await.expect("derives");
        let mark = Some(from.map_or(i64::MAX, |from| at(from).timestamp()));
        assert_eq!(
            store
                .changes_moved_since(&repo(API), before)
                .await
                .expect("read"),
            mark,
            "the writes since {before} name where the rows may have moved ({from:?})"
        );
        let patched = ask().await.expect("patched rows");
        let whole = engine::query::compute_for_scope(&store, &config, &api, question)
            .await
            .expect("whole read");
        assert_eq!(patched, whole, "after delivering up to {from:?}");
        let (held, whole) = rows().await;
        assert_eq!(held, whole, "rows after delivering up to {from:?}");
        failures.push(patched.change_failure_rate.failed as i64 - failed_before as i64);
    }
    assert_eq!(
        failures,
        [0, 0, 1, 1, -1, 0, 0, 0, 1, 0, 0],
        "rollbacks blame deployments before the writes' marks, and stop blaming them"
    );
    assert_eq!(ask().await.expect("answer").lead_time.changes, 5);
    // The patched rows' copy is stored later (once per delay, or when a server stops), from the
    // rows then held: not by every question after a delivery.
    let copy_version = || async {
        store
            .held_row_versions(
                &[repo(API)],
                &config.deployments.environment,
                &engine::query::filters_key(&config),
            )
            .await
            .expect("copies")
            .get(&repo(API))
            .copied()
    };
    let current = held_version().await;
    assert!(
        copy_version().await.is_some_and(|v| v < current),
        "the copy waits for its delay"
    );
    engine::facts_cache::store_due_copies(&store).await;
    assert_eq!(copy_version().await, Some(current), "stored when due");
    // A record written outside the event log may move any row: the next read is whole.
    let before = held_version().await;
    store
        .upsert_changes(&[change("acme/api#4", API, SHA_C, "2026-03-06T10:00:00Z")])
        .await
        .expect("change");
    assert_eq!(
        store
            .changes_moved_since(&repo(API), before)
            .await
            .expect("read"),
        None
    );
}

/// A team of two repositories (and one of one): the server indexes the two repositories'
/// changes together; its figures, and the organisation's, equal those of the records read whole,
/// on the first question (scanning), the next ones (indexed) and after a delivery to one of them
/// (indexed again).
async fn a_teams_repositories_indexed_together_give_the_figures_of_the_whole_read(store: Store) {
    use engine::store::events::{EventRecord, LoggedEvent};
    const ETL: &str = "acme/etl";
    let sha = |n: u32| format!("{n:040x}");
    let mut changes = Vec::new();
    let mut deployments = Vec::new();
    // Each repository ships a change a day in March, each deployed a different number of hours
    // after its merge: every median and percentile depends on all of them.
    for (r, slug) in [API, WEB, ETL].into_iter().enumerate() {
        for day in 0..6u32 {
            let n = r as u32 * 100 + day;
            let merged = format!("2026-03-{:02}T{:02}:00:00Z", day + 2, 3 + r as u32);
            changes.push(change(&format!("{slug}#{n}"), slug, &sha(n), &merged));
            let lag = Duration::hours(i64::from(1 + (n * 7) % 11));
            let finished = at(&merged) + lag;
            deployments.push(Deployment {
                finished_at: finished,
                started_at: Some(finished - Duration::minutes(10)),
                ..deployment(&format!("d{n}"), slug, &sha(n), "2026-03-01T00:00:00Z")
            });
        }
    }
    store.upsert_changes(&changes).await.expect("changes");
    store
        .upsert_deployments(&deployments)
        .await
        .expect("deployments");
    let options = AnalysisOptions::default();
    store.derive_all_queued(&options).await.expect("derives");
    let config = engine::config::Config::from_toml_str(
        r#"
[[teams]]
slug = "platform"
name = "Platform"
repos = ["acme/api", "acme/web"]

[[teams]]
slug = "data"
name = "Data"
repos = ["acme/etl"]
"#,
        "grouped teams",
    )
    .expect("the configuration parses");
    let question =
        engine::query::Question::figures(march_period(), Some(engine::period::Bucket::Week));
    let check = |label: &'static str| {
        let (store, config) = (&store, &config);
        async move {
            for team in [Some("platform"), None] {
                let scope = config.scope(team).expect("scope");
                let held = engine::query::answer_one(store, config, &scope, question)
                    .await
                    .expect("held rows");
                let whole = engine::query::compute_for_scope(store, config, &scope, question)
                    .await
                    .expect("whole read");
                assert_eq!(held, whole, "{label}, scope {team:?}");
            }
        }
    };
    check("first question (scanned)").await;
    check("second question (indexed)").await;
    check("third question").await;
    // A delivery to one member: a new change, shipped by a new deployment.
    let shipped = change("acme/web#900", WEB, &sha(900), "2026-03-20T10:00:00Z");
    store.upsert_changes(&[shipped]).await.expect("change");
    store.derive_all_queued(&options).await.expect("derives");
    store
        .ingest(vec![LoggedEvent {
            raw: None,
            record: Some(EventRecord::Deployment(deployment(
                "d900",
                WEB,
                &sha(900),
                "2026-03-21T09:00:00Z",
            ))),
        }])
        .await
        .expect("delivery");
    store.derive_all_queued(&options).await.expect("derives");
    check("after a delivery").await;
    let platform = config.scope(Some("platform")).expect("platform");
    let answer = engine::query::answer_one(&store, &config, &platform, question)
        .await
        .expect("answer");
    assert_eq!(answer.lead_time.changes, 13);
}

/// JIT compilation cost half a second per derivation statement on the benchmark organisation,
/// where running them takes milliseconds: the store's sessions turn it off.
async fn postgres_sessions_compile_no_statement(store: Store) {
    if store.backend_name() == "postgres" {
        assert_eq!(
            engine::store::testing::postgres_setting(&store, "jit").await,
            Some("off".to_string())
        );
    }
}

/// The migrator's `CREATE TABLE IF NOT EXISTS` made PostgreSQL send a notice that every command
/// printed twice on its start: the store's sessions keep notices on the server.
async fn postgres_sessions_receive_no_notices(store: Store) {
    if store.backend_name() == "postgres" {
        assert_eq!(
            engine::store::testing::postgres_setting(&store, "client_min_messages").await,
            Some("warning".to_string())
        );
    }
}

// ---- polled records win ----------------------------------------------------------------------

async fn a_record_without_commits_never_overwrites_what_a_poll_filled_in(store: Store) {
    const BRANCH: &str = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";
    const MERGE: &str = "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4";
    // The poll: the pull request with its branch commit, first commit and first review.
    let mut polled = change("acme/api#1", API, MERGE, "2026-03-02T10:00:00Z");
    polled.commits = vec![BRANCH.into()];
    polled.reverts = Some(SHA_A.into());
    // A webhook's (or a replayed delivery's) version: no commits, no review, its first commit
    // bounded by the pull request's creation; a new label.
    let mut delivered = polled.clone();
    delivered.commits = Vec::new();
    delivered.first_review_at = None;
    delivered.first_commit_at = at("2026-03-02T09:30:00Z");
    delivered.reverts = None;
    delivered.labels = vec!["hotfix".into()];
    for (i, write_path) in ["upsert", "ingest"].into_iter().enumerate() {
        let key = format!("acme/api#{}", i + 1);
        let polled = Change {
            key: key.clone(),
            ..polled.clone()
        };
        let delivered = Change {
            key: key.clone(),
            ..delivered.clone()
        };
        store
            .upsert_changes(std::slice::from_ref(&polled))
            .await
            .expect("the poll");
        match write_path {
            "upsert" => {
                store
                    .upsert_changes(&[delivered])
                    .await
                    .expect("the delivery");
            }
            _ => {
                store
                    .ingest(logged_changes([delivered]))
                    .await
                    .expect("the delivery");
            }
        }
        let stored = store.change(&key).await.expect("read").expect("stored");
        let expected = Change {
            labels: vec!["hotfix".into()],
            ..polled
        };
        assert_eq!(
            stored, expected,
            "{write_path}: the poll's commits, first commit and review stay"
        );
    }
    // The branch commit still finds its change: a deployment declaring it ships it.
    let mut d = deployment("d1", API, MERGE, "2026-03-02T12:00:00Z");
    d.declared_commits = Some(vec![BRANCH.into()]);
    store.upsert_deployments(&[d]).await.expect("deployment");
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    let shipped: Vec<String> = march(&store)
        .await
        .changes
        .into_iter()
        .map(|c| c.key)
        .collect();
    assert!(shipped.contains(&"acme/api#1".to_string()), "{shipped:?}");
}

async fn annotations_are_added_listed_by_date_and_removed(store: Store) {
    use engine::annotations::{NewAnnotation, Origin, Reach};
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
    let new = |d: u32, title: &str, team: Option<&str>, scope: Reach| NewAnnotation {
        date: day(d),
        title: title.to_string(),
        team: team.map(str::to_string),
        scope,
    };
    let version = store.data_version().await.expect("version");
    let late = store
        .add_annotation(&new(20, "Holiday freeze", None, Reach::Own))
        .await
        .expect("added");
    let early = store
        .add_annotation(&new(
            10,
            "New CI system \u{1F680}",
            Some("checkout"),
            Reach::Inherit,
        ))
        .await
        .expect("added");
    let edge = store
        .add_annotation(&new(31, "Team split", Some("customer"), Reach::Own))
        .await
        .expect("added");
    assert_eq!(early.title, "New CI system \u{1F680}", "read back exactly");
    assert_eq!(early.team.as_deref(), Some("checkout"));
    assert_eq!(early.scope, Reach::Inherit);
    assert_eq!(early.source, Origin::Stored);
    assert_eq!(late.scope, Reach::Own);
    assert_ne!(early.id, late.id);
    assert_eq!(
        store.data_version().await.expect("version"),
        version,
        "annotations shape no figure"
    );
    // [from, to): the 31st is left out of a period ending on the 31st; by date, not by id.
    let listed = store
        .annotations(day(1), day(31), 10)
        .await
        .expect("listed");
    assert_eq!(listed, vec![early.clone(), late.clone()]);
    assert_eq!(
        store.annotations(day(1), day(31), 1).await.expect("listed"),
        vec![early.clone()],
        "the limit holds"
    );
    assert!(
        store
            .delete_annotation(early.id.expect("id"))
            .await
            .expect("deleted")
    );
    assert!(
        !store
            .delete_annotation(early.id.expect("id"))
            .await
            .expect("no error"),
        "a second deletion finds nothing"
    );
    let april = chrono::NaiveDate::from_ymd_opt(2026, 4, 1).expect("date");
    assert_eq!(
        store.annotations(day(1), april, 10).await.expect("listed"),
        vec![late, edge]
    );
}

fn repo_report(repo: &str, changes: u64, error: Option<&str>) -> RepoReport {
    RepoReport {
        repo: repo.into(),
        changes,
        deployments: 2,
        incidents: 1,
        incidents_deleted: 0,
        requests: 12,
        not_modified: 5,
        retries: 1,
        duration_ms: 830,
        error: error.map(Into::into),
    }
}

async fn a_sync_run_is_recorded_counted_and_only_the_last_ones_kept(store: Store) {
    assert_eq!(store.last_sync_run().await.expect("read"), None);
    let failed = SyncReport {
        started_at: at("2026-03-02T10:00:00Z"),
        finished_at: at("2026-03-02T10:01:05Z"),
        repos: vec![
            repo_report(API, 3, None),
            repo_report(WEB, 0, Some("GitHub answered 502 three times")),
        ],
    };
    store.record_sync_run(&failed).await.expect("recorded");
    // Another process reads what this one recorded.
    let replica = engine::store::testing::replica(&store);
    assert_eq!(
        replica.last_sync_run().await.expect("read"),
        Some(failed.clone())
    );
    let counters = replica.service_counters().await.expect("read");
    assert_eq!(counters.get(Counter::SyncRuns), 1);
    assert_eq!(counters.get(Counter::SyncFailures), 1);
    let version = store.data_version().await.expect("version");

    // Run after run: the last is shown, only the last SYNC_RUNS_KEPT are kept, each with its
    // repositories; the failures count only the failed run.
    let mut last = failed.clone();
    for minute in 0..SYNC_RUNS_KEPT {
        last = SyncReport {
            started_at: at("2026-03-03T00:00:00Z") + Duration::minutes(minute),
            finished_at: at("2026-03-03T00:00:30Z") + Duration::minutes(minute),
            repos: vec![repo_report(API, minute as u64, None)],
        };
        store.record_sync_run(&last).await.expect("recorded");
    }
    assert_eq!(store.last_sync_run().await.expect("read"), Some(last));
    let rows = |table: &'static str| engine::store::testing::rows_in(&store, table);
    assert_eq!(rows("sync_run").await, SYNC_RUNS_KEPT);
    assert_eq!(
        rows("sync_run_repo").await,
        SYNC_RUNS_KEPT,
        "the failed run's two repositories went with it"
    );
    let counters = store.service_counters().await.expect("read");
    assert_eq!(counters.get(Counter::SyncRuns), SYNC_RUNS_KEPT as u64 + 1);
    assert_eq!(counters.get(Counter::SyncFailures), 1);
    assert_eq!(
        store.data_version().await.expect("version"),
        version,
        "a sync's record is no data a metric reads"
    );
}

async fn counters_add_up_across_concurrent_writers_and_gauges_keep_the_newest(store: Store) {
    let fresh = store.service_counters().await.expect("read");
    assert_eq!(fresh.get(Counter::WebhookDeliveries), 0);
    assert_eq!(fresh.gauge(Gauge::GithubRateLimitRemaining), None);
    // Four handles (as four processes) adding 25 times each, all at once.
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let handle = engine::store::testing::replica(&store);
            tokio::spawn(async move {
                for _ in 0..25 {
                    handle
                        .add_to_counters(
                            &[
                                (Counter::WebhookDeliveries, 1),
                                (Counter::EventsIngested, 3),
                            ],
                            &[],
                        )
                        .await
                        .expect("added");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("joined");
    }
    let seen = |value, time| {
        [(
            Gauge::GithubRateLimitRemaining,
            Observation {
                value,
                at: at(time),
            },
        )]
    };
    store
        .add_to_counters(&[], &seen(4_000, "2026-03-02T10:00:00Z"))
        .await
        .expect("observed");
    store
        .add_to_counters(&[], &seen(4_900, "2026-03-02T09:00:00Z"))
        .await
        .expect("an older observation, written late");
    let counters = store.service_counters().await.expect("read");
    assert_eq!(counters.get(Counter::WebhookDeliveries), 100);
    assert_eq!(counters.get(Counter::EventsIngested), 300);
    assert_eq!(counters.get(Counter::WebhookRejected), 0);
    assert_eq!(counters.gauge(Gauge::GithubRateLimitRemaining), Some(4_000));
    store
        .add_to_counters(&[], &seen(3_990, "2026-03-02T10:00:20Z"))
        .await
        .expect("observed");
    assert_eq!(
        store
            .service_counters()
            .await
            .expect("read")
            .gauge(Gauge::GithubRateLimitRemaining),
        Some(3_990)
    );
}

/// PostgreSQL, where a write may queue a repository while another process derives it: the
/// derivation claims the queue row without locking it, and takes it off the queue at its end
/// only if no write queued the repository again meanwhile. Here a write's requeue (the row's
/// generation moved, as `enqueue` does) holds the row while the derivation runs and commits
/// before the derivation ends: the repository stays queued, and is derived again.
#[tokio::test]
async fn a_repository_queued_again_while_it_is_derived_stays_queued_on_postgres() {
    queued_again_while_derived(false).await;
}

/// The same for a whole reanalysis (changed options, `doraboard reanalyze`): it took the
/// repository off the queue at its start, so a write queuing it meanwhile waited for the whole
/// reanalysis on the row's lock.
#[tokio::test]
async fn a_repository_queued_again_while_it_is_reanalysed_stays_queued_on_postgres() {
    queued_again_while_derived(true).await;
}

/// [`a_repository_queued_again_while_it_is_derived_stays_queued_on_postgres`], the derivation
/// from the queue or (`whole`) a reanalysis of the repository's whole history.
async fn queued_again_while_derived(whole: bool) {
    use engine::store::testing::TestStore;
    use sqlx::Connection;
    let name = if whole {
        "queued_again_while_reanalysed"
    } else {
        "queued_again_while_derived"
    };
    let Some(db) = TestStore::postgres(name).await else {
        return;
    };
    let store = db.store.clone();
    load_rollback_story(&store).await;
    let options = AnalysisOptions::default();
    store.derive_all_queued(&options).await.expect("derives");
    store
        .upsert_changes(&[change("acme/api#9", API, SHA_B, "2026-03-03T10:00:00Z")])
        .await
        .expect("a write queues the repository");
    assert_eq!(
        store.queued_derivations().await.expect("queue"),
        [repo(API)]
    );
    // Another writer queues the repository again, holding the row until it commits.
    let mut writer = sqlx::PgConnection::connect(&db.url)
        .await
        .expect("connects");
    let writer_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut writer)
        .await
        .expect("reads its pid");
    let mut requeue = writer.begin().await.expect("begins");
    sqlx::query("UPDATE derivation_queue SET generation = generation + 1 WHERE repo = $1")
        .bind(API)
        .execute(&mut *requeue)
        .await
        .expect("requeues");
    let deriving = tokio::spawn({
        let store = store.clone();
        let options = options.clone();
        async move {
            if whole {
                let report = store.reanalyze(&[repo(API)], &options).await?;
                Ok(Some(report))
            } else {
                store.derive_queued(&repo(API), &options).await
            }
        }
    });
    // The derivation runs (its claim does not wait for the row) until it takes the row off the
    // queue, which waits for the writer; then the writer commits. Only a statement this writer
    // blocks counts: the other variant of this test runs at the same time on the same server.
    let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                   AND query LIKE 'DELETE FROM derivation_queue%' \
                   AND $1 = ANY(pg_blocking_pids(pid))";
    // From a connection of its own: a transaction sees one snapshot of the activity.
    let mut watcher = sqlx::PgConnection::connect(&db.url)
        .await
        .expect("connects");
    let mut polls = 0;
    while sqlx::query_scalar::<_, i64>(waiting)
        .bind(writer_pid)
        .fetch_one(&mut watcher)
        .await
        .expect("reads activity")
        == 0
    {
        polls += 1;
        assert!(
            polls < 3_000,
            "the derivation never reached the end of its claim"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    requeue.commit().await.expect("commits");
    let report = deriving.await.expect("joins").expect("derives");
    assert!(report.is_some(), "the repository was derived");
    assert_eq!(
        store.queued_derivations().await.expect("queue"),
        [repo(API)],
        "queued again meanwhile: it stays queued"
    );
    store
        .derive_all_queued(&options)
        .await
        .expect("derives again");
    assert!(store.queued_derivations().await.expect("queue").is_empty());
    db.finish().await;
}

/// `Reverts #3` names the earliest merged change of the repository numbered 3, whether it is
/// keyed `owner/name#3` (found by its key) or otherwise (found by the index of the changes
/// numbered otherwise, migration 0031).
async fn a_number_reference_names_the_earliest_change_numbered_so_whatever_its_key(store: Store) {
    let numbered = |key: &str, number: i64, sha: &str, merged: &str| Change {
        number: Some(number),
        ..change(key, API, sha, merged)
    };
    let mut changes = vec![
        numbered("imported-3", 3, "a3a3a3a3a3", "2026-03-02T08:00:00Z"),
        numbered("acme/api#3", 3, "b3b3b3b3b3", "2026-03-02T09:00:00Z"),
        numbered("imported-4", 4, "a4a4a4a4a4", "2026-03-02T08:10:00Z"),
        numbered("acme/api#5", 5, "a5a5a5a5a5", "2026-03-02T08:20:00Z"),
        numbered("later-5", 5, "b5b5b5b5b5", "2026-03-02T09:20:00Z"),
    ];
    let mut deployments: Vec<Deployment> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut d = deployment(
                &format!("d-{}", c.key),
                API,
                c.merge_sha.as_deref().unwrap_or_default(),
                &format!("2026-03-02T10:0{i}:00Z"),
            );
            d.declared_changes = Some(vec![c.key.clone()]);
            d
        })
        .collect();
    for (n, reference) in [(10, "#3"), (11, "#4"), (12, "#5")] {
        let mut revert = numbered(
            &format!("acme/api#{n}"),
            n,
            &format!("c{n}c{n}c{n}c{n}"),
            "2026-03-02T11:00:00Z",
        );
        revert.reverts = Some(reference.into());
        changes.push(revert);
    }
    let mut reverting = deployment("d-reverts", API, "c12c12c12c12", "2026-03-02T12:00:00Z");
    reverting.declared_changes = Some(vec![
        "acme/api#10".into(),
        "acme/api#11".into(),
        "acme/api#12".into(),
    ]);
    deployments.push(reverting);
    store.upsert_changes(&changes).await.expect("changes load");
    store
        .upsert_deployments(&deployments)
        .await
        .expect("deployments load");
    store
        .reanalyze(&[repo(API)], &AnalysisOptions::default())
        .await
        .expect("reanalysis");
    let reverted: Vec<String> = derived_rows(&store)
        .await
        .into_iter()
        .filter(|row| row.starts_with("failure ") && row.contains(" revert "))
        .collect();
    assert_eq!(reverted.len(), 3, "{reverted:?}");
    for blamed in ["d-imported-3", "d-imported-4", "d-acme/api#5"] {
        assert!(
            reverted
                .iter()
                .any(|row| row.starts_with(&format!("failure {blamed} "))),
            "{blamed} in {reverted:?}"
        );
    }
}
