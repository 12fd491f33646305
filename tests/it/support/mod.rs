//! Builders for hand-written fixtures: records with sensible defaults, so each test states only
//! what matters to it. Shared by the end-to-end tests.

pub mod process;
pub mod server;

use chrono::{DateTime, Utc};
use engine::model::{
    Change, Deployment, DeploymentStatus, Incident, IncidentCause, RepoSlug, Source,
};

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("fixture timestamp {rfc3339}: {e}"))
        .with_timezone(&Utc)
}

pub fn repo(slug: &str) -> RepoSlug {
    slug.parse()
        .unwrap_or_else(|e| panic!("fixture repo {slug}: {e}"))
}

/// A pull request merged into `repo`; its only commit is `sha`, which is also its merge sha.
pub fn pr(repo_slug: &str, number: i64, sha: &str, first_commit: &str, merged: &str) -> Change {
    Change {
        key: format!("{repo_slug}#{number}"),
        repo: repo(repo_slug),
        number: Some(number),
        title: format!("Change {number}"),
        author: "alice".into(),
        bot: false,
        first_commit_at: at(first_commit),
        opened_at: None,
        first_review_at: None,
        merged_at: at(merged),
        merge_sha: Some(sha.into()),
        commits: vec![sha.into()],
        labels: vec![],
        branch: None,
        paths: vec![],
        reverts: None,
        fixes: None,
        cherry_picks: Vec::new(),
        side_branch: None,
    }
}

/// A successful production deployment of `sha` that finished at `finished`.
pub fn deploy(repo_slug: &str, key: &str, sha: &str, finished: &str) -> Deployment {
    Deployment {
        key: key.into(),
        repo: repo(repo_slug),
        environment: "production".into(),
        sha: sha.into(),
        status: DeploymentStatus::Success,
        started_at: None,
        finished_at: at(finished),
        source: Source::Import,
        rollback: false,
        declared_changes: None,
        declared_commits: None,
    }
}

pub fn failed_attempt(repo_slug: &str, key: &str, sha: &str, finished: &str) -> Deployment {
    Deployment {
        status: DeploymentStatus::Failure,
        ..deploy(repo_slug, key, sha, finished)
    }
}

/// An incident of `repo` opened at `opened`, resolved at `resolved` (None: still open).
pub fn incident(repo_slug: &str, key: &str, opened: &str, resolved: Option<&str>) -> Incident {
    Incident {
        key: key.into(),
        repo: Some(repo(repo_slug)),
        team: None,
        title: format!("Incident {key}"),
        opened_at: at(opened),
        resolved_at: resolved.map(at),
        source: Source::Import,
        cause: None,
    }
}

pub fn caused_by_deployment(mut i: Incident, deployment: &str) -> Incident {
    i.cause = Some(IncidentCause::Deployment(deployment.into()));
    i
}

/// A 40-digit sha made from a short tag, so fixtures stay readable.
pub fn sha(tag: &str) -> String {
    let hex: String = tag.bytes().map(|b| format!("{:02x}", b)).collect();
    format!("{hex:0<40}")
}

/// Holds the process-wide sync runner ([`collector::sync::SyncRunner::global`]) for one test:
/// every test of this binary shares the process, so a test that runs that runner, or asserts
/// whether it runs (`running` in `/healthz`), takes this first.
pub async fn process_wide_sync() -> tokio::sync::MutexGuard<'static, ()> {
    static RUNNER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    RUNNER.lock().await
}

/// Which store `Org::load` opens; set per test by [`on_backend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

tokio::task_local! {
    static BACKEND: Backend;
}

/// Runs `case` with every `Org` it loads on `backend`. PostgreSQL cases are skipped (and say so)
/// when `TEST_POSTGRES_URL` is not set, unless `DORABOARD_REQUIRE_EXTERNAL=1`.
pub async fn on_backend<F: std::future::Future<Output = ()>>(
    backend: Backend,
    name: &str,
    case: F,
) {
    if backend == Backend::Postgres && std::env::var("TEST_POSTGRES_URL").is_err() {
        let message = format!("SKIPPED: {name} on PostgreSQL needs TEST_POSTGRES_URL");
        if std::env::var("DORABOARD_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
            panic!("{message}");
        }
        // Straight to stderr, past the test harness's capture, so the skip is visible.
        let _ =
            std::io::Write::write_all(&mut std::io::stderr(), format!("{message}\n").as_bytes());
        return;
    }
    BACKEND.scope(backend, case).await;
}

/// Declares each async case once per backend: `sqlite::<case>` and `postgres::<case>`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::support::on_backend(crate::support::Backend::Sqlite, stringify!($name), super::$name()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::support::on_backend(crate::support::Backend::Postgres, stringify!($name), super::$name()).await;
                }
            )*
        }
    };
}

/// An organisation under test: a configuration and a store loaded with fixtures, analysed.
pub struct Org {
    pub config: engine::config::Config,
    pub store: engine::store::Store,
}

/// One team `shop` owning `acme/shop`, in UTC, measured since 2026-01-01.
pub const ONE_TEAM: &str = r#"
[collector]
since = "2026-01-01"

[[teams]]
slug = "shop"
name = "Shop"
repos = ["acme/shop"]
"#;

impl Org {
    pub async fn load(
        config_toml: &str,
        changes: Vec<Change>,
        deployments: Vec<Deployment>,
        incidents: Vec<Incident>,
    ) -> Org {
        let config = engine::config::Config::from_toml_str(config_toml, "test config")
            .unwrap_or_else(|e| panic!("test config: {e}"));
        let store = match BACKEND.try_with(|b| *b).unwrap_or(Backend::Sqlite) {
            Backend::Sqlite => engine::store::testing::TestStore::sqlite().await,
            Backend::Postgres => engine::store::testing::TestStore::postgres("conformance")
                .await
                .expect("the wrapper checked that PostgreSQL is configured"),
        }
        .store;
        store.upsert_changes(&changes).await.expect("changes");
        store
            .upsert_deployments(&deployments)
            .await
            .expect("deployments");
        store.upsert_incidents(&incidents).await.expect("incidents");
        engine::query::refresh(&store, &config)
            .await
            .expect("refresh");
        Org { config, store }
    }

    /// The report for `team` (None: organisation) over `[from, to)`.
    pub async fn metrics(
        &self,
        team: Option<&str>,
        from: &str,
        to: &str,
        bucket: Option<&str>,
    ) -> engine::metrics::MetricsReport {
        let period = engine::period::Period::new(
            engine::period::Period::parse_date(from).expect("from"),
            engine::period::Period::parse_date(to).expect("to"),
        )
        .expect("period");
        let bucket = bucket.map(|b| b.parse().expect("bucket"));
        engine::query::metrics(&self.store, &self.config, team, period, bucket)
            .await
            .unwrap_or_else(|e| panic!("metrics: {e}"))
    }

    /// March 2026 for team `shop`.
    pub async fn march(&self) -> engine::metrics::MetricsReport {
        self.metrics(Some("shop"), "2026-03-01", "2026-04-01", None)
            .await
    }
}
