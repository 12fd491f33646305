//! `POST /api/v1/webhooks/github` end to end: signed deliveries in GitHub's payload shapes for
//! every handled event, what lands in the store and the metrics, an incident issue that loses its
//! label or is deleted, refusals, redeliveries, a deployment seen by webhook and then by the
//! poller, and replay of the logged deliveries.

use crate::fake_github;

use collector::webhooks::github::sign;
use engine::config::{Config, Secret};
use engine::store::Store;
use serde_json::{Value, json};
use std::sync::Arc;

const SECRET: &str = "github-webhook-secret";
const REPO: &str = "acme/shop";

fn config_text(source: &str) -> String {
    format!(
        r#"
[collector]
since = "2026-01-01"

[deployments]
source = "{source}"
workflow = "deploy.yml"
environment = "production"

[incidents]
label = "incident"

[[teams]]
slug = "shop"
name = "Shop"
repos = ["{REPO}"]
"#
    )
}

fn sha(tag: &str) -> String {
    let hex: String = tag.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{hex:0<40}")
}

/// The webhook route over a store; stops when dropped.
struct Server {
    base: String,
    store: Store,
    config: Arc<Config>,
    client: reqwest::Client,
    ingestor: collector::ingest::Ingestor,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    async fn start(source: &str) -> Server {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        Server::start_on(store, &config_text(source), Some(SECRET)).await
    }

