//! `doraboard import FILE`: NDJSON and CSV files, all or nothing, idempotent; through the library
//! and through the real binary.

use crate::events_support;

use collector::ingest::{ImportError, import_file};
use engine::store::Store;
use events_support::{CONFIG, config, documented_events, sha};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the fixture file");
    path
}

const CSV: &str = "\u{feff}type,id,repo,number,title,first_commit_at,merged_at,merge_sha,labels,environment,sha,status,finished_at,changes,opened_at,resolved_at,deployment\r
change,acme/shop#42,acme/shop,42,Faster checkout,2026-03-01T09:00:00Z,2026-03-02T10:00:00Z,SHA42,feature,,,,,,,,\r
\r
change,acme/shop#43,acme/shop,43,\"Fix, quickly\",2026-03-02T09:00:00Z,2026-03-02T10:30:00Z,SHA43,hotfix;urgent,,,,,,,,\r
deployment,jenkins-shop-1187,acme/shop,,,,,,,production,SHA43,success,2026-03-02T11:06:00Z,acme/shop#42;acme/shop#43,,,\r
incident,PD-Q1W2E3,acme/shop,,Checkout errors,,,,,,,,,,2026-03-02T13:00:00Z,2026-03-02T14:30:00Z,jenkins-shop-1187\r
";

fn csv_text() -> String {
    CSV.replace("SHA42", &sha("42"))
        .replace("SHA43", &sha("43"))
}

#[tokio::test]
async fn an_ndjson_file_loads_and_reimporting_it_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "events.ndjson", &documented_events().join("\n"));
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let config = config(CONFIG);

    let report = import_file(&store, &config, &file).await.expect("imported");
    assert_eq!(report.format, "NDJSON");
    assert_eq!(report.events, 3);
    assert_eq!(
        report.loaded.to_string(),
        "1 change, 1 deployment, 1 incident"
    );
    assert_eq!(report.duplicates, 0);
    let deployment = store
        .deployment("jenkins-shop-1187")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(deployment.source, engine::model::Source::Import);
    let counts = store.counts().await.expect("counts");
    assert_eq!(counts.shipments, 1);
    let m =
        events_support::metrics(&store, &config, Some("shop"), "2026-03-01", "2026-04-01").await;
    assert_eq!(m.change_failure_rate.failed, 1);
    let version = store.data_version().await.expect("version");

    let again = import_file(&store, &config, &file).await.expect("imported");
    assert_eq!(
        again.loaded.to_string(),
        "0 changes, 0 deployments, 0 incidents"
    );
    assert_eq!(again.duplicates, 3);
    assert_eq!(store.counts().await.expect("counts"), counts);
    assert_eq!(store.raw_event_count(Some("import")).await.expect("raw"), 3);
    assert_eq!(store.data_version().await.expect("version"), version);
}

/// An import prepares each batch's writing ahead, as if all its events were new; a batch holding
/// events logged before is prepared again from its new events alone, so the log still reads back
/// each event's own body, and a redelivered older version does not undo the edit before it.
#[tokio::test]
async fn a_file_reimported_with_new_events_logs_only_those_and_they_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let config = config(CONFIG);
    let lines = documented_events();
    let first = write(dir.path(), "first.ndjson", &lines[..2].join("\n"));
    import_file(&store, &config, &first)
        .await
        .expect("imported");

    let retitled = lines[0].replace("Faster checkout", "Faster checkout, again");
    let second = [&retitled, &lines[0], &lines[1], &lines[2]].map(String::as_str);
    let file = write(dir.path(), "second.ndjson", &second.join("\n"));
    let report = import_file(&store, &config, &file).await.expect("imported");
    assert_eq!(report.duplicates, 2);
    assert_eq!(
        report.loaded.to_string(),
        "1 change, 0 deployments, 1 incident"
    );

    let logged: Vec<String> = store
        .raw_events_after(0, 10)
        .await
        .expect("log")
        .into_iter()
        .map(|e| e.body)
        .collect();
    let expected = [&lines[0], &lines[1], &retitled, &lines[2]].map(String::as_str);
    assert_eq!(logged, expected);
    let change = store
        .change("acme/shop#42")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(change.title, "Faster checkout, again");
}

