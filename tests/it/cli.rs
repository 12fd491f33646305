//! The command line as a user runs it: the real binary, its exit codes and what it prints.

use std::process::{Command, Output};

fn doraboard(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doraboard"))
        .args(args)
        .current_dir(dir)
        .env_remove("DORABOARD_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn metrics_json_carries_the_contract_fields() {
    let dir = tempfile::tempdir().expect("dir");
    let out = doraboard(
        &[
            "metrics",
            "--demo",
            "--team",
            "checkout",
            "--from",
            "2026-05-01",
            "--to",
            "2026-08-01",
            "--bucket",
            "month",
            "--json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(m["team"], "checkout");
    assert_eq!(
        (m["from"].as_str(), m["to"].as_str()),
        (Some("2026-05-01"), Some("2026-08-01"))
    );
    for (metric, fields) in [
        (
            "deployment_frequency",
            &["deployments", "per_week", "tier", "series"][..],
        ),
        (
            "lead_time",
            &["changes", "median_seconds", "p90_seconds", "tier", "series"],
        ),
        (
            "change_failure_rate",
            &["deployments", "failed", "rate", "tier", "series"],
        ),
        (
            "time_to_restore",
            &["incidents", "rollbacks", "median_seconds", "tier", "series"],
        ),
        ("rework_rate", &["deployments", "rework", "rate", "series"]),
    ] {
        for field in fields {
            assert!(m[metric].get(*field).is_some(), "{metric}.{field} missing");
        }
        assert_eq!(
            m[metric]["series"].as_array().map(Vec::len),
            Some(3),
            "{metric}: one point per month"
        );
    }
}

#[test]
fn metrics_table_reads_as_sentences_of_figures() {
    let dir = tempfile::tempdir().expect("dir");
    let out = doraboard(
        &[
            "metrics",
            "--demo",
            "--team",
            "commerce",
            "--from",
            "2026-05-01",
            "--to",
            "2026-08-01",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for line in [
        "throughput",
        "change lead time (median)",
        "deployment frequency",
        "recovery time (median)",
        "instability",
        "change fail rate",
        "deployment rework rate",
        "DORA Quick Check score: ",
        "Source: DORA, dora.dev Quick Check benchmarks (CC BY 4.0)",
    ] {
        assert!(table.contains(line), "{table}");
    }
}

#[test]
fn explain_lists_failed_deployments_with_reasons() {
    let dir = tempfile::tempdir().expect("dir");
    let out = doraboard(
        &[
            "explain",
            "--demo",
            "deployments",
            "--team",
            "payments",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-01",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    // A heading with the count and the time zone, a header, then one line per deployment (the
    // indented lines under a failed one give its evidence).
    let mut lines = listing.lines();
    let heading = lines.next().expect("heading");
    let (count, rest) = heading.split_once(' ').expect("a count first");
    assert!(
        rest.starts_with("deployments of Payments, 2026-01-01 to 2026-11-30 (times in "),
        "{heading}"
    );
    let header = lines.next().expect("header");
    assert!(
        header.starts_with("Finished") && header.contains("Deployment"),
        "{header}"
    );
    let rows = lines.filter(|l| !l.starts_with("    ")).count();
    assert_eq!(count.parse::<usize>().expect("count"), rows, "{listing}");
    assert!(rows > 0);
    assert!(listing.contains("FAILED"), "{listing}");
    assert!(
        listing.contains("rollback:") || listing.contains("incident:"),
        "{listing}"
    );
}

#[test]
fn bad_arguments_fail_naming_what_is_wrong() {
    let dir = tempfile::tempdir().expect("dir");
    let out = doraboard(
        &[
            "metrics",
            "--demo",
            "--from",
            "2026-05-01",
            "--to",
            "2026-04-01",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--from/--to"),
        "{}",
        text(&out.stderr)
    );
    let out = doraboard(
        &[
            "metrics",
            "--demo",
            "--team",
            "nobody",
            "--from",
            "2026-05-01",
            "--to",
            "2026-06-01",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("nobody"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_config_error_names_the_file_and_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("doraboard.toml"),
        "[collector]\nschedule = \"every five minutes\"\n",
    )
    .expect("write config");
    let out = doraboard(&["migrate"], dir.path());
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(
        error.contains("doraboard.toml") && error.contains("collector.schedule"),
        "{error}"
    );
}

#[test]
fn migrate_creates_the_sqlite_database_named_in_the_config() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("doraboard.toml"),
        "database_url = \"sqlite://board.db\"\n",
    )
    .expect("write config");
    let out = doraboard(&["migrate"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("board.db").exists());
    // It says what it did: every migration the first time, then that there is nothing to do.
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .expect("migrations")
        .count();
    let said = text(&out.stdout);
    assert!(
        said.starts_with(&format!(
            "Applied {migrations} migrations to the sqlite database:\n  0001 init\n"
        )),
        "{said}"
    );
    assert_eq!(said.lines().count(), migrations + 1, "{said}");
    let again = doraboard(&["migrate"], dir.path());
    assert_eq!(
        text(&again.stdout),
        "The sqlite database is up to date: no migration to apply.\n"
    );
}

#[test]
fn an_empty_store_says_what_to_do_instead_of_rating_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let out = doraboard(
        &["metrics", "--from", "2026-01-01", "--to", "2026-02-01"],
        dir.path(),
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("nothing to measure yet"), "{err}");
    for step in [
        "[[teams]]",
        "GITHUB_TOKEN",
        "doraboard collect",
        "doraboard import",
        "--demo",
    ] {
        assert!(err.contains(step), "{step}: {err}");
    }
    assert!(!text(&out.stdout).contains("low"), "no tier for nothing");
}

#[test]
fn a_missing_file_names_its_os_error_once_and_addr_takes_a_host_name() {
    let dir = tempfile::tempdir().expect("dir");
    let out = doraboard(&["import", "nope.ndjson"], dir.path());
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("cannot read nope.ndjson"), "{err}");
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
    // `--addr localhost:PORT` is accepted (refused before it was parsed, as not an IP).
    let out = doraboard(&["serve", "--addr", "localhost:notaport"], dir.path());
    let err = text(&out.stderr);
    assert!(err.contains("expected HOST:PORT"), "{err}");
}

#[test]
fn annotations_are_added_listed_and_removed_with_errors_naming_the_argument() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("doraboard.toml"),
        "database_url = \"sqlite://annotations.db\"\n\
         [[tribes]]\nslug = \"commerce\"\n\
         [[teams]]\nslug = \"checkout\"\ntribe = \"commerce\"\nrepos = [\"acme/shop\"]\n\
         [[annotations]]\ndate = \"2026-03-01\"\ntitle = \"Holiday freeze\"\n",
    )
    .expect("config");
    let run = |args: &[&str]| doraboard(args, dir.path());
    let added = run(&[
        "annotate",
        "--date",
        "2026-03-10",
        "--title",
        "New CI system",
        "--team",
        "checkout",
    ]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(text(&added.stdout).contains("New CI system"));
    for (args, named) in [
        (&["--date", "2026-02-30", "--title", "x"][..], "--date"),
        (&["--date", "2026-03-10", "--title", " "], "--title"),
        (
            &["--date", "2026-03-10", "--title", "x", "--team", "nobody"],
            "--team",
        ),
        (
            &["--date", "2026-03-10", "--title", "x", "--inherit"],
            "--inherit",
        ),
    ] {
        let out = run(&[&["annotate"][..], args].concat());
        assert!(!out.status.success(), "{args:?}");
        assert!(
            text(&out.stderr).contains(&format!("error: {named}:")),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let listed = run(&["annotations", "--team", "commerce", "--json"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert_eq!(
        list.as_array()
            .map(|l| l.iter().map(|a| a["title"].clone()).collect::<Vec<_>>()),
        Some(vec!["Holiday freeze".into()]),
        "the team's own annotation is not the tribe's: {list}"
    );
    let checkout = run(&["annotations", "--team", "checkout", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&checkout.stdout).expect("JSON");
    let id = list[1]["id"].as_i64().expect("the stored one has an id");
    let removed = run(&["annotations", "--remove", &id.to_string()]);
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    let again = run(&["annotations", "--remove", &id.to_string()]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("--remove"),
        "{}",
        text(&again.stderr)
    );
}