    async fn start_on(store: Store, config_text: &str, secret: Option<&str>) -> Server {
        let config = Arc::new(Config::from_toml_str(config_text, "test config").expect("config"));
        let state = api::AppState {
            store: store.clone(),
            config: Arc::clone(&config),
            read_access: Default::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let ingestor = collector::ingest::Ingestor::new(store.clone(), &config);
        let serving = ingestor.clone();
        let secret = secret.map(Secret::new);
        tokio::spawn(async move {
            api::webhooks::serve_with(listener, &state, secret, serving, async {
                let _ = stopped.await;
            })
            .await
        });
        Server {
            base,
            store,
            config,
            client: reqwest::Client::new(),
            ingestor,
            _stop: stop,
        }
    }

    /// Posts `body` as event `event`, delivery `delivery`, with `signature` (None: unsigned).
    async fn post(
        &self,
        event: &str,
        delivery: &str,
        signature: Option<String>,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/api/v1/webhooks/github", self.base))
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("user-agent", "GitHub-Hookshot/044aadd")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A delivery signed with the configured secret.
    async fn deliver(&self, event: &str, delivery: &str, payload: &Value) -> (u16, Value) {
        let body = payload.to_string();
        let signature = sign(SECRET.as_bytes(), body.as_bytes());
        self.post(event, delivery, Some(signature), body).await
    }

    async fn metrics(&self) -> engine::metrics::MetricsReport {
        self.ingestor.settled().await;
        let period = engine::period::Period::new(
            engine::period::Period::parse_date("2026-03-01").expect("from"),
            engine::period::Period::parse_date("2026-04-01").expect("to"),
        )
        .expect("period");
        engine::query::metrics(&self.store, &self.config, Some("shop"), period, None)
            .await
            .expect("metrics")
    }

    async fn counts(&self) -> (engine::store::StoreCounts, i64) {
        self.ingestor.settled().await;
        (
            self.store.counts().await.expect("counts"),
            self.store.raw_event_count(None).await.expect("raw"),
        )
    }
}

// ---- Payloads, in GitHub's shapes ------------------------------------------------------------

/// A fresh store holding only a copy of the server's raw event log, replayed.
async fn replay_into_fresh_store(server: &Server) -> (Store, collector::replay::ReplayReport) {
    let fresh = Store::connect("sqlite::memory:").await.expect("store");
    for event in server.store.raw_events_after(0, 100).await.expect("log") {
        fresh
            .ingest(vec![engine::store::events::LoggedEvent {
                raw: Some(engine::store::events::NewRawEvent {
                    source: event.source,
                    delivery_id: event.delivery_id,
                    body: event.body,
                }),
                record: None,
            }])
            .await
            .expect("log copied");
    }
    let report = collector::replay::replay(&fresh, &server.config)
        .await
        .expect("replay");
    (fresh, report)
}

fn user(login: &str) -> Value {
    json!({"login": login, "id": 1001, "node_id": "MDQ6VXNlcjE=", "type": "User",
        "site_admin": false, "html_url": format!("https://github.com/{login}")})
}

fn repository(full_name: &str) -> Value {
    let (owner, name) = full_name.split_once('/').expect("owner/name");
    json!({"id": 123456, "node_id": "R_kgDOABC", "name": name, "full_name": full_name,
        "private": true, "owner": {"login": owner, "id": 42, "type": "Organization"},
        "html_url": format!("https://github.com/{full_name}"), "default_branch": "main",
        "created_at": "2025-01-01T00:00:00Z", "pushed_at": "2026-03-02T12:00:00Z"})
}

fn envelope(action: Option<&str>, repo: &str, mut extra: Value) -> Value {
    let object = extra.as_object_mut().expect("an object");
    if let Some(action) = action {
        object.insert("action".into(), json!(action));
    }
    object.insert("repository".into(), repository(repo));
    object.insert(
        "organization".into(),
        json!({"login": "acme", "id": 42, "node_id": "O_kgDO"}),
    );
    object.insert("sender".into(), user("alice"));
    extra
}

fn deployment(id: u64, sha: &str, environment: &str, created: &str) -> Value {
    json!({"url": format!("https://api.github.com/repos/{REPO}/deployments/{id}"), "id": id,
        "node_id": format!("DE_kwDO{id}"), "sha": sha, "ref": "main", "task": "deploy",
        "payload": {}, "original_environment": environment, "environment": environment,
        "description": null, "creator": user("deploy-bot"), "created_at": created,
        "updated_at": created, "statuses_url": "https://api.github.com/x/statuses",
        "repository_url": format!("https://api.github.com/repos/{REPO}"),
        "transient_environment": false, "production_environment": true})
}

fn deployment_status(
    id: u64,
    status_id: u64,
    state: &str,
    at: &str,
    environment: &str,
    sha: &str,
) -> Value {
    envelope(
        Some("created"),
        REPO,
        json!({
            "deployment_status": {"url": "https://api.github.com/x", "id": status_id,
                "node_id": format!("DES_kwDO{status_id}"), "state": state, "creator": user("deploy-bot"),
                "description": "", "environment": environment, "target_url": "", "log_url": "",
                "created_at": at, "updated_at": at,
                "deployment_url": format!("https://api.github.com/repos/{REPO}/deployments/{id}"),
                "repository_url": format!("https://api.github.com/repos/{REPO}")},
            "deployment": deployment(id, sha, environment, "2026-03-02T12:00:00Z"),
        }),
    )
}

fn pull(number: i64, merged: bool, base: &str) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/{REPO}/pulls/{number}"), "id": 9_000 + number,
        "number": number, "state": "closed", "locked": false, "title": "Faster checkout",
        "user": user("alice"), "body": "Makes checkout faster.", "labels": [{"id": 1, "name": "feature"}],
        "created_at": "2026-03-02T08:00:00Z", "updated_at": "2026-03-02T11:00:00Z",
        "closed_at": "2026-03-02T11:00:00Z",
        "merged_at": if merged { json!("2026-03-02T11:00:00Z") } else { Value::Null },
        "merge_commit_sha": sha("m42"), "draft": false,
        "head": {"label": "acme:faster-checkout", "ref": "faster-checkout", "sha": sha("h42"), "user": user("alice")},
        "base": {"label": format!("acme:{base}"), "ref": base, "sha": sha("b42"), "user": user("acme")},
        "merged": merged, "comments": 1, "review_comments": 0, "commits": 3, "additions": 10,
        "deletions": 2, "changed_files": 2,
    })
}

fn issue(number: i64, labels: &[&str], state: &str, closed_at: Option<&str>) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/{REPO}/issues/{number}"), "id": 7_000 + number,
        "number": number, "title": "Checkout is down", "user": user("oncall"),
        "labels": labels.iter().map(|l| json!({"id": 5, "name": l, "color": "d73a4a"})).collect::<Vec<_>>(),
        "state": state, "locked": false, "comments": 0, "created_at": "2026-03-02T13:00:00Z",
        "updated_at": closed_at.unwrap_or("2026-03-02T13:00:00Z"), "closed_at": closed_at,
        "body": "Caused by #42.", "author_association": "MEMBER",
    })
}