#[tokio::test]
async fn a_csv_file_with_a_header_loads_the_same_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "events.csv", &csv_text());
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let config = config(CONFIG);
    let report = import_file(&store, &config, &file).await.expect("imported");
    assert_eq!(report.format, "CSV");
    assert_eq!(
        report.loaded.to_string(),
        "2 changes, 1 deployment, 1 incident"
    );
    let hotfix = store
        .change("acme/shop#43")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(hotfix.title, "Fix, quickly");
    assert_eq!(hotfix.labels, ["hotfix", "urgent"]);
    assert!(hotfix.is_rework());
    let m =
        events_support::metrics(&store, &config, Some("shop"), "2026-03-01", "2026-04-01").await;
    assert_eq!(m.lead_time.changes, 2);
    assert_eq!(m.rework_rate.rework, 1);
    assert_eq!(m.time_to_restore.median_seconds, Some(5400));
}

#[tokio::test]
async fn one_bad_line_loads_nothing_and_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let config = config(CONFIG);

    let mut lines = documented_events();
    lines.insert(2, String::new());
    lines.insert(
        3,
        lines[1].replace("\"status\":\"success\"", "\"status\":\"done\""),
    );
    let ndjson = write(dir.path(), "bad.ndjson", &lines.join("\n"));
    let error = import_file(&store, &config, &ndjson)
        .await
        .expect_err("refused");
    let ImportError::Invalid { errors, .. } = &error else {
        panic!("invalid: {error}")
    };
    assert_eq!(errors.len(), 1, "{error}");
    assert_eq!(errors[0].line, Some(4));
    assert_eq!(errors[0].field.as_deref(), Some("status"));
    assert!(error.to_string().contains("line 4: `status`"), "{error}");
    assert!(error.to_string().contains("nothing was loaded"), "{error}");

    // The CSV row on line 4 (after a blank line) lacks its merge time.
    let csv = write(
        dir.path(),
        "bad.csv",
        &csv_text().replace("2026-03-02T10:30:00Z", ""),
    );
    let error = import_file(&store, &config, &csv)
        .await
        .expect_err("refused");
    assert!(
        error.to_string().contains("line 4: `merged_at`: missing"),
        "{error}"
    );

    assert_eq!(store.counts().await.expect("counts"), Default::default());
    assert_eq!(store.raw_event_count(None).await.expect("raw"), 0);
    assert_eq!(store.data_version().await.expect("version"), 0);
}

#[tokio::test]
async fn a_large_file_is_written_in_batches_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let config = config(CONFIG);
    let n = collector::ingest::BATCH * 2 + 10;
    let line = |i: usize| {
        serde_json::json!({"type": "deployment", "id": format!("ci-{i}"), "repo": "acme/search",
            "environment": "production", "sha": sha(&format!("{i}")), "status": "success",
            "finished_at": format!("2026-03-{:02}T10:{:02}:00Z", 1 + i % 28, i % 60)})
        .to_string()
    };
    let mut lines: Vec<String> = (0..n).map(line).collect();
    let good = write(dir.path(), "many.jsonl", &lines.join("\n"));
    lines[n - 1] = "{\"type\": \"deployment\"".to_string();
    let bad = write(dir.path(), "many-bad.jsonl", &lines.join("\n"));

    let error = import_file(&store, &config, &bad)
        .await
        .expect_err("refused");
    assert!(error.to_string().contains(&format!("line {n}:")), "{error}");
    assert_eq!(store.counts().await.expect("counts").deployments, 0);

    let report = import_file(&store, &config, &good).await.expect("imported");
    assert_eq!(report.loaded.deployments, n);
    assert_eq!(store.counts().await.expect("counts").deployments, n as i64);
}