fn workflow_run(id: u64, status: &str, conclusion: Option<&str>, path: &str) -> Value {
    envelope(
        Some(if status == "completed" {
            "completed"
        } else {
            "in_progress"
        }),
        REPO,
        json!({
            "workflow_run": {"id": id, "name": "Deploy", "node_id": format!("WFR_{id}"),
                "head_branch": "main", "head_sha": sha("run"), "path": path,
                "display_title": "Deploy", "run_number": 17, "event": "push", "status": status,
                "conclusion": conclusion, "workflow_id": 4242, "check_suite_id": 3,
                "url": format!("https://api.github.com/repos/{REPO}/actions/runs/{id}"),
                "pull_requests": [], "created_at": "2026-03-03T10:00:00Z",
                "updated_at": "2026-03-03T10:07:00Z", "run_attempt": 1,
                "run_started_at": "2026-03-03T10:00:30Z", "actor": user("alice")},
            "workflow": {"id": 4242, "name": "Deploy", "path": path, "state": "active"},
        }),
    )
}

fn release(id: u64, target: &str, prerelease: bool) -> Value {
    envelope(
        Some("published"),
        REPO,
        json!({
            "release": {"url": format!("https://api.github.com/repos/{REPO}/releases/{id}"),
                "id": id, "node_id": format!("RE_{id}"), "tag_name": "v1.4.0",
                "target_commitish": target, "name": "v1.4.0", "draft": false,
                "prerelease": prerelease, "created_at": "2026-03-04T09:00:00Z",
                "published_at": "2026-03-04T09:30:00Z", "author": user("alice"), "assets": [],
                "body": ""},
        }),
    )
}

fn push(branch: &str) -> Value {
    envelope(
        None,
        REPO,
        json!({
            "ref": format!("refs/heads/{branch}"), "before": sha("before"), "after": sha("after"),
            "created": false, "deleted": false, "forced": false, "compare": "https://github.com/x",
            "commits": [{"id": sha("after"), "tree_id": sha("tree"), "distinct": true,
                "message": "Fix typo", "timestamp": "2026-03-02T15:00:00Z",
                "author": {"name": "Alice", "email": "alice@example.com", "username": "alice"},
                "committer": {"name": "Alice", "email": "alice@example.com", "username": "alice"},
                "added": [], "removed": [], "modified": ["README.md"]}],
            "head_commit": null, "pusher": {"name": "alice", "email": "alice@example.com"},
        }),
    )
}

// ---- Tests -----------------------------------------------------------------------------------

#[tokio::test]
async fn deployments_changes_and_incidents_land_in_the_store_and_the_metrics() {
    let server = Server::start("deployments").await;
    // A merged pull request into main: a change, first commit = creation (refined by the poll).
    let (status, answer) = server
        .deliver(
            "pull_request",
            "d-pr",
            &envelope(
                Some("closed"),
                REPO,
                json!({"number": 42, "pull_request": pull(42, true, "main")}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "stored");
    assert_eq!(answer["key"], "acme/shop#42");
    let change = server
        .store
        .change("acme/shop#42")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        change.first_commit_at.to_rfc3339(),
        "2026-03-02T08:00:00+00:00"
    );
    assert_eq!(change.merge_sha.as_deref(), Some(sha("m42").as_str()));
    assert_eq!(change.author, "alice");

    // Merged into another branch: a change too, shipped once a deployment reaches it.
    let (status, answer) = server
        .deliver(
            "pull_request",
            "d-pr-release",
            &envelope(
                Some("closed"),
                REPO,
                json!({"number": 44, "pull_request": pull(44, true, "release-1")}),
            ),
        )
        .await;
    assert_eq!(
        (status, &answer["key"]),
        (200, &json!("acme/shop#44")),
        "{answer}"
    );

    // Closed unmerged: nothing.
    for (i, pr) in [pull(43, false, "main")].into_iter().enumerate() {
        let number = pr["number"].clone();
        let (status, answer) = server
            .deliver(
                "pull_request",
                &format!("d-pr-other-{i}"),
                &envelope(
                    Some("closed"),
                    REPO,
                    json!({"number": number, "pull_request": pr}),
                ),
            )
            .await;
        assert_eq!(
            (status, &answer["status"]),
            (202, &json!("ignored")),
            "{answer}"
        );
    }

    // A review of it is logged; the poll derives first reviews.
    let review = envelope(
        Some("submitted"),
        REPO,
        json!({"review": {"id": 80, "user": user("bob"), "body": "LGTM", "state": "approved",
            "submitted_at": "2026-03-02T09:00:00Z", "commit_id": sha("h42")},
            "pull_request": pull(42, true, "main")}),
    );
    let (status, answer) = server
        .deliver("pull_request_review", "d-review", &review)
        .await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("logged")),
        "{answer}"
    );

    // The deployment that ships it: pending (ignored), then success.
    let (status, answer) = server
        .deliver(
            "deployment",
            "d-dep",
            &envelope(Some("created"), REPO, json!({"deployment": deployment(501, &sha("m42"), "production", "2026-03-02T12:00:00Z")})),
        )
        .await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("ignored")),
        "{answer}"
    );
    let pending = deployment_status(
        501,
        1,
        "in_progress",
        "2026-03-02T12:01:00Z",
        "production",
        &sha("m42"),
    );
    let (status, answer) = server.deliver("deployment_status", "d-st1", &pending).await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("ignored")),
        "{answer}"
    );
    let staging = deployment_status(
        502,
        3,
        "success",
        "2026-03-02T12:02:00Z",
        "staging",
        &sha("m42"),
    );
    let (status, answer) = server
        .deliver("deployment_status", "d-st-staging", &staging)
        .await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("ignored")),
        "{answer}"
    );
    let success = deployment_status(
        501,
        2,
        "success",
        "2026-03-02T12:05:00Z",
        "production",
        &sha("m42"),
    );
    let (status, answer) = server.deliver("deployment_status", "d-st2", &success).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["key"], "acme/shop/deployments/501");
    let d = server
        .store
        .deployment("acme/shop/deployments/501")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(d.finished_at.to_rfc3339(), "2026-03-02T12:05:00+00:00");
    assert_eq!(d.source, engine::model::Source::GithubDeployment);

    // An incident issue, opened then closed; an unlabelled issue is nothing.
    let opened = envelope(
        Some("opened"),
        REPO,
        json!({"issue": issue(17, &["incident"], "open", None)}),
    );
    let (status, answer) = server.deliver("issues", "d-i1", &opened).await;
    assert_eq!(status, 200, "{answer}");
    let closed = envelope(
        Some("closed"),
        REPO,
        json!({"issue": issue(17, &["incident", "sev1"], "closed", Some("2026-03-02T14:30:00Z"))}),
    );
    let (status, answer) = server.deliver("issues", "d-i2", &closed).await;
    assert_eq!(status, 200, "{answer}");
    let plain = envelope(
        Some("opened"),
        REPO,
        json!({"issue": issue(18, &["bug"], "open", None)}),
    );
    let (status, _) = server.deliver("issues", "d-i3", &plain).await;
    assert_eq!(status, 202);
    let incident = server
        .store
        .incident("acme/shop#17")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        incident.resolved_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-02T14:30:00+00:00")
    );

    // A push to main is logged (the poll tells direct pushes apart); elsewhere, ignored.
    let (status, answer) = server.deliver("push", "d-push", &push("main")).await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("logged")),
        "{answer}"
    );
    let (status, answer) = server.deliver("push", "d-push2", &push("feature")).await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("ignored")),
        "{answer}"
    );

    let (counts, raw) = server.counts().await;
    assert_eq!(
        (counts.changes, counts.deployments, counts.incidents),
        (2, 1, 1)
    );
    // Two merged pull requests, review, success, two issue events, push.
    assert_eq!(raw, 7);
    let m = server.metrics().await;
    assert_eq!(m.deployment_frequency.deployments, 1);
    assert_eq!(m.lead_time.changes, 1);
    // Merged 11:00, created 08:00 (the first-commit bound), deployed 12:05.
    assert_eq!(m.lead_time.median_seconds, Some(4 * 3600 + 5 * 60));
    assert_eq!(m.time_to_restore.incidents, 1);
    assert_eq!(m.time_to_restore.median_seconds, Some(90 * 60));
    assert_eq!(m.change_failure_rate.failed, 1, "the incident names #42");

    // Replay of the log into a fresh store gives the same records.
    let (fresh, report) = replay_into_fresh_store(&server).await;
    assert!(report.skipped.is_empty(), "{report:?}");
    assert_eq!(report.replayed.total(), 5, "{report:?}");
    assert_eq!(report.without_record, 2, "{report:?}");
    for key in ["acme/shop#42", "acme/shop#44"] {
        assert_eq!(
            fresh.change(key).await.expect("read"),
            server.store.change(key).await.expect("read")
        );
    }
    assert_eq!(
        fresh
            .deployment("acme/shop/deployments/501")
            .await
            .expect("read"),
        server
            .store
            .deployment("acme/shop/deployments/501")
            .await
            .expect("read")
    );
    assert_eq!(
        fresh.incident("acme/shop#17").await.expect("read"),
        server.store.incident("acme/shop#17").await.expect("read")
    );
}