fn doraboard(dir: &Path, args: &[&str]) -> std::process::Output {
    let config = dir.join("doraboard.toml");
    let db = dir.join("doraboard.db");
    if !config.exists() {
        let text = format!("database_url = \"sqlite://{}\"\n{CONFIG}", db.display());
        std::fs::write(&config, text).expect("write config");
    }
    Command::new(env!("CARGO_BIN_EXE_doraboard"))
        .arg("--config")
        .arg(&config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run doraboard")
}

#[test]
fn the_import_command_prints_what_it_loaded_and_names_bad_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write(dir.path(), "events.ndjson", &documented_events().join("\n"));
    let mut lines = documented_events();
    lines[2] = lines[2].replace("\"opened_at\"", "\"opened\"");
    let bad = write(dir.path(), "bad.ndjson", &lines.join("\n"));

    let out = doraboard(dir.path(), &["import", bad.to_str().expect("utf-8 path")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3: `opened_at`: missing"), "{stderr}");

    let out = doraboard(dir.path(), &["import", good.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Loaded 1 change, 1 deployment, 1 incident"),
        "{stdout}"
    );

    let out = doraboard(dir.path(), &["import", good.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Loaded 0 changes, 0 deployments, 0 incidents")
            && stdout.contains("3 already loaded"),
        "{stdout}"
    );

    let out = doraboard(dir.path(), &["replay"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Replayed 3 logged events: 1 change, 1 deployment, 1 incident"),
        "{stdout}"
    );
}

/// `doraboard import` leaves a current copy of every listed repository's rows, each holding what
/// the records hold, so the next process's first question reads copies (they are read beside
/// the derivation of the next repository, on a connection of their own).
#[tokio::test]
async fn the_import_command_stores_current_row_copies_of_every_listed_repository() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lines = documented_events();
    for i in 0..30 {
        lines.push(
            json!({"type": "deployment", "id": format!("search-{i}"), "repo": "acme/search",
                "environment": "production", "sha": sha(&format!("s{i}")),
                "status": if i % 3 == 0 { "failure" } else { "success" },
                "finished_at": format!("2026-03-{:02}T10:00:00Z", 1 + i)})
            .to_string(),
        );
    }
    let file = write(dir.path(), "events.ndjson", &lines.join("\n"));
    let out = doraboard(dir.path(), &["import", file.to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The copies' pages reached the database: the write-ahead log is left empty.
    let wal = std::fs::metadata(dir.path().join("doraboard.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the import's write-ahead log holds {wal} bytes");
    let url = format!("sqlite://{}", dir.path().join("doraboard.db").display());
    let store = Store::connect(&url).await.expect("store");
    let config = config(CONFIG);
    let repos = config.scope(None).expect("organisation").repos;
    assert_eq!(repos.len(), 2);
    let versions = engine::freshness::current(&store, &repos)
        .await
        .expect("versions");
    let (environment, key) = (
        &config.deployments.environment,
        engine::query::filters_key(&config),
    );
    let held = store
        .held_rows(&repos, environment, &key)
        .await
        .expect("copies");
    let deployments = |repo: &str| {
        let (version, rows) = &held[&repo.parse().expect("slug")];
        (*version, rows.deployments.len())
    };
    let version = |repo: &str| versions.of_repo(&repo.parse().expect("slug"));
    assert_eq!(deployments("acme/shop"), (version("acme/shop"), 1));
    assert_eq!(deployments("acme/search"), (version("acme/search"), 30));
    store.close().await;
}

const UNOWNED: &str = r#"{"type": "deployment", "id": "u-1", "repo": "acme/unknown", "environment": "production", "sha": "0123456789abcdef0123456789abcdef01234567", "status": "success", "finished_at": "2026-03-02T11:00:00Z"}"#;

/// A file with events of a repository no team owns loads them, and says so: in the report and in
/// the command's summary.
async fn an_import_names_the_repositories_no_team_owns(store: Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lines = documented_events();
    lines.push(UNOWNED.to_string());
    let file = write(dir.path(), "events.ndjson", &lines.join("\n"));
    let report = import_file(&store, &config(CONFIG), &file)
        .await
        .expect("imported");
    assert_eq!(report.loaded.deployments, 2);
    assert_eq!(
        report.unowned,
        vec![
            "acme/unknown"
                .parse::<engine::model::RepoSlug>()
                .expect("slug")
        ]
    );
    let stored = store
        .deployment("u-1")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.repo.to_string(), "acme/unknown");
}

#[tokio::test]
async fn an_import_names_the_repositories_no_team_owns_on_sqlite() {
    let test = engine::store::testing::TestStore::sqlite().await;
    an_import_names_the_repositories_no_team_owns(test.store.clone()).await;
}

#[tokio::test]
async fn an_import_names_the_repositories_no_team_owns_on_postgres() {
    if let Some(test) = engine::store::testing::TestStore::postgres("unowned_import").await {
        an_import_names_the_repositories_no_team_owns(test.store.clone()).await;
        test.finish().await;
    }
}

/// PostgreSQL plans the import's derivation from statistics of what the import wrote, not of the
/// empty tables it started from: the import analyzes the tables before it derives.
#[tokio::test]
async fn an_import_on_postgres_refreshes_the_planner_statistics_before_it_derives() {
    use engine::store::testing::postgres_analyzed;
    let Some(test) = engine::store::testing::TestStore::postgres("import_statistics").await else {
        return;
    };
    let store = test.store.clone();
    assert_eq!(
        postgres_analyzed(&store, "change_commit").await,
        Some(false)
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "events.ndjson", &documented_events().join("\n"));
    import_file(&store, &config(CONFIG), &file)
        .await
        .expect("imported");
    for table in [
        "change_row",
        "change_commit",
        "deployment_row",
        "deployment_change",
    ] {
        assert_eq!(
            postgres_analyzed(&store, table).await,
            Some(true),
            "{table}"
        );
    }
    test.finish().await;
}

#[test]
fn the_import_command_warns_about_repositories_no_team_owns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "unowned.ndjson", UNOWNED);
    let out = doraboard(dir.path(), &["import", file.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "Warning: no team owns acme/unknown: its events are stored but count in no team's \
             figures until a team lists it"
        ),
        "{stdout}"
    );
}

/// The records, raw log, derivation queue and derived rows of the store at `url`, to compare.
async fn store_state(url: &str) -> String {
    let store = Store::connect(url).await.expect("store");
    let state = format!(
        "{:?}",
        (
            store.counts().await.expect("counts"),
            store.raw_event_count(None).await.expect("raw events"),
            store.queued_derivations().await.expect("queue"),
            engine::store::testing::derived_rows(&store).await,
        )
    );
    store.close().await;
    state
}

/// A file of 30,000 deployments: an import's transaction reaches the disk long before it commits.
fn large_file(dir: &Path) -> PathBuf {
    let lines: Vec<String> = (0..30_000)
        .map(|i| {
            serde_json::json!({"type": "deployment", "id": format!("big-{i}"),
                "repo": "acme/search", "environment": "production",
                "sha": sha(&format!("big{i}")), "status": "success",
                "finished_at": format!("2026-04-{:02}T10:{:02}:00Z", 1 + i % 28, i % 60)})
            .to_string()
        })
        .collect();
    write(dir, "big.ndjson", &lines.join("\n"))
}

/// Runs `doraboard import file` in `dir` and kills it (SIGKILL: no cleanup runs) once `written`
/// has grown by 512 KiB: its uncommitted writes reached that file (polled: nothing about time is
/// asserted).
fn kill_the_import_once_it_writes(dir: &Path, file: &Path, written: &Path) {
    let size = || std::fs::metadata(written).map_or(0, |m| m.len());
    let at_start = size();
    let mut child = Command::new(env!("CARGO_BIN_EXE_doraboard"))
        .arg("--config")
        .arg(dir.join("doraboard.toml"))
        .args(["import", file.to_str().expect("utf-8")])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the import");
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!(
                "the import ended ({status}) before {} grew: make the file larger",
                written.display()
            );
        }
        if size() > at_start + 512 * 1024 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("kill the import");
    child.wait().expect("reap the import");
}

/// A `doraboard import` killed in the middle of its write pass leaves the store exactly as it
/// was: records, raw log and derivation queue.
#[tokio::test]
async fn a_killed_import_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = write(dir.path(), "first.ndjson", &documented_events().join("\n"));
    assert!(
        doraboard(dir.path(), &["import", first.to_str().expect("utf-8")])
            .status
            .success()
    );
    let url = format!("sqlite://{}", dir.path().join("doraboard.db").display());
    let before = store_state(&url).await;

    // A store holding records: the import writes through the write-ahead log.
    let big = large_file(dir.path());
    kill_the_import_once_it_writes(dir.path(), &big, &dir.path().join("doraboard.db-wal"));

    assert_eq!(store_state(&url).await, before);
}

/// An import into an empty store writes its pages straight into the database, through a
/// rollback journal (`store/first_load.rs`). Killed then, the store opens empty and in WAL again,
/// and the same import run again loads everything.
#[tokio::test]
async fn a_killed_first_load_leaves_the_store_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(doraboard(dir.path(), &["migrate"]).status.success());
    let db = dir.path().join("doraboard.db");
    let url = format!("sqlite://{}", db.display());
    let before = store_state(&url).await;

    // Only a first load writes into the database itself before it commits.
    let big = large_file(dir.path());
    kill_the_import_once_it_writes(dir.path(), &big, &db);

    assert_eq!(store_state(&url).await, before);
    let out = doraboard(dir.path(), &["import", big.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{out:?}");
    let store = Store::connect(&url).await.expect("store");
    assert_eq!(
        engine::store::testing::sqlite_journal_mode(&store)
            .await
            .as_deref(),
        Some("wal")
    );
    assert_eq!(store.counts().await.expect("counts").deployments, 30_000);
    store.close().await;
}

/// A first load that fails (a bad line) or succeeds puts the store back in WAL, where other
/// processes read beside its one writer.
#[tokio::test]
async fn a_first_load_goes_back_to_wal_whether_it_fails_or_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("doraboard.db").display());
    let store = Store::connect_for_bulk_load(&url).await.expect("store");
    let config = config(CONFIG);
    let mut lines = documented_events();
    lines[1] = lines[1].replace("\"status\"", "\"state\"");
    let bad = write(dir.path(), "bad.ndjson", &lines.join("\n"));
    let good = write(dir.path(), "good.ndjson", &documented_events().join("\n"));
    let mode = || engine::store::testing::sqlite_journal_mode(&store);

    assert!(import_file(&store, &config, &bad).await.is_err());
    assert_eq!(mode().await.as_deref(), Some("wal"));
    assert_eq!(store.counts().await.expect("counts").deployments, 0);

    import_file(&store, &config, &good).await.expect("imported");
    assert_eq!(mode().await.as_deref(), Some("wal"));
    assert_eq!(store.counts().await.expect("counts").deployments, 1);
    store.close().await;
}

/// An imported event's delivery id is a digest of its normalized record: a version that computed
/// it otherwise would log a file imported again, after an upgrade, as new events. Pinned here.
#[tokio::test]
async fn an_imported_events_delivery_id_stays_the_same_across_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let file = write(dir.path(), "events.ndjson", &documented_events().join("\n"));
    import_file(&store, &config(CONFIG), &file)
        .await
        .expect("imported");
    let ids: Vec<String> = store
        .raw_events_after(0, 10)
        .await
        .expect("log")
        .into_iter()
        .map(|e| e.delivery_id)
        .collect();
    assert_eq!(
        ids,
        [
            "change:acme/shop#42@010f492cb57c07e2e01ec252",
            "deployment:jenkins-shop-1187@b7899082d1b76399394f52ec",
            "incident:PD-Q1W2E3@706c7f457f35d5829058f1eb",
        ]
    );
}