#[tokio::test]
async fn an_issue_that_loses_the_incident_label_or_is_deleted_deletes_its_incident() {
    let server = Server::start("deployments").await;
    let resolved = Some("2026-03-02T14:30:00Z");
    for (n, delivery) in [(17, "i-17"), (18, "i-18"), (19, "i-19")] {
        let closed = envelope(
            Some("closed"),
            REPO,
            json!({"issue": issue(n, &["incident"], "closed", resolved)}),
        );
        let (status, answer) = server.deliver("issues", delivery, &closed).await;
        assert_eq!(status, 200, "{answer}");
    }
    assert_eq!(server.metrics().await.time_to_restore.incidents, 3);

    // #17 was mislabelled: the label comes off.
    let label = json!({"id": 5, "node_id": "LA_kwDOABC5", "name": "incident", "color": "d73a4a",
        "default": false, "description": "Production is hurt",
        "url": format!("https://api.github.com/repos/{REPO}/labels/incident")});
    let unlabeled = envelope(
        Some("unlabeled"),
        REPO,
        json!({"issue": issue(17, &[], "closed", resolved), "label": label}),
    );
    let (status, answer) = server.deliver("issues", "i-17-unlabeled", &unlabeled).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "deleted", "{answer}");
    assert_eq!(
        (&answer["kind"], &answer["key"]),
        (&json!("incident"), &json!("acme/shop#17"))
    );
    assert_eq!(
        server.store.incident("acme/shop#17").await.expect("read"),
        None
    );
    let m = server.metrics().await;
    assert_eq!(m.time_to_restore.incidents, 2);

    // A redelivery changes nothing, not even the data version.
    let before = server.counts().await;
    let version = server.store.data_version().await.expect("version");
    let (status, answer) = server.deliver("issues", "i-17-unlabeled", &unlabeled).await;
    assert_eq!((status, &answer["status"]), (200, &json!("duplicate")));
    assert_eq!(server.counts().await, before);
    assert_eq!(server.store.data_version().await.expect("version"), version);

    // #18 is deleted; a plain issue that loses a label is nothing.
    let deleted = envelope(
        Some("deleted"),
        REPO,
        json!({"issue": issue(18, &["incident"], "closed", resolved)}),
    );
    let (status, answer) = server.deliver("issues", "i-18-deleted", &deleted).await;
    assert_eq!((status, &answer["status"]), (200, &json!("deleted")));
    let plain = envelope(
        Some("unlabeled"),
        REPO,
        json!({"issue": issue(20, &[], "open", None), "label": {"name": "bug"}}),
    );
    let (status, answer) = server.deliver("issues", "i-20", &plain).await;
    assert_eq!((status, &answer["status"]), (202, &json!("ignored")));
    let (counts, raw) = server.counts().await;
    assert_eq!((counts.incidents, raw), (1, 5));
    assert_eq!(server.metrics().await.time_to_restore.incidents, 1);

    // Replaying the log deletes again: the same records.
    let (fresh, report) = replay_into_fresh_store(&server).await;
    assert!(report.skipped.is_empty(), "{report:?}");
    for key in ["acme/shop#17", "acme/shop#18", "acme/shop#19"] {
        assert_eq!(
            fresh.incident(key).await.expect("read"),
            server.store.incident(key).await.expect("read"),
            "{key}"
        );
    }
    assert_eq!(fresh.counts().await.expect("counts"), counts);
}

#[tokio::test]
async fn workflow_runs_of_the_deploy_workflow_are_deployments() {
    let server = Server::start("workflow_runs").await;
    let running = workflow_run(3001, "in_progress", None, ".github/workflows/deploy.yml");
    let (status, answer) = server.deliver("workflow_run", "r1", &running).await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("ignored")),
        "{answer}"
    );
    let other = workflow_run(
        3002,
        "completed",
        Some("success"),
        ".github/workflows/ci.yml",
    );
    let (status, answer) = server.deliver("workflow_run", "r2", &other).await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("ignored")),
        "{answer}"
    );
    let done = workflow_run(
        3001,
        "completed",
        Some("success"),
        ".github/workflows/deploy.yml",
    );
    let (status, answer) = server.deliver("workflow_run", "r3", &done).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["key"], "acme/shop/actions/runs/3001");
    let d = server
        .store
        .deployment("acme/shop/actions/runs/3001")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(d.environment, "production");
    assert_eq!(d.finished_at.to_rfc3339(), "2026-03-03T10:07:00+00:00");
    // Deployment statuses are not deployments with this source.
    let st = deployment_status(
        9,
        1,
        "success",
        "2026-03-03T11:00:00Z",
        "production",
        &sha("x"),
    );
    assert_eq!(server.deliver("deployment_status", "r4", &st).await.0, 202);
    assert_eq!(server.metrics().await.deployment_frequency.deployments, 1);
}

#[tokio::test]
async fn published_releases_are_deployments() {
    let server = Server::start("releases").await;
    let (status, answer) = server
        .deliver("release", "v1", &release(77, &sha("rel"), true))
        .await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("ignored")),
        "{answer}"
    );
    let (status, answer) = server
        .deliver("release", "v2", &release(77, &sha("rel"), false))
        .await;
    assert_eq!(status, 200, "{answer}");
    let d = server
        .store
        .deployment("acme/shop/releases/77")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(d.sha, sha("rel"));
    assert_eq!(d.finished_at.to_rfc3339(), "2026-03-04T09:30:00+00:00");
    // A release of a branch name: its tag is resolved by the poll; logged meanwhile.
    let (status, answer) = server
        .deliver("release", "v3", &release(78, "main", false))
        .await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("logged")),
        "{answer}"
    );
    let (counts, raw) = server.counts().await;
    assert_eq!((counts.deployments, raw), (1, 2));
    assert_eq!(server.metrics().await.deployment_frequency.deployments, 1);
}

#[tokio::test]
async fn unsigned_or_badly_signed_deliveries_are_refused_and_store_nothing() {
    let server = Server::start("deployments").await;
    let payload = deployment_status(
        1,
        1,
        "success",
        "2026-03-02T12:05:00Z",
        "production",
        &sha("a"),
    );
    let body = payload.to_string();
    let wrong = sign(b"not-the-secret", body.as_bytes());
    let tampered = sign(SECRET.as_bytes(), b"another body");
    let sha1 = "sha1=0123456789abcdef0123456789abcdef01234567".to_string();
    for signature in [
        None,
        Some(wrong),
        Some(tampered),
        Some(sha1),
        Some("sha256=".into()),
    ] {
        let (status, answer) = server
            .post("deployment_status", "x1", signature.clone(), body.clone())
            .await;
        assert_eq!(status, 401, "{signature:?}: {answer}");
    }
    let (counts, raw) = server.counts().await;
    assert_eq!((counts.deployments, raw), (0, 0));
    assert_eq!(
        server.deliver("deployment_status", "x1", &payload).await.0,
        200
    );
}

#[tokio::test]
async fn a_redelivery_changes_nothing() {
    let server = Server::start("deployments").await;
    let payload = deployment_status(
        1,
        1,
        "success",
        "2026-03-02T12:05:00Z",
        "production",
        &sha("a"),
    );
    assert_eq!(
        server
            .deliver("deployment_status", "same", &payload)
            .await
            .0,
        200
    );
    let before = server.counts().await;
    let version = server.store.data_version().await.expect("version");
    let (status, answer) = server.deliver("deployment_status", "same", &payload).await;
    assert!((200..300).contains(&status), "{status}: {answer}");
    assert_eq!(answer["status"], "duplicate");
    assert_eq!(server.counts().await, before);
    assert_eq!(server.store.data_version().await.expect("version"), version);
}

#[tokio::test]
async fn ping_unknown_events_bad_bodies_and_a_missing_secret() {
    let server = Server::start("deployments").await;
    let ping = json!({"zen": "Keep it logically awesome.", "hook_id": 1, "hook": {"type": "Repository"},
        "repository": repository(REPO), "sender": user("alice")});
    let (status, answer) = server.deliver("ping", "p1", &ping).await;
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("pong")),
        "{answer}"
    );
    let star = envelope(
        Some("created"),
        REPO,
        json!({"starred_at": "2026-03-02T12:00:00Z"}),
    );
    let (status, answer) = server.deliver("star", "s1", &star).await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("ignored")),
        "{answer}"
    );
    let unowned = envelope(
        Some("closed"),
        "acme/other",
        json!({"number": 1, "pull_request": pull(1, true, "main")}),
    );
    let (status, answer) = server.deliver("pull_request", "o1", &unowned).await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("ignored")),
        "{answer}"
    );

    let body = "{\"action\": \"closed\", ";
    let signature = sign(SECRET.as_bytes(), body.as_bytes());
    let (status, answer) = server
        .post("pull_request", "m1", Some(signature), body)
        .await;
    assert_eq!(status, 400, "{answer}");
    let message = answer["error"]["message"].as_str().expect("a message");
    assert!(message.contains("not valid JSON"), "{message}");
    // Valid JSON without what the event needs: the field is named.
    let (status, answer) = server
        .deliver(
            "pull_request",
            "m2",
            &envelope(Some("closed"), REPO, json!({"number": 1})),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .expect("m")
            .contains("pull_request"),
        "{answer}"
    );

    let big = vec![b' '; 5 * 1024 * 1024 + 1];
    let signature = sign(SECRET.as_bytes(), &big);
    let (status, answer) = server.post("push", "b1", Some(signature), big).await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(server.counts().await.1, 0);

    let store = Store::connect("sqlite::memory:").await.expect("store");
    let disabled = Server::start_on(store, &config_text("deployments"), None).await;
    let (status, answer) = disabled.deliver("ping", "p1", &ping).await;
    assert_eq!(status, 503, "{answer}");
    assert!(answer["error"]["message"].as_str().expect("m").contains(
        "set the environment variable GITHUB_WEBHOOK_SECRET (named by webhooks.github_secret_env)"
    ));
}

#[tokio::test]
async fn a_deployment_seen_by_webhook_then_by_the_poller_is_one_deployment() {
    use fake_github::harness::{client, collect};
    use fake_github::{FakeDeployment, FakeGithub, at};
    let fake = FakeGithub::start().await;
    let deployed = fake_github::sha("deployed");
    {
        let mut world = fake.world();
        for slug in ["acme/api", "acme/web"] {
            world.repo(slug);
        }
        world.repo(REPO).deployments.push(FakeDeployment {
            id: 9001,
            sha: deployed.clone(),
            environment: "production".into(),
            created_at: at("2026-03-02T12:00:00Z"),
            updated_at: at("2026-03-02T12:05:00Z"),
            statuses: vec![
                (1, "in_progress".into(), at("2026-03-02T12:01:00Z")),
                (2, "success".into(), at("2026-03-02T12:05:00Z")),
            ],
        });
    }
    let text = fake_github::scenario::org_config(&fake.url, "sqlite::memory:", "deployments");
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let server = Server::start_on(store.clone(), &text, Some(SECRET)).await;
    let payload = deployment_status(
        9001,
        2,
        "success",
        "2026-03-02T12:05:00Z",
        "production",
        &deployed,
    );
    let (status, answer) = server.deliver("deployment_status", "g1", &payload).await;
    assert_eq!(status, 200, "{answer}");
    server.ingestor.settled().await;
    let by_webhook = store
        .deployment("acme/shop/deployments/9001")
        .await
        .expect("read")
        .expect("stored");

    let report = collect(&server.config, &store, &client(&fake)).await;
    assert_eq!(report.failed(), 0, "{report:#?}");
    assert_eq!(store.counts().await.expect("counts").deployments, 1);
    let by_poll = store
        .deployment("acme/shop/deployments/9001")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(by_poll, by_webhook, "same key, same fields");

    // And a redelivery after the poll keeps the poller's record.
    let (status, _) = server.deliver("deployment_status", "g2", &payload).await;
    assert!((200..300).contains(&status));
    assert_eq!(store.counts().await.expect("counts").deployments, 1);
}

/// A workflow run known first from its webhook lacks the commit list only the poller's
/// `compare` gives: the next poll fetches it once more and its record replaces the webhook's.
#[tokio::test]
async fn a_run_seen_first_by_webhook_is_completed_by_the_next_poll() {
    use fake_github::harness::{client, collect};
    use fake_github::{FakeGithub, FakeRun, at};
    let fake = FakeGithub::start().await;
    {
        let mut world = fake.world();
        for slug in ["acme/api", "acme/web"] {
            world.repo(slug);
        }
        world.repo(REPO).runs.push(FakeRun {
            id: 7001,
            workflow: "deploy.yml".into(),
            head_sha: sha("run"),
            head_branch: "main".into(),
            status: "completed".into(),
            conclusion: Some("success".into()),
            created_at: at("2026-03-03T10:00:00Z"),
            updated_at: at("2026-03-03T10:07:00Z"),
        });
    }
    let text = fake_github::scenario::org_config(&fake.url, "sqlite::memory:", "workflow_runs");
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let server = Server::start_on(store.clone(), &text, Some(SECRET)).await;
    let payload = workflow_run(
        7001,
        "completed",
        Some("success"),
        ".github/workflows/deploy.yml",
    );
    let (status, answer) = server.deliver("workflow_run", "r1", &payload).await;
    assert_eq!(status, 200, "{answer}");
    server.ingestor.settled().await;
    let key = answer["key"].as_str().expect("key").to_string();
    let by_webhook = store.deployment(&key).await.expect("read").expect("stored");
    assert_eq!(by_webhook.source, engine::model::Source::Webhook);

    let report = collect(&server.config, &store, &client(&fake)).await;
    assert_eq!(report.failed(), 0, "{report:#?}");
    assert_eq!(store.counts().await.expect("counts").deployments, 1);
    let by_poll = store.deployment(&key).await.expect("read").expect("stored");
    assert_eq!(by_poll.source, engine::model::Source::WorkflowRun);
    assert_eq!(by_poll.finished_at, by_webhook.finished_at);

    // A second poll finds it complete and fetches nothing more for it.
    let again = collect(&server.config, &store, &client(&fake)).await;
    assert_eq!(again.failed(), 0, "{again:#?}");
    assert_eq!(
        store.deployment(&key).await.expect("read").expect("stored"),
        by_poll
    );
}

/// Repository names are case-insensitive: with `Acme/Shop` configured, a release webhook of
/// `ACME/shop` is the team's deployment, keyed in lower case.
#[tokio::test]
async fn a_webhook_matches_the_configured_repository_whatever_the_case() {
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let config =
        config_text("releases").replace(r#"repos = ["acme/shop"]"#, r#"repos = ["Acme/Shop"]"#);
    assert!(config.contains("Acme/Shop"));
    let server = Server::start_on(store, &config, Some(SECRET)).await;
    let mut payload = release(79, &sha("case"), false);
    payload["repository"] = repository("ACME/shop");
    let (status, answer) = server.deliver("release", "c1", &payload).await;
    assert_eq!(status, 200, "{answer}");
    let d = server
        .store
        .deployment("acme/shop/releases/79")
        .await
        .expect("read")
        .expect("stored under the lower-case name");
    assert_eq!(d.repo.to_string(), "acme/shop");
    assert_eq!(server.metrics().await.deployment_frequency.deployments, 1);
}
